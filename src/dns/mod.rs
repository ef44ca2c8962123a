//! `postbode dns check`: are the DNS records that receivers read to trust
//! postbode's mail in place and right? One [`Finding`] per check:
//!
//! - `dkim_record.rs`: the DKIM key record at `selector._domainkey.domain`
//!   holds the public half of `dkim.private_key_file`;
//! - `spf.rs`: each envelope domain (the From domain, and the domain of
//!   `bounces.address` when VERP is on) has one SPF record that ends in
//!   `-all` or `~all`;
//! - `dmarc.rs`: the From domain has a DMARC record with a policy, the
//!   DKIM domain is aligned with the From domain (and, a warning only,
//!   the bounce domain too);
//! - `lookup.rs`: TXT lookups (hickory-resolver), through the system's
//!   resolver or one nameserver given as `IP:PORT`;
//! - `finding.rs`: what a check found and the record that fixes it.
//!
//! The checks only read DNS; the CLI (`cli/dns.rs`) prints the findings.

mod dkim_record;
mod dmarc;
mod finding;
mod lookup;
mod spf;

pub use dkim_record::ExpectedKey;
pub use finding::{Finding, TxtRecord, Verdict};
pub use lookup::{Lookup, LookupFailed};

use crate::config::Settings;
use crate::mail::{DkimSigner, MailError};

/// What to check, read from the settings before any query.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The From address's domain.
    pub from_domain: String,
    /// The signing key, or `None` when DKIM is off (`dkim.domain` empty).
    pub dkim: Option<ExpectedKey>,
    /// The DKIM signing domain (d=).
    pub dkim_domain: Option<String>,
    /// Domains that appear in envelope senders, each once: the From
    /// domain, and the bounce address's when it is another.
    pub envelope_domains: Vec<String>,
    /// The domain of `bounces.address` (VERP), when it is set.
    pub bounce_domain: Option<String>,
}

impl Targets {
    /// From the settings: the From domain, the `[dkim]` key (read and
    /// parsed here, so a bad key is a settings error), and the domain of
    /// `bounces.address` (VERP) when it is set.
    pub fn from_settings(settings: &Settings) -> Result<Targets, MailError> {
        let from_domain = settings
            .newsletter
            .from
            .address
            .domain()
            .to_ascii_lowercase();
        let (dkim, dkim_domain) = match DkimSigner::from_settings(&settings.dkim)? {
            Some(signer) => {
                let (kind, public_key) = signer.dns_public_key()?;
                let key = ExpectedKey {
                    record: TxtRecord::new(signer.dns_name(), signer.dns_txt()?),
                    kind,
                    public_key,
                    key_file: settings.dkim.private_key_file.display().to_string(),
                };
                (Some(key), Some(signer.domain().to_ascii_lowercase()))
            }
            None => (None, None),
        };
        let bounce_domain = settings
            .bounces
            .address()
            .map(|a| a.domain().to_ascii_lowercase());
        let mut envelope_domains = vec![from_domain.clone()];
        envelope_domains.extend(bounce_domain.clone().filter(|d| *d != from_domain));
        Ok(Targets {
            from_domain,
            dkim,
            dkim_domain,
            envelope_domains,
            bounce_domain,
        })
    }
}

/// Runs every check, in a fixed order: DKIM, SPF per envelope domain,
/// DMARC, DKIM alignment, and SPF alignment of the bounce domain. A lookup that gets no answer is a failed check that
/// says so; it does not stop the others.
pub async fn check(targets: &Targets, lookup: &Lookup) -> Vec<Finding> {
    let mut findings = Vec::new();
    match &targets.dkim {
        Some(expected) => findings.push(match lookup.txt(&expected.record.name).await {
            Ok(found) => dkim_record::check(expected, &found),
            Err(e) => unanswered("DKIM", &e),
        }),
        None => findings.push(Finding::new(
            "DKIM",
            &targets.from_domain,
            Verdict::Fail,
            "DKIM signing is off (dkim.domain is empty); Gmail and Yahoo require signed mail. \
             Run `postbode dkim keygen --selector SELECTOR`, publish the record it prints and \
             set [dkim] as it says",
        )),
    }
    for domain in &targets.envelope_domains {
        findings.push(match lookup.txt(domain).await {
            Ok(found) => spf::check(domain, &found),
            Err(e) => unanswered("SPF", &e),
        });
    }
    let (policy, dmarc) = match dmarc_records(&targets.from_domain, lookup).await {
        Ok((name, found, at_org)) => {
            dmarc::check_policy(&targets.from_domain, &name, &found, at_org)
        }
        Err(e) => (unanswered("DMARC", &e), None),
    };
    findings.push(policy);
    findings.push(dmarc::check_alignment(
        &targets.from_domain,
        targets.dkim_domain.as_deref(),
        dmarc.as_ref(),
    ));
    if let Some(envelope_domain) = &targets.bounce_domain {
        findings.push(dmarc::check_spf_alignment(
            &targets.from_domain,
            envelope_domain,
            dmarc.as_ref(),
        ));
    }
    findings
}

/// The DMARC record's name and TXT records: at `_dmarc.FROM`, else at the
/// organisational domain's (RFC 7489 §6.6.3), which then covers FROM.
async fn dmarc_records(
    from_domain: &str,
    lookup: &Lookup,
) -> Result<(String, Vec<String>, bool), LookupFailed> {
    let name = format!("_dmarc.{from_domain}");
    let found = lookup.txt(&name).await?;
    let org = dmarc::organisational_domain(from_domain);
    if found.is_empty() && org != from_domain {
        let org_name = format!("_dmarc.{org}");
        let at_org = lookup.txt(&org_name).await?;
        if !at_org.is_empty() {
            return Ok((org_name, at_org, true));
        }
    }
    Ok((name, found, false))
}

fn unanswered(check: &'static str, e: &LookupFailed) -> Finding {
    Finding::new(
        check,
        &e.name,
        Verdict::Fail,
        format!(
            "no answer from DNS ({}); check the nameserver (--nameserver IP:PORT) and run again",
            e.reason
        ),
    )
}
