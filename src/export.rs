//! Writing subscribers out: `subscribers list` (table, CSV or JSON) and
//! `subscribers export` (CSV that `subscribers import` reads back
//! unchanged). Both stream from the database.

use std::io::Write;

use futures_util::TryStreamExt;
use serde_json::Value;

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
            let keys = store.attribute_keys().await?;
            let mut w = csv::Writer::from_writer(out);
            w.write_record(csv_header(&keys)).map_err(csv_err)?;
            while let Some(s) = rows.try_next().await? {
                w.write_record(csv_row(&s, &keys)).map_err(csv_err)?;
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

fn csv_err(e: csv::Error) -> Error {
    Error::Input(format!("writing CSV: {e}"))
}

fn csv_header(keys: &[String]) -> Vec<&str> {
    let mut h = vec!["email", "name", "language", "status", "lists"];
    h.extend(keys.iter().map(String::as_str));
    h
}

fn lists_cell(s: &Subscriber) -> String {
    s.lists
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

fn csv_row(s: &Subscriber, keys: &[String]) -> Vec<String> {
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
    row.extend(keys.iter().map(|k| match s.attributes.get(k) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(v)) => v.clone(),
        Some(other) => other.to_string(),
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
