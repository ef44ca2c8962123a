//! Images in the issue folder, through the real binary: a local cover and
//! a Markdown image are queued (resized, re-encoded without metadata,
//! stored under a content hash), sent into the outbox with absolute URLs
//! under `base_url` and their size, and served by `serve` at
//! `/media/NAME` with year-long cache headers. A missing or oversized
//! image is refused by name and queues nothing; any other `/media/` path
//! is 404. Runs on SQLite, and on PostgreSQL in CI's second pass.

mod support;

use std::io::Cursor;

use support::TestApp;
use support::http::{Server, get};
use support::received::Mail;
use support::sending::{copy_emails, subscribers};

const BASE_URL: &str = "https://nieuws.example.org";
const SLUG: &str = "met-fotos";
/// What the test's GPS block says; it must not reach the stored file.
const SECRET: &[u8] = b"GPS 52.0907N 5.1214E";

fn app() -> TestApp {
    let app = TestApp::with_config(&format!(
        "\n[newsletter]\nname = \"Publiek Leren\"\nfrom = \"Redactie <redactie@example.org>\"\n\
         base_url = \"{BASE_URL}\"\n\n[server]\nbind = \"127.0.0.1:0\"\n"
    ));
    copy_emails(&app);
    app
}

/// A JPEG of `w`×`h` (a gradient) with an EXIF block (APP1) written by
/// hand right after the start marker: an orientation entry and [`SECRET`].
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&pixels)
        .expect("encode jpeg");
    // TIFF header (big-endian), one IFD entry: Orientation = 1 (upright).
    let mut exif =
        b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x01\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(SECRET);
    let len = u16::try_from(exif.len() + 2).expect("short segment");
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    assert!(
        image::load_from_memory(&out).is_ok(),
        "the test JPEG decodes"
    );
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let pixels = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x % 256) as u8, 90, (y % 256) as u8, 255])
    });
    let mut out = Vec::new();
    pixels
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    out
}

/// The issue folder `met-fotos` with `omslag.jpg` as cover and `body`.
fn issue(app: &TestApp, body: &str, files: &[(&str, Vec<u8>)]) -> String {
    let dir = format!("emails/issues/{SLUG}");
    std::fs::create_dir_all(app.path(&dir)).expect("mkdir");
    app.write(
        &format!("{dir}/issue.toml"),
        "subject = \"Met foto's\"\npreheader = \"Kort\"\ndate = \"2026-12-03\"\n\n\
         [cover]\nsrc = \"omslag.jpg\"\nalt = \"Een verloop van kleuren\"\ncredit = \"Foto: test\"\n",
    );
    app.write(&format!("{dir}/body.md"), body);
    for (name, bytes) in files {
        app.write(&format!("{dir}/{name}"), bytes);
    }
    dir
}

const BODY: &str =
    "Een eerste alinea.\n\n![Een grafiek van de klachten](grafiek.png)\n\nEen laatste alinea.\n";

fn photos() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("omslag.jpg", jpeg_with_exif(1600, 1000)),
        ("grafiek.png", png(300, 200)),
    ]
}

/// Every `<img>` tag of `html` whose src starts with `prefix`.
fn img_tags<'a>(html: &'a str, prefix: &str) -> Vec<&'a str> {
    html.match_indices("<img")
        .map(|(at, _)| &html[at..at + html[at..].find('>').expect("tag end") + 1])
        .filter(|tag| tag.contains(&format!("src=\"{prefix}")))
        .collect()
}

fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + name.len()
        + 3;
    &tag[start..start + tag[start..].find('"').expect("closing quote")]
}

/// Queues and sends the issue to one reader; the HTML part of the mail.
fn queued_and_sent(app: &TestApp) -> String {
    issue(app, BODY, &photos());
    subscribers(app, 1);
    let dir = format!("emails/issues/{SLUG}");
    app.run(&["issue", "queue", &dir]).ok();
    app.run(&["send"]).ok();
    the_one_mails_html(app)
}

/// The HTML part of the one mail in the outbox.
fn the_one_mails_html(app: &TestApp) -> String {
    let mails: Vec<_> = std::fs::read_dir(app.path("outbox"))
        .expect("outbox")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = Mail::parse(&std::fs::read(&mails[0]).expect("read mail"));
    mail.part("text/html").to_owned()
}

#[test]
fn a_queued_issue_mails_its_local_images_as_absolute_urls_with_their_width_and_height() {
    let app = app();
    let html = queued_and_sent(&app);
    let media = format!("{BASE_URL}/media/");
    let tags = img_tags(&html, &media);
    assert_eq!(tags.len(), 2, "the cover and the inline image: {html}");
    let cover = tags
        .iter()
        .find(|t| attribute(t, "src").ends_with(".jpg"))
        .expect("cover");
    let chart = tags
        .iter()
        .find(|t| attribute(t, "src").ends_with(".png"))
        .expect("chart");
    // 1600×1000 stored at 1200×750, shown across the 600 px column.
    assert_eq!(
        (attribute(cover, "width"), attribute(cover, "height")),
        ("600", "375"),
        "{cover}"
    );
    // 300×200 is never enlarged: shown at its own size.
    assert_eq!(
        (attribute(chart, "width"), attribute(chart, "height")),
        ("300", "200"),
        "{chart}"
    );
    assert!(
        !html.contains("omslag.jpg") && !html.contains("grafiek.png"),
        "{html}"
    );
}

#[test]
fn serve_answers_the_stored_images_with_their_type_and_a_year_of_caching_and_without_exif() {
    let app = app();
    let html = queued_and_sent(&app);
    let server = Server::start(&app, &["serve"]);
    let prefix = format!("{BASE_URL}/media/");
    for tag in img_tags(&html, &prefix) {
        let path = attribute(tag, "src").trim_start_matches(BASE_URL);
        let response = get(server.port, path, &[]);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
        let bytes = &response.raw_body;
        let decoded = image::load_from_memory(bytes).expect("an image");
        if path.ends_with(".jpg") {
            assert_eq!(response.header("content-type"), Some("image/jpeg"));
            assert_eq!((decoded.width(), decoded.height()), (1200, 750));
            // No APP1 (EXIF/XMP) segment, and nothing of the GPS block.
            assert!(
                !bytes.windows(2).any(|w| w == [0xFF, 0xE1]),
                "an APP1 segment in {path}"
            );
            assert!(!bytes.windows(4).any(|w| w == b"Exif"), "EXIF in {path}");
        } else {
            assert_eq!(response.header("content-type"), Some("image/png"));
            assert_eq!((decoded.width(), decoded.height()), (300, 200));
        }
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET),
            "GPS text in {path}"
        );
    }
    let web = get(server.port, "/archive/met-fotos", &[]);
    assert_eq!(web.status, 200);
    assert_eq!(img_tags(&web.body, &prefix).len(), 2, "{}", web.body);
    server.stop();
}

#[test]
fn media_paths_that_are_not_a_stored_image_name_are_not_found() {
    let app = app();
    let html = queued_and_sent(&app);
    let server = Server::start(&app, &["serve"]);
    let stored = attribute(img_tags(&html, BASE_URL)[0], "src")
        .trim_start_matches(BASE_URL)
        .to_owned();
    assert_eq!(get(server.port, &stored, &[]).status, 200);
    let unknown = format!("/media/{}.jpg", "0".repeat(32));
    for path in [
        "/media/..%2fpostbode.toml",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/%2e%2e/postbode.toml",
        "/media/postbode.db",
        "/media/",
        &unknown,
        &stored.replace(".jpg", ".gif").replace(".png", ".gif"),
        &format!("{stored}/"),
    ] {
        assert_eq!(get(server.port, path, &[]).status, 404, "{path}");
    }
    server.stop();
}

#[test]
fn a_missing_image_is_refused_naming_the_file_and_its_line_and_nothing_is_queued() {
    let app = app();
    let body = "Een alinea.\n\n![Weg](ontbreekt.jpg)\n";
    let dir = issue(&app, body, &photos());
    subscribers(&app, 1);
    let run = app.run(&["issue", "queue", &dir]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("ontbreekt.jpg")
            && run.stderr.contains("line 3 of")
            && run.stderr.contains("body.md"),
        "{}",
        run.stderr
    );
    let status = app.run(&["issue", "status"]).ok();
    assert!(!status.stdout.contains(SLUG), "{}", status.stdout);
    // The cover was fine, but it was not stored either.
    let server = Server::start(&app, &["serve"]);
    let preview = app.run(&["issue", "preview", &dir]);
    assert!(
        preview.stderr.contains("ontbreekt.jpg"),
        "{}",
        preview.stderr
    );
    std::fs::remove_file(app.path(&format!("{dir}/omslag.jpg"))).expect("remove cover");
    let run = app.run(&["issue", "queue", &dir]);
    assert!(
        run.stderr.contains("cover.src") && run.stderr.contains("omslag.jpg"),
        "{}",
        run.stderr
    );
    assert_eq!(get(server.port, "/archive/met-fotos", &[]).status, 404);
    server.stop();
}

/// A PNG whose header says 20000×20000 (1.6 GB of pixels), with one tiny
/// data chunk: refused from the header, before anything is allocated.
fn huge_png() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("short").to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&20_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn a_huge_image_is_refused_by_its_size_in_preview_and_queue() {
    let app = app();
    let mut files = photos();
    files.push(("reus.png", huge_png()));
    let dir = issue(&app, "![Te groot](reus.png)\n", &files);
    subscribers(&app, 1);
    for args in [["issue", "preview", &dir], ["issue", "queue", &dir]] {
        let run = app.run(&args);
        assert_ne!(run.code, 0, "{args:?}");
        assert!(
            run.stderr.contains("reus.png") && run.stderr.contains("20000×20000 pixels"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn preview_shows_local_images_from_their_files_with_their_size() {
    let app = app();
    let dir = issue(&app, BODY, &photos());
    let html = app.run(&["issue", "preview", &dir]).ok().stdout;
    let tags = img_tags(&html, "file:///");
    assert_eq!(tags.len(), 2, "{html}");
    let chart = tags
        .iter()
        .find(|t| attribute(t, "src").ends_with("/grafiek.png"))
        .expect("chart");
    assert_eq!(
        (attribute(chart, "width"), attribute(chart, "height")),
        ("300", "200")
    );
}

/// A file name with spaces, as a phone or Windows names a photo: written
/// in Markdown either way CommonMark allows (`<…>` around it, or `%20`
/// for each space), it is found and mailed like any other image.
#[test]
fn an_image_whose_file_name_has_spaces_is_found_written_with_percent_escapes_or_in_brackets() {
    let app = app();
    let body = "Een alinea.\n\n![Een grafiek](mijn%20grafiek%20(2).png)\n\n\
                ![Nog een](<mijn grafiek (2).png>)\n";
    let mut files = photos();
    files.push(("mijn grafiek (2).png", png(120, 80)));
    let dir = issue(&app, body, &files);
    subscribers(&app, 1);
    app.run(&["issue", "queue", &dir]).ok();
    app.run(&["send"]).ok();
    let html = the_one_mails_html(&app);
    let tags = img_tags(&html, &format!("{BASE_URL}/media/"));
    let small: Vec<_> = tags
        .iter()
        .filter(|t| attribute(t, "width") == "120")
        .collect();
    assert_eq!(small.len(), 2, "both spellings found the file: {html}");
    assert_eq!(attribute(small[0], "src"), attribute(small[1], "src"));
    assert!(!html.contains("grafiek%20"), "{html}");
}
