//! Tests of [`super::text_from_html`]: one HTML feature each.

use super::*;

#[test]
fn every_link_keeps_its_url_as_a_numbered_reference() {
    let text = text_from_html(
        r#"<p>Lees <a href="https://x.org/r">het rapport</a> en <a href="https://x.org/d">dit</a>,
        of <a href="https://x.org/r">het rapport</a> weer.</p>"#,
    );
    assert!(
        text.contains("Lees het rapport [1] en dit [2], of het rapport [1] weer."),
        "{text}"
    );
    assert!(
        text.ends_with("--------------------\n[1] https://x.org/r\n[2] https://x.org/d\n\n"),
        "{text}"
    );
}

#[test]
fn a_link_whose_text_is_its_url_is_written_once_and_mailto_as_the_address() {
    let text = text_from_html(
        r#"<p>Zie <a href="https://x.org/a/">x.org/a</a> of mail
        <a href="mailto:r@x.org">r@x.org</a> of <a href="mailto:r@x.org?subject=Hoi">de redactie</a>.</p>"#,
    );
    assert!(
        text.starts_with("Zie https://x.org/a/ of mail r@x.org of de redactie (r@x.org).\n"),
        "{text}"
    );
    assert!(!text.contains("[1]"), "{text}");
}

#[test]
fn entities_are_decoded_and_emphasis_is_plain_text() {
    let text = text_from_html(
        "<p>&copy; 2026 &amp; <em>niet</em> <strong>wel</strong> &lt;ok&gt; caf&eacute;</p>",
    );
    assert_eq!(text, "© 2026 & niet wel <ok> café\n\n");
}

#[test]
fn headings_are_underlined_and_paragraphs_separated_by_blank_lines() {
    let text = text_from_html(
        "<h1>Titel</h1><p>Een.</p><p>Twee<br>regels.</p><h3>Klein</h3>\
         <div style=\"font-size: 26px; font-weight: 700\">Kop uit MJML</div>\
         <div style=\"font-size:13px;font-weight:700;text-transform:uppercase\">Donderdag</div>",
    );
    assert_eq!(
        text,
        "Titel\n=====\n\nEen.\n\nTwee\nregels.\n\nKlein\n-----\n\n\
         Kop uit MJML\n============\n\nDONDERDAG\n\n"
    );
}

#[test]
fn lists_get_bullets_and_numbers_and_quotes_are_indented() {
    let text = text_from_html(
        "<p>Zo:</p><ul><li>een</li><li>twee <b>vet</b></li></ul>\
         <ol start=\"3\"><li>drie</li><li>vier<ul><li>binnen</li></ul></li></ol>\
         <blockquote><p>Citaat.</p></blockquote>",
    );
    assert_eq!(
        text,
        "Zo:\n\n* een\n* twee vet\n\n3. drie\n4. vier\n   * binnen\n\n    Citaat.\n\n"
    );
}

#[test]
fn a_button_is_its_label_and_url_on_a_line_of_its_own() {
    let text = text_from_html(
        r#"<p>Voor.</p><table><tr><td><a href="https://x.org/aanmelden" style="display: inline-block; padding: 10px 25px">Aanmelden</a></td></tr></table><p>Na.</p>"#,
    );
    assert_eq!(
        text,
        "Voor.\n\nAanmelden: https://x.org/aanmelden\n\nNa.\n\n"
    );
}

#[test]
fn images_show_their_alt_text_but_spacers_and_pixels_do_not() {
    let text = text_from_html(
        r#"<img src="a.png" alt="Een foto van de balie"><img src="s.gif" alt="">
        <img src="p.gif" alt="pixel" width="1" height="1">
        <a href="https://x.org/"><img src="logo.png" alt="Publiek Leren"></a>
        <a href="https://x.org/foto"><img src="f.png" alt=""></a>"#,
    );
    assert_eq!(
        text,
        "[Een foto van de balie]\n\nPubliek Leren [1] https://x.org/foto\n\n\
         --------------------\n[1] https://x.org/\n\n"
    );
}

#[test]
fn the_hidden_preheader_head_and_outlook_only_parts_are_left_out() {
    let text = text_from_html(
        r#"<!doctype html><html><head><title>Onderwerp</title><style>p { color: red }</style></head>
        <body><div style="display:none;max-height:0px;">Verborgen preheader</div>
        <!--[if mso | IE]><table><tr><td>Alleen Outlook</td></tr></table><![endif]-->
        <!--[if !mso]><!--><p>Voor iedereen</p><!--<![endif]-->
        <div style="mso-hide: all">Niet in Outlook</div><p>Tekst</p></body></html>"#,
    );
    assert_eq!(text, "Voor iedereen\n\nTekst\n\n");
}

#[test]
fn lines_are_wrapped_at_72_columns_between_words_and_never_inside_a_url() {
    let url =
        "https://publiekleren.example.org/handreikingen/brieven-samen-herschrijven-een-lange-naam";
    let words = "woord-met-streepjes ".repeat(12);
    let text = text_from_html(&format!(
        r#"<p>{words}<a href="{url}">{url}</a> {words}</p>"#
    ));
    assert!(
        text.lines().any(|l| l == url),
        "the URL stands whole on its own line:\n{text}"
    );
    for line in text.lines().filter(|l| *l != url) {
        assert!(line.chars().count() <= WIDTH, "{line:?}");
        assert!(
            !line.ends_with("woord-") && !line.ends_with("met-"),
            "{line:?}"
        );
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let html = format!(
        "{}diep{}",
        "<div><span>".repeat(5000),
        "</span></div>".repeat(5000)
    );
    let text = text_from_html(&html);
    assert!(!text.contains("diep"), "nesting past the limit is left out");
}

#[test]
fn a_reference_number_stays_on_the_line_of_its_link_text() {
    let words = "een ".repeat(16);
    let text = text_from_html(&format!(
        r#"<p>{words}lange <a href="https://x.org/e">De eeuwige proeftuin</a> verder.</p>"#
    ));
    assert!(text.contains("proeftuin [1]"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("[1] verder")), "{text}");
}
