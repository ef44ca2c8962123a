//! postbode's patches to mrml 6.0.1 (PATCHES.md), each checked against
//! what mjml 4.18 writes for the same template. Run from the repository
//! root with
//! `cargo test --manifest-path vendor/mrml/Cargo.toml --features css-inline --test patches`.

use mrml::prelude::render::RenderOptions;

fn render(mjml: &str) -> String {
    let parsed = mrml::parse(mjml).expect("parses");
    parsed
        .element
        .render(&RenderOptions::default())
        .expect("renders")
}

fn body(inside_column: &str) -> String {
    format!(
        "<mjml><mj-body><mj-section><mj-column>{inside_column}</mj-column></mj-section></mj-body></mjml>"
    )
}

#[test]
fn attribute_values_are_written_as_html_not_as_rust_debug_strings() {
    let html = render(&body(
        "<mj-image src=\"https://e.example/a.png\" alt=\"Om 10\u{a0}uur e\u{301}\" title='say \"hi\"' />\
         <mj-text><p style=\"text-align:center;\n  color:red\">x</p></mj-text>",
    ));
    assert!(html.contains("alt=\"Om 10\u{a0}uur e\u{301}\""), "{html}");
    assert!(html.contains("title=\"say &quot;hi&quot;\""), "{html}");
    assert!(
        html.contains("<p style=\"text-align:center;\n  color:red\">"),
        "{html}"
    );
    assert!(!html.contains("\\n") && !html.contains("\\u{"), "{html}");
}

#[test]
fn a_quote_inside_a_style_value_does_not_end_the_attribute() {
    let html = render(&body(
        "<mj-text font-family='\"Helvetica Neue\", Arial'>x</mj-text>",
    ));
    assert!(
        html.contains("font-family:&quot;Helvetica Neue&quot;, Arial;"),
        "{html}"
    );
}

/// The `width` attribute of each `<img>`, in order.
fn image_widths(html: &str) -> Vec<&str> {
    html.split("<img ")
        .skip(1)
        .filter_map(|img| img.split(" width=\"").nth(1)?.split('"').next())
        .collect()
}

#[test]
fn an_image_without_alt_gets_an_empty_alt_as_in_mjml() {
    let html = render(&body("<mj-image src=\"https://e.example/a.png\" />"));
    assert!(
        html.contains("<img alt=\"\" height=\"auto\" src=\"https://e.example/a.png\""),
        "{html}"
    );
}

#[test]
fn a_carousel_image_without_alt_gets_an_empty_alt_as_in_mjml() {
    let html = render(
        "<mjml><mj-body><mj-carousel><mj-carousel-image src=\"https://e.example/1.png\" />\
         </mj-carousel></mj-body></mjml>",
    );
    assert!(
        html.contains("<img border=\"0\" alt=\"\" src=\"https://e.example/1.png\""),
        "{html}"
    );
    assert!(
        html.contains("<img src=\"https://e.example/1.png\" alt=\"\" width="),
        "{html}"
    );
}

#[test]
fn the_carousel_media_query_is_written_as_mjml_writes_it() {
    let html = render(
        "<mjml><mj-body><mj-carousel><mj-carousel-image src=\"https://e.example/1.png\" />\
         </mj-carousel></mj-body></mjml>",
    );
    assert!(html.contains("@media screen yahoo {"), "{html}");
    assert!(!html.contains("screen, yahoo"), "{html}");
}

#[test]
fn a_unitless_zero_in_a_padding_counts_when_sizing_images() {
    // Widths mjml 4.18 writes for the same templates.
    let plain = render(&body("<mj-image src=\"https://e.example/a.png\" />"));
    assert_eq!(image_widths(&plain), ["550"]);
    let cases = [
        (
            "<mj-section><mj-column padding=\"0 25px\"><mj-image src=\"https://e.example/a.png\" /></mj-column></mj-section>",
            "500",
        ),
        (
            "<mj-section padding=\"0 30px\"><mj-column><mj-image src=\"https://e.example/a.png\" /></mj-column></mj-section>",
            "490",
        ),
        (
            "<mj-section><mj-column><mj-image padding-left=\"33px\" padding-right=\"0\" src=\"https://e.example/a.png\" /></mj-column></mj-section>",
            "567",
        ),
        (
            "<mj-section><mj-group><mj-column padding=\"0 8px\"><mj-image padding=\"0\" src=\"https://e.example/a.png\" /></mj-column>\
             <mj-column /><mj-column /></mj-group></mj-section>",
            "184",
        ),
    ];
    for (section, width) in cases {
        let html = render(&format!("<mjml><mj-body>{section}</mj-body></mjml>"));
        assert_eq!(image_widths(&html), [width], "{section}");
    }
}

#[test]
fn of_duplicate_attributes_the_first_wins_as_in_mjml() {
    let html = render(&body(
        "<mj-text color=\"#111111\" color=\"#222222\">x</mj-text>",
    ));
    assert!(html.contains("color:#111111;"), "{html}");
    assert!(!html.contains("#222222"), "{html}");
}

#[cfg(feature = "css-inline")]
#[test]
fn an_inline_mj_style_is_inlined_and_a_plain_one_stays_a_style_block() {
    let html = render(
        "<mjml><mj-head><mj-style inline=\"inline\">.blue { color: blue; }</mj-style>\
         <mj-style>.red { color: red; }</mj-style></mj-head>\
         <mj-body><mj-section><mj-column><mj-text><p class=\"blue\">b</p><p class=\"red\">r</p>\
         </mj-text></mj-column></mj-section></mj-body></mjml>",
    );
    assert!(
        html.contains("<p class=\"blue\" style=\"color: blue;\">"),
        "{html}"
    );
    assert!(html.contains("<p class=\"red\">"), "{html}");
    assert!(html.contains(".red { color: red; }"), "{html}");
    assert!(!html.contains(".blue { color: blue; }"), "{html}");
}

/// The `style` of each `<img>`, in order.
fn image_styles(html: &str) -> Vec<&str> {
    html.split("<img ")
        .skip(1)
        .filter_map(|img| img.split(" style=\"").nth(1)?.split('"').next())
        .collect()
}

#[test]
fn mj_attributes_of_an_accordion_element_beat_what_the_accordion_passes_down() {
    let html = render(
        "<mjml><mj-head><mj-attributes>\
         <mj-accordion-element icon-wrapped-url=\"https://e.example/more.png\" icon-height=\"24px\" icon-width=\"24px\" />\
         </mj-attributes></mj-head><mj-body><mj-section><mj-column><mj-accordion>\
         <mj-accordion-element><mj-accordion-title>T</mj-accordion-title>\
         <mj-accordion-text>x</mj-accordion-text></mj-accordion-element>\
         </mj-accordion></mj-column></mj-section></mj-body></mjml>",
    );
    // mjml 4.18: the element's 24 px icons from its mj-attributes; the
    // unwrapped icon keeps mj-accordion's default URL.
    assert!(
        html.contains("<img src=\"https://e.example/more.png\" alt=\"+\""),
        "{html}"
    );
    assert!(
        html.contains("<img src=\"https://i.imgur.com/w4uTygT.png\" alt=\"-\""),
        "{html}"
    );
    assert_eq!(
        image_styles(&html),
        ["display:none;width:24px;height:24px;"; 2]
    );
}

#[test]
fn icon_attributes_set_on_the_accordion_reach_its_titles() {
    let html = render(
        "<mjml><mj-body><mj-section><mj-column>\
         <mj-accordion icon-width=\"20px\" icon-height=\"18px\" icon-align=\"top\">\
         <mj-accordion-element><mj-accordion-title>T</mj-accordion-title>\
         <mj-accordion-text>x</mj-accordion-text></mj-accordion-element>\
         </mj-accordion></mj-column></mj-section></mj-body></mjml>",
    );
    assert_eq!(
        image_styles(&html),
        ["display:none;width:20px;height:18px;"; 2]
    );
    assert!(!html.contains("vertical-align:middle"), "{html}");
}

#[test]
fn images_in_fractional_columns_get_the_whole_pixels_mjml_gives_them() {
    // mjml 4.18: 33.33333333333333% of 600 px is 199.99999999999997 px in
    // doubles, read by the image with parseInt (mrml's f32 made it 200);
    // a seventh of 600 px is 85.71… px, written as 35, not 35.714287.
    let third = render(
        "<mjml><mj-body><mj-section><mj-column width=\"33.33333333333333%\">\
         <mj-image src=\"https://e.example/a.png\" /></mj-column></mj-section></mj-body></mjml>",
    );
    assert_eq!(image_widths(&third), ["149"]);
    let seventh = render(&format!(
        "<mjml><mj-body><mj-section><mj-column><mj-image src=\"https://e.example/a.png\" />\
         </mj-column>{}</mj-section></mj-body></mjml>",
        "<mj-column />".repeat(6)
    ));
    assert_eq!(image_widths(&seventh), ["35"]);
    let half = render(
        "<mjml><mj-body><mj-section><mj-column width=\"50%\">\
         <mj-image src=\"https://e.example/a.png\" /></mj-column></mj-section></mj-body></mjml>",
    );
    assert_eq!(image_widths(&half), ["250"]);
}

#[test]
fn a_hero_takes_its_padding_off_its_childrens_width() {
    // mjml 4.18: 600 - 2 × 40 - 2 × 25 = 470; inner-padding does not count.
    let html = render(
        "<mjml><mj-body><mj-hero padding=\"0 40px\">\
         <mj-image src=\"https://e.example/a.png\" />\
         <mj-image padding=\"0\" src=\"https://e.example/b.png\" /></mj-hero>\
         <mj-hero padding-left=\"10px\" inner-padding=\"0 30px\">\
         <mj-image src=\"https://e.example/c.png\" /></mj-hero></mj-body></mjml>",
    );
    assert_eq!(image_widths(&html), ["470", "520", "540"]);
}

#[test]
fn a_columns_inner_border_narrows_its_children_as_its_padding_does() {
    // mjml 4.18: 600 - 2 × 8 - 2 × 4 - 2 × 25 = 526; with one inner border
    // and a 2 px border: 600 - 8 - 4 - 2 × 2 - 2 × 25 = 534.
    let html = render(
        "<mjml><mj-body><mj-section>\
         <mj-column inner-border=\"4px solid #000000\" padding=\"8px\">\
         <mj-image src=\"https://e.example/a.png\" /></mj-column></mj-section><mj-section>\
         <mj-column inner-border-left=\"4px solid #000000\" border=\"2px solid red\" padding-left=\"8px\">\
         <mj-image src=\"https://e.example/b.png\" /></mj-column></mj-section></mj-body></mjml>",
    );
    assert_eq!(image_widths(&html), ["526", "534"]);
}
