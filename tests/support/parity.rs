//! Parity with the reference renderer: the official mjml (Node, in
//! `tests/node`) renders the same MJML, and two screenshots are compared
//! pixel by pixel.

use std::path::Path;
use std::process::{Command, Stdio};

/// A pixel counts as different when a channel differs by more than this
/// (anti-aliasing of the same glyph varies by a few levels).
pub const TOLERANCE: u8 = 48;

/// The HTML the official mjml makes of `mjml`, or `None` (after
/// [`super::outside::missing`]) without Node and mjml.
pub fn reference_mjml(mjml: &str) -> Option<String> {
    let script = super::repo_file("tests/node/render.js");
    let node = super::outside::node_with("mjml")?;
    let mut child = Command::new(node)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(mjml.as_bytes())
        .expect("write mjml");
    let out = child.wait_with_output().expect("node output");
    assert!(
        out.status.success(),
        "mjml failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn decode(png: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png).expect("open png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| [p[0], p[1 % channels], p[2 % channels]])
        .collect();
    (info.width, info.height, rgb)
}

/// Share of pixels that differ beyond [`TOLERANCE`].
pub fn difference(a: &Path, b: &Path) -> f64 {
    let (wa, ha, pa) = decode(a);
    let (wb, hb, pb) = decode(b);
    assert_eq!((wa, ha), (wb, hb), "screenshots differ in size");
    let differing = pa
        .chunks(3)
        .zip(pb.chunks(3))
        .filter(|(x, y)| {
            x.iter()
                .zip(y.iter())
                .any(|(p, q)| p.abs_diff(*q) > TOLERANCE)
        })
        .count();
    differing as f64 / f64::from(wa * ha)
}
