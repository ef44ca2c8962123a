//! Links in a mail as it went out, whatever its transfer encoding
//! (quoted-printable with soft line breaks, or base64).

use base64::Engine as _;

/// The path of the first link to `{base}{route}TOKEN` in `raw` (a whole
/// message), e.g. `/confirm/TOKEN` for `route` `/confirm/`.
pub fn link_path(raw: &[u8], base: &str, route: &str) -> Option<String> {
    let raw = String::from_utf8_lossy(raw).into_owned();
    let mut texts = vec![raw.replace("=\r\n", "")];
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
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        Some(format!("{route}{token}"))
    })
}
