//! `subscribers show` names the report that changed a status: its key,
//! kind and code, the issue of the delivery it proved, and when it was
//! applied, in the table and in JSON.

use super::*;

/// The last entry of `who`'s status history, as JSON.
fn last_change(app: &TestApp, who: &str) -> Value {
    show(app, who)["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn subscribers_show_names_the_hard_bounce_and_the_complaint_that_changed_a_status() {
    let (app, ids) = sent(3);
    let [bounced, complainer] = ["lezer0@example.nl", "lezer1@example.nl"];
    app.write("dsn.eml", hard_bounce(bounced, &ids[bounced], "report-1"));
    app.write("arf.eml", complaint(complainer, &ids[complainer], "arf-1"));
    app.run(&["bounces", "ingest", "dsn.eml", "arf.eml"]).ok();

    for (who, key, kind, code, words) in [
        (
            bounced,
            "mid:report-1@mx.example.nl",
            "hard",
            "5.1.1",
            "hard bounce 5.1.1",
        ),
        (
            complainer,
            "mid:arf-1@arf.example.net",
            "complaint",
            "abuse",
            "complaint abuse",
        ),
    ] {
        let last = last_change(&app, who);
        let report = &last["report"];
        assert_eq!(report["key"], key, "{last}");
        assert_eq!(report["kind"], kind, "{last}");
        assert_eq!(report["code"], code, "{last}");
        assert_eq!(report["issue"], ISSUE, "{last}");
        let applied = report["applied_at"].as_str().unwrap_or_default();
        assert!(
            applied.parse::<jiff::Timestamp>().is_ok(),
            "applied_at {applied:?} in {last}"
        );
        let table = app.run(&["subscribers", "show", who]).ok().stdout;
        let line = format!("report {key}: {words}, delivery of issue {ISSUE}, applied ");
        assert!(table.contains(&line), "{line}\nin\n{table}");
    }
    // A change that no report made names none.
    let first = &show(&app, bounced)["history"][0];
    assert_eq!(first["report"], Value::Null, "{first}");
}
