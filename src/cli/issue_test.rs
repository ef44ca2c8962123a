//! `postbode issue test DIR --to ADDR [--to ADDR ...]`: the issue to each
//! address through the real transport, marked as a test. A subscriber's
//! address gets the message they would get (their name, attributes and a
//! working unsubscribe link), so the editor can check it in their own
//! inbox; any other address the example values.

use crate::config::Settings;
use crate::dispatch::send::Dispatcher;
use crate::domain::EmailAddress;
use crate::error::{Error, Result};
use crate::render::RenderedIssue;
use crate::store::Store;

/// Parses every `--to` before anything is sent, so a typo in the third
/// address does not leave two sent.
pub fn addresses(to: &[String]) -> Result<Vec<EmailAddress>> {
    if to.is_empty() {
        return Err(Error::Input("issue test needs --to ADDRESS".into()));
    }
    to.iter()
        .map(|t| super::parse_arg("--to", t, EmailAddress::parse))
        .collect()
}

/// Sends `rendered` to each of `to`, saying for whom each was personalised.
pub async fn send(
    settings: &Settings,
    store: &Store,
    rendered: &RenderedIssue,
    to: &[EmailAddress],
) -> Result<()> {
    let compiled = rendered.compiled()?;
    let dispatcher = Dispatcher::new(settings, store.clone())?;
    for address in to {
        let (reply, subscriber) = dispatcher
            .send_test(
                rendered.slug.as_str(),
                &rendered.meta.subject,
                &compiled,
                address,
            )
            .await?;
        let who = match subscriber {
            Some(s) => match s.name {
                Some(name) => format!("personalised for subscriber {name}"),
                None => "personalised for this subscriber".to_owned(),
            },
            None => "not a subscriber: example values".to_owned(),
        };
        println!(
            "test message sent to {address} ({who}) via {}: {reply}",
            dispatcher.courier().describe()
        );
    }
    Ok(())
}
