//! Reading a sent message the way a mail client does: headers unfolded,
//! MIME parts split and their transfer encoding (quoted-printable, base64)
//! undone, and the unsubscribe links taken out of the headers and the
//! visible footer. Tests follow these links instead of making tokens.

use base64::Engine as _;

/// One leaf part of a message: its content type (lowercased, without
/// parameters) and its decoded text.
#[derive(Debug, Clone)]
pub struct Part {
    pub content_type: String,
    pub text: String,
}

/// A parsed message.
#[derive(Debug, Clone)]
pub struct Mail {
    /// (name, value), names as written, values unfolded.
    pub headers: Vec<(String, String)>,
    /// Every leaf part, in order (the message itself when not multipart).
    pub parts: Vec<Part>,
    /// The whole message as text, for failure messages.
    pub raw: String,
}

impl Mail {
    /// Parses `raw` (CRLF or LF line ends).
    pub fn parse(raw: &[u8]) -> Mail {
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        let (headers, body) = split_entity(&text);
        let mut parts = Vec::new();
        collect_parts(&headers, body, &mut parts);
        Mail {
            headers,
            parts,
            raw: text,
        }
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The decoded text of the one part of type `content_type`.
    #[track_caller]
    pub fn part(&self, content_type: &str) -> &str {
        let found: Vec<&Part> = self
            .parts
            .iter()
            .filter(|p| p.content_type == content_type)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one {content_type} part expected in:\n{}",
            self.raw
        );
        &found[0].text
    }

    /// The URL in `List-Unsubscribe: <URL>`, after checking that the
    /// message also offers RFC 8058 one-click
    /// (`List-Unsubscribe-Post: List-Unsubscribe=One-Click`).
    #[track_caller]
    pub fn one_click_url(&self) -> String {
        assert_eq!(
            self.header("List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click"),
            "RFC 8058 one-click offered in:\n{}",
            self.raw
        );
        let value = self
            .header("List-Unsubscribe")
            .unwrap_or_else(|| panic!("no List-Unsubscribe in:\n{}", self.raw));
        // RFC 2369: a list of <URL>s; ours has one, and it must be https.
        let urls: Vec<&str> = value
            .split(',')
            .filter_map(|u| u.trim().strip_prefix('<')?.strip_suffix('>'))
            .collect();
        assert_eq!(urls.len(), 1, "one URL in List-Unsubscribe: {value}");
        urls[0].to_owned()
    }

    /// The footer's unsubscribe link as a reader sees it: the `href` of the
    /// HTML part's one link whose text is `label` (e.g. "Afmelden"), which
    /// must be the same as the URL after `label: ` in the text part.
    #[track_caller]
    pub fn footer_link(&self, label: &str) -> String {
        let html = self.part("text/html");
        let in_html: Vec<String> = links(html)
            .into_iter()
            .filter(|(_, text)| text.trim() == label)
            .map(|(href, _)| href)
            .collect();
        assert_eq!(
            in_html.len(),
            1,
            "one <a>{label}</a> in the HTML part:\n{html}"
        );
        let text = self.part("text/plain");
        let in_text: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix(&format!("{label}: ")))
            .collect();
        assert_eq!(
            in_text,
            [in_html[0].as_str()],
            "the text part's \"{label}: URL\" line is the HTML link:\n{text}"
        );
        in_html[0].clone()
    }
}

/// The path and query of `url`, which must start with `base_url`: the
/// links in mail point at `newsletter.base_url`, and a test server answers
/// at another origin.
#[track_caller]
pub fn path_under(url: &str, base_url: &str) -> String {
    let path = url
        .strip_prefix(base_url.trim_end_matches('/'))
        .unwrap_or_else(|| panic!("{url} is not under {base_url}"));
    assert!(path.starts_with('/'), "{url} has no path under {base_url}");
    path.to_owned()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Headers (unfolded) and body of one entity, LF line ends.
fn split_entity(text: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match text.find("\n\n") {
        Some(at) => (&text[..at], &text[at + 2..]),
        None => (text, ""),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                // Unfolding removes the line break only (RFC 5322 2.2.3).
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    for (_, value) in &mut headers {
        *value = value.trim().to_owned();
    }
    (headers, body)
}

/// A parameter of a header value, e.g. `boundary` of a Content-Type.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn collect_parts(headers: &[(String, String)], body: &str, out: &mut Vec<Part>) {
    let content_type = header(headers, "Content-Type").unwrap_or("text/plain");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime.starts_with("multipart/") {
        let boundary = parameter(content_type, "boundary").expect("a multipart boundary");
        let delimiter = format!("--{boundary}");
        let separator = format!("\n{delimiter}");
        let mut sections = body.split(&separator);
        // Before the first delimiter: the preamble (the body may also start
        // with the delimiter itself).
        let first = sections.next().unwrap_or("");
        let first_part = first.strip_prefix(&delimiter);
        for section in first_part.into_iter().chain(sections) {
            if section.starts_with("--") {
                break; // the closing delimiter
            }
            let section = section.split_once('\n').map_or("", |(_, rest)| rest);
            let (part_headers, part_body) = split_entity(section);
            collect_parts(&part_headers, part_body, out);
        }
        return;
    }
    let encoding = header(headers, "Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .expect("a base64 body"),
        _ => body.as_bytes().to_vec(),
    };
    out.push(Part {
        content_type: mime,
        text: String::from_utf8(bytes).expect("a UTF-8 part"),
    });
}

/// RFC 2045 6.7: `=XX` is a byte, `=` at the end of a line joins it to the
/// next.
fn quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let lines: Vec<&str> = body.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches([' ', '\t']);
        let (line, soft) = match line.strip_suffix('=') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            let hex = bytes
                .get(j + 1..j + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[j], hex) {
                (b'=', Some(b)) => {
                    out.push(b);
                    j += 3;
                }
                (b, _) => {
                    out.push(b);
                    j += 1;
                }
            }
        }
        if !soft && i + 1 < lines.len() {
            out.push(b'\n');
        }
    }
    out
}

/// (href, text) of every `<a href="…">text</a>` in `html`, entities in the
/// href undone, tags inside the text dropped.
fn links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<a ") {
        rest = &rest[at + 3..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let Some(href) = tag
            .split("href=\"")
            .nth(1)
            .and_then(|h| h.split('"').next())
        else {
            continue;
        };
        let after = &rest[tag_end + 1..];
        let inner = after.split("</a>").next().unwrap_or("");
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        out.push((unescape(href), unescape(&text)));
    }
    out
}

/// HTML character references undone: the five named ones and numeric
/// ones (`&#x2f;` is how the templates write `/` inside an attribute).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
