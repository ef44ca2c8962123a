//! The check before real mail: with `smtp.url` set, an issue is only
//! queued or sent when its links and sender are fit for strangers'
//! inboxes. The shipped defaults (`http://localhost:8080`,
//! `nieuwsbrief@example.org`) suit a first try into the outbox folder, but
//! in real mail they make every unsubscribe link dead and the sender
//! someone else's. `newsletter.allow_insecure_links = true` lifts the
//! check, for development and tests against a mail server on this machine.

use std::net::IpAddr;

use super::Settings;
use crate::error::{Error, Result};

/// The sender `config.example.toml` ships with.
const SHIPPED_FROM: &str = "nieuwsbrief@example.org";

impl Settings {
    /// Refuses (exit 2) to put real mail on its way with links to this
    /// machine, links over plain http, or the shipped sender. Every
    /// problem is named with the key to set and to what. Writing to the
    /// outbox folder (no `smtp.url`) is never refused.
    pub fn check_ready_for_real_mail(&self) -> Result<()> {
        if self.smtp.url.expose().is_none() || self.newsletter.allow_insecure_links {
            return Ok(());
        }
        let problems = self.real_mail_problems();
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::Config(format!(
            "not sending real mail (smtp.url is set) with these settings:\n  {}\n\
             (for development against a mail server of your own, \
             newsletter.allow_insecure_links = true allows it)",
            problems.join("\n  ")
        )))
    }

    fn real_mail_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let base = self.newsletter.base_url.as_str();
        let fix = "set newsletter.base_url to the public https:// address of postbode's pages, \
                   e.g. base_url = \"https://nieuwsbrief.example.nl\"";
        if !base.starts_with("https://") {
            problems.push(format!(
                "newsletter.base_url is {base}: links in mail must be https://; {fix}"
            ));
        } else if this_machine(host(base)) {
            problems.push(format!(
                "newsletter.base_url is {base}, this machine, unreachable for readers; {fix}"
            ));
        }
        let from = self.newsletter.from.address.as_str();
        if from.eq_ignore_ascii_case(SHIPPED_FROM) {
            problems.push(format!(
                "newsletter.from is the shipped default ({from}): set it to your own sender, \
                 e.g. from = \"Nieuwsbrief <nieuwsbrief@jouwdomein.nl>\""
            ));
        }
        problems
    }
}

/// The host of an http(s) URL, without user info, port or brackets.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

/// localhost (and its subdomains, RFC 6761), loopback and unspecified
/// addresses.
fn this_machine(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_found_behind_user_info_and_before_the_port() {
        assert_eq!(host("https://nieuws.example.org"), "nieuws.example.org");
        assert_eq!(host("https://u:p@LocalHost:8443/x?y"), "LocalHost");
        assert_eq!(host("https://[::1]:8080/pad"), "::1");
        assert_eq!(host("https://127.0.0.2"), "127.0.0.2");
    }

    #[test]
    fn loopback_names_and_addresses_are_this_machine() {
        for yes in [
            "localhost",
            "LOCALHOST.",
            "app.localhost",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "0.0.0.0",
        ] {
            assert!(this_machine(yes), "{yes}");
        }
        for no in [
            "nieuws.example.org",
            "localhost.example.org",
            "10.0.0.1",
            "::2",
        ] {
            assert!(!this_machine(no), "{no}");
        }
    }
}
