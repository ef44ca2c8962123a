//! Writing subscribers out: `subscribers list` (table, CSV or JSON) and
//! `subscribers export` (CSV that `subscribers import` reads back
//! unchanged). Both stream from the database.
//!
//! Every CSV cell goes through [`spreadsheet_cell::escape`], so a name
//! typed into the public form as `=HYPERLINK(…)` opens in a spreadsheet as
//! text, not as a formula; import takes the `'` off again. An attribute
//! the store holds under two spellings (`City`, `city`: from before import
//! kept one) is one column, so the file imports back.

use std::io::Write;

use futures_util::TryStreamExt;
use serde_json::Value;

use crate::domain::{attribute_key, spreadsheet_cell};
use crate::error::{Error, Result};
use crate::private_file::FileAccess;
use crate::store::{Store, Subscriber, SubscriberFilter, format_ms};

/// Output formats of `subscribers list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Csv,
    Json,
}

/// Writes the matching subscribers to `out`; returns how many.
pub async fn write_subscribers(
    store: &Store,
    filter: &SubscriberFilter,
    format: ListFormat,
    out: &mut dyn Write,
) -> Result<u64> {
    let io = |e: std::io::Error| Error::io("standard output", e);
    let mut rows = store.subscribers(filter);
    let mut n = 0u64;
    match format {
        ListFormat::Csv => {
            let keys = columns(store.attribute_keys().await?);
            let mut w = csv::Writer::from_writer(out);
            write_escaped(&mut w, csv_header(&keys))?;
            while let Some(s) = rows.try_next().await? {
                write_escaped(&mut w, csv_row(&s, &keys))?;
                n += 1;
            }
            w.flush().map_err(io)?;
        }
        ListFormat::Json => {
            out.write_all(b"[").map_err(io)?;
            while let Some(s) = rows.try_next().await? {
                out.write_all(if n == 0 { b"\n  " } else { b",\n  " })
                    .map_err(io)?;
                serde_json::to_writer(&mut *out, &json_row(&s))
                    .map_err(|e| Error::Input(e.to_string()))?;
                n += 1;
            }
            out.write_all(if n == 0 { b"]\n" } else { b"\n]\n" })
                .map_err(io)?;
        }
        ListFormat::Table => {
            writeln!(
                out,
                "{:<40} {:<24} {:<12} {:<5} {:<20} CREATED",
                "EMAIL", "NAME", "STATUS", "LANG", "LISTS"
            )
            .map_err(io)?;
            while let Some(s) = rows.try_next().await? {
                writeln!(
                    out,
                    "{:<40} {:<24} {:<12} {:<5} {:<20} {}",
                    s.email.as_str(),
                    s.name.as_ref().map_or("", |n| n.as_str()),
                    s.status.as_str(),
                    s.language.as_ref().map_or("", |l| l.as_str()),
                    lists_cell(&s),
                    format_ms(s.created_at),
                )
                .map_err(io)?;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Writes every subscriber as CSV to `path` (`-`: standard output). The
/// file appears only when complete: it is written beside and renamed. It
/// is made with `access` (0600, or 0640 for `files.group`); a link at
/// `path` is refused, never written through ([`crate::private_file`]).
pub async fn export_csv(store: &Store, path: &std::path::Path, access: &FileAccess) -> Result<u64> {
    if path.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        return write_subscribers(
            store,
            &SubscriberFilter::default(),
            ListFormat::Csv,
            &mut out,
        )
        .await;
    }
    let mut partial = access.temp_beside(path).map_err(|e| Error::io(path, e))?;
    let mut out = std::io::BufWriter::new(partial.file());
    let n = write_subscribers(
        store,
        &SubscriberFilter::default(),
        ListFormat::Csv,
        &mut out,
    )
    .await?;
    out.flush().map_err(|e| Error::io(path, e))?;
    drop(out);
    partial.replace(path).map_err(|e| Error::io(path, e))?;
    Ok(n)
}

/// One CSV record, each cell escaped for spreadsheets.
fn write_escaped<W: Write>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<()> {
    for cell in cells {
        w.write_field(spreadsheet_cell::escape(cell.as_ref()).as_bytes())
            .map_err(csv_err)?;
    }
    w.write_record(std::iter::empty::<&[u8]>()).map_err(csv_err)
}

fn csv_err(e: csv::Error) -> Error {
    Error::Input(format!("writing CSV: {e}"))
}

/// The attribute columns: the stored keys (in byte order) grouped by
/// [`attribute_key::same`], each group named by its first spelling.
fn columns(keys: Vec<String>) -> Vec<Vec<String>> {
    let mut columns: Vec<Vec<String>> = Vec::new();
    for key in keys {
        match columns
            .iter_mut()
            .find(|c| attribute_key::same(&c[0], &key))
        {
            Some(column) => column.push(key),
            None => columns.push(vec![key]),
        }
    }
    columns
}

fn csv_header(columns: &[Vec<String>]) -> Vec<&str> {
    let mut h = vec!["email", "name", "language", "status", "lists"];
    h.extend(columns.iter().map(|c| c[0].as_str()));
    h
}

fn lists_cell(s: &Subscriber) -> String {
    s.lists
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

fn csv_row(s: &Subscriber, columns: &[Vec<String>]) -> Vec<String> {
    let mut row = vec![
        s.email.as_str().to_owned(),
        s.name
            .as_ref()
            .map_or(String::new(), |n| n.as_str().to_owned()),
        s.language
            .as_ref()
            .map_or(String::new(), |l| l.as_str().to_owned()),
        s.status.as_str().to_owned(),
        lists_cell(s),
    ];
    // The first spelling with a value: one person rarely has two.
    row.extend(columns.iter().map(|spellings| {
        match spellings
            .iter()
            .filter_map(|k| s.attributes.get(k))
            .find(|v| !v.is_null())
        {
            None => String::new(),
            Some(Value::String(v)) => v.clone(),
            Some(other) => other.to_string(),
        }
    }));
    row
}

fn json_row(s: &Subscriber) -> Value {
    serde_json::json!({
        "email": s.email.as_str(),
        "name": s.name.as_ref().map(|n| n.as_str()),
        "status": s.status.as_str(),
        "language": s.language.as_ref().map(|l| l.as_str()),
        "lists": s.lists.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "attributes": s.attributes,
        "created_at": format_ms(s.created_at),
        "updated_at": format_ms(s.updated_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_spellings_of_an_attribute_in_the_store_are_one_column_named_by_the_first() {
        let columns = columns(vec!["City".into(), "city".into(), "phone".into()]);
        assert_eq!(csv_header(&columns)[5..], ["City", "phone"]);
        assert_eq!(columns[0], ["City", "city"]);
    }
}
