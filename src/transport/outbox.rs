//! The outbox folder: one `.eml` file per message, for `quickstart` and
//! whenever `smtp.url` is empty.

use std::path::{Path, PathBuf};

use super::reply::{SendError, SendErrorKind};
use crate::private_file::FileAccess;

/// Writes `{dir}/{stem}.eml` so that it appears complete or not at all:
/// the bytes go to a new hidden temporary file in the same folder (made
/// with `access`, never through a link), are synced to disk, then renamed
/// over the final name ([`FileAccess::write_replacing`]). Writing the same
/// stem again (a retry after a crash) replaces the file, so a message
/// never appears twice.
pub(super) async fn write_outbox(
    dir: &Path,
    access: &FileAccess,
    stem: &str,
    raw: &[u8],
) -> Result<PathBuf, SendError> {
    if stem.is_empty()
        || stem.starts_with('.')
        || stem.contains(['/', '\\', '\0'])
        || stem.chars().any(char::is_control)
    {
        return Err(SendError::new(
            SendErrorKind::Local,
            format!("outbox: {stem:?} is not usable as a file name"),
        ));
    }
    let dir = dir.to_path_buf();
    let path = dir.join(format!("{stem}.eml"));
    let (raw, access, target) = (raw.to_vec(), access.clone(), path.clone());
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        access.create_dir_all(&dir)?;
        access.write_replacing(&target, &raw)
    })
    .await
    .map_err(|e| SendError::new(SendErrorKind::Local, format!("outbox: {e}")))?;
    written.map_err(|e| outbox_error(&path, &e))?;
    Ok(path)
}

pub(super) fn outbox_error(path: &Path, e: &std::io::Error) -> SendError {
    SendError::new(
        SendErrorKind::Local,
        format!("outbox: {}: {e}", path.display()),
    )
}
#[cfg(test)]
mod tests {
    use crate::private_file::FileAccess;
    use crate::transport::{Envelope, SendErrorKind, Transport};

    #[tokio::test]
    async fn outbox_file_stems_cannot_leave_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let t = Transport::Outbox(dir.path().join("outbox"), FileAccess::owner_only());
        let env = Envelope {
            from: "a@example.org".into(),
            to: "b@example.org".into(),
        };
        for stem in ["../escape", "", ".hidden", "a/b", "a\\b"] {
            let err = t.send(&env, b"x\r\n", stem).await.expect_err(stem);
            assert_eq!(err.kind, SendErrorKind::Local);
        }
        assert!(
            !dir.path().join("escape.eml").exists(),
            "nothing written outside the outbox"
        );
    }
}
