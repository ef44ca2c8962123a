//! Unit tests of [`super`], in a file of their own to keep the module short.

use super::*;
use crate::config::{DatabaseSettings, DatabaseUrl};
use SubscriberStatus::*;

#[test]
fn an_import_never_reactivates_someone_who_left() {
    for gone in [Unsubscribed, Bounced, Complained] {
        assert_eq!(next_status(Some(gone), Some(Active), false), (gone, true));
        assert_eq!(next_status(Some(gone), None, true), (gone, true));
        assert_eq!(next_status(Some(gone), Some(Pending), false), (gone, true));
    }
}

#[test]
fn an_import_never_downgrades_an_active_subscriber() {
    assert_eq!(
        next_status(Some(Active), Some(Pending), false),
        (Active, false)
    );
}

#[test]
fn new_subscribers_are_pending_unless_activated() {
    assert_eq!(next_status(None, None, false), (Pending, false));
    assert_eq!(next_status(None, None, true), (Active, false));
    assert_eq!(
        next_status(None, Some(Unsubscribed), true),
        (Unsubscribed, false)
    );
    assert_eq!(next_status(Some(Pending), None, true), (Active, false));
}

#[test]
fn an_import_can_record_that_someone_left() {
    assert_eq!(
        next_status(Some(Active), Some(Unsubscribed), false),
        (Unsubscribed, false)
    );
}

/// A store in a fresh folder; keep the folder while using the store.
async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = DatabaseSettings {
        url: DatabaseUrl::Sqlite(dir.path().join("t.db")),
        ..DatabaseSettings::default()
    };
    let store = Store::open(&settings).await.expect("open store");
    let key = crate::domain::SuppressionKey::parse("test-suppression-key-0123456789").expect("key");
    (dir, store.with_suppression_key(key))
}

fn row(
    email: &str,
    status: Option<SubscriberStatus>,
    lists: &[&str],
    attributes: &[(&str, &str)],
) -> ImportRow {
    ImportRow {
        line: 2,
        email: EmailAddress::parse(email).expect("email"),
        name: None,
        language: None,
        lists: lists
            .iter()
            .map(|l| ListName::parse(l).expect("list"))
            .collect(),
        status,
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect(),
    }
}

/// `(subscriber id, from, to)` of every status change, in order.
async fn status_log(store: &Store) -> Vec<(i64, Option<String>, String)> {
    sqlx::query_as("SELECT subscriber_id, from_status, to_status FROM status_changes ORDER BY id")
        .fetch_all(store.sqlite_pool())
        .await
        .expect("status log")
}

#[tokio::test]
async fn new_subscribers_follow_the_highest_id_with_their_status_lists_and_attributes() {
    let (_dir, store) = store().await;
    // A gap below, as erasures leave: ids continue after the highest.
    sqlx::query(
        "INSERT INTO subscribers (id, email, status, created_at, updated_at) \
         VALUES (41, 'known@example.nl', 'active', 0, 0)",
    )
    .execute(store.sqlite_pool())
    .await
    .expect("insert");
    let tricky = "\"quoted\" \\ back\tslash\nnew line, ünïcödé ✓ 🎉 \u{2028}";
    let rows = vec![
        row(
            "een@example.nl",
            None,
            &["default", "events", "default"],
            &[("note", tricky), ("city", "Gent")],
        ),
        row("twee@example.nl", Some(Unsubscribed), &["events"], &[]),
    ];
    let mut importer = store.importer().await.expect("importer");
    let counts = importer
        .import_batch(rows.clone(), ImportPolicy { activate: true })
        .await
        .expect("import");
    assert_eq!((counts.added, counts.updated, counts.unchanged), (2, 0, 0));

    let stored: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, email, status, attributes FROM subscribers WHERE id > 41 ORDER BY id",
    )
    .fetch_all(store.sqlite_pool())
    .await
    .expect("subscribers");
    let attributes = serde_json::to_string(&rows[0].attributes).expect("json");
    assert_eq!(
        stored,
        [
            (
                42,
                "een@example.nl".to_owned(),
                "active".to_owned(),
                attributes
            ),
            (
                43,
                "twee@example.nl".to_owned(),
                "unsubscribed".to_owned(),
                "{}".to_owned()
            ),
        ]
    );
    assert_eq!(
        status_log(&store).await,
        [
            (42, None, "active".to_owned()),
            (43, None, "unsubscribed".to_owned())
        ]
    );
    let members: Vec<(String, i64)> = sqlx::query_as(
        "SELECT l.name, m.subscriber_id FROM list_members m JOIN lists l ON l.id = m.list_id \
         ORDER BY 1, 2",
    )
    .fetch_all(store.sqlite_pool())
    .await
    .expect("members");
    assert_eq!(
        members,
        [
            ("default".to_owned(), 42),
            ("events".to_owned(), 42),
            ("events".to_owned(), 43)
        ]
    );
}

/// Imports four people, then the same four again with `--active` and a
/// file that says more about some of them: `a` (in another case) gets an
/// attribute and a list and becomes active, `b` becomes active, `c` who
/// left asks to be active again, `d`'s file status keeps them pending.
/// Returns the second import's counts.
async fn reimport_saying_more(store: &Store) -> BatchCounts {
    let mut importer = store.importer().await.expect("importer");
    let first = vec![
        row("a@example.nl", None, &["default"], &[("city", "Gent")]),
        row("b@example.nl", None, &["default"], &[]),
        row("c@example.nl", Some(Unsubscribed), &["default"], &[]),
        row("d@example.nl", None, &["default"], &[]),
    ];
    importer
        .import_batch(first, ImportPolicy::default())
        .await
        .expect("first import");

    let again = vec![
        // Case differs: the same person. A new attribute, a new list,
        // and pending becomes active with --active.
        row(
            "A@example.nl",
            None,
            &["default", "events"],
            &[("city", "Gent"), ("since", "2020")],
        ),
        row("b@example.nl", None, &["default"], &[]),
        // Left: stays unsubscribed.
        row("c@example.nl", Some(Active), &["default"], &[]),
        // A status in the file wins over --active: nothing new.
        row("d@example.nl", Some(Pending), &["default"], &[]),
    ];
    importer
        .import_batch(again, ImportPolicy { activate: true })
        .await
        .expect("import")
}

#[tokio::test]
async fn a_reimport_counts_who_was_updated_who_was_unchanged_and_who_stayed_gone() {
    let (_dir, store) = store().await;
    let counts = reimport_saying_more(&store).await;
    assert_eq!(
        counts,
        BatchCounts {
            added: 0,
            updated: 2,
            unchanged: 2,
            kept_gone: 1,
            duplicates: 0,
            suppressed: SuppressedCounts::default(),
        }
    );
}

#[tokio::test]
async fn known_subscribers_are_updated_only_where_the_file_says_more() {
    let (_dir, store) = store().await;
    reimport_saying_more(&store).await;
    let stored: Vec<(String, String, String)> =
        sqlx::query_as("SELECT email, status, attributes FROM subscribers ORDER BY id")
            .fetch_all(store.sqlite_pool())
            .await
            .expect("subscribers");
    assert_eq!(
        stored,
        [
            (
                "a@example.nl".to_owned(),
                "active".to_owned(),
                r#"{"city":"Gent","since":"2020"}"#.to_owned()
            ),
            (
                "b@example.nl".to_owned(),
                "active".to_owned(),
                "{}".to_owned()
            ),
            (
                "c@example.nl".to_owned(),
                "unsubscribed".to_owned(),
                "{}".to_owned()
            ),
            (
                "d@example.nl".to_owned(),
                "pending".to_owned(),
                "{}".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn a_reimport_logs_only_the_statuses_it_really_changed() {
    let (_dir, store) = store().await;
    reimport_saying_more(&store).await;
    let changes = status_log(&store).await;
    assert_eq!(
        changes[4..],
        [
            (1, Some("pending".to_owned()), "active".to_owned()),
            (2, Some("pending".to_owned()), "active".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_reimport_puts_only_the_person_whose_row_names_a_new_list_on_it() {
    let (_dir, store) = store().await;
    reimport_saying_more(&store).await;
    let lists: Vec<(i64, String)> = sqlx::query_as(
        "SELECT m.subscriber_id, l.name FROM list_members m JOIN lists l ON l.id = m.list_id \
         WHERE l.name = 'events'",
    )
    .fetch_all(store.sqlite_pool())
    .await
    .expect("members");
    assert_eq!(lists, [(1, "events".to_owned())]);
}
