//! The public pages' HTML, from the minijinja templates in
//! `emails/pages/` (a frame, `base.html`, and one template per page) with
//! the texts of `emails/pages/texts.toml` in Dutch and English and the
//! newsletter's colours and fonts ([`theme`]). Read once at start-up from
//! the `emails/` folder, else the copy built into the binary ([`source`]),
//! and every page rendered once in both languages then, so a broken
//! template or a missing text stops `serve` with an error naming it instead
//! of failing a reader later. No JavaScript, mobile first, readable
//! without the CSS; everything inserted is HTML-escaped (autoescape for
//! `.html`, with [`escape`]).

mod lang;
pub mod source;
mod texts;
mod theme;

use minijinja::{AutoEscape, Environment, Value, context};

pub use lang::{Lang, Languages};
pub use source::Source;
use texts::Texts;
use theme::Theme;

/// The templates and texts of the pages, ready to render.
#[derive(Debug)]
pub struct Pages {
    env: Environment<'static>,
    texts: Texts,
    theme: Value,
    newsletter: String,
}

/// One line of the archive: the address, subject, date
/// (`YYYY-MM-DD`) and preheader (all escaped by the template).
pub struct ArchiveEntry<'a> {
    pub href: &'a str,
    pub subject: &'a str,
    pub date: &'a str,
    pub preheader: &'a str,
}

/// Which field of a form was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    Email,
    Name,
}

impl FormError {
    fn field(self) -> &'static str {
        match self {
            FormError::Email => "email",
            FormError::Name => "name",
        }
    }
}

/// Which kind of link did not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokenLink {
    /// `/u/TOKEN` or `/u/TOKEN/resubscribe`.
    Unsubscribe,
    /// `/confirm/TOKEN`: also offers to sign up again.
    Confirm,
}

/// What a [`message.html`](Pages::message) page says: text keys.
struct Message {
    title: &'static str,
    lead: &'static str,
    note: Option<&'static str>,
    again: Option<&'static str>,
}

const fn says(title: &'static str, lead: &'static str) -> Message {
    Message {
        title,
        lead,
        note: None,
        again: None,
    }
}

impl Pages {
    /// Reads and checks the page files of `source`; the error names the
    /// file and what is wrong (a missing text: its key and language).
    pub fn load(source: &Source, newsletter: &str) -> Result<Pages, String> {
        let (texts, file) = source.read("pages/texts.toml")?;
        let texts = Texts::parse(&file, &texts)?;
        let (head, _) = source.read("partials/head.mjml")?;
        let (layout, _) = source.read("layout.mjml")?;
        let theme = Value::from(minijinja::value::Serde(Theme::read(&head, &layout)?));
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Our escape, not minijinja's: it leaves `/` alone, so an href
        // reads `/archive/x`, not `&#x2f;archive&#x2f;x`.
        env.set_formatter(|out, state, value| {
            if *state.auto_escape() == AutoEscape::Html && !value.is_safe() {
                if let Some(text) = value.as_str() {
                    return out.write_str(&escape(text)).map_err(minijinja::Error::from);
                }
            }
            minijinja::escape_formatter(out, state, value)
        });
        for name in source::FILES.iter().filter(|n| n.starts_with("pages/")) {
            let Some(short) = name
                .strip_prefix("pages/")
                .filter(|n| !n.ends_with(".toml"))
            else {
                continue;
            };
            let (text, file) = source.read(name)?;
            env.add_template_owned(short.to_owned(), text)
                .map_err(|e| describe(&e, &file))?;
        }
        let pages = Pages {
            env,
            texts,
            theme,
            newsletter: newsletter.to_owned(),
        };
        pages.check()?;
        Ok(pages)
    }

    /// Renders every page in both languages, so any error shows at start-up.
    fn check(&self) -> Result<(), String> {
        for lang in Lang::ALL {
            for (template, ctx) in every_page() {
                self.try_render(lang, template, ctx)
                    .map_err(|e| format!("emails/pages/{template} ({}): {e}", lang.code()))?;
            }
        }
        Ok(())
    }

    fn try_render(&self, lang: Lang, template: &str, ctx: Value) -> Result<String, String> {
        let ctx = context! {
            lang => lang.code(),
            t => self.texts.value(lang),
            theme => self.theme.clone(),
            newsletter => self.newsletter.as_str(),
            ..ctx
        };
        self.env
            .get_template(template)
            .and_then(|t| t.render(ctx))
            .map_err(|e| describe(&e, template))
    }

    /// `template` filled in; never fails (every page was rendered at
    /// start-up): a failure now is logged and gives a bare page.
    fn render(&self, lang: Lang, template: &str, ctx: Value) -> String {
        self.try_render(lang, template, ctx).unwrap_or_else(|e| {
            tracing::error!("page {template}: {e}");
            format!(
                "<!DOCTYPE html>\n<html lang=\"{}\">\n<title>{}</title>\n<p>{}</p>\n",
                lang.code(),
                escape(&self.newsletter),
                escape(&self.newsletter)
            )
        })
    }

    fn message(&self, lang: Lang, m: Message) -> String {
        let ctx = context! { title => m.title, lead => m.lead, note => m.note, again => m.again };
        self.render(lang, "message.html", ctx)
    }

    /// GET `/u/TOKEN`: one button that posts back to the same address.
    pub fn unsubscribe(&self, lang: Lang) -> String {
        self.render(
            lang,
            "unsubscribe.html",
            context! { title => "unsubscribe_title" },
        )
    }

    /// After POST `/u/TOKEN`: done, with a way back. `resubscribe_action` is
    /// the path the "I changed my mind" button posts to.
    pub fn unsubscribed(&self, lang: Lang, resubscribe_action: &str) -> String {
        let ctx =
            context! { title => "done_title", lead => "done_lead", action => resubscribe_action };
        self.render(lang, "unsubscribed.html", ctx)
    }

    /// After POST `/u/TOKEN` for someone who had unsubscribed already: says
    /// so, with the same way back.
    pub fn already_unsubscribed(&self, lang: Lang, resubscribe_action: &str) -> String {
        let ctx = context! { title => "already_title", lead => "already_lead", action => resubscribe_action };
        self.render(lang, "unsubscribed.html", ctx)
    }

    /// After POST `/u/TOKEN` for an address that gets no mail anyway
    /// (bounced, complained): nothing changed, and nothing needed to.
    pub fn not_receiving(&self, lang: Lang) -> String {
        self.message(lang, says("not_sent_title", "not_sent_lead"))
    }

    /// After POST `/u/TOKEN/resubscribe` put someone back to pending: the
    /// unsubscribe is undone, but they never confirmed.
    pub fn resubscribed_pending(&self, lang: Lang) -> String {
        let again = Some("invalid_again");
        self.message(
            lang,
            Message {
                again,
                ..says("back_pending_title", "back_pending_lead")
            },
        )
    }

    /// After POST `/u/TOKEN/resubscribe` for someone who is active.
    pub fn still_subscribed(&self, lang: Lang) -> String {
        self.message(lang, says("still_title", "still_lead"))
    }

    /// 409 after POST `/u/TOKEN/resubscribe` when the status rules refuse
    /// it (a bounce, an admin's unsubscribe, too late): nothing changed.
    pub fn resubscribe_refused(&self, lang: Lang) -> String {
        let again = Some("invalid_again");
        self.message(
            lang,
            Message {
                again,
                ..says("refused_title", "resubscribe_refused_lead")
            },
        )
    }

    /// After POST `/u/TOKEN/resubscribe` made someone active again.
    pub fn resubscribed(&self, lang: Lang) -> String {
        self.message(lang, says("back_title", "back_lead"))
    }

    /// A generic failure: never says what failed.
    pub fn error(&self, lang: Lang) -> String {
        self.message(lang, says("error_title", "error_lead"))
    }

    pub fn not_found(&self, lang: Lang) -> String {
        self.message(lang, says("not_found_title", "not_found_lead"))
    }

    /// GET `/archive`: the sent issues, newest first, their dates written
    /// out in `lang`, a way to subscribe, and the feed's address.
    pub fn archive(&self, lang: Lang, entries: &[ArchiveEntry<'_>], feed: &str) -> String {
        let entries: Vec<Value> = entries
            .iter()
            .map(|e| {
                context! {
                    href => e.href,
                    subject => e.subject,
                    date => e.date,
                    long_date => lang.long_date(e.date),
                    preheader => e.preheader,
                }
            })
            .collect();
        let ctx = context! { title => "archive_title", entries => entries, feed => feed };
        self.render(lang, "archive.html", ctx)
    }

    /// GET `/subscribe`, or the form again after an error. `email` and
    /// `name` are what was typed.
    pub fn subscribe_form(
        &self,
        lang: Lang,
        email: &str,
        name: &str,
        error: Option<FormError>,
    ) -> String {
        let error = error.map(FormError::field);
        let ctx =
            context! { title => "subscribe_title", email => email, name => name, error => error };
        self.render(lang, "subscribe.html", ctx)
    }

    /// After POST `/subscribe`, whatever happened: never says whether the
    /// address was known.
    pub fn subscribe_thanks(&self, lang: Lang) -> String {
        let note = Some("thanks_note");
        self.message(
            lang,
            Message {
                note,
                ..says("thanks_title", "thanks_lead")
            },
        )
    }

    /// 429: too many sign-ups from one client.
    pub fn too_many(&self, lang: Lang) -> String {
        self.message(lang, says("too_many_title", "too_many_lead"))
    }

    /// 429 for POSTs to the links in mails: the same for every token, so
    /// it reveals nothing about the link.
    pub fn too_many_requests(&self, lang: Lang) -> String {
        self.message(lang, says("too_many_title", "slow_down_lead"))
    }

    /// 429 for POST `/unsubscribe`: too many requests from one client.
    pub fn too_many_link_requests(&self, lang: Lang) -> String {
        self.message(lang, says("too_many_title", "slow_down_form_lead"))
    }

    /// 403 for a form POST from another site's page ([`super::form_origin`]).
    pub fn cross_site(&self, lang: Lang) -> String {
        let again = Some("subscribe_title");
        self.message(
            lang,
            Message {
                again,
                ..says("cross_site_title", "cross_site_lead")
            },
        )
    }

    /// GET `/confirm/TOKEN`: one button that posts back to the same address.
    pub fn confirm(&self, lang: Lang) -> String {
        self.render(lang, "confirm.html", context! { title => "confirm_title" })
    }

    /// After a successful POST `/confirm/TOKEN`.
    pub fn confirmed(&self, lang: Lang) -> String {
        self.message(lang, says("confirmed_title", "confirmed_lead"))
    }

    /// After POST `/confirm/TOKEN` for someone already active.
    pub fn already_confirmed(&self, lang: Lang) -> String {
        self.message(lang, says("confirmed_title", "already_confirmed_lead"))
    }

    /// 409 after POST `/confirm/TOKEN` when the status rules refuse it (a
    /// bounced address, a link used before): nothing changed.
    pub fn confirm_refused(&self, lang: Lang) -> String {
        let again = Some("invalid_again");
        self.message(
            lang,
            Message {
                again,
                ..says("refused_title", "confirm_refused_lead")
            },
        )
    }

    /// 404 for a link that does not work (forged, truncated, mangled, for
    /// nobody, or an expired confirmation): says so, says nothing changed,
    /// and offers to unsubscribe by address. The same page for every such
    /// link.
    pub fn broken_link(&self, lang: Lang, kind: BrokenLink) -> String {
        let confirm = kind == BrokenLink::Confirm;
        let ctx =
            context! { title => "broken_title", confirm => confirm, email => "", error => false };
        self.render(lang, "broken_link.html", ctx)
    }

    /// GET `/unsubscribe`, or the form again (400) after something that is
    /// not an address. `email` is what was typed.
    pub fn unsubscribe_by_address(
        &self,
        lang: Lang,
        email: &str,
        error: Option<FormError>,
    ) -> String {
        let ctx = context! { title => "ask_title", email => email, error => error.is_some() };
        self.render(lang, "unsubscribe_by_address.html", ctx)
    }

    /// After POST `/unsubscribe`, whatever happened: never says whether the
    /// address was known.
    pub fn unsubscribe_link_sent(&self, lang: Lang) -> String {
        let note = Some("sent_note");
        self.message(
            lang,
            Message {
                note,
                ..says("thanks_title", "sent_lead")
            },
        )
    }

    /// The offer to subscribe put at the top of an issue's web version.
    pub fn subscribe_offer(&self, lang: Lang) -> String {
        self.render(lang, "offer.html", Value::from(()))
    }
}

/// One context per template, for [`Pages::check`].
fn every_page() -> Vec<(&'static str, Value)> {
    let entry = context! { href => "/archive/x", subject => "S", date => "2026-11-03",
    long_date => "3 november 2026", preheader => "P" };
    let message = context! { title => "error_title", lead => "error_lead",
    note => "thanks_note", again => "invalid_again" };
    vec![
        ("message.html", message),
        (
            "unsubscribe.html",
            context! { title => "unsubscribe_title" },
        ),
        (
            "unsubscribed.html",
            context! { title => "done_title", lead => "done_lead", action => "/u/x" },
        ),
        ("confirm.html", context! { title => "confirm_title" }),
        (
            "archive.html",
            context! { title => "archive_title", entries => vec![entry], feed => "/f" },
        ),
        (
            "subscribe.html",
            context! { title => "subscribe_title", email => "", name => "", error => "name" },
        ),
        (
            "subscribe.html",
            context! { title => "subscribe_title", email => "", name => "", error => "email" },
        ),
        (
            "broken_link.html",
            context! { title => "broken_title", confirm => true, email => "", error => true },
        ),
        (
            "unsubscribe_by_address.html",
            context! { title => "ask_title", email => "", error => true },
        ),
        ("offer.html", Value::from(())),
    ]
}

/// A minijinja error as one line naming the file and line.
fn describe(err: &minijinja::Error, file: &str) -> String {
    let line = err.line().map_or(String::new(), |l| format!(", line {l}"));
    let detail = err.detail().map_or(String::new(), |d| format!(": {d}"));
    format!("{file}{line}: {}{detail}", err.kind())
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
