//! The public pages (`postbode serve`): the unsubscribe page with RFC 8058
//! one-click unsubscribe, the archive of sent issues with its Atom feed,
//! Prometheus metrics, a health check, and subscribing with double opt-in.
//!
//! Layout: [`unsubscribe`] (the `/u/TOKEN` handlers), [`unsubscribe_form`]
//! (`/unsubscribe`: a fresh unsubscribe link by mail, for when a link does
//! not work), [`subscribe`] (`/subscribe` and `/confirm/TOKEN`),
//! [`after_answer`] (what those forms do after answering, finished before
//! serve exits), [`limits`] (per-client and per-address rate limits),
//! [`archive`]
//! (`/archive…`), [`media`] (`/media/NAME`, the issues' images),
//! [`metrics`] (`/metrics` and the request counter),
//! [`client_ip`] (the client behind `server.trusted_proxies`),
//! [`connections`] and [`connection_cap`] (the accept loop: a cap under the
//! file limit, a header-read timeout, graceful stop), [`metrics_access`]
//! and [`metrics_cache`] (the bearer token and the cached text of
//! `/metrics`),
//! [`pages`] (the pages from `emails/pages/`: templates, nl/en texts, the
//! newsletter's look), [`security`] (headers and limits),
//! [`webhooks`] (`/webhooks/ses` and `/webhooks/mailgun`: signed bounce and
//! complaint events of providers).

pub mod after_answer;
pub mod archive;
pub mod client_ip;
pub mod connection_cap;
pub mod connections;
pub mod form_origin;
pub mod limits;
pub mod media;
pub mod metrics;
pub mod metrics_access;
pub mod metrics_cache;
pub mod pages;
pub mod request_log;
pub mod security;
pub mod status_writer;
pub mod subscribe;
pub mod unsubscribe;
pub mod unsubscribe_form;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::config::Settings;
use crate::domain::ListName;
use crate::error::{Error, Result};
use crate::mail::{MailError, TokenKey};
use crate::store::Store;
use crate::transport::system_mailer::SystemMailer;
use pages::Lang;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    tokens: TokenKey,
    newsletter: String,
    /// `newsletter.base_url`, without a trailing slash.
    base_url: String,
    /// The page templates and texts (`emails/pages/`), read at start-up.
    pages: pages::Pages,
    /// Which of nl/en the pages are offered in, and the default.
    languages: pages::Languages,
    http: metrics::HttpCounts,
    /// `server.trusted_proxies`, for [`client_ip`].
    trusted_proxies: crate::domain::TrustedProxies,
    /// Who may read `/metrics`, and its text of this window.
    metrics_access: metrics_access::MetricsAccess,
    metrics_cache: metrics_cache::MetricsCache,
    /// Confirmation and unsubscribe-link mails: the same transport, signer
    /// and shared rate as an issue.
    mailer: SystemMailer,
    /// The list someone joins through the subscribe form.
    default_list: ListName,
    limits: limits::Limits,
    /// The sites whose pages may post the forms.
    form_origins: form_origin::FormOrigins,
    /// Writes unsubscribes in batches (group commit).
    status_writer: status_writer::StatusWriter,
    /// What the forms do after answering; finished before serve exits.
    after_answer: after_answer::AfterAnswer,
    /// The provider webhooks' keys, certificate cache and bounce settings.
    webhooks: webhooks::Webhooks,
}

impl AppState {
    /// Fails (a configuration error) when `secrets.token_key` or
    /// `secrets.previous_token_key` is unusable. Starts the status writer
    /// task, so it must run inside a tokio runtime.
    pub fn new(settings: &Settings, store: Store) -> Result<AppState> {
        let tokens = TokenKey::from_settings(&settings.secrets).map_err(|e| match e {
            MailError::TokenKeyTooShort { .. } => {
                Error::Config(format!("{e} (postbode init writes a random one)"))
            }
            e => Error::Config(e.to_string()),
        })?;
        let languages = languages(settings);
        let pages = pages::Pages::load(
            &pages::Source::working_directory(),
            &settings.newsletter.name,
        )
        .map_err(|e| Error::Config(format!("the public pages: {e}")))?;
        let mailer = SystemMailer::new(settings, store.clone())?;
        let status_writer = status_writer::StatusWriter::start(store.clone())?;
        let webhooks = webhooks::Webhooks::new(settings, tokens.clone());
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                status_writer,
                after_answer: after_answer::AfterAnswer::default(),
                tokens,
                newsletter: settings.newsletter.name.clone(),
                base_url: settings.newsletter.base_url.as_str().to_owned(),
                http: metrics::HttpCounts::default(),
                trusted_proxies: settings.server.trusted_proxies.clone(),
                metrics_access: metrics_access::MetricsAccess::new(&settings.server.metrics_token),
                metrics_cache: metrics_cache::MetricsCache::default(),
                pages,
                languages,
                mailer,
                default_list: settings.newsletter.default_list.clone(),
                limits: limits::Limits::new(settings.server.link_posts_per_minute),
                form_origins: form_origin::FormOrigins::new(
                    settings.newsletter.base_url.as_str(),
                    &settings.server.allowed_origins,
                ),
                webhooks,
            }),
        })
    }

    /// The language of a page, with `query` the page's query: its `lang`
    /// (written into the links of mails from the subscriber's stored
    /// language), else `Accept-Language`, else the newsletter's language;
    /// a newsletter offered in one language always speaks it
    /// ([`pages::Languages::choose`]). Never the stored language looked up
    /// by token: a genuine link and a forged one get their language the
    /// same way, so the language tells nothing about the link.
    fn link_lang(&self, headers: &HeaderMap, query: Option<&str>) -> Lang {
        let chosen = query
            .into_iter()
            .flat_map(|q| unsubscribe::form_pairs(q.as_bytes()))
            .find(|(key, _)| key == crate::mail::links::LANG_PARAM)
            .map(|(_, value)| value);
        self.link_lang_or(headers, chosen.as_deref())
    }

    /// As [`AppState::link_lang`] with `chosen` as the reader's choice (an
    /// issue's own language for its web version).
    fn link_lang_or(&self, headers: &HeaderMap, chosen: Option<&str>) -> Lang {
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        self.inner.languages.choose(chosen, accept)
    }

    /// The page language without a `?lang=`: as [`AppState::link_lang`].
    fn lang(&self, headers: &HeaderMap) -> Lang {
        self.link_lang(headers, None)
    }

    /// The pages, to render one.
    fn pages(&self) -> &pages::Pages {
        &self.inner.pages
    }

    /// A generic 500 page; the cause goes to the log only.
    fn failure(&self, headers: &HeaderMap, error: &Error) -> Response {
        tracing::error!(%error, "request failed");
        let page = self.pages().error(self.lang(headers));
        (StatusCode::INTERNAL_SERVER_ERROR, Html(page)).into_response()
    }
}

/// `newsletter.languages` as page languages (the config allows nl and en
/// only), with `newsletter.language` the default.
fn languages(settings: &Settings) -> pages::Languages {
    let n = &settings.newsletter;
    let offered = n
        .languages
        .iter()
        .filter_map(|l| Lang::from_tag(l.as_str()));
    let default = Lang::from_tag(n.language.as_str()).unwrap_or(Lang::En);
    pages::Languages::new(offered.collect(), default)
}

/// The routes with their limits and security headers.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .merge(unsubscribe::routes())
        .merge(unsubscribe_form::routes())
        .merge(subscribe::routes())
        .merge(archive::routes())
        .merge(media::routes())
        .merge(metrics::routes())
        .fallback(not_found)
        // Inside the request counter, so 429s are counted too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::limit_link_posts,
        ))
        // Router::layer wraps each route (so MatchedPath is known) and the
        // fallback (counted as "unmatched").
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state.clone());
    // Webhook bodies are larger than any form: their own body limit.
    let hooks = webhooks::routes()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state);
    security::harden(routes).merge(security::harden_with_body_limit(
        hooks,
        webhooks::BODY_LIMIT,
    ))
}

/// Serves the pages on `listener` until `shutdown` completes, then lets
/// requests in progress finish. At most [`connection_cap::ConnectionCap`]
/// connections at once; see [`connections`].
pub async fn serve(
    settings: &Settings,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
    listener: tokio::net::TcpListener,
) -> Result<()> {
    let state = AppState::new(settings, store)?;
    let after_answer = state.inner.after_answer.clone();
    let app = router(state);
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Failed(format!("the listening socket has no address: {e}")))?;
    let cap = connection_cap::ConnectionCap::of_process(settings);
    let files = cap
        .file_limit
        .map_or("unlimited".to_owned(), |n| n.to_string());
    tracing::info!(
        "at most {} connections at once (file limit {files}, {} kept for the rest)",
        cap.max,
        cap.reserve
    );
    if !settings.server.trusted_proxies.is_empty() {
        let proxies: Vec<String> = (settings.server.trusted_proxies.networks().iter())
            .map(ToString::to_string)
            .collect();
        tracing::info!(
            "client addresses from X-Forwarded-For of {}",
            proxies.join(", ")
        );
    }
    tracing::info!("listening on {addr}");
    connections::serve(listener, app, cap, shutdown).await;
    after_answer.drain().await;
    tracing::info!("web server stopped");
    Ok(())
}

/// `GET /healthz`: 200 "ok" when the database answers, else 503.
async fn healthz(State(state): State<AppState>) -> Response {
    if state.inner.store.is_healthy().await {
        (StatusCode::OK, "ok").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let page = state.pages().not_found(state.lang(&headers));
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}
