//! The dispatcher: claim due deliveries, personalise, build, sign,
//! rate-limit, send, record the outcome. Beside it, [`system_mailer`]: mail
//! to one person outside an issue (confirmations, unsubscribe links)
//! through the same transport, signer and shared rate.

pub mod faults;
pub mod rate;
pub mod recorder;
pub mod send;
pub mod system_mailer;
