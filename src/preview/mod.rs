//! `postbode issue preview DIR --serve`: the issue on a loopback port, one
//! page with the mail at 600 and 375 px, its text part and its web
//! version, following every save under `emails/`. It reads the
//! configuration only: no database, and it never sends mail.
//!
//! - [`snapshot`]: one render of the folder, or the error that stopped it.
//! - [`watcher`]: saves under `emails/` (notify), one signal per burst.
//! - [`live`]: the render kept current and published with a version.
//! - [`events`]: `GET /events`, server-sent events for each new render.
//! - [`page`]: the page, its frames and its few lines of script.
//! - [`local`]: `GET /local/PATH`, the images under `emails/`.

pub mod events;
pub mod live;
pub mod local;
pub mod page;
pub mod snapshot;
pub mod watcher;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::sync::watch;

use crate::config::Settings;
use crate::error::{Error, Result};
use live::Current;
use page::Part;
use snapshot::Draft;

/// Serves the preview of the issue folder `dir` on `listener` until
/// `shutdown` completes. `on_listening` is told the page's URL once the
/// first render is published.
pub async fn serve(
    settings: &Settings,
    dir: &Path,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_listening: impl FnOnce(&str),
) -> Result<()> {
    let draft = Draft::new(settings, dir)?;
    // Watching starts before the first render, so a save during it is seen.
    let watcher = watcher::Watcher::start(draft.emails())?;
    let (publish, current) = live::first(&draft).await;
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let app = router(current, draft.name(), draft.emails().to_path_buf());
    let follow = tokio::spawn(live::follow(draft, watcher, publish, stop.clone()));
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Failed(format!("the listening socket has no address: {e}")))?;
    tracing::info!("listening on {addr}");
    on_listening(&format!("http://{addr}/"));
    let mut stopped = stop;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await
        .map_err(|e| Error::Failed(format!("the preview server failed: {e}")))?;
    // Ended with the stop, which also ended the event streams.
    let _ = follow.await;
    tracing::info!("preview stopped");
    Ok(())
}

/// The page, its frames, its event stream and the images under `emails`.
pub fn router(current: Current, title: String, emails: std::path::PathBuf) -> Router {
    let emails: Arc<Path> = emails.into();
    let local = get(
        move |axum::extract::Path(path): axum::extract::Path<String>| {
            let emails = emails.clone();
            async move { local::image(&emails, &path).await }
        },
    );
    let title: Arc<str> = title.into();
    let frame = |part: Part| {
        let current = current.clone();
        get(move || std::future::ready(page::part(&current, part)))
    };
    let on_page = current.clone();
    Router::new()
        .route(
            "/",
            get(move || std::future::ready(page::page(&on_page, &title))),
        )
        .route("/mail", frame(Part::Mail))
        .route("/text", frame(Part::Text))
        .route("/web", frame(Part::Web))
        .route("/events", get(events::events))
        .route(&format!("{}{{*path}}", local::PREFIX), local)
        .with_state(current)
}
