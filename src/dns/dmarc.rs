//! The DMARC check of the From domain (RFC 7489): a `v=DMARC1` record at
//! `_dmarc.DOMAIN` (or at its organisational domain), its policy, and
//! whether the DKIM signing domain is aligned with the From domain, which
//! is what lets DMARC pass on the DKIM signature.

use super::finding::{Finding, TxtRecord, Verdict};

/// The parts of a DMARC record this check reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dmarc {
    /// p=, or sp= when the record was found at the organisational domain
    /// and has one (it then governs the subdomain).
    pub policy: String,
    /// adkim=s: the DKIM domain must equal the From domain.
    pub strict_dkim: bool,
    /// aspf=s: the envelope sender's domain must equal the From domain.
    pub strict_spf: bool,
}

/// The organisational domain of `domain`, taken as its last two labels.
///
/// An approximation: the real rule (RFC 7489 §3.2) uses the Public Suffix
/// List, so for `example.co.uk` this answers `co.uk`. postbode carries no
/// copy of that list for one check; for the usual `example.org`-shaped
/// sending domains the answer is the same.
pub fn organisational_domain(domain: &str) -> &str {
    let mut dots = domain.rmatch_indices('.');
    match (dots.next(), dots.next()) {
        (Some(_), Some((i, _))) => &domain[i + 1..],
        _ => domain,
    }
}

/// Judges the TXT records found at `name` (`_dmarc.` and the From domain,
/// or its organisational domain when `at_org` is true) and returns what
/// the policy says, for the alignment check.
pub fn check_policy(
    from_domain: &str,
    name: &str,
    found: &[String],
    at_org: bool,
) -> (Finding, Option<Dmarc>) {
    let record = match the_one_record(from_domain, name, found) {
        Ok(record) => record,
        Err(finding) => return (finding, None),
    };
    let policy = if at_org {
        tag(record, "sp").or_else(|| tag(record, "p"))
    } else {
        tag(record, "p")
    };
    let strict_dkim = tag(record, "adkim").is_some_and(|a| a == "s");
    let strict_spf = tag(record, "aspf").is_some_and(|a| a == "s");
    let whose = if at_org {
        format!(" (the organisational domain's, which covers {from_domain})")
    } else {
        String::new()
    };
    let (verdict, message) = judge_policy(record, policy.as_deref(), &whose);
    let dmarc = policy.map(|policy| Dmarc {
        policy,
        strict_dkim,
        strict_spf,
    });
    (Finding::new("DMARC", name, verdict, message), dmarc)
}

/// The one DMARC record among `found`; none, or more than one (which
/// receivers treat as none), is a failing finding.
fn the_one_record<'a>(
    from_domain: &str,
    name: &str,
    found: &'a [String],
) -> Result<&'a str, Finding> {
    let records: Vec<&String> = found.iter().filter(|t| is_dmarc(t)).collect();
    match records.as_slice() {
        [] => Err(Finding::new(
            "DMARC",
            format!("_dmarc.{from_domain}"),
            Verdict::Fail,
            "no DMARC record; Gmail and Yahoo require one from bulk senders. Publish \
             this one (p=none only asks for reports; move to p=quarantine once they \
             show all your mail passes)",
        )
        .publish(suggestion(from_domain))),
        [one] => Ok(one.as_str()),
        many => Err(Finding::new(
            "DMARC",
            name,
            Verdict::Fail,
            format!(
                "{} DMARC records; receivers then ignore DMARC for this domain (RFC 7489 \
                 §6.6.3). Keep one",
                many.len()
            ),
        )),
    }
}

/// The value of the tag `wanted` in a DMARC record, lowercased; tag names
/// match in any case.
fn tag(record: &str, wanted: &str) -> Option<String> {
    record.split(';').find_map(|t| {
        let (n, v) = t.split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case(wanted)
            .then(|| v.trim().to_ascii_lowercase())
    })
}

/// What the policy is worth: only quarantine and reject protect the
/// domain. `whose` says when the record is the organisational domain's.
fn judge_policy(record: &str, policy: Option<&str>, whose: &str) -> (Verdict, String) {
    match policy {
        Some("reject" | "quarantine") => (Verdict::Ok, format!("\"{record}\"{whose}")),
        Some("none") => (
            Verdict::Warn,
            format!(
                "\"{record}\"{whose}: p=none only monitors, so forged mail in your name is \
                 still delivered; move to p=quarantine (then p=reject) once the reports \
                 show all your mail passes"
            ),
        ),
        Some(other) => (
            Verdict::Fail,
            format!("\"{record}\"{whose}: the policy {other:?} is not none, quarantine or reject"),
        ),
        None => (
            Verdict::Fail,
            format!(
                "\"{record}\"{whose} has no p= policy, so receivers ignore it; add p=none or p=quarantine"
            ),
        ),
    }
}

/// Whether a DKIM signature by `dkim_domain` lets DMARC pass for mail
/// From `from_domain` (RFC 7489 §3.1.1): the same domain under adkim=s;
/// the same organisational domain under the default, relaxed.
pub fn check_alignment(
    from_domain: &str,
    dkim_domain: Option<&str>,
    dmarc: Option<&Dmarc>,
) -> Finding {
    let strict = dmarc.is_some_and(|d| d.strict_dkim);
    let Some(dkim_domain) = dkim_domain else {
        return Finding::new(
            "alignment",
            from_domain,
            Verdict::Fail,
            "messages are not DKIM-signed (dkim.domain is empty), so DMARC cannot pass on a \
             signature; run `postbode dkim keygen --selector SELECTOR`, publish its record \
             and set [dkim]",
        );
    };
    let (aligned, how) = aligned(dkim_domain, from_domain, strict, "adkim");
    if aligned {
        Finding::new(
            "alignment",
            from_domain,
            Verdict::Ok,
            format!("DKIM d={dkim_domain} and From {from_domain}: {how}"),
        )
    } else {
        Finding::new(
            "alignment",
            from_domain,
            Verdict::Fail,
            format!(
                "DKIM d={dkim_domain} is not aligned with From {from_domain} ({how}), so \
                 DMARC cannot pass on the signature; set dkim.domain = \"{from_domain}\" \
                 and publish a key there (`postbode dkim keygen --selector SELECTOR`)"
            ),
        )
    }
}

/// Whether the envelope sender's domain (`bounces.address`'s, with VERP)
/// lets DMARC pass on SPF too: the same domain under aspf=s, the same
/// organisational domain otherwise. Not aligned is a warning, not a
/// failure: an aligned DKIM signature is enough, but without the SPF
/// path a forwarder that breaks the signature makes DMARC fail.
pub fn check_spf_alignment(
    from_domain: &str,
    envelope_domain: &str,
    dmarc: Option<&Dmarc>,
) -> Finding {
    let strict = dmarc.is_some_and(|d| d.strict_spf);
    let (aligned, how) = aligned(envelope_domain, from_domain, strict, "aspf");
    if aligned {
        Finding::new(
            "alignment",
            envelope_domain,
            Verdict::Ok,
            format!("envelope sender @{envelope_domain} and From {from_domain}: {how}"),
        )
    } else {
        Finding::new(
            "alignment",
            envelope_domain,
            Verdict::Warn,
            format!(
                "the envelope sender @{envelope_domain} (bounces.address) is not aligned with                  From {from_domain} ({how}), so DMARC rests on the DKIM signature alone; a                  bounce address under {} would align",
                organisational_domain(from_domain)
            ),
        )
    }
}

/// DMARC identifier alignment (RFC 7489 §3.1): whether `domain` is
/// aligned with the From domain, and how, in words. `mode` names the tag
/// (`adkim` or `aspf`) that asked for strict alignment.
fn aligned(domain: &str, from_domain: &str, strict: bool, mode: &str) -> (bool, String) {
    if domain.eq_ignore_ascii_case(from_domain) {
        (true, "the same domain".into())
    } else if strict {
        (false, format!("{mode}=s asks for the same domain"))
    } else if organisational_domain(domain).eq_ignore_ascii_case(organisational_domain(from_domain))
    {
        (
            true,
            "the same organisational domain (relaxed alignment)".into(),
        )
    } else {
        (false, "not even the same organisational domain".into())
    }
}

/// `v=DMARC1` first (RFC 7489 §6.3), case as written by most, any spacing.
fn is_dmarc(text: &str) -> bool {
    text.split(';')
        .next()
        .and_then(|t| t.split_once('='))
        .is_some_and(|(n, v)| n.trim() == "v" && v.trim() == "DMARC1")
}

fn suggestion(from_domain: &str) -> TxtRecord {
    TxtRecord::new(
        format!("_dmarc.{from_domain}"),
        format!("v=DMARC1; p=none; rua=mailto:dmarc-reports@{from_domain}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(records: &[&str]) -> (Verdict, Option<Dmarc>) {
        let found: Vec<String> = records.iter().map(|r| (*r).to_owned()).collect();
        let (f, d) = check_policy("example.org", "_dmarc.example.org", &found, false);
        (f.verdict, d)
    }

    #[test]
    fn policies_are_judged() {
        assert_eq!(policy(&["v=DMARC1; p=reject"]).0, Verdict::Ok);
        assert_eq!(
            policy(&["v=DMARC1;p=quarantine;adkim=s"])
                .1
                .map(|d| d.strict_dkim),
            Some(true)
        );
        assert_eq!(
            policy(&["v=DMARC1; p=none; rua=mailto:d@example.org"]).0,
            Verdict::Warn
        );
        assert_eq!(policy(&["v=DMARC1; p=maybe"]).0, Verdict::Fail);
        assert_eq!(
            policy(&["v=DMARC1; rua=mailto:d@example.org"]).0,
            Verdict::Fail
        );
        assert_eq!(policy(&["v=spf1 -all"]).0, Verdict::Fail);
        assert_eq!(
            policy(&["v=DMARC1; p=reject", "v=DMARC1; p=none"]).0,
            Verdict::Fail
        );
    }

    #[test]
    fn the_organisational_record_governs_subdomains_by_sp() {
        let found = vec!["v=DMARC1; p=reject; sp=none".to_owned()];
        let (f, _) = check_policy("news.example.org", "_dmarc.example.org", &found, true);
        assert_eq!(f.verdict, Verdict::Warn);
    }

    #[test]
    fn alignment_is_relaxed_unless_adkim_is_strict() {
        let relaxed = Dmarc {
            policy: "reject".into(),
            strict_dkim: false,
            strict_spf: false,
        };
        let strict = Dmarc {
            policy: "reject".into(),
            strict_dkim: true,
            strict_spf: true,
        };
        let v = |from, d, m| check_alignment(from, d, m).verdict;
        assert_eq!(
            v("example.org", Some("example.org"), Some(&strict)),
            Verdict::Ok
        );
        assert_eq!(
            v("news.example.org", Some("example.org"), Some(&relaxed)),
            Verdict::Ok
        );
        assert_eq!(
            v("news.example.org", Some("example.org"), Some(&strict)),
            Verdict::Fail
        );
        assert_eq!(
            v("example.org", Some("mailer.example.net"), None),
            Verdict::Fail
        );
        assert_eq!(v("example.org", None, None), Verdict::Fail);
    }

    #[test]
    fn a_bounce_domain_outside_the_from_domain_warns() {
        let v = |envelope| check_spf_alignment("example.org", envelope, None).verdict;
        assert_eq!(v("bounce.example.org"), Verdict::Ok);
        assert_eq!(v("bounce.example.net"), Verdict::Warn);
    }

    #[test]
    fn organisational_domains_are_the_last_two_labels() {
        assert_eq!(organisational_domain("a.b.example.org"), "example.org");
        assert_eq!(organisational_domain("example.org"), "example.org");
        assert_eq!(organisational_domain("localhost"), "localhost");
    }
}
