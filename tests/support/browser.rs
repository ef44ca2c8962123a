//! Headless Chromium (Debian's `chromium`) for the page and render tests:
//! a page's DOM after its scripts ran, and screenshots. Each call starts a
//! fresh browser with an empty profile and no background networking (this
//! machine has no network but the package registries).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Chromium {
    program: PathBuf,
}

impl Chromium {
    pub fn find() -> Option<Chromium> {
        let program = super::outside::program("chromium", "Debian package chromium")?;
        Some(Chromium { program })
    }

    fn command(&self, profile: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
        cmd
    }

    /// The DOM of `page` after its load handlers ran.
    pub fn dump_dom(&self, page: &Path) -> String {
        let profile = tempfile::tempdir().expect("profile dir");
        let out = self
            .command(profile.path())
            .args([
                "--window-size=1000,1000",
                "--virtual-time-budget=5000",
                "--dump-dom",
            ])
            .arg(file_url(page))
            .output()
            .expect("run chromium");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A PNG of `page` in a window of `width` x `height`, at `png`.
    pub fn screenshot(&self, page: &Path, width: u32, height: u32, png: &Path) {
        // A PNG left by an earlier run must not pass for this one.
        match std::fs::remove_file(png) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("remove the old {}: {e}", png.display()),
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let out = self
            .command(profile.path())
            .arg(format!("--window-size={width},{height}"))
            .arg("--virtual-time-budget=5000")
            .arg(format!("--screenshot={}", png.display()))
            .arg(file_url(page))
            .output()
            .expect("run chromium");
        assert!(
            png.is_file(),
            "no screenshot: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A page showing `html` in an iframe `width` px wide (headless windows
/// are at least 500 px wide, an iframe can be narrower), which records the
/// email's scroll and client width and its visible text on the page.
pub fn frame_page(html: &str, width: u32, height: u32) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#fff">
<iframe id="mail" style="border:0;display:block;width:{width}px;height:{height}px" srcdoc="{}"></iframe>
<script>
window.addEventListener('load', function () {{
  var d = document.getElementById('mail').contentDocument;
  var report = {{
    scrollWidth: d.documentElement.scrollWidth,
    clientWidth: d.documentElement.clientWidth,
    height: d.documentElement.scrollHeight,
    text: d.body.innerText
  }};
  var out = document.createElement('pre');
  out.id = 'report';
  out.textContent = JSON.stringify(report);
  out.style.display = 'none';
  document.body.appendChild(out);
}});
</script></body></html>"#,
        escape_attribute(html)
    )
}

fn escape_attribute(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The report [`frame_page`] leaves in the dumped DOM.
pub fn frame_report(dom: &str) -> serde_json::Value {
    let start = dom.find("<pre id=\"report\"").expect("a report in the DOM");
    let body_start = start + dom[start..].find('>').expect("tag end") + 1;
    let end = body_start + dom[body_start..].find("</pre>").expect("report end");
    let json = dom[body_start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).expect("report is JSON")
}

/// Where tests put screenshots: `target/screenshots/NAME` (printed),
/// emptied first, so no image in it is from an earlier run.
pub fn screenshot_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(name);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("empty {}: {e}", dir.display()),
    }
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    println!("screenshots: {}", dir.display());
    eprintln!("screenshots: {}", dir.display());
    dir
}
