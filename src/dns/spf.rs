//! The SPF check of an envelope domain (RFC 7208): exactly one `v=spf1`
//! record, ending in `-all` or `~all` (or handing over with `redirect=`).
//!
//! It does not evaluate the mechanisms (that would mean following every
//! `include:` and knowing which address the mail leaves from); it checks
//! what breaks SPF for every sender: no record, two records, or a record
//! that lets anyone send.

use super::finding::{Finding, TxtRecord, Verdict};

/// Judges the TXT records found at `domain`.
pub fn check(domain: &str, found: &[String]) -> Finding {
    let spf: Vec<&String> = found.iter().filter(|t| is_spf(t)).collect();
    let record = match spf.as_slice() {
        [] => {
            return Finding::new(
                "SPF",
                domain,
                Verdict::Fail,
                "no SPF record, so receivers cannot tell which servers may send for this \
                 domain; publish one that lists them (this one allows the domain's MX \
                 hosts; add `ip4:ADDRESS` for your mail server or your provider's \
                 `include:`)",
            )
            .publish(suggestion(domain));
        }
        [one] => one.as_str(),
        many => {
            return Finding::new(
                "SPF",
                domain,
                Verdict::Fail,
                format!(
                    "{} SPF records; receivers treat that as a permanent error (RFC 7208 \
                     §4.5), so SPF fails for all mail. Merge them into one record: {}",
                    many.len(),
                    many.iter()
                        .map(|r| format!("\"{r}\""))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
        }
    };
    let terms: Vec<&str> = record.split_whitespace().skip(1).collect();
    let all = terms.iter().find(|t| {
        t.trim_start_matches(['+', '-', '~', '?'])
            .eq_ignore_ascii_case("all")
    });
    let (verdict, message) = match all {
        Some(t) if t.starts_with('-') => (Verdict::Ok, format!("\"{record}\"")),
        Some(t) if t.starts_with('~') => {
            (Verdict::Ok, format!("\"{record}\" (soft fail for others)"))
        }
        Some(t) if t.starts_with('?') => (
            Verdict::Warn,
            format!(
                "\"{record}\" ends in ?all, which says nothing about other senders; end it in ~all or -all"
            ),
        ),
        Some(_) => (
            Verdict::Fail,
            format!(
                "\"{record}\" allows every server on the internet to send as this domain (+all); end it in ~all or -all"
            ),
        ),
        None if terms
            .iter()
            .any(|t| t.to_ascii_lowercase().starts_with("redirect=")) =>
        {
            (
                Verdict::Ok,
                format!("\"{record}\" (hands over with redirect=)"),
            )
        }
        None => (
            Verdict::Warn,
            format!(
                "\"{record}\" has no `all` at the end, so other senders are neutral; end it in ~all or -all"
            ),
        ),
    };
    Finding::new("SPF", domain, verdict, message)
}

/// `v=spf1` followed by a space or nothing (RFC 7208 §4.5); `v=spf10` is not.
fn is_spf(text: &str) -> bool {
    let text = text.trim_start();
    text.get(..6)
        .is_some_and(|v| v.eq_ignore_ascii_case("v=spf1"))
        && text[6..].chars().next().is_none_or(|c| c == ' ')
}

fn suggestion(domain: &str) -> TxtRecord {
    TxtRecord::new(domain, "v=spf1 mx ~all")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(records: &[&str]) -> Verdict {
        let found: Vec<String> = records.iter().map(|r| (*r).to_owned()).collect();
        check("example.org", &found).verdict
    }

    #[test]
    fn one_record_ending_in_fail_or_softfail_passes() {
        assert_eq!(
            verdict(&["v=spf1 mx -all", "google-site-verification=x"]),
            Verdict::Ok
        );
        assert_eq!(verdict(&["V=SPF1 ip4:192.0.2.1 ~ALL"]), Verdict::Ok);
        assert_eq!(verdict(&["v=spf1 redirect=_spf.example.net"]), Verdict::Ok);
    }

    #[test]
    fn none_two_or_plus_all_fail() {
        assert_eq!(verdict(&[]), Verdict::Fail);
        assert_eq!(verdict(&["v=spf10 -all"]), Verdict::Fail);
        assert_eq!(verdict(&["v=spf1 mx -all", "v=spf1 a -all"]), Verdict::Fail);
        assert_eq!(verdict(&["v=spf1 +all"]), Verdict::Fail);
        assert_eq!(verdict(&["v=spf1 a all"]), Verdict::Fail);
    }

    #[test]
    fn neutral_endings_warn() {
        assert_eq!(verdict(&["v=spf1 mx ?all"]), Verdict::Warn);
        assert_eq!(verdict(&["v=spf1 mx"]), Verdict::Warn);
    }

    #[test]
    fn a_missing_record_comes_with_one_to_publish() {
        let f = check("example.org", &[]);
        assert_eq!(
            f.publish,
            Some(TxtRecord::new("example.org", "v=spf1 mx ~all"))
        );
    }
}
