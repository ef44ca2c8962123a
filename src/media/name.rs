//! The name of a stored image: 32 lowercase hex digits of the SHA-256 of
//! its bytes, a dot and `jpg` or `png`. Parsing it is the whole path check
//! of `/media/…`: nothing else (no `/`, no `..`) can ever reach the store.

use std::fmt;

/// The kinds of image postbode writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Jpeg,
    Png,
}

impl MediaKind {
    pub fn extension(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
        }
    }
}

/// `HASH.EXT`, see the module doc.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MediaName {
    hash: String,
    kind: MediaKind,
}

const HASH_LEN: usize = 32;

impl MediaName {
    /// The name of `bytes` stored as `kind`.
    pub fn of(bytes: &[u8], kind: MediaKind) -> MediaName {
        let digest = crate::crypto::sha256(bytes);
        let hash: String = digest[..HASH_LEN / 2]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        MediaName { hash, kind }
    }

    /// Accepts exactly what [`MediaName::of`] makes; `None` for anything else.
    pub fn parse(s: &str) -> Option<MediaName> {
        let (hash, ext) = s.split_once('.')?;
        let kind = match ext {
            "jpg" => MediaKind::Jpeg,
            "png" => MediaKind::Png,
            _ => return None,
        };
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        (hash.len() == HASH_LEN && hash.chars().all(hex)).then(|| MediaName {
            hash: hash.to_owned(),
            kind,
        })
    }

    pub fn kind(&self) -> MediaKind {
        self.kind
    }
}

impl fmt::Display for MediaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.hash, self.kind.extension())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_name_parses_back_and_nothing_else_does() {
        let name = MediaName::of(b"pixels", MediaKind::Png);
        assert_eq!(MediaName::parse(&name.to_string()), Some(name.clone()));
        let text = name.to_string();
        for bad in [
            "",
            "x.jpg",
            &text.replace(".png", ".gif"),
            &text.replace(".png", ""),
            &format!("../{text}"),
            &format!("{}.png", "A".repeat(32)),
            &format!("{}.png/", "a".repeat(32)),
            &format!("{}.png", "a".repeat(31)),
        ] {
            assert_eq!(MediaName::parse(bad), None, "{bad}");
        }
    }
}
