//! Placeholder images for rendering public templates offline: a loopback
//! HTTP server that draws a PNG of the size and colour named in its path
//! (`/img/600x300/4a7fb0.png`: a 600 x 300 px block of that colour with a
//! darker 4 px border), and [`PlaceholderImages::localise`], which points
//! every image URL of a rendered HTML text at it.
//!
//! The URL decides the placeholder (size from a `WxH` in the URL, else one
//! of a few sizes by a hash; colour by a hash), so the same image is the
//! same placeholder in both renderers' HTML, including the social icons a
//! renderer adds on its own. Nothing is fetched from the network.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

pub struct PlaceholderImages {
    port: u16,
}

/// Sizes for image URLs that do not name one.
const SIZES: [(u32, u32); 4] = [(600, 300), (300, 300), (600, 200), (120, 120)];

impl PlaceholderImages {
    /// Starts the server on a random loopback port; it lives as long as
    /// the test process.
    pub fn start() -> PlaceholderImages {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind image server");
        let port = listener.local_addr().expect("image server address").port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        PlaceholderImages { port }
    }

    /// `html` with every image URL (in `src=`, `background=` and CSS
    /// `url(...)`) replaced by a placeholder on this server.
    pub fn localise(&self, html: &str) -> String {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(at) = rest.find("http") {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            let end = from
                .find(|c: char| c.is_whitespace() || "\"'()<>".contains(c))
                .unwrap_or(from.len());
            let url = &from[..end];
            let is_url = url.starts_with("http://") || url.starts_with("https://");
            if is_url && is_image_position(&out) {
                out.push_str(&self.placeholder(url));
            } else {
                out.push_str(url);
            }
            // `end` is at least 4: "http" holds no delimiter.
            rest = &from[end..];
        }
        out.push_str(rest);
        out
    }

    fn placeholder(&self, url: &str) -> String {
        let hash = fnv(url);
        let (w, h) = named_size(url).unwrap_or(SIZES[(hash % 4) as usize]);
        let colour = (hash >> 8) & 0x7f_7f7f | 0x30_3030;
        format!(
            "http://127.0.0.1:{}/img/{w}x{h}/{colour:06x}.png",
            self.port
        )
    }
}

/// Whether the text just before a URL puts it where an image goes.
fn is_image_position(before: &str) -> bool {
    let tail = &before[before.len().saturating_sub(12)..];
    [
        "src=\"",
        "background=\"",
        "url(",
        "url('",
        "url(\"",
        "url(&quot;",
    ]
    .iter()
    .any(|p| tail.ends_with(p))
}

/// A `WxH` size in a URL (as in placeholder services), if plausible.
fn named_size(url: &str) -> Option<(u32, u32)> {
    url.split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|part| part.split_once('x'))
        .filter_map(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .find(|(w, h): &(u32, u32)| (8..=2000).contains(w) && (8..=2000).contains(h))
}

fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    let response = match parse_path(path) {
        Some((w, h, rgb)) => {
            let png = draw(w, h, rgb);
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                png.len()
            )
            .into_bytes();
            head.extend(png);
            head
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    let _ = stream.write_all(&response);
}

/// `/img/WxH/RRGGBB.png` to its size and colour.
fn parse_path(path: &str) -> Option<(u32, u32, [u8; 3])> {
    let rest = path.strip_prefix("/img/")?;
    let (size, colour) = rest.split_once('/')?;
    let (w, h) = size.split_once('x')?;
    let colour = u32::from_str_radix(colour.strip_suffix(".png")?, 16).ok()?;
    let [_, r, g, b] = colour.to_be_bytes();
    Some((w.parse().ok()?, h.parse().ok()?, [r, g, b]))
}

fn draw(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let border = rgb.map(|c| c / 2);
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let edge = x < 4 || y < 4 || x + 4 >= width || y + 4 >= height;
            pixels.extend(if edge { border } else { rgb });
        }
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(&pixels).expect("png data");
    writer.finish().expect("png end");
    png
}
