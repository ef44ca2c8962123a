//! The render the page shows, kept current: rendered again after every
//! save and published with a version number, which the page and its event
//! stream read. A save that changes nothing rendered publishes nothing,
//! so an editor's backup files do not reload the browser.

use std::sync::Arc;

use tokio::sync::watch;

use super::snapshot::{Draft, Snapshot};
use super::watcher::Watcher;

/// One published render.
#[derive(Debug)]
pub struct Published {
    /// 1 for the render at start, one more for each changed render.
    pub version: u64,
    pub snapshot: Snapshot,
}

/// What handlers read: the latest render, and a way to wait for the next.
/// Its sender is dropped when the preview stops, which ends every
/// event stream (so the server's graceful stop does not wait for them).
pub type Current = watch::Receiver<Arc<Published>>;

/// Renders `draft` once and publishes it.
pub async fn first(draft: &Draft) -> (watch::Sender<Arc<Published>>, Current) {
    let snapshot = render(draft).await;
    report(&snapshot);
    watch::channel(Arc::new(Published {
        version: 1,
        snapshot,
    }))
}

/// Renders again after each save until `stop` says so.
pub async fn follow(
    draft: Draft,
    mut watcher: Watcher,
    publish: watch::Sender<Arc<Published>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            save = watcher.next_save() => {
                if save.is_none() {
                    tracing::warn!("the file watcher stopped; the page no longer follows saves");
                    return;
                }
            }
        }
        let snapshot = render(&draft).await;
        let version = publish.borrow().version;
        if publish.borrow().snapshot == snapshot {
            continue;
        }
        report(&snapshot);
        publish.send_replace(Arc::new(Published {
            version: version + 1,
            snapshot,
        }));
    }
}

/// Renders on a blocking thread: mrml and the templates are CPU work.
async fn render(draft: &Draft) -> Snapshot {
    let draft = draft.clone();
    tokio::task::spawn_blocking(move || draft.render())
        .await
        .unwrap_or_else(|e| Snapshot::Failed(format!("the render stopped: {e}")))
}

/// Says on standard error (the log) what the page now shows.
fn report(snapshot: &Snapshot) {
    match snapshot.error() {
        Some(e) => tracing::warn!("render error: {e}"),
        None => tracing::info!("rendered"),
    }
}
