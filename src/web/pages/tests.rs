//! Unit tests of [`super`], in a file of their own to keep the module short.

use super::*;

fn pages() -> Pages {
    Pages::load(&Source::built_in(), "N").expect("the built-in pages load")
}

#[test]
fn accept_language_picks_the_preferred_of_nl_and_en() {
    assert_eq!(Lang::from_accept_language("en"), Some(Lang::En));
    assert_eq!(Lang::from_accept_language("nl-BE,en;q=0.8"), Some(Lang::Nl));
    assert_eq!(
        Lang::from_accept_language("de,en-GB;q=0.7,nl;q=0.5"),
        Some(Lang::En)
    );
    assert_eq!(
        Lang::from_accept_language("nl;q=0.2,en;q=0.9"),
        Some(Lang::En)
    );
    assert_eq!(
        Lang::from_accept_language("en;q=0,nl;q=0.1"),
        Some(Lang::Nl)
    );
    assert_eq!(Lang::from_accept_language("fr, de"), None);
    assert_eq!(Lang::from_accept_language(""), None);
}

#[test]
fn inserted_text_is_escaped() {
    let p = Pages::load(&Source::built_in(), "<script>alert('x')</script> & \"co\"").expect("load");
    let page = p.unsubscribe(Lang::En);
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"));
    let done = pages().unsubscribed(Lang::Nl, "/u/\"><x/resubscribe");
    assert!(
        done.contains("action=\"/u/&quot;&gt;&lt;x/resubscribe\""),
        "{done}"
    );
}

#[test]
fn the_archive_escapes_what_it_lists_and_writes_dates_out() {
    let entry = ArchiveEntry {
        href: "/archive/a\"b",
        subject: "<b>Nieuws</b> & meer",
        date: "2026-10-01",
        preheader: "Wat 'wij' <deden>",
    };
    let page = pages().archive(Lang::Nl, &[entry], "/archive.xml");
    assert!(page.contains("href=\"/archive/a&quot;b\""), "{page}");
    assert!(
        page.contains("&lt;b&gt;Nieuws&lt;/b&gt; &amp; meer"),
        "{page}"
    );
    assert!(page.contains("Wat &#39;wij&#39; &lt;deden&gt;"), "{page}");
    assert!(
        page.contains("<time datetime=\"2026-10-01\">1 oktober 2026</time>"),
        "{page}"
    );
    assert!(page.contains("Archief"));
    assert!(page.contains("href=\"/subscribe\""), "{page}");
    let empty = pages().archive(Lang::En, &[], "/archive.xml");
    assert!(empty.contains("No issue has been sent yet."));
    assert!(empty.contains("href=\"/subscribe\""), "{empty}");
}

#[test]
fn both_languages_have_every_page() {
    let p = pages();
    for lang in [Lang::Nl, Lang::En] {
        for page in [
            p.unsubscribe(lang),
            p.unsubscribed(lang, "/x"),
            p.resubscribed(lang),
            p.error(lang),
            p.not_found(lang),
            p.archive(lang, &[], "/archive.xml"),
            p.subscribe_form(lang, "", "", None),
            p.subscribe_form(lang, "x", "", Some(FormError::Email)),
            p.subscribe_thanks(lang),
            p.too_many(lang),
            p.too_many_requests(lang),
            p.too_many_link_requests(lang),
            p.cross_site(lang),
            p.confirm(lang),
            p.confirmed(lang),
            p.already_confirmed(lang),
            p.confirm_refused(lang),
            p.broken_link(lang, BrokenLink::Unsubscribe),
            p.broken_link(lang, BrokenLink::Confirm),
            p.unsubscribe_by_address(lang, "", None),
            p.unsubscribe_by_address(lang, "x", Some(FormError::Email)),
            p.unsubscribe_link_sent(lang),
            p.already_unsubscribed(lang, "/x"),
            p.not_receiving(lang),
            p.resubscribed_pending(lang),
            p.still_subscribed(lang),
            p.resubscribe_refused(lang),
        ] {
            assert!(page.contains(&format!("<html lang=\"{}\">", lang.code())));
            assert!(page.contains("name=\"viewport\""));
            assert!(page.contains("background:#efeae2"), "{page}");
            assert!(!page.contains("<script"));
        }
    }
    assert!(p.unsubscribe(Lang::Nl).contains("Afmelden"));
    assert!(p.unsubscribed(Lang::En, "/x").contains("I changed my mind"));
}

#[test]
fn a_broken_link_offers_the_form_and_claims_nothing() {
    let p = pages();
    for lang in [Lang::Nl, Lang::En] {
        for kind in [BrokenLink::Unsubscribe, BrokenLink::Confirm] {
            let page = p.broken_link(lang, kind);
            assert!(page.contains("<form method=\"post\" action=\"/unsubscribe\">"));
            assert!(page.contains("name=\"website\" tabindex=\"-1\""));
            assert_eq!(
                page.contains("href=\"/subscribe\""),
                kind == BrokenLink::Confirm
            );
        }
    }
    let nl = p.broken_link(Lang::Nl, BrokenLink::Unsubscribe);
    assert!(nl.contains("Deze link werkt niet") && nl.contains("Er is niets veranderd"));
    assert!(!nl.contains("afgemeld<"), "{nl}");
    let again = p.unsubscribe_by_address(Lang::En, "a\"b", Some(FormError::Email));
    assert!(again.contains("value=\"a&quot;b\""));
    assert!(again.contains("aria-invalid=\"true\""));
}

#[test]
fn the_form_labels_its_fields_and_hides_the_honeypot() {
    let p = pages();
    let page = p.subscribe_form(Lang::En, "a\"b", "<i>", Some(FormError::Email));
    assert!(
        page.contains("<label for=\"email\">Email address</label>"),
        "{page}"
    );
    assert!(page.contains("<label for=\"name\">"));
    assert!(page.contains("value=\"a&quot;b\""));
    assert!(page.contains("value=\"&lt;i&gt;\""));
    assert!(page.contains("name=\"website\" tabindex=\"-1\" autocomplete=\"off\""));
    assert!(page.contains("Email address: please enter a valid email address"));
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(
        !p.subscribe_form(Lang::Nl, "", "", None)
            .contains("aria-invalid=\"true\"")
    );
}

#[test]
fn a_folder_overrides_a_file_and_a_missing_text_stops_the_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages_dir = dir.path().join("pages");
    std::fs::create_dir(&pages_dir).expect("pages/");
    let shipped = include_str!("../../../emails/pages/texts.toml");
    let changed = shipped.replace("Archief\"", "Eerdere nummers\"");
    std::fs::write(pages_dir.join("texts.toml"), &changed).expect("write");
    let p = Pages::load(&Source::folder(dir.path()), "N").expect("load");
    assert!(
        p.archive(Lang::Nl, &[], "/f")
            .contains("<h1>Eerdere nummers</h1>")
    );
    // The English archive_title gone: named with its key and language.
    let broken = shipped.replace("archive_title = \"Archive\"\n", "");
    std::fs::write(pages_dir.join("texts.toml"), broken).expect("write");
    let err = Pages::load(&Source::folder(dir.path()), "N").unwrap_err();
    assert!(
        err.contains("`archive_title`") && err.contains("[en]"),
        "{err}"
    );
    // A template using a text that does not exist: named with the file.
    std::fs::write(pages_dir.join("texts.toml"), shipped).expect("write");
    std::fs::write(
        pages_dir.join("confirm.html"),
        "{% extends \"base.html\" %}{% block body %}{{ t.nope }}{% endblock %}",
    )
    .expect("write");
    let err = Pages::load(&Source::folder(dir.path()), "N").unwrap_err();
    assert!(err.contains("confirm.html"), "{err}");
}
