//! The `http(s)` links of an HTML text, for the tests that check every
//! link of a message's HTML is also in its plain-text part.

/// The `http(s)` links of `<a href>` elements, entities decoded (not a
/// stylesheet's `<link href>`).
pub fn http_links(html: &str) -> Vec<String> {
    html.split('<')
        .filter(|tag| {
            tag.strip_prefix(['a', 'A'])
                .is_some_and(|rest| rest.starts_with(char::is_whitespace))
        })
        .filter_map(|tag| tag.split('>').next())
        .filter_map(|attrs| attrs.split("href=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(decode_entities)
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
        .collect()
}

/// `&amp;`, `&quot;` and numeric entities (minijinja writes `/` as `&#x2f;`).
pub fn decode_entities(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let entity = end.map(|e| &tail[1..e]);
        let decoded = match entity {
            Some("amp") => Some('&'),
            Some("quot") => Some('"'),
            Some(e) if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            Some(e) if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
