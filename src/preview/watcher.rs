//! Saves under `emails/`, as one signal per burst: an editor's save is
//! often several events (a temporary file written, renamed over the old
//! one, its attributes set), and rendering once per event would reload the
//! page several times for one save.

use std::path::Path;
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// How long the folder must be quiet before a burst counts as one save.
pub const QUIET: Duration = Duration::from_millis(150);

/// Watches a folder and everything under it until dropped.
pub struct Watcher {
    /// Kept for its drop: that stops the watching.
    _inner: RecommendedWatcher,
    changes: mpsc::Receiver<()>,
}

impl Watcher {
    /// Starts watching `folder` (inotify on Linux; folders made later are
    /// watched too).
    pub fn start(folder: &Path) -> Result<Watcher> {
        // Any event wakes the debouncer, and a full channel already holds
        // one, so what does not fit may be dropped.
        let (tx, changes) = mpsc::channel(16);
        let handler = move |event: notify::Result<notify::Event>| match event {
            Ok(e) if matches!(e.kind, EventKind::Access(_)) => {}
            Ok(_) => {
                let _ = tx.try_send(());
            }
            Err(e) => tracing::warn!("watching for saves: {e}"),
        };
        let mut inner = notify::recommended_watcher(handler).map_err(|e| watch_error(folder, e))?;
        inner
            .watch(folder, RecursiveMode::Recursive)
            .map_err(|e| watch_error(folder, e))?;
        Ok(Watcher {
            _inner: inner,
            changes,
        })
    }

    /// Waits for the next save: the first event after the last call, then
    /// until [`QUIET`] passes without another. `None` when the watching
    /// stopped.
    pub async fn next_save(&mut self) -> Option<()> {
        self.changes.recv().await?;
        loop {
            match tokio::time::timeout(QUIET, self.changes.recv()).await {
                Ok(Some(())) => continue,
                Ok(None) => return None,
                Err(_quiet) => return Some(()),
            }
        }
    }
}

fn watch_error(folder: &Path, e: notify::Error) -> Error {
    Error::Failed(format!(
        "{}: cannot watch for saves: {e} (on Linux, fs.inotify.max_user_watches may be too low)",
        folder.display()
    ))
}
