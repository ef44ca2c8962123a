//! Where reports are read from: single message files, maildir folders
//! (`new/` and `cur/`), mbox files, or standard input (a mail server's pipe
//! delivery). mail-parser reads the maildir and mbox formats.
//!
//! A path that cannot be read is an error naming it (the caller exits 2);
//! what the messages in a readable path say is the classifier's business.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use mail_parser::mailbox::{maildir, mbox};

/// One way in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// `-`: one message on standard input.
    Stdin,
    /// A message file, an mbox file or a maildir folder.
    Path(PathBuf),
}

impl Input {
    pub fn parse(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// One raw message and where it came from (for the operator).
#[derive(Clone, Debug)]
pub struct RawMessage {
    pub origin: String,
    pub bytes: Vec<u8>,
}

/// A path that could not be read, and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct Unreadable {
    pub path: String,
    pub reason: String,
}

/// Every message in `input`. Standard input is one message (a pipe
/// delivery hands over one at a time), unless it is an mbox.
pub fn read(input: &Input) -> Result<Vec<RawMessage>, Unreadable> {
    match input {
        Input::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable("-", e))?;
            Ok(split_if_mbox("-", bytes))
        }
        Input::Path(path) if path.is_dir() => read_maildir(path),
        Input::Path(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| unreadable(&path.display().to_string(), e))?;
            Ok(split_if_mbox(&path.display().to_string(), bytes))
        }
    }
}

fn read_maildir(path: &Path) -> Result<Vec<RawMessage>, Unreadable> {
    let shown = path.display().to_string();
    let messages = maildir::MessageIterator::new(path).map_err(|e| Unreadable {
        path: shown.clone(),
        reason: format!("not a maildir folder (it needs cur/ and new/): {e}"),
    })?;
    let mut out = Vec::new();
    for message in messages {
        let message = message.map_err(|e| unreadable(&shown, e))?;
        out.push(RawMessage {
            origin: message.path().display().to_string(),
            bytes: message.unwrap_contents(),
        });
    }
    // Oldest first, as they arrived: maildir names start with the time.
    out.sort_by(|a, b| a.origin.cmp(&b.origin));
    Ok(out)
}

/// An mbox file starts with a `From ` line; anything else is one message.
fn split_if_mbox(origin: &str, bytes: Vec<u8>) -> Vec<RawMessage> {
    if !bytes.starts_with(b"From ") {
        return vec![RawMessage {
            origin: origin.to_owned(),
            bytes,
        }];
    }
    let mut messages: Vec<RawMessage> = mbox::MessageIterator::new(BufReader::new(&bytes[..]))
        .filter_map(Result::ok)
        .enumerate()
        .map(|(i, message)| RawMessage {
            origin: format!("{origin} (message {})", i + 1),
            bytes: message.unwrap_contents(),
        })
        .collect();
    if let [only] = &mut messages[..] {
        only.origin = origin.to_owned();
    }
    messages
}

fn unreadable(path: &str, e: std::io::Error) -> Unreadable {
    Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mbox_is_split_into_its_messages() {
        let mbox = b"From a@b Mon Nov 30 09:00:00 2026\nSubject: one\n\nbody\n\nFrom c@d Mon Nov 30 09:01:00 2026\nSubject: two\n\n>From here\n".to_vec();
        let messages = split_if_mbox("box", mbox);
        assert_eq!(messages.len(), 2);
        assert!(String::from_utf8_lossy(&messages[1].bytes).contains("Subject: two"));
    }

    #[test]
    fn a_plain_message_is_one() {
        assert_eq!(split_if_mbox("m", b"Subject: x\n\nbody".to_vec()).len(), 1);
    }

    #[test]
    fn a_missing_path_is_unreadable() {
        let err = read(&Input::Path("/nonexistent/postbode".into())).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/postbode: "));
    }
}
