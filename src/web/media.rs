//! `GET /media/NAME`: the images of queued issues (see [`crate::media`]),
//! as stored. A name is a hash of the bytes, so the answer for it never
//! changes: caches may keep it a year without asking again. Anything that
//! is not exactly such a name (a `..`, a slash, another extension) is
//! refused by [`MediaName::parse`] before the store is asked: 404.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use crate::media::MediaName;

pub fn routes() -> Router<AppState> {
    Router::new().route("/media/{name}", get(show))
}

const FOREVER: &str = "public, max-age=31536000, immutable";

async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(name) = MediaName::parse(&name) else {
        return super::not_found(State(state), headers).await;
    };
    match state.inner.store.media(&name).await {
        Ok(Some(bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, name.kind().content_type()),
                (header::CACHE_CONTROL, FOREVER),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => super::not_found(State(state), headers).await,
        Err(e) => state.failure(&headers, &e),
    }
}
