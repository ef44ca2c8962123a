//! The public archive of sent issues:
//!
//! - `GET /archive`: a page listing them, newest first, with their dates
//!   written out and a way to subscribe;
//! - `GET /archive/{slug}`: the stored web version of one, as is but for
//!   an offer to subscribe at the top ([`with_offer`]);
//! - `GET /archive.xml`: an Atom feed of them.
//!
//! Only issues with status `sent` appear; any other slug (unknown,
//! scheduled, sending, paused, cancelled) gets the 404 page.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::{AppState, pages, security};
use crate::store::{ArchivedIssue, format_ms, now_ms};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/archive", get(list))
        .route("/archive.xml", get(feed))
        .route("/archive/{slug}", get(show))
}

fn href(slug: &str) -> String {
    format!("/archive/{slug}")
}

/// `GET /archive`.
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let issues = match state.inner.store.sent_issues().await {
        Ok(issues) => issues,
        Err(e) => return state.failure(&headers, &e),
    };
    let hrefs: Vec<String> = issues.iter().map(|i| href(&i.slug)).collect();
    let entries: Vec<pages::ArchiveEntry<'_>> = issues
        .iter()
        .zip(&hrefs)
        .map(|(i, href)| pages::ArchiveEntry {
            href,
            subject: &i.subject,
            date: &i.issue_date,
            preheader: &i.preheader,
        })
        .collect();
    let page = state
        .pages()
        .archive(state.lang(&headers), &entries, "/archive.xml");
    Html(page).into_response()
}

/// `GET /archive/{slug}`: the web version with the offer to subscribe,
/// in the issue's language when the pages speak it, with a policy that
/// lets its images and inline styles through.
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    match state.inner.store.sent_issue_html(&slug).await {
        Ok(Some(html)) => security::with_policy(
            Html(with_offer(&html, |issue_lang| {
                let lang = state.link_lang_or(&headers, issue_lang);
                state.pages().subscribe_offer(lang)
            }))
            .into_response(),
            security::ARCHIVE_CONTENT_SECURITY_POLICY,
        ),
        Ok(None) => super::not_found(State(state), headers).await,
        Err(e) => state.failure(&headers, &e),
    }
}

/// `html` with `offer(its <html lang>)` put just inside its `<body>` (at
/// the very start when it has none).
pub fn with_offer(html: &str, offer: impl FnOnce(Option<&str>) -> String) -> String {
    let lower = html.to_ascii_lowercase();
    let lang = lower.find("<html").and_then(|at| {
        let tag = &html[at..at + lower[at..].find('>')?];
        let value = tag.split("lang=\"").nth(1)?;
        value.split('"').next()
    });
    let offer = offer(lang);
    let at = lower
        .find("<body")
        .and_then(|at| lower[at..].find('>').map(|end| at + end + 1))
        .unwrap_or(0);
    let mut out = String::with_capacity(html.len() + offer.len());
    out.push_str(&html[..at]);
    out.push_str(&offer);
    out.push_str(&html[at..]);
    out
}

/// `GET /archive.xml`.
async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let issues = match state.inner.store.sent_issues().await {
        Ok(issues) => issues,
        Err(e) => return state.failure(&headers, &e),
    };
    let xml = atom(&state.inner.newsletter, &state.inner.base_url, &issues);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// When an issue counts as published: when its sending finished, else
/// when it was due.
fn updated(issue: &ArchivedIssue) -> i64 {
    issue.finished_at.unwrap_or(issue.send_at)
}

/// The Atom document (RFC 4287) for `issues` (newest first).
pub fn atom(newsletter: &str, base_url: &str, issues: &[ArchivedIssue]) -> String {
    let archive = format!("{base_url}/archive");
    let feed_updated = issues.iter().map(updated).max().unwrap_or_else(now_ms);
    let mut xml = String::with_capacity(1024 + issues.len() * 512);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>{title}</title>\n<id>{archive}</id>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{archive}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{archive}.xml\"/>\n\
         <updated>{updated}</updated>\n<author><name>{title}</name></author>\n",
        title = xml_escape(newsletter),
        archive = xml_escape(&archive),
        updated = format_ms(feed_updated),
    );
    for issue in issues {
        let link = xml_escape(&format!("{archive}/{}", issue.slug));
        let _ = write!(
            xml,
            "<entry>\n<title>{title}</title>\n<id>{link}</id>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n\
             <updated>{updated}</updated>\n<summary>{summary}</summary>\n</entry>\n",
            title = xml_escape(&issue.subject),
            updated = format_ms(updated(issue)),
            summary = xml_escape(&issue.preheader),
        );
    }
    xml.push_str("</feed>\n");
    xml
}

/// Escapes text for XML content and quoted attributes; drops characters
/// XML 1.0 does not allow at all.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offer_goes_just_inside_the_body_in_the_issues_language() {
        let html = "<!doctype html><html lang=\"en\"><head></head><BODY style=\"x\"><p>Hi</p></BODY></html>";
        let out = with_offer(html, |lang| format!("[{}]", lang.unwrap_or("?")));
        assert_eq!(
            out,
            "<!doctype html><html lang=\"en\"><head></head><BODY style=\"x\">[en]<p>Hi</p></BODY></html>"
        );
        assert_eq!(with_offer("<p>x</p>", |_| "[o]".into()), "[o]<p>x</p>");
    }

    #[test]
    fn the_feed_escapes_everything_it_inserts() {
        let issue = ArchivedIssue {
            slug: "2026-10-x".into(),
            subject: "A <b> & \"c\"\u{1}".into(),
            preheader: "it's".into(),
            issue_date: "2026-10-01".into(),
            send_at: 1_790_000_000_000,
            finished_at: None,
        };
        let xml = atom("N & <M>", "https://n.example", &[issue]);
        assert!(xml.contains("<title>N &amp; &lt;M&gt;</title>"), "{xml}");
        assert!(
            xml.contains("<title>A &lt;b&gt; &amp; &quot;c&quot;</title>"),
            "{xml}"
        );
        assert!(xml.contains("<summary>it&apos;s</summary>"), "{xml}");
        assert!(
            xml.contains("<id>https://n.example/archive/2026-10-x</id>"),
            "{xml}"
        );
        assert_eq!(xml.matches("<entry>").count(), 1);
        assert!(xml.contains("<updated>2026-09-21T"), "{xml}");
    }
}
