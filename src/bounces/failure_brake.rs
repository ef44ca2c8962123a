//! The failure brake (docs/bounces.md, "Per issue"): after failed-delivery
//! reports are applied, an issue with more than `bounces.failed_pause_rate`
//! of its sent messages failed so, and at least `bounces.failed_min_count`
//! of them, is paused, with the counts and the most common status code
//! and its diagnostic as the reason.
//!
//! Only that issue: a blocklisting or a DMARC failure is about the
//! sender's reputation now, and a person must look before anything more
//! goes out; the next issue is theirs to send or hold. The complaint brake
//! ([`super::apply`]) also pauses the next one, because complaints are
//! about the list, which the next issue goes to as well.

use super::apply::Options;
use crate::error::Result;
use crate::store::{FailedReports, FailurePause, Store};

/// An issue over the failure brake's line after reports applied now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureAlert {
    pub slug: String,
    pub counts: FailedReports,
    /// What the brake did.
    pub pause: FailurePause,
    /// Why, as `issue status` shows it when paused.
    pub reason: String,
}

/// The longest diagnostic the reason quotes.
const DIAGNOSTIC_CHARS: usize = 200;

/// Looks at issue `issue_id` after failed-delivery reports about it were
/// applied; `None` under the line.
pub(super) async fn failure_brake(
    store: &Store,
    issue_id: i64,
    options: Options,
) -> Result<Option<FailureAlert>> {
    let counts = store.failed_reports(issue_id).await?;
    // Counts of one issue's messages: exact as f64.
    let rate = if counts.sent == 0 {
        0.0
    } else {
        counts.failed as f64 / counts.sent as f64
    };
    if rate <= options.failed_pause_rate || counts.failed < i64::from(options.failed_min_count) {
        return Ok(None);
    }
    let Some(slug) = store.issue_slug(issue_id).await? else {
        return Ok(None);
    };
    let most_common = match &counts.most_common {
        Some((code, n, reply)) => {
            let diagnostic = reply
                .as_deref()
                .map(|r| r.strip_prefix(code.as_str()).unwrap_or(r).trim())
                .map(without_addresses)
                .unwrap_or_default();
            format!(", most often {code} ({n} times): {diagnostic}")
        }
        None => String::new(),
    };
    let reason = format!(
        "failed deliveries of issue {slug} are above bounces.failed_pause_rate {:.2} %: \
         {} failed deliveries of {} messages sent ({:.2} %){most_common}; \
         a blocklisting or an SPF, DKIM or DMARC failure hurts every later message too: \
         find out why, then `postbode issue resume`",
        options.failed_pause_rate * 100.0,
        counts.failed,
        counts.sent,
        rate * 100.0
    );
    let pause = store
        .pause_for_failures(
            issue_id,
            counts.failed,
            i64::from(options.failed_min_count),
            &reason,
        )
        .await?;
    tracing::warn!(issue = %slug, failed = counts.failed, sent = counts.sent, pause = ?pause, "{reason}");
    Ok(Some(FailureAlert {
        slug,
        counts,
        pause,
        reason,
    }))
}

/// `diagnostic` without the addresses in it, and at most
/// [`DIAGNOSTIC_CHARS`] long: the reason stays on the issue, where an
/// erasure does not reach, so it must name nobody.
fn without_addresses(diagnostic: &str) -> String {
    let words: Vec<&str> = diagnostic
        .split_whitespace()
        .map(|w| if w.contains('@') { "<address>" } else { w })
        .collect();
    let joined = words.join(" ");
    match joined.char_indices().nth(DIAGNOSTIC_CHARS) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::without_addresses;

    #[test]
    fn the_quoted_diagnostic_names_nobody_and_stays_short() {
        assert_eq!(
            without_addresses("smtp; 550 5.7.1 <anna@example.nl>: Recipient address rejected"),
            "smtp; 550 5.7.1 <address> Recipient address rejected"
        );
        assert_eq!(
            without_addresses("blocked using zen.spamhaus.org"),
            "blocked using zen.spamhaus.org"
        );
        let long = "é".repeat(500);
        assert_eq!(without_addresses(&long).chars().count(), 201);
    }
}
