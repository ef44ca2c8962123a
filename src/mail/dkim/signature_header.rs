//! Writing the DKIM-Signature header field (RFC 6376 §3.5), folded so that
//! no line is longer than 78 characters (RFC 5322 §2.1.1).
//!
//! The header is written in two steps: first everything up to an empty
//! `b=`, which is what gets canonicalized and signed (§3.7), then the
//! signature itself, folded onto the following lines. A verifier removes the
//! b= value together with its folding whitespace and gets back exactly the
//! first step's text.

const MAX_LINE: usize = 78;
const FOLD: &str = "\r\n\t";
pub(crate) const NAME: &str = "DKIM-Signature";

/// The tags that go before `b=`.
pub(crate) struct Tags<'a> {
    pub algorithm: &'a str,
    pub domain: &'a str,
    pub selector: &'a str,
    pub timestamp: i64,
    pub signed_headers: &'a [&'a str],
    pub body_hash: &'a str,
}

/// Builds a folded header line by line.
struct Folder {
    out: String,
    line: usize,
}

impl Folder {
    /// Appends `piece`, after a space if `space`, or on a new line if it
    /// would not fit on this one.
    fn push(&mut self, piece: &str, space: bool) {
        let needed = piece.len() + usize::from(space);
        if self.line + needed > MAX_LINE && self.line > 1 {
            self.out.push_str(FOLD);
            self.line = 1;
        } else if space {
            self.out.push(' ');
            self.line += 1;
        }
        self.out.push_str(piece);
        self.line += piece.len();
    }
}

/// `DKIM-Signature: v=1; a=...; ...; bh=...; b=`, folded, without CRLF.
/// Also returns the length of its last line, for [`finish`].
pub(crate) fn unsigned(tags: &Tags<'_>) -> (String, usize) {
    let mut f = Folder {
        out: String::with_capacity(512),
        line: 0,
    };
    f.push(&format!("{NAME}:"), false);
    f.push("v=1;", true);
    f.push(&format!("a={};", tags.algorithm), true);
    f.push("c=relaxed/relaxed;", true);
    f.push(&format!("d={};", tags.domain), true);
    f.push(&format!("s={};", tags.selector), true);
    f.push(&format!("t={};", tags.timestamp), true);
    // h= may be folded after any colon (RFC 6376 §3.5, the h= grammar).
    let count = tags.signed_headers.len();
    for (i, name) in tags.signed_headers.iter().enumerate() {
        let separator = if i + 1 == count { ";" } else { ":" };
        if i == 0 {
            f.push(&format!("h={name}{separator}"), true);
        } else {
            f.push(&format!("{name}{separator}"), false);
        }
    }
    f.push(&format!("bh={};", tags.body_hash), true);
    f.push("b=", true);
    let line = f.line;
    (f.out, line)
}

/// Appends the base64 signature to the header from [`unsigned`], filling
/// the current line and folding the rest, and ends the field with CRLF.
pub(crate) fn finish(header: &mut String, last_line: usize, signature_b64: &str) {
    let mut line = last_line;
    let mut rest = signature_b64;
    while !rest.is_empty() {
        let mut room = MAX_LINE.saturating_sub(line);
        if room == 0 {
            header.push_str(FOLD);
            line = 1;
            room = MAX_LINE - 1;
        }
        // base64 is ASCII, so any byte index is a char boundary.
        let (chunk, tail) = rest.split_at(room.min(rest.len()));
        header.push_str(chunk);
        line += chunk.len();
        rest = tail;
    }
    header.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&str; 13] = crate::mail::dkim::SIGNED_HEADERS;

    fn tags() -> Tags<'static> {
        Tags {
            algorithm: "rsa-sha256",
            domain: "a-rather-long-subdomain.nieuwsbrief.example.org",
            selector: "postbode-2026",
            timestamp: 1_790_000_000,
            signed_headers: &ALL,
            body_hash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        }
    }

    #[test]
    fn every_line_fits_in_78_characters() {
        let (mut header, last) = tags_header();
        finish(&mut header, last, &"A".repeat(344));
        assert!(header.ends_with("\r\n"));
        for line in header.trim_end().split("\r\n") {
            assert!(line.len() <= 78, "{line:?} is {} long", line.len());
        }
        let joined: String = header.split("\r\n\t").collect();
        assert!(
            joined.contains(&format!("b={}\r\n", "A".repeat(344))),
            "{header}"
        );
        assert!(
            joined.contains("h=From:To:Subject:Date:Message-ID:"),
            "{joined}"
        );
        assert!(
            joined.contains(":MIME-Version:Content-Type; bh="),
            "{joined}"
        );
    }

    fn tags_header() -> (String, usize) {
        unsigned(&tags())
    }

    #[test]
    fn the_unsigned_header_ends_in_an_empty_b_tag() {
        let (header, last) = tags_header();
        assert!(header.starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"));
        assert!(header.ends_with(" b="), "{header}");
        assert_eq!(header.rsplit("\r\n\t").next().map(str::len), Some(last - 1));
    }
}
