//! The preview page (`GET /`) and what its frames load: `/mail` (the HTML
//! part for the sample recipient, framed at 600 and at 375 px), `/text`
//! (the plain-text part) and `/web` (the web version). A few lines of
//! script follow `/events` and reload the frames on a new render, or show
//! the render error in their place until the next good save.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::HtmlEscape;

use super::events::state_json;
use super::live::{Current, Published};
use super::snapshot::{Rendered, Snapshot};

/// Which part of the render a frame shows.
#[derive(Clone, Copy, Debug)]
pub enum Part {
    Mail,
    Text,
    Web,
}

/// `GET /`: the page, as the latest render stands.
pub fn page(current: &Current, title: &str) -> Response {
    no_store(Html(html(title, &current.borrow())).into_response())
}

/// `GET /mail`, `/text` and `/web`.
pub fn part(current: &Current, part: Part) -> Response {
    let published = current.borrow().clone();
    let response = match (&published.snapshot, part) {
        (Snapshot::Rendered(r), Part::Mail) => Html(r.mail_html.clone()).into_response(),
        (Snapshot::Rendered(r), Part::Web) => Html(r.web_html.clone()).into_response(),
        (Snapshot::Rendered(Rendered { text, .. }), Part::Text) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text.clone(),
        )
            .into_response(),
        // The page shows the error; a frame loaded meanwhile says where.
        (Snapshot::Failed(_), _) => {
            Html("<p>The render failed: the page above says why.</p>").into_response()
        }
    };
    no_store(response)
}

/// Every answer is of this moment: the browser must not keep any.
fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page's HTML for `published`.
pub fn html(title: &str, published: &Published) -> String {
    let state = state_json(published).to_string();
    let error = published.snapshot.error();
    let notes: String = match &published.snapshot {
        Snapshot::Rendered(r) => (r.notes.iter())
            .map(|n| format!("<li>{}</li>", HtmlEscape(n)))
            .collect(),
        Snapshot::Failed(_) => String::new(),
    };
    let hidden = |shown: bool| if shown { "" } else { " hidden" };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview: {title}</title>
<style>{STYLE}</style></head>
<body data-state="{state}">
<header><h1>Preview: {title}</h1><p>Follows every save under emails/. Nothing is sent.</p></header>
<section id="error" role="alert"{error_hidden}><h2>Render error</h2><pre id="error-text">{error_text}</pre></section>
<ul id="notes">{notes}</ul>
<div id="frames"{frames_hidden}>
<section class="row">
<figure><figcaption>Mail at 600 px</figcaption><iframe id="mail-600" src="/mail" style="width:600px"></iframe></figure>
<figure><figcaption>Mail at 375 px</figcaption><iframe id="mail-375" src="/mail" style="width:375px"></iframe></figure>
</section>
<figure><figcaption>Text part</figcaption><iframe id="text" src="/text" style="width:100%"></iframe></figure>
<figure><figcaption>Web version (the archive page <code>serve</code> shows once it is sent)</figcaption><iframe id="web" src="/web" style="width:100%"></iframe></figure>
</div>
<script>{SCRIPT}</script>
</body></html>
"#,
        title = HtmlEscape(title),
        state = HtmlEscape(&state),
        error_hidden = hidden(error.is_some()),
        error_text = HtmlEscape(error.unwrap_or_default()),
        frames_hidden = hidden(error.is_none()),
    )
}

const STYLE: &str = "body{margin:0;padding:1rem;font:15px/1.4 system-ui,sans-serif;background:#f4f1ea;color:#222}\
h1{font-size:1.2rem;margin:0}header p{margin:.2rem 0 1rem;color:#555}\
#error{background:#fff;border:2px solid #b91c1c;padding:1rem;margin-bottom:1rem}\
#error h2{color:#b91c1c;margin:0 0 .5rem;font-size:1.1rem}\
#error pre{white-space:pre-wrap;margin:0}#notes{color:#7c4a03}\
.row{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}\
figure{margin:0 0 1.5rem}figcaption{font-weight:600;margin-bottom:.3rem}\
iframe{display:block;border:1px solid #ccc;background:#fff;height:600px}";

/// Follows `/events`: on a version it does not show yet, it shows the
/// error, or hides it and reloads every frame (each then sizes itself to
/// its document, so the page scrolls, not the frames).
const SCRIPT: &str = r#"
var shown = JSON.parse(document.body.dataset.state).version;
function fit(f) { try { f.style.height = (f.contentDocument.documentElement.scrollHeight + 20) + 'px'; } catch (e) {} }
document.querySelectorAll('iframe').forEach(function (f) { f.addEventListener('load', function () { fit(f); }); fit(f); });
new EventSource('/events').onmessage = function (m) {
  var s = JSON.parse(m.data);
  if (s.version === shown) return;
  shown = s.version;
  document.getElementById('error').hidden = !s.error;
  document.getElementById('error-text').textContent = s.error || '';
  document.getElementById('frames').hidden = !!s.error;
  var notes = document.getElementById('notes');
  notes.replaceChildren.apply(notes, s.notes.map(function (n) { var li = document.createElement('li'); li.textContent = n; return li; }));
  if (!s.error) document.querySelectorAll('iframe').forEach(function (f) { f.contentWindow.location.reload(); });
};
"#;
