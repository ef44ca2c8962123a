//! The dispatcher: claim due deliveries, personalise, build, sign,
//! rate-limit, send, record the outcome.

pub mod faults;
pub mod rate;
pub mod recorder;
pub mod send;
pub mod transport;
