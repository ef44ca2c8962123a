//! The failure brake: many failed deliveries (DSN 5.x.x that is not the
//! address's fault, above all 5.7.x) for one issue pause that issue, and
//! only that one, with the counts and the most common code in `issue
//! status`; below the line nothing pauses; a repeat never pauses twice.

use super::*;

/// Ten sent, then lezer7's and lezer8's deliveries put back in the queue:
/// the issue is being sent (8 messages taken), and two later issues are
/// scheduled, with `bounces` in the config's `[bounces]`.
fn still_sending(bounces: &str) -> (TestApp, HashMap<String, String>) {
    let (app, ids) = sent_with(TestSmtp::start(), 10, 10, bounces);
    queue_later(&app);
    support::with_store(&app, async |store| {
        for statement in [
            "UPDATE issues SET status = 'sending', finished_at = NULL WHERE slug = '2026-10-voorbij-de-pilot'",
            "UPDATE deliveries SET status = 'queued', sent_at = NULL \
             WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email IN ('lezer7@example.nl', 'lezer8@example.nl'))",
        ] {
            store.execute_raw(statement).await.expect(statement);
        }
    });
    (app, ids)
}

/// Writes a 5.7.1 report about lezer{i}'s delivery; returns its file.
fn policy_file(app: &TestApp, ids: &HashMap<String, String>, i: usize) -> String {
    let who = format!("lezer{i}@example.nl");
    let file = format!("policy{i}.eml");
    app.write(
        &file,
        policy_failure(&who, &ids[&who], &format!("policy-{i}")),
    );
    file
}

fn ingest(app: &TestApp, files: &[String]) -> String {
    let mut args = vec!["bounces", "ingest"];
    args.extend(files.iter().map(String::as_str));
    app.run(&args).ok().stdout
}

#[test]
fn policy_failures_over_the_line_pause_only_that_issue_and_issue_status_says_why() {
    let (app, ids) = still_sending("failed_min_count = 3\nfailed_pause_rate = 0.2");
    // Two of eight: 25 %, over the rate, but fewer than failed_min_count.
    let two = [policy_file(&app, &ids, 0), policy_file(&app, &ids, 1)];
    let out = ingest(&app, &two);
    assert!(!out.contains("paused"), "{out}");
    assert_eq!(issue_json(&app, ISSUE)["status"], "sending");

    let third = [policy_file(&app, &ids, 2)];
    let out = ingest(&app, &third);
    let why = "3 failed deliveries of 8 messages sent (37.50 %)";
    assert!(out.contains(&format!("paused {ISSUE}: ")), "{out}");
    assert!(out.contains(why), "{out}");
    let issue = issue_json(&app, ISSUE);
    assert_eq!(issue["status"], "paused", "{issue}");
    let reason = issue["paused_reason"].as_str().unwrap_or_default();
    assert!(reason.contains(why), "{reason}");
    assert!(
        reason.contains("bounces.failed_pause_rate 20.00 %"),
        "{reason}"
    );
    assert!(
        reason
            .contains("most often 5.7.1 (3 times): smtp; 550 5.7.1 Message content rejected, UBE"),
        "{reason}"
    );
    let table = app.run(&["issue", "status", ISSUE]).ok().stdout;
    assert!(
        table.contains(&format!("paused: failed deliveries of issue {ISSUE}")),
        "{table}"
    );
    // Only this issue: a blocklisting is about now, the operator looks.
    for slug in [NEXT, AFTER_NEXT] {
        assert_eq!(issue_json(&app, slug)["status"], "scheduled", "{slug}");
    }
    assert_eq!(status(&app, "lezer2@example.nl"), "active");
}

#[test]
fn a_repeat_or_a_later_failure_does_not_pause_the_issue_a_second_time() {
    let (app, ids) = still_sending("failed_min_count = 3\nfailed_pause_rate = 0.2");
    let three: Vec<String> = (0..3).map(|i| policy_file(&app, &ids, i)).collect();
    assert!(ingest(&app, &three).contains(&format!("paused {ISSUE}")));
    let reason = issue_json(&app, ISSUE)["paused_reason"].clone();

    // The same reports again: repeats, no second pause.
    let out = ingest(&app, &three);
    assert!(out.contains("3 applied before"), "{out}");
    assert!(!out.contains("paused"), "{out}");
    // A new failure while paused keeps the first reason.
    let out = ingest(&app, &[policy_file(&app, &ids, 3)]);
    assert!(!out.contains(&format!("paused {ISSUE}")), "{out}");
    assert_eq!(issue_json(&app, ISSUE)["paused_reason"], reason);

    // After `issue resume`, the late reports of mail sent before the pause
    // do not pause it again: only failed_min_count more failures do.
    app.run(&["issue", "resume", ISSUE]).ok();
    let out = ingest(&app, &[policy_file(&app, &ids, 4)]);
    assert!(!out.contains(&format!("paused {ISSUE}")), "{out}");
    assert_eq!(issue_json(&app, ISSUE)["status"], "sending");
    let more: Vec<String> = (5..7).map(|i| policy_file(&app, &ids, i)).collect();
    let out = ingest(&app, &more);
    assert!(out.contains(&format!("paused {ISSUE}")), "{out}");
    assert!(out.contains("7 failed deliveries of 8"), "{out}");
}

#[test]
fn under_the_line_nothing_is_paused() {
    // Three of eight (37.5 %) but fewer than failed_min_count 4.
    let (app, ids) = still_sending("failed_min_count = 4\nfailed_pause_rate = 0.1");
    let three: Vec<String> = (0..3).map(|i| policy_file(&app, &ids, i)).collect();
    let out = ingest(&app, &three);
    assert!(out.contains("3 applied"), "{out}");
    assert!(!out.contains("paused"), "{out}");
    // Four of eight is enough failures, but 50 % is not over a rate of 50 %.
    let config = std::fs::read_to_string(app.path("postbode.toml")).expect("config");
    app.write(
        "postbode.toml",
        config.replace("failed_pause_rate = 0.1", "failed_pause_rate = 0.5"),
    );
    let out = ingest(&app, &[policy_file(&app, &ids, 3)]);
    assert!(!out.contains("paused"), "{out}");
    let issue = issue_json(&app, ISSUE);
    assert_eq!(issue["status"], "sending", "{issue}");
    assert_eq!(issue["paused_reason"], Value::Null, "{issue}");
    assert_eq!(issue["counts"]["failed"], 4, "{issue}");
}
