//! The IMAP commands `bounces fetch` needs on a logged-in session: make
//! sure the done folder exists, read the messages of the selected folder
//! without marking them, and move handled ones away (MOVE, RFC 6851, when
//! the server offers it; else COPY, `\Deleted` and EXPUNGE).
//!
//! Errors come back as text naming the command; the caller adds where.

use futures_util::TryStreamExt;

use super::connect::Session;

/// The done folder, created when the server does not list it.
pub async fn ensure_exists(session: &mut Session, folder: &str) -> Result<(), String> {
    let listed: Vec<_> = session
        .list(Some(""), Some(&quoted(folder)))
        .await
        .map_err(|e| format!("LIST {folder}: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("LIST {folder}: {e}"))?;
    if listed.iter().any(|name| name.name() == folder) {
        return Ok(());
    }
    session
        .create(folder)
        .await
        .map_err(|e| format!("cannot create the folder {folder}: {e}"))
}

/// The UIDs in the selected folder, oldest first.
pub async fn uids(session: &mut Session) -> Result<Vec<u32>, String> {
    let mut uids: Vec<u32> = session
        .uid_search("ALL")
        .await
        .map_err(|e| format!("UID SEARCH: {e}"))?
        .into_iter()
        .collect();
    uids.sort_unstable();
    Ok(uids)
}

/// The raw messages with these UIDs, as `(uid, bytes)` in UID order.
/// `BODY.PEEK[]` leaves them unread: a dry run changes nothing.
pub async fn read(session: &mut Session, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, String> {
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let fetches: Vec<_> = session
        .uid_fetch(uid_set(uids), "(UID BODY.PEEK[])")
        .await
        .map_err(|e| format!("UID FETCH: {e}"))?
        .try_collect()
        .await
        .map_err(|e| format!("UID FETCH: {e}"))?;
    let mut out: Vec<(u32, Vec<u8>)> = fetches
        .iter()
        .filter_map(|f| Some((f.uid?, f.body().unwrap_or_default().to_vec())))
        .filter(|(uid, _)| uids.binary_search(uid).is_ok())
        .collect();
    out.sort_by_key(|(uid, _)| *uid);
    out.dedup_by_key(|(uid, _)| *uid);
    Ok(out)
}

/// Moves the messages with these UIDs from the selected folder to `to`.
pub async fn move_to(session: &mut Session, uids: &[u32], to: &str) -> Result<(), String> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uid_set(uids);
    let capabilities = session
        .capabilities()
        .await
        .map_err(|e| format!("CAPABILITY: {e}"))?;
    if capabilities.has_str("MOVE") {
        return session
            .uid_mv(&set, to)
            .await
            .map_err(|e| format!("UID MOVE to {to}: {e}"));
    }
    session
        .uid_copy(&set, to)
        .await
        .map_err(|e| format!("UID COPY to {to}: {e}"))?;
    session
        .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
        .await
        .map_err(|e| format!("UID STORE \\Deleted: {e}"))?
        .try_for_each(|_| async { Ok(()) })
        .await
        .map_err(|e| format!("UID STORE \\Deleted: {e}"))?;
    // UID EXPUNGE (UIDPLUS) removes only these; a plain EXPUNGE also
    // removes whatever else was marked deleted in this folder.
    if capabilities.has_str("UIDPLUS") {
        session
            .uid_expunge(&set)
            .await
            .map_err(|e| format!("UID EXPUNGE: {e}"))?
            .try_for_each(|_| async { Ok(()) })
            .await
            .map_err(|e| format!("UID EXPUNGE: {e}"))
    } else {
        session
            .expunge()
            .await
            .map_err(|e| format!("EXPUNGE: {e}"))?
            .try_for_each(|_| async { Ok(()) })
            .await
            .map_err(|e| format!("EXPUNGE: {e}"))
    }
}

/// `1:3,7,9:10` for `[1, 2, 3, 7, 9, 10]` (sorted).
pub fn uid_set(uids: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end.saturating_add(1) {
            i += 1;
            end = uids[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// A folder name as an IMAP quoted string (LIST's pattern is sent as it
/// is given).
fn quoted(folder: &str) -> String {
    format!("\"{}\"", folder.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_set_folds_runs_into_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
    }

    #[test]
    fn a_folder_name_is_quoted_with_its_quotes_escaped() {
        assert_eq!(quoted("postbode-done"), "\"postbode-done\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
