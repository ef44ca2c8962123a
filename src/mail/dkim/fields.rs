//! Splitting a raw message into its header fields and its body, the way a
//! DKIM verifier will see them.

use crate::mail::MailError;

/// One header field: its name (as written) and the whole field, folding
/// included, without the final CRLF.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    pub name: &'a [u8],
    pub raw: &'a [u8],
}

/// A message cut at the blank line that ends the header.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    pub fields: Vec<Field<'a>>,
    pub body: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The last field called `name` (any case). RFC 6376 §5.4.2: a signer
    /// that signs one instance of a repeated field signs the bottom one.
    pub fn last(&self, name: &str) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
    }
}

/// Splits `message` into fields and body.
///
/// Refuses a bare CR or LF in the header. (The body is checked while it is
/// canonicalized, in the same pass: see `canonical::relaxed_body`.)
pub(crate) fn split(message: &[u8]) -> Result<Fields<'_>, MailError> {
    let mut fields: Vec<Field<'_>> = Vec::with_capacity(24);
    let mut pos = 0;
    let mut line_number = 0;
    let mut field_start = 0;
    while pos < message.len() {
        line_number += 1;
        let line_end = find_crlf(&message[pos..]).map_or(message.len(), |i| pos + i);
        let next = (line_end + 2).min(message.len());
        let line = &message[pos..line_end];
        if line.contains(&b'\r') || line.contains(&b'\n') {
            return Err(bare_line_end(format!("header line {line_number}")));
        }
        if line.is_empty() {
            return Ok(Fields {
                fields,
                body: &message[next..],
            });
        }
        if line[0] == b' ' || line[0] == b'\t' {
            let Some(last) = fields.last_mut() else {
                return Err(MailError::DkimMessage(
                    "the message starts with a folded (indented) line instead of a header field"
                        .into(),
                ));
            };
            // Extend the field over its continuation line.
            last.raw = &message[field_start..line_end];
        } else {
            let name = field_name(line).ok_or_else(|| {
                MailError::DkimMessage(format!(
                    "header line {line_number} is not a `Name: value` field"
                ))
            })?;
            fields.push(Field { name, raw: line });
            field_start = pos;
        }
        pos = next;
    }
    // No blank line: a message of headers only, with an empty body.
    Ok(Fields {
        fields,
        body: &message[message.len()..],
    })
}

/// RFC 5322 §2.2: a field name is printable ASCII except the colon.
/// Whitespace before the colon (obsolete syntax) is tolerated and trimmed.
fn field_name(line: &[u8]) -> Option<&[u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = &line[..colon];
    let end = name.iter().rposition(|&b| b != b' ' && b != b'\t')? + 1;
    let name = &name[..end];
    name.iter()
        .all(|&b| (33..=126).contains(&b))
        .then_some(name)
}

/// The error for a CR or LF that is not part of a CRLF. Transports turn
/// them into CRLF (or not) as they please, and a signature over bytes that
/// change in transit fails at the receiver without anyone noticing here.
pub(crate) fn bare_line_end(place: String) -> MailError {
    MailError::DkimMessage(format!(
        "{place} has a bare CR or LF; lines must end in CRLF, as mail::build writes them"
    ))
}

fn find_crlf(s: &[u8]) -> Option<usize> {
    s.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: &Fields<'_>) -> Vec<String> {
        f.fields
            .iter()
            .map(|f| String::from_utf8_lossy(f.raw).into_owned())
            .collect()
    }

    #[test]
    fn fields_keep_their_folding_and_the_body_starts_after_the_blank_line() {
        let msg = b"From: a@example.org\r\nSubject: one\r\n two\r\n\r\nbody\r\n";
        let Ok(f) = split(msg) else { panic!() };
        assert_eq!(names(&f), ["From: a@example.org", "Subject: one\r\n two"]);
        assert_eq!(f.body, b"body\r\n");
        assert_eq!(f.last("subject").map(|f| f.name), Some(&b"Subject"[..]));
    }

    #[test]
    fn the_last_of_repeated_fields_is_found() {
        let Ok(f) = split(b"X: 1\r\nx: 2\r\n\r\n") else {
            panic!()
        };
        assert_eq!(f.last("X").map(|f| f.raw), Some(&b"x: 2"[..]));
    }

    #[test]
    fn a_message_without_body_has_an_empty_one() {
        let Ok(f) = split(b"From: a@example.org\r\n") else {
            panic!()
        };
        assert!(f.body.is_empty());
        let Ok(f) = split(b"From: a@example.org\r\n\r\n") else {
            panic!()
        };
        assert!(f.body.is_empty());
    }

    #[test]
    fn bare_line_ends_in_the_header_and_broken_headers_are_refused() {
        for bad in [
            &b"From: a\nSubject: b\r\n\r\n"[..],
            b"From: a\nSubject: b\n\nbody\n",
            b"From: a\rb\r\n\r\n",
            b"From: a\r",
            b" folded first\r\n\r\n",
            b"no colon here\r\n\r\n",
            b": no name\r\n\r\n",
        ] {
            assert!(split(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
