//! The dispatcher: claim due deliveries, personalise, build, then hand each
//! to the [`Courier`](crate::transport::Courier) (sign, wait for the shared
//! rate, send), and record the outcome. Mail to one person outside an issue
//! (confirmations, unsubscribe links) goes through the same courier from
//! [`crate::transport::system_mailer`], without the dispatcher.

pub mod faults;
pub mod recorder;
pub mod send;
