//! Unit tests of [`super`], in a file of their own to keep the module short.

use super::*;

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
    let page = unsubscribe(Lang::En, "<script>alert('x')</script> & \"co\"");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"));
    let done = unsubscribed(Lang::Nl, "N", "/u/\"><x/resubscribe");
    assert!(
        done.contains("action=\"/u/&quot;&gt;&lt;x/resubscribe\""),
        "{done}"
    );
}

#[test]
fn the_archive_escapes_what_it_lists() {
    let entry = ArchiveEntry {
        href: "/archive/a\"b",
        subject: "<b>Nieuws</b> & meer",
        date: "2026-10-01",
        preheader: "Wat 'wij' <deden>",
    };
    let page = archive(Lang::Nl, "N", &[entry], "/archive.xml");
    assert!(page.contains("href=\"/archive/a&quot;b\""), "{page}");
    assert!(
        page.contains("&lt;b&gt;Nieuws&lt;/b&gt; &amp; meer"),
        "{page}"
    );
    assert!(page.contains("Wat &#39;wij&#39; &lt;deden&gt;"), "{page}");
    assert!(page.contains("Archief"));
    assert!(archive(Lang::En, "N", &[], "/archive.xml").contains("No issue has been sent yet."));
}

#[test]
fn both_languages_have_every_page() {
    for lang in [Lang::Nl, Lang::En] {
        for page in [
            unsubscribe(lang, "N"),
            unsubscribed(lang, "N", "/x"),
            resubscribed(lang, "N"),
            error(lang, "N"),
            not_found(lang, "N"),
            archive(lang, "N", &[], "/archive.xml"),
            subscribe_form(lang, "N", "", "", None),
            subscribe_form(lang, "N", "x", "", Some(FormError::Email)),
            subscribe_thanks(lang, "N"),
            too_many(lang, "N"),
            too_many_requests(lang, "N"),
            too_many_link_requests(lang, "N"),
            cross_site(lang, "N"),
            confirm(lang, "N"),
            confirmed(lang, "N"),
            already_confirmed(lang, "N"),
            confirm_refused(lang, "N"),
            broken_link(lang, "N", BrokenLink::Unsubscribe),
            broken_link(lang, "N", BrokenLink::Confirm),
            unsubscribe_by_address(lang, "N", "", None),
            unsubscribe_by_address(lang, "N", "x", Some(FormError::Email)),
            unsubscribe_link_sent(lang, "N"),
            already_unsubscribed(lang, "N", "/x"),
            not_receiving(lang, "N"),
            resubscribed_pending(lang, "N"),
            still_subscribed(lang, "N"),
            resubscribe_refused(lang, "N"),
        ] {
            assert!(page.contains(&format!("<html lang=\"{}\">", lang.code())));
            assert!(page.contains("name=\"viewport\""));
            assert!(!page.contains("<script"));
        }
    }
    assert!(unsubscribe(Lang::Nl, "N").contains("Afmelden"));
    assert!(unsubscribed(Lang::En, "N", "/x").contains("I changed my mind"));
}

#[test]
fn a_broken_link_offers_the_form_and_claims_nothing() {
    for lang in [Lang::Nl, Lang::En] {
        for kind in [BrokenLink::Unsubscribe, BrokenLink::Confirm] {
            let page = broken_link(lang, "N", kind);
            assert!(page.contains("<form method=\"post\" action=\"/unsubscribe\">"));
            assert!(page.contains("name=\"website\" tabindex=\"-1\""));
            assert_eq!(
                page.contains("href=\"/subscribe\""),
                kind == BrokenLink::Confirm
            );
        }
    }
    let nl = broken_link(Lang::Nl, "N", BrokenLink::Unsubscribe);
    assert!(nl.contains("Deze link werkt niet") && nl.contains("Er is niets veranderd"));
    assert!(!nl.contains("afgemeld<"), "{nl}");
    let again = unsubscribe_by_address(Lang::En, "N", "a\"b", Some(FormError::Email));
    assert!(again.contains("value=\"a&quot;b\""));
    assert!(again.contains("aria-invalid=\"true\""));
}

#[test]
fn the_form_labels_its_fields_and_hides_the_honeypot() {
    let page = subscribe_form(Lang::En, "N", "a\"b", "<i>", Some(FormError::Email));
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
    assert!(!subscribe_form(Lang::Nl, "N", "", "", None).contains("aria-invalid=\"true\""));
}
