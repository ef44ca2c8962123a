//! Newtypes that parse, never validate later: once a value has one of these
//! types it is known to be well-formed, and parsing never panics on any input.
//!
//! - [`ParseError`]: the one error all of them return, with a reason a user can act on.
//! - [`EmailAddress`]: an address normalised once, so store, de-duplication and SMTP agree.
//! - [`Mailbox`]: `Name <address>` for From and Reply-To.
//! - [`NormalisedMailbox`]: the inbox an address reaches (case, `+tag`,
//!   gmail's dots folded), for limits per person.
//! - [`SubscriberName`]: a display name safe to put in a mail header.
//! - [`ListName`]: a list's name, a short case-free key typed on the command line.
//! - [`Slug`]: an issue's slug, checked as given because it must match its folder.
//! - [`Language`]: a `nl` / `nl-BE` language tag for `<html lang>` and date formatting.
//! - [`SubscriberStatus`]: where a subscriber stands, and whether they left.
//! - [`SendTime`]: when to send, read in the newsletter's time zone.
//! - [`ChangeSource`]: what caused a status change, kept with every change.
//! - [`ReportKind`]: what an applied bounce or complaint report was.
//! - [`status_rules`]: the one table of status changes (which source may
//!   move whom from which status to which), and [`StatusOutcome`].
//! - [`SuppressionReason`], [`SuppressionKey`]: the suppression list's
//!   reasons and the keyed hash it keeps addresses under.
//! - [`LinkSalt`]: the per-subscriber value in the MAC of their links.
//! - [`ConsentBasis`], [`ClientNetwork`]: what the proof of consent keeps
//!   of an admin's stated basis and of a sign-up's client address.
//! - [`TrustedProxies`], [`IpNetwork`]: the reverse proxies whose
//!   `X-Forwarded-For` names the client (`server.trusted_proxies`).
//! - [`WebOrigin`]: a site (`https://host[:port]`), for the forms' `Origin` check.
//! - [`attribute_key`]: attribute names are one name whatever their case.
//! - [`spreadsheet_cell`]: CSV cells a spreadsheet shows as text, never runs.

pub mod attribute_key;
mod change_source;
mod client_network;
mod consent_basis;
mod email_address;
mod language;
mod link_salt;
mod list_name;
mod mailbox;
mod normalised_mailbox;
mod parse_error;
mod report_kind;
mod send_time;
mod slug;
pub mod spreadsheet_cell;
pub mod status_rules;
mod subscriber_name;
mod subscriber_status;
mod suppression;
mod trusted_proxies;
mod web_origin;

pub use change_source::ChangeSource;
pub use client_network::ClientNetwork;
pub use consent_basis::ConsentBasis;
pub use email_address::EmailAddress;
pub use language::Language;
pub use link_salt::{ConfirmLink, LinkSalt, SaltLookup};
pub use list_name::ListName;
pub use mailbox::Mailbox;
pub use normalised_mailbox::NormalisedMailbox;
pub use parse_error::ParseError;
pub use report_kind::ReportKind;
pub use send_time::SendTime;
pub use slug::Slug;
pub use status_rules::StatusOutcome;
pub use subscriber_name::SubscriberName;
pub use subscriber_status::SubscriberStatus;
pub use suppression::{AddressHash, SuppressionKey, SuppressionReason};
pub use trusted_proxies::{IpNetwork, TrustedProxies};
pub use web_origin::WebOrigin;
