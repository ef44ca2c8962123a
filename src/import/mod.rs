//! Streaming CSV import. The file is read and parsed on a blocking thread
//! while the previous batch is written, one transaction per batch, so a
//! million rows never sit in memory at once.
//!
//! A file that is not CSV, or lacks an `email` column, or names a column
//! twice, is rejected before anything is written. A bad row (one over the
//! size limits of [`records`] among them) is reported with its line and
//! reason and the rest is imported. A cell that export escaped for
//! spreadsheets (`'=…`, see [`crate::domain::spreadsheet_cell`]) is read
//! back as it was. Files in Windows-1252 or UTF-16 are decoded
//! ([`encoding`]) and the summary says so. First and last name columns
//! (`voornaam`, `achternaam`) make the name when there is no name column,
//! and are kept as the attributes `first_name` and `last_name`.

mod encoding;
mod header;
mod records;

use std::io::Read;
use std::path::Path;

use indicatif::ProgressBar;
use serde_json::{Map, Value};

use encoding::Decoded;
pub use header::Header;
pub use records::{MAX_CELL, MAX_COLUMNS, MAX_ROW};
use records::{Records, RowError};

use crate::domain::{
    ConsentBasis, EmailAddress, Language, ListName, SubscriberName, SubscriberStatus,
    spreadsheet_cell,
};
use crate::error::{Error, Result};
use crate::store::{BatchCounts, ImportPolicy, ImportRow, Store};

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// `--list`: every row also joins this list.
    pub list: Option<ListName>,
    /// `--active`: see [`ImportPolicy::activate`].
    pub activate: bool,
    /// The list rows join when the file has no `lists` column and no
    /// `--list` is given.
    pub default_list: ListName,
    /// Rows per transaction.
    pub batch_size: usize,
    /// `--basis`: kept with the consent of each person the import adds,
    /// activates or puts on a new list; `None`: not stated.
    pub basis: Option<ConsentBasis>,
}

/// A row that was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub counts: BatchCounts,
    pub rejected: u64,
    /// The people of the file who are pending (not confirmed) after the
    /// import, by id, sorted: they get nothing until they confirm. Ids
    /// only, so a big file costs 8 bytes a person.
    pub pending: Vec<i64>,
    /// How many of [`ImportSummary::pending`] this import created.
    pub pending_created: u64,
    /// The file's encoding when it was not UTF-8, said for the person who
    /// saved it: `read as Windows-1252 (...)`.
    pub encoding_note: Option<String>,
}

/// A parsed batch, passed from the reading thread to the writer.
struct Batch {
    rows: Vec<ImportRow>,
    rejections: Vec<Rejection>,
    /// Bytes of the file read so far, for the progress bar.
    position: u64,
}

/// Imports `path` into `store`. Bad rows go to `on_reject` as they are
/// found; `progress` (hidden when not on a terminal) counts bytes.
pub async fn import_csv(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    progress: &ProgressBar,
    mut on_reject: impl FnMut(&Rejection),
) -> Result<ImportSummary> {
    let file_name = path.display().to_string();
    let (reader, mut header, encoding_note) = open(path, &file_name)?;
    header.keep_stored_spellings(&store.attribute_keys().await?);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    progress.set_length(size);

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch>>(2);
    let opts = options.clone();
    let reading =
        tokio::task::spawn_blocking(move || read_batches(reader, header, &opts, &file_name, &tx));

    let mut summary = ImportSummary {
        encoding_note,
        ..ImportSummary::default()
    };
    let started = crate::store::now_ms();
    let mut pending: Vec<(i64, i64)> = Vec::new();
    let mut importer = store.importer().await?.with_basis(options.basis.clone());
    let policy = ImportPolicy {
        activate: options.activate,
    };
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        for r in &batch.rejections {
            on_reject(r);
        }
        summary.rejected += batch.rejections.len() as u64;
        if !batch.rows.is_empty() {
            let emails: Vec<EmailAddress> = batch.rows.iter().map(|r| r.email.clone()).collect();
            summary.counts += importer.import_batch(batch.rows, policy).await?;
            pending.extend(store.pending_among(&emails).await?);
        }
        progress.set_position(batch.position);
    }
    reading
        .await
        .map_err(|e| Error::Input(format!("reading {}: {e}", path.display())))?;
    // The same address in two batches is one person.
    pending.sort_unstable();
    pending.dedup_by_key(|p| p.0);
    summary.pending_created = pending.iter().filter(|p| p.1 >= started).count() as u64;
    summary.pending = pending.into_iter().map(|p| p.0).collect();
    progress.finish_and_clear();
    Ok(summary)
}

/// The rows of a file, decoded to UTF-8.
type Input = Records<Decoded<std::fs::File>>;

/// Opens the file, checks it looks like CSV, finds its encoding and reads
/// its header. Nothing is written before this succeeds.
fn open(path: &Path, file: &str) -> Result<(Input, Header, Option<String>)> {
    let cannot = |e: std::io::Error| Error::Input(format!("cannot read {file}: {e}"));
    let mut sniff = vec![0; 8192];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut sniff))
        .map_err(cannot)?;
    sniff.truncate(n);
    if n == 0 {
        return Err(Error::Input(format!(
            "{file} is empty; expected a header row like email,name"
        )));
    }
    let encoding =
        encoding::detect(&sniff, std::fs::File::open(path).map_err(cannot)?).map_err(cannot)?;
    // UTF-16 text is half zero bytes; any other text has none.
    let utf16 = encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE;
    if sniff.contains(&0) && !utf16 {
        return Err(Error::Input(format!(
            "{file} is not a CSV file (it contains binary data)"
        )));
    }
    let mut reader = Records::new(
        Decoded::new(std::fs::File::open(path).map_err(cannot)?, encoding),
        sniff_delimiter(&encoding.decode_with_bom_removal(&sniff).0),
    );
    let fields = match reader.next_row().map_err(cannot)? {
        None => csv::StringRecord::new(),
        Some(row) => row.cells.map_err(|e| match e {
            RowError::NotUtf8 { .. } => Error::Input(format!(
                "{file}: line 1 is not UTF-8 text; save the file as \"CSV UTF-8\""
            )),
            e => Error::Input(format!("{file}: line 1 {}", row_error(&e, None))),
        })?,
    };
    let header = Header::parse(&fields, file)?;
    Ok((reader, header, encoding::note(encoding)))
}

/// A row error for a message, after "line N": `column 3 ("city") holds…`.
fn row_error(e: &RowError, header: Option<&Header>) -> String {
    let column = |i: usize| header.map_or(format!("column {}", i + 1), |h| h.describe(i));
    match e {
        RowError::CellTooLong { column: i } => format!(
            "{}: the cell is longer than {} KiB, the most a cell may hold",
            column(*i),
            MAX_CELL / 1024
        ),
        RowError::RowTooLong { column: i } => format!(
            "{}: the row is longer than {} KiB, the most a row may hold",
            column(*i),
            MAX_ROW / 1024
        ),
        RowError::TooManyColumns => {
            format!("has more than {MAX_COLUMNS} columns, the most a row may have")
        }
        RowError::NotUtf8 { column: i } => format!("{}: is not valid UTF-8 text", column(*i)),
        RowError::Width { len, expected } => {
            format!("has {len} fields where the header has {expected}")
        }
    }
}

/// Comma, unless the first line has more semicolons or tabs (spreadsheets
/// in Dutch and other locales write `;`).
fn sniff_delimiter(head: &str) -> u8 {
    let first = head.split('\n').next().unwrap_or(head);
    let count = |c: u8| first.bytes().filter(|b| *b == c).count();
    [b';', b'\t']
        .into_iter()
        .filter(|c| count(*c) > count(b','))
        .max_by_key(|c| count(*c))
        .unwrap_or(b',')
}

fn read_batches(
    mut reader: Input,
    header: Header,
    options: &ImportOptions,
    file: &str,
    tx: &tokio::sync::mpsc::Sender<Result<Batch>>,
) {
    let mut batch = Batch {
        rows: Vec::with_capacity(options.batch_size),
        rejections: Vec::new(),
        position: 0,
    };
    loop {
        let row = match reader.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(err) => {
                let _ = tx.blocking_send(Err(Error::Input(format!("reading {file}: {err}"))));
                return;
            }
        };
        let line = row.line;
        match row.cells {
            Ok(record) => match parse_row(&record, &header, options, line) {
                Ok(row) => batch.rows.push(row),
                Err(reason) => batch.rejections.push(Rejection { line, reason }),
            },
            Err(e) => batch.rejections.push(Rejection {
                line,
                reason: row_error(&e, Some(&header)),
            }),
        }
        if batch.rows.len() >= options.batch_size || batch.rejections.len() >= options.batch_size {
            batch.position = reader.byte();
            let next = Batch {
                rows: Vec::with_capacity(options.batch_size),
                rejections: Vec::new(),
                position: 0,
            };
            if tx
                .blocking_send(Ok(std::mem::replace(&mut batch, next)))
                .is_err()
            {
                return; // the writer failed and said why
            }
        }
    }
    batch.position = reader.byte();
    let _ = tx.blocking_send(Ok(batch));
}

/// One data row to an [`ImportRow`], or the reason it is refused.
fn parse_row(
    record: &csv::StringRecord,
    header: &Header,
    options: &ImportOptions,
    line: u64,
) -> std::result::Result<ImportRow, String> {
    let cell = |i: Option<usize>| {
        i.and_then(|i| record.get(i))
            .map(spreadsheet_cell::unescape)
            .filter(|s| !s.is_empty())
    };
    let email = cell(Some(header.email)).ok_or("has no email address")?;
    let email = EmailAddress::parse(email)
        .map_err(|e| format!("bad email address \"{}\": {e}", printable(email)))?;
    let joined = full_name(cell(header.first_name), cell(header.last_name));
    let name = cell(header.name)
        .or(joined.as_deref())
        .map(SubscriberName::parse)
        .transpose()
        .map_err(|e| format!("bad name: {e}"))?;
    let language = cell(header.language)
        .map(Language::parse)
        .transpose()
        .map_err(|e| format!("bad language: {e}"))?;
    let status = cell(header.status)
        .map(SubscriberStatus::parse)
        .transpose()
        .map_err(|e| format!("bad status: {e}"))?;
    let mut lists: Vec<ListName> = match cell(header.lists) {
        Some(raw) => raw
            .split([';', '|', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(ListName::parse)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| format!("bad list name: {e}"))?,
        None => Vec::new(),
    };
    if let Some(list) = &options.list
        && !lists.contains(list)
    {
        lists.push(list.clone());
    }
    if header.lists.is_none() && lists.is_empty() {
        lists.push(options.default_list.clone());
    }
    let attributes = attributes(header, cell)?;
    Ok(ImportRow {
        line,
        email,
        name,
        language,
        lists,
        status,
        attributes,
    })
}

/// The attributes of a row, by [`Header::attributes`].
fn attributes<'a>(
    header: &Header,
    cell: impl Fn(Option<usize>) -> Option<&'a str>,
) -> std::result::Result<Map<String, Value>, String> {
    let mut attributes = Map::new();
    for (i, key) in &header.attributes {
        if let Some(value) = cell(Some(*i)) {
            if value
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                return Err(format!("the \"{key}\" column has control characters"));
            }
            attributes.insert(key.clone(), Value::String(value.to_owned()));
        }
    }
    Ok(attributes)
}

/// "first last" from first and last name columns, either alone if the
/// other is empty.
fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.or(l).map(str::to_owned),
    }
}

/// A cell for an error message: control characters escaped, long ones cut.
fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(80).flat_map(char::escape_debug).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_are_recognised_as_the_delimiter() {
        assert_eq!(sniff_delimiter("email;naam;stad\na@b.nl;x;y"), b';');
        assert_eq!(sniff_delimiter("email,name\n"), b',');
        assert_eq!(sniff_delimiter("email\tname\n"), b'\t');
        assert_eq!(sniff_delimiter("email\n"), b',');
    }
}
