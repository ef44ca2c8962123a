//! Links in a mail as it went out, whatever its transfer encoding
//! (quoted-printable with soft line breaks, or base64).

use base64::Engine as _;

/// The path of the first link to `{base}{route}TOKEN` in `raw` (a whole
/// message), e.g. `/confirm/TOKEN` for `route` `/confirm/`.
pub fn link_path(raw: &[u8], base: &str, route: &str) -> Option<String> {
    link(raw, base, route, |c| {
        c.is_ascii_alphanumeric() || c == '-' || c == '_'
    })
}

/// Like [`link_path`], with the link's query (`?lang=nl`) when it has one.
pub fn link_path_and_query(raw: &[u8], base: &str, route: &str) -> Option<String> {
    link(raw, base, route, |c| {
        c.is_ascii_alphanumeric() || "-_?=&".contains(c)
    })
}

fn link(raw: &[u8], base: &str, route: &str, in_link: fn(char) -> bool) -> Option<String> {
    let raw = String::from_utf8_lossy(raw).into_owned();
    // Quoted-printable: soft line breaks out, `=3D` back to `=`.
    let mut texts = vec![raw.replace("=\r\n", "").replace("=3D", "=")];
    for chunk in raw.split("\r\n\r\n") {
        let joined: String = chunk.split("\r\n").collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined.trim()) {
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let marker = format!("{base}{route}");
    texts.iter().find_map(|text| {
        let at = text.find(&marker)?;
        let token: String = text[at + marker.len()..]
            .chars()
            .take_while(|c| in_link(*c))
            .collect();
        Some(format!("{route}{token}"))
    })
}
