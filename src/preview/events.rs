//! `GET /events`: server-sent events, one for each published render. Each
//! event's data is JSON: `{"version": N, "error": null or the message,
//! "notes": [...]}`. The current render goes out first, so a page that
//! reconnected (the server restarted, the laptop slept) catches up; the
//! page ignores a version it already shows.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::live::{Current, Published};
use super::snapshot::Snapshot;

pub async fn events(
    State(current): State<Current>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold((current, true), |(mut rx, first)| async move {
        // Err: the preview is stopping; the stream ends.
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let event = event(&rx.borrow_and_update());
        Some((Ok(event), (rx, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The event for one render.
fn event(published: &Published) -> Event {
    Event::default().data(state_json(published).to_string())
}

/// What the page needs to follow a render: its version, the error instead
/// of the mail, or the notes beside it.
pub fn state_json(published: &Published) -> serde_json::Value {
    let notes: &[String] = match &published.snapshot {
        Snapshot::Rendered(r) => &r.notes,
        Snapshot::Failed(_) => &[],
    };
    serde_json::json!({
        "version": published.version,
        "error": published.snapshot.error(),
        "notes": notes,
    })
}
