//! The HTML of the public pages and their texts in Dutch and English, from
//! one catalogue. No JavaScript, mobile first, readable without the CSS;
//! everything inserted is HTML-escaped.

use std::fmt::Write as _;

/// A language the pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    /// `nl` or `en` by primary subtag (`nl-BE` is Dutch); `None` otherwise.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split('-').next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("nl") {
            Some(Lang::Nl)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first of `nl` and `en` the `Accept-Language` header asks for
    /// (highest quality first; `q=0` means "not this one").
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut wanted: Vec<(u16, Lang)> = Vec::new();
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let mut q = 1000u16;
            for param in parts {
                if let Some(value) = param.trim().strip_prefix("q=") {
                    q = parse_quality(value);
                }
            }
            if q == 0 {
                continue;
            }
            if let Some(lang) = Lang::from_tag(tag) {
                wanted.push((q, lang));
            }
        }
        // Stable: equal qualities keep the header's order.
        wanted.sort_by_key(|w| std::cmp::Reverse(w.0));
        wanted.first().map(|w| w.1)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    fn texts(self) -> &'static Texts {
        match self {
            Lang::Nl => &NL,
            Lang::En => &EN,
        }
    }
}

/// An HTTP quality value (`0`, `0.5`, `1.000`) in thousandths; malformed
/// values count as 1.
fn parse_quality(value: &str) -> u16 {
    let value = value.trim();
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if int == "0" {
        let digits: String = frac.chars().take(3).collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return 0;
        }
        let padded = format!("{digits:0<3}");
        padded.parse().unwrap_or(1000)
    } else {
        1000
    }
}

/// Every text on the pages, in one language.
struct Texts {
    unsubscribe_title: &'static str,
    unsubscribe_lead: &'static str,
    unsubscribe_button: &'static str,
    unsubscribe_note: &'static str,
    done_title: &'static str,
    done_lead: &'static str,
    resubscribe_lead: &'static str,
    resubscribe_button: &'static str,
    back_title: &'static str,
    back_lead: &'static str,
    error_title: &'static str,
    error_lead: &'static str,
    not_found_title: &'static str,
    not_found_lead: &'static str,
    archive_title: &'static str,
    archive_lead: &'static str,
    archive_empty: &'static str,
    archive_feed: &'static str,
    subscribe_title: &'static str,
    subscribe_lead: &'static str,
    email_label: &'static str,
    name_label: &'static str,
    honeypot_label: &'static str,
    subscribe_button: &'static str,
    email_error: &'static str,
    name_error: &'static str,
    error_summary: &'static str,
    thanks_title: &'static str,
    thanks_lead: &'static str,
    thanks_note: &'static str,
    too_many_title: &'static str,
    too_many_lead: &'static str,
    slow_down_lead: &'static str,
    slow_down_form_lead: &'static str,
    cross_site_title: &'static str,
    cross_site_lead: &'static str,
    confirm_title: &'static str,
    confirm_lead: &'static str,
    confirm_button: &'static str,
    confirmed_title: &'static str,
    confirmed_lead: &'static str,
    invalid_again: &'static str,
    broken_title: &'static str,
    broken_lead: &'static str,
    broken_confirm: &'static str,
    ask_title: &'static str,
    ask_lead: &'static str,
    ask_button: &'static str,
    sent_lead: &'static str,
    sent_note: &'static str,
    already_title: &'static str,
    already_lead: &'static str,
    not_sent_title: &'static str,
    not_sent_lead: &'static str,
    back_pending_title: &'static str,
    back_pending_lead: &'static str,
    still_title: &'static str,
    still_lead: &'static str,
    refused_title: &'static str,
    resubscribe_refused_lead: &'static str,
    confirm_refused_lead: &'static str,
    already_confirmed_lead: &'static str,
}

static NL: Texts = Texts {
    unsubscribe_title: "Afmelden",
    unsubscribe_lead: "Wil je deze nieuwsbrief niet meer ontvangen?",
    unsubscribe_button: "Afmelden",
    unsubscribe_note: "Na één klik ben je afgemeld. Je hoeft niets anders te doen.",
    done_title: "Je bent afgemeld",
    done_lead: "Je ontvangt deze nieuwsbrief niet meer.",
    resubscribe_lead: "Per ongeluk afgemeld?",
    resubscribe_button: "Ik heb me bedacht",
    back_title: "Welkom terug",
    back_lead: "Je ontvangt deze nieuwsbrief weer.",
    error_title: "Er ging iets mis",
    error_lead: "Dat lukte nu niet. Probeer het over een paar minuten opnieuw.",
    not_found_title: "Pagina niet gevonden",
    not_found_lead: "Deze pagina bestaat niet. Controleer de link in je e-mail.",
    archive_title: "Archief",
    archive_lead: "Alle verstuurde nummers, het nieuwste eerst.",
    archive_empty: "Er is nog geen nummer verstuurd.",
    archive_feed: "Volg het archief met een feedlezer (Atom)",
    subscribe_title: "Aanmelden",
    subscribe_lead: "Ontvang deze nieuwsbrief in je mailbox. Je krijgt eerst een mail om je aanmelding te bevestigen.",
    email_label: "E-mailadres",
    name_label: "Naam (mag je leeg laten)",
    honeypot_label: "Laat dit veld leeg",
    subscribe_button: "Aanmelden",
    email_error: "E-mailadres: vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
    name_error: "Naam: deze naam kunnen we niet gebruiken; laat het veld leeg of gebruik gewone tekst op één regel.",
    error_summary: "Controleer het formulier",
    thanks_title: "Kijk in je mailbox",
    thanks_lead: "Als dit adres zich kan aanmelden, sturen we er nu een mail heen met een link om je aanmelding te bevestigen. Pas na die bevestiging ontvang je de nieuwsbrief.",
    thanks_note: "Niets ontvangen? Kijk ook in je map met ongewenste mail. De link blijft 7 dagen geldig.",
    too_many_title: "Even geduld",
    too_many_lead: "Er kwamen te veel aanmeldingen tegelijk binnen. Probeer het over tien minuten opnieuw.",
    slow_down_lead: "Er kwamen te veel verzoeken tegelijk binnen. Probeer het over een minuut opnieuw.",
    slow_down_form_lead: "Er kwamen te veel verzoeken tegelijk binnen. Probeer het over tien minuten opnieuw.",
    cross_site_title: "Niet verstuurd",
    cross_site_lead: "Dit formulier is vanaf een andere website verstuurd, en daarom niet aangenomen: er is niets veranderd en er gaat geen mail uit. Gebruik het formulier op deze site.",
    confirm_title: "Bevestig je aanmelding",
    confirm_lead: "Nog één klik: bevestig dat je deze nieuwsbrief wilt ontvangen.",
    confirm_button: "Ja, ik wil de nieuwsbrief ontvangen",
    confirmed_title: "Je bent aangemeld",
    confirmed_lead: "Dank je wel! Je ontvangt voortaan deze nieuwsbrief.",
    invalid_again: "Opnieuw aanmelden",
    broken_title: "Deze link werkt niet",
    broken_lead: "De link is onvolledig, beschadigd of verlopen. Dat gebeurt soms als een mailprogramma een lange link afbreekt. Er is niets veranderd.",
    broken_confirm: "Wilde je je aanmelding bevestigen? Een bevestigingslink blijft 7 dagen geldig. Meld je opnieuw aan, dan krijg je een nieuwe.",
    ask_title: "Afmelden met je e-mailadres",
    ask_lead: "Wil je je afmelden? Vul je e-mailadres in. We sturen je dan een mail met een link waarmee je je met één klik afmeldt.",
    ask_button: "Stuur mij een afmeldlink",
    sent_lead: "Als dit adres deze nieuwsbrief ontvangt, sturen we er nu een mail heen met een link om je af te melden.",
    sent_note: "Niets ontvangen? Kijk ook in je map met ongewenste mail.",
    already_title: "Je was al afgemeld",
    already_lead: "Je ontvangt deze nieuwsbrief niet meer. Er is niets veranderd.",
    not_sent_title: "Je ontvangt deze nieuwsbrief niet",
    not_sent_lead: "Deze nieuwsbrief wordt al niet meer naar dit adres gestuurd. Er is niets veranderd.",
    back_pending_title: "Afmelding ongedaan gemaakt",
    back_pending_lead: "Je aanmelding is nog niet bevestigd: pas daarna ontvang je de nieuwsbrief. Meld je opnieuw aan voor een nieuwe bevestigingsmail.",
    still_title: "Je bent nog aangemeld",
    still_lead: "Je ontvangt deze nieuwsbrief nog steeds. Er is niets veranderd.",
    refused_title: "Dat kan niet met deze link",
    resubscribe_refused_lead: "Er is niets veranderd: je ontvangt deze nieuwsbrief nog steeds niet. Wil je hem weer ontvangen? Meld je dan opnieuw aan; je krijgt eerst een mail om dat te bevestigen.",
    confirm_refused_lead: "Er is niets veranderd: deze link kan je aanmelding niet (meer) bevestigen. Wil je de nieuwsbrief ontvangen? Meld je dan opnieuw aan.",
    already_confirmed_lead: "Je aanmelding was al bevestigd. Je ontvangt deze nieuwsbrief.",
};

static EN: Texts = Texts {
    unsubscribe_title: "Unsubscribe",
    unsubscribe_lead: "Don't want to receive this newsletter any more?",
    unsubscribe_button: "Unsubscribe",
    unsubscribe_note: "One click and you are unsubscribed. There is nothing else to do.",
    done_title: "You are unsubscribed",
    done_lead: "You will not receive this newsletter any more.",
    resubscribe_lead: "Unsubscribed by mistake?",
    resubscribe_button: "I changed my mind",
    back_title: "Welcome back",
    back_lead: "You will receive this newsletter again.",
    error_title: "Something went wrong",
    error_lead: "That did not work just now. Please try again in a few minutes.",
    not_found_title: "Page not found",
    not_found_lead: "This page does not exist. Please check the link in your email.",
    archive_title: "Archive",
    archive_lead: "Every issue sent, newest first.",
    archive_empty: "No issue has been sent yet.",
    archive_feed: "Follow the archive in a feed reader (Atom)",
    subscribe_title: "Subscribe",
    subscribe_lead: "Get this newsletter in your inbox. We first send you an email to confirm your subscription.",
    email_label: "Email address",
    name_label: "Name (optional)",
    honeypot_label: "Leave this field empty",
    subscribe_button: "Subscribe",
    email_error: "Email address: please enter a valid email address, like name@example.org.",
    name_error: "Name: we cannot use this name; leave the field empty or use plain text on one line.",
    error_summary: "Please check the form",
    thanks_title: "Check your inbox",
    thanks_lead: "If this address can subscribe, we are sending it an email with a link to confirm your subscription. You will only receive the newsletter after confirming.",
    thanks_note: "Nothing arrived? Please check your spam folder too. The link stays valid for 7 days.",
    too_many_title: "Please wait",
    too_many_lead: "Too many sign-ups arrived at once. Please try again in ten minutes.",
    slow_down_lead: "Too many requests arrived at once. Please try again in a minute.",
    slow_down_form_lead: "Too many requests arrived at once. Please try again in ten minutes.",
    cross_site_title: "Not sent",
    cross_site_lead: "This form was sent from another website, so it was not accepted: nothing changed and no mail goes out. Please use the form on this site.",
    confirm_title: "Confirm your subscription",
    confirm_lead: "One more click: confirm that you want to receive this newsletter.",
    confirm_button: "Confirm my subscription",
    confirmed_title: "You're subscribed",
    confirmed_lead: "Thank you! You will receive this newsletter from now on.",
    invalid_again: "Subscribe again",
    broken_title: "This link does not work",
    broken_lead: "The link is incomplete, damaged or expired. That sometimes happens when a mail program breaks up a long link. Nothing has changed.",
    broken_confirm: "Did you want to confirm your subscription? A confirmation link stays valid for 7 days. Subscribe again and you will get a new one.",
    ask_title: "Unsubscribe by email address",
    ask_lead: "Want to unsubscribe? Enter your email address. We will send you an email with a link that unsubscribes you with one click.",
    ask_button: "Send me an unsubscribe link",
    sent_lead: "If this address receives this newsletter, we are sending it an email with a link to unsubscribe.",
    sent_note: "Nothing arrived? Please check your spam folder too.",
    already_title: "You were already unsubscribed",
    already_lead: "You no longer receive this newsletter. Nothing has changed.",
    not_sent_title: "You don't receive this newsletter",
    not_sent_lead: "This newsletter is no longer sent to this address. Nothing has changed.",
    back_pending_title: "Unsubscribe undone",
    back_pending_lead: "Your subscription is not confirmed yet: you will receive the newsletter only after that. Subscribe again to get a new confirmation email.",
    still_title: "You are still subscribed",
    still_lead: "You still receive this newsletter. Nothing has changed.",
    refused_title: "This link cannot do that",
    resubscribe_refused_lead: "Nothing has changed: you still do not receive this newsletter. Want to receive it again? Then subscribe again; we will first send you an email to confirm.",
    confirm_refused_lead: "Nothing has changed: this link cannot confirm your subscription (any more). Want to receive the newsletter? Then subscribe again.",
    already_confirmed_lead: "Your subscription was already confirmed. You receive this newsletter.",
};

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;padding:1.5rem 1rem;font:1.125rem/1.6 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:#1a1a1a;background:#f6f6f4}\
main{max-width:34rem;margin:0 auto;padding:1.5rem;background:#fff;border-radius:.5rem;border:1px solid #ddd}\
h1{font-size:1.6rem;line-height:1.25;margin:0 0 1rem}\
.name{margin:0 0 .25rem;font-size:1rem;color:#555}\
p{margin:0 0 1rem}\
form{margin:1.5rem 0 0}\
button{font:inherit;font-weight:600;min-height:2.75rem;padding:.6rem 1.4rem;border:2px solid #1d4ed8;border-radius:.4rem;background:#1d4ed8;color:#fff;cursor:pointer}\
button.secondary{background:#fff;color:#1d4ed8}\
button:hover{background:#1e40af;border-color:#1e40af;color:#fff}\
button:focus-visible{outline:3px solid #f59e0b;outline-offset:3px}\
.note{font-size:1rem;color:#555;margin-top:1rem}\
.archive{list-style:none;margin:0 0 1rem;padding:0}\
.archive li{margin:0 0 1.25rem}\
.archive a{font-weight:600;color:#1d4ed8}\
.archive time{display:block;font-size:1rem;color:#555}\
label{display:block;font-weight:600;margin:0 0 .35rem}\
.field{margin:0 0 1.25rem}\
input{font:inherit;width:100%;min-height:2.75rem;padding:.5rem .7rem;border:2px solid #767676;border-radius:.4rem;background:#fff;color:#1a1a1a}\
input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}\
input[aria-invalid=true]{border-color:#b91c1c}\
.error{color:#b91c1c;font-weight:600}\
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}\
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}main{background:#1c1c1c;border-color:#333}.name,.note{color:#bbb}button.secondary{background:#1c1c1c;color:#93c5fd;border-color:#93c5fd}}\
";

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

/// The frame every page shares; `body` is trusted HTML built here.
fn layout(lang: Lang, newsletter: &str, title: &str, body: &str) -> String {
    let newsletter = escape(newsletter);
    let title = escape(title);
    let mut page = String::with_capacity(4096);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <title>{title} – {newsletter}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <p class=\"name\">{newsletter}</p>\n<h1>{title}</h1>\n{body}</main>\n</body>\n</html>\n",
        lang = lang.code(),
    );
    page
}

/// GET `/u/TOKEN`: one button that posts back to the same address.
pub fn unsubscribe(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!(
        "<p>{lead}</p>\n<form method=\"post\">\n<input type=\"hidden\" name=\"from\" value=\"page\">\n\
         <button type=\"submit\">{button}</button>\n</form>\n<p class=\"note\">{note}</p>\n",
        lead = escape(t.unsubscribe_lead),
        button = escape(t.unsubscribe_button),
        note = escape(t.unsubscribe_note),
    );
    layout(lang, newsletter, t.unsubscribe_title, &body)
}

/// After POST `/u/TOKEN`: done, with a way back. `resubscribe_action` is
/// the path the "I changed my mind" button posts to (escaped here).
pub fn unsubscribed(lang: Lang, newsletter: &str, resubscribe_action: &str) -> String {
    let t = lang.texts();
    let body = format!(
        "<p>{lead}</p>\n<form method=\"post\" action=\"{action}\">\n<p>{again}</p>\n\
         <button type=\"submit\" class=\"secondary\">{button}</button>\n</form>\n",
        lead = escape(t.done_lead),
        action = escape(resubscribe_action),
        again = escape(t.resubscribe_lead),
        button = escape(t.resubscribe_button),
    );
    layout(lang, newsletter, t.done_title, &body)
}

/// After POST `/u/TOKEN` for someone who had unsubscribed already: says
/// so, with the same way back.
pub fn already_unsubscribed(lang: Lang, newsletter: &str, resubscribe_action: &str) -> String {
    let t = lang.texts();
    let body = format!(
        "<p>{lead}</p>\n<form method=\"post\" action=\"{action}\">\n<p>{again}</p>\n\
         <button type=\"submit\" class=\"secondary\">{button}</button>\n</form>\n",
        lead = escape(t.already_lead),
        action = escape(resubscribe_action),
        again = escape(t.resubscribe_lead),
        button = escape(t.resubscribe_button),
    );
    layout(lang, newsletter, t.already_title, &body)
}

/// After POST `/u/TOKEN` for an address that gets no mail anyway (bounced,
/// complained): nothing changed, and nothing needed to.
pub fn not_receiving(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.not_sent_lead));
    layout(lang, newsletter, t.not_sent_title, &body)
}

/// After POST `/u/TOKEN/resubscribe` put someone back to pending: the
/// unsubscribe is undone, but they never confirmed.
pub fn resubscribed_pending(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = with_subscribe_link(t.back_pending_lead, t.invalid_again);
    layout(lang, newsletter, t.back_pending_title, &body)
}

/// After POST `/u/TOKEN/resubscribe` for someone who is active.
pub fn still_subscribed(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.still_lead));
    layout(lang, newsletter, t.still_title, &body)
}

/// 409 after POST `/u/TOKEN/resubscribe` when the status rules refuse it
/// (a bounce, an admin's unsubscribe, too late): nothing changed.
pub fn resubscribe_refused(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = with_subscribe_link(t.resubscribe_refused_lead, t.invalid_again);
    layout(lang, newsletter, t.refused_title, &body)
}

/// After POST `/u/TOKEN/resubscribe` made someone active again.
pub fn resubscribed(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.back_lead));
    layout(lang, newsletter, t.back_title, &body)
}

/// A generic failure: never says what failed.
pub fn error(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.error_lead));
    layout(lang, newsletter, t.error_title, &body)
}

/// One line of the archive: the address, subject, date and
/// preheader (all escaped here).
pub struct ArchiveEntry<'a> {
    pub href: &'a str,
    pub subject: &'a str,
    pub date: &'a str,
    pub preheader: &'a str,
}

/// GET `/archive`: the sent issues, newest first, and the feed's address.
pub fn archive(lang: Lang, newsletter: &str, entries: &[ArchiveEntry<'_>], feed: &str) -> String {
    let t = lang.texts();
    let mut body = String::with_capacity(1024);
    if entries.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", escape(t.archive_empty));
    } else {
        let _ = writeln!(
            body,
            "<p>{}</p>\n<ul class=\"archive\">",
            escape(t.archive_lead)
        );
        for e in entries {
            let _ = writeln!(
                body,
                "<li><a href=\"{href}\">{subject}</a><time datetime=\"{date}\">{date}</time>{preheader}</li>",
                href = escape(e.href),
                subject = escape(e.subject),
                date = escape(e.date),
                preheader = escape(e.preheader),
            );
        }
        body.push_str("</ul>\n");
    }
    let _ = writeln!(
        body,
        "<p class=\"note\"><a href=\"{}\">{}</a></p>",
        escape(feed),
        escape(t.archive_feed)
    );
    layout(lang, newsletter, t.archive_title, &body)
}

/// Which field of the subscribe form was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    Email,
    Name,
}

/// GET `/subscribe`, or the form again after an error: labelled fields,
/// the email required, the name optional, and a honeypot (`website`) that
/// people never see or reach with the keyboard. `email` and `name` are
/// what was typed (escaped here).
pub fn subscribe_form(
    lang: Lang,
    newsletter: &str,
    email: &str,
    name: &str,
    error: Option<FormError>,
) -> String {
    let t = lang.texts();
    let mut body = String::with_capacity(2048);
    if let Some(error) = error {
        let (message, id) = match error {
            FormError::Email => (t.email_error, "email"),
            FormError::Name => (t.name_error, "name"),
        };
        let _ = write!(
            body,
            "<div role=\"alert\">\n<p class=\"error\">{summary}</p>\n\
             <p><a href=\"#{id}\">{message}</a></p>\n</div>\n",
            summary = escape(t.error_summary),
            message = escape(message),
        );
    }
    let invalid = |field| {
        if error == Some(field) {
            " aria-invalid=\"true\" aria-describedby=\"error-msg\""
        } else {
            ""
        }
    };
    let message = |field| match (error, field) {
        (Some(e), f) if e == f => format!(
            "<p class=\"error\" id=\"error-msg\">{}</p>\n",
            escape(match f {
                FormError::Email => t.email_error,
                FormError::Name => t.name_error,
            })
        ),
        _ => String::new(),
    };
    let _ = write!(
        body,
        "<p>{lead}</p>\n<form method=\"post\" action=\"/subscribe\">\n\
         <div class=\"field\">\n<label for=\"email\">{email_label}</label>\n{email_error}\
         <input type=\"email\" id=\"email\" name=\"email\" required autocomplete=\"email\" \
         inputmode=\"email\" value=\"{email}\"{email_invalid}>\n</div>\n\
         <div class=\"field\">\n<label for=\"name\">{name_label}</label>\n{name_error}\
         <input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"name\" \
         value=\"{name}\"{name_invalid}>\n</div>\n\
         <div class=\"hp\" aria-hidden=\"true\">\n<label for=\"website\">{hp_label}</label>\n\
         <input type=\"text\" id=\"website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\" value=\"\">\n</div>\n\
         <button type=\"submit\">{button}</button>\n</form>\n",
        lead = escape(t.subscribe_lead),
        email_label = escape(t.email_label),
        email_error = message(FormError::Email),
        email = escape(email),
        email_invalid = invalid(FormError::Email),
        name_label = escape(t.name_label),
        name_error = message(FormError::Name),
        name = escape(name),
        name_invalid = invalid(FormError::Name),
        hp_label = escape(t.honeypot_label),
        button = escape(t.subscribe_button),
    );
    layout(lang, newsletter, t.subscribe_title, &body)
}

/// After POST `/subscribe`, whatever happened: never says whether the
/// address was known.
pub fn subscribe_thanks(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!(
        "<p>{}</p>\n<p class=\"note\">{}</p>\n",
        escape(t.thanks_lead),
        escape(t.thanks_note)
    );
    layout(lang, newsletter, t.thanks_title, &body)
}

/// 429: too many sign-ups from one client.
pub fn too_many(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.too_many_lead));
    layout(lang, newsletter, t.too_many_title, &body)
}

/// 429 for POSTs to the links in mails: the same for every token, so it
/// reveals nothing about the link.
pub fn too_many_requests(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.slow_down_lead));
    layout(lang, newsletter, t.too_many_title, &body)
}

/// 429 for POST `/unsubscribe`: too many requests from one client.
pub fn too_many_link_requests(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.slow_down_form_lead));
    layout(lang, newsletter, t.too_many_title, &body)
}

/// 403 for a form POST from another site's page ([`super::form_origin`]).
pub fn cross_site(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!(
        "<p>{}</p>\n<p><a href=\"/subscribe\">{}</a></p>\n",
        escape(t.cross_site_lead),
        escape(t.subscribe_title)
    );
    layout(lang, newsletter, t.cross_site_title, &body)
}

/// GET `/confirm/TOKEN`: one button that posts back to the same address.
pub fn confirm(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!(
        "<p>{lead}</p>\n<form method=\"post\">\n<button type=\"submit\">{button}</button>\n</form>\n",
        lead = escape(t.confirm_lead),
        button = escape(t.confirm_button),
    );
    layout(lang, newsletter, t.confirm_title, &body)
}

/// After a successful POST `/confirm/TOKEN`.
pub fn confirmed(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.confirmed_lead));
    layout(lang, newsletter, t.confirmed_title, &body)
}

/// A paragraph, then a link to the subscribe form.
fn with_subscribe_link(lead: &str, again: &str) -> String {
    format!(
        "<p>{}</p>\n<p><a href=\"/subscribe\">{}</a></p>\n",
        escape(lead),
        escape(again)
    )
}

/// After POST `/confirm/TOKEN` for someone already active.
pub fn already_confirmed(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.already_confirmed_lead));
    layout(lang, newsletter, t.confirmed_title, &body)
}

/// 409 after POST `/confirm/TOKEN` when the status rules refuse it (a
/// bounced address, a link used before): nothing changed.
pub fn confirm_refused(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = with_subscribe_link(t.confirm_refused_lead, t.invalid_again);
    layout(lang, newsletter, t.refused_title, &body)
}

/// Which kind of link did not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokenLink {
    /// `/u/TOKEN` or `/u/TOKEN/resubscribe`.
    Unsubscribe,
    /// `/confirm/TOKEN`: also offers to sign up again.
    Confirm,
}

/// 404 for a link that does not work (forged, truncated, mangled, for
/// nobody, or an expired confirmation): says so, says nothing changed, and
/// offers to unsubscribe by address. The same page for every such link.
pub fn broken_link(lang: Lang, newsletter: &str, kind: BrokenLink) -> String {
    let t = lang.texts();
    let mut body = format!("<p>{}</p>\n", escape(t.broken_lead));
    if kind == BrokenLink::Confirm {
        body.push_str(&with_subscribe_link(t.broken_confirm, t.invalid_again));
    }
    body.push_str(&unsubscribe_by_address_form(lang, "", None));
    layout(lang, newsletter, t.broken_title, &body)
}

/// The form that mails a fresh unsubscribe link to an address (POST
/// `/unsubscribe`), with a honeypot like the subscribe form's. `email` is
/// what was typed (escaped here); `error`: it was not an address.
fn unsubscribe_by_address_form(lang: Lang, email: &str, error: Option<FormError>) -> String {
    let t = lang.texts();
    let (invalid, message) = if error.is_some() {
        (
            " aria-invalid=\"true\" aria-describedby=\"error-msg\"",
            format!(
                "<p class=\"error\" id=\"error-msg\" role=\"alert\">{}</p>\n",
                escape(t.email_error)
            ),
        )
    } else {
        ("", String::new())
    };
    format!(
        "<p>{lead}</p>\n<form method=\"post\" action=\"/unsubscribe\">\n\
         <div class=\"field\">\n<label for=\"email\">{email_label}</label>\n{message}\
         <input type=\"email\" id=\"email\" name=\"email\" required autocomplete=\"email\" \
         inputmode=\"email\" value=\"{email}\"{invalid}>\n</div>\n\
         <div class=\"hp\" aria-hidden=\"true\">\n<label for=\"website\">{hp_label}</label>\n\
         <input type=\"text\" id=\"website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\" value=\"\">\n</div>\n\
         <button type=\"submit\">{button}</button>\n</form>\n",
        lead = escape(t.ask_lead),
        email_label = escape(t.email_label),
        email = escape(email),
        hp_label = escape(t.honeypot_label),
        button = escape(t.ask_button),
    )
}

/// GET `/unsubscribe`, or the form again (400) after something that is
/// not an address.
pub fn unsubscribe_by_address(
    lang: Lang,
    newsletter: &str,
    email: &str,
    error: Option<FormError>,
) -> String {
    let t = lang.texts();
    let body = unsubscribe_by_address_form(lang, email, error);
    layout(lang, newsletter, t.ask_title, &body)
}

/// After POST `/unsubscribe`, whatever happened: never says whether the
/// address was known.
pub fn unsubscribe_link_sent(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!(
        "<p>{}</p>\n<p class=\"note\">{}</p>\n",
        escape(t.sent_lead),
        escape(t.sent_note)
    );
    layout(lang, newsletter, t.thanks_title, &body)
}

pub fn not_found(lang: Lang, newsletter: &str) -> String {
    let t = lang.texts();
    let body = format!("<p>{}</p>\n", escape(t.not_found_lead));
    layout(lang, newsletter, t.not_found_title, &body)
}

#[cfg(test)]
mod tests;
