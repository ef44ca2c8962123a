//! Newtypes that parse, never validate later: once a value has one of these
//! types it is known to be well-formed, and parsing never panics on any input.
//!
//! - [`ParseError`]: the one error all of them return, with a reason a user can act on.
//! - [`EmailAddress`]: an address normalised once, so store, de-duplication and SMTP agree.
//! - [`Mailbox`]: `Name <address>` for From and Reply-To.
//! - [`SubscriberName`]: a display name safe to put in a mail header.
//! - [`ListName`]: a list's name, a short case-free key typed on the command line.
//! - [`Slug`]: an issue's slug, checked as given because it must match its folder.
//! - [`Language`]: a `nl` / `nl-BE` language tag for `<html lang>` and date formatting.
//! - [`SubscriberStatus`]: where a subscriber stands, and whether they left.
//! - [`SendTime`]: when to send, read in the newsletter's time zone.
//! - [`ChangeSource`]: what caused a status change, kept with every change.

mod change_source;
mod email_address;
mod language;
mod list_name;
mod mailbox;
mod parse_error;
mod send_time;
mod slug;
mod client_network;
mod consent_basis;
mod subscriber_name;
mod subscriber_status;

pub use change_source::ChangeSource;
pub use email_address::EmailAddress;
pub use language::Language;
pub use list_name::ListName;
pub use mailbox::Mailbox;
pub use parse_error::ParseError;
pub use send_time::SendTime;
pub use slug::Slug;
pub use subscriber_name::SubscriberName;
pub use subscriber_status::SubscriberStatus;
pub use client_network::ClientNetwork;
pub use consent_basis::ConsentBasis;
