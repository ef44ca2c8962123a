//! `postbode subscribers ...`: add, import, list, export, unsubscribe,
//! remove.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use super::parse_arg;
use crate::config::Settings;
use crate::domain::{ChangeSource, EmailAddress, ListName, SubscriberName, SubscriberStatus};
use crate::error::{Error, Result};
use crate::export::{self, ListFormat};
use super::pending::Pending;
use crate::import::{self, ImportOptions};
use crate::store::{NewSubscriber, Store, SubscriberFilter};

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Add one subscriber (pending until they confirm, unless --active)
    Add {
        email: String,
        /// Their name, used in the greeting and the To header
        #[arg(long)]
        name: Option<String>,
        /// List to put them on [default: newsletter.default_list]
        #[arg(long)]
        list: Option<String>,
        /// They already opted in elsewhere: make them active at once
        #[arg(long)]
        active: bool,
        /// Mail them the double opt-in link now, through the normal mail
        /// path (shared rate, recorded); without it pending people get
        /// nothing until they confirm
        #[arg(long, conflicts_with = "active")]
        send_confirmation: bool,
    },
    /// Import a CSV file with a header row (email required; name, language,
    /// lists, status known; other columns become attributes)
    Import {
        file: PathBuf,
        /// Also put every row on this list
        #[arg(long)]
        list: Option<String>,
        /// New and pending subscribers become active (they opted in elsewhere)
        #[arg(long)]
        active: bool,
        /// Mail the file's pending people the double opt-in link now, through the normal mail
        /// path (shared rate, recorded); without it pending people get
        /// nothing until they confirm
        #[arg(long, conflicts_with = "active")]
        send_confirmation: bool,
    },
    /// List subscribers
    List {
        /// Only this status: pending, active, unsubscribed, bounced, complained
        #[arg(long)]
        status: Option<String>,
        /// Only members of this list
        #[arg(long)]
        list: Option<String>,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Write every subscriber to a CSV file that `import` reads back (- for stdout)
    Export { file: PathBuf },
    /// Unsubscribe someone (recorded with source "cli")
    Unsubscribe { email: String },
    /// Erase a person (GDPR): only anonymous counts are kept
    Remove { email: String },
}

pub async fn run(cmd: SubscribersCommand, settings: &Settings, store: &Store) -> Result<()> {
    match cmd {
        SubscribersCommand::Add {
            email,
            name,
            list,
            active,
            send_confirmation,
        } => {
            let email = parse_arg("email address", &email, EmailAddress::parse)?;
            let name = name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(|n| parse_arg("--name", n, SubscriberName::parse))
                .transpose()?;
            let list = match list {
                Some(l) => parse_arg("--list", &l, ListName::parse)?,
                None => settings.newsletter.default_list.clone(),
            };
            let started = crate::store::now_ms();
            add(store, email.clone(), name, list, active).await?;
            // Pending after the command: new, or pending already.
            let (ids, created) = match store.find_subscriber(&email).await? {
                Some(s) if s.status == SubscriberStatus::Pending => {
                    (vec![s.id], u64::from(s.created_at >= started))
                }
                _ => (Vec::new(), 0),
            };
            let pending = Pending {
                ids: &ids,
                created,
                send: send_confirmation,
                source: ChangeSource::Cli,
            };
            super::pending::follow_up(settings, store, pending).await
        }
        SubscribersCommand::Import {
            file,
            list,
            active,
            send_confirmation,
        } => {
            let list = list
                .map(|l| parse_arg("--list", &l, ListName::parse))
                .transpose()?;
            let options = ImportOptions {
                list,
                activate: active,
                default_list: settings.newsletter.default_list.clone(),
                batch_size: 1000,
            };
            let summary = import(store, &file, &options).await?;
            let pending = Pending {
                ids: &summary.pending,
                created: summary.pending_created,
                send: send_confirmation,
                source: ChangeSource::Import,
            };
            super::pending::follow_up(settings, store, pending).await
        }
        SubscribersCommand::List {
            status,
            list,
            format,
        } => {
            let filter = SubscriberFilter {
                status: status
                    .map(|s| parse_arg("--status", &s, SubscriberStatus::parse))
                    .transpose()?,
                list: list
                    .map(|l| parse_arg("--list", &l, ListName::parse))
                    .transpose()?,
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            export::write_subscribers(store, &filter, format, &mut out).await?;
            out.flush().map_err(|e| Error::io("standard output", e))
        }
        SubscribersCommand::Export { file } => {
            let n = export::export_csv(store, &file).await?;
            if file.as_os_str() != "-" {
                println!("exported {n} subscribers to {}", file.display());
            }
            Ok(())
        }
        SubscribersCommand::Unsubscribe { email } => {
            let email = parse_arg("email address", &email, EmailAddress::parse)?;
            let change = store
                .set_status(
                    &email,
                    SubscriberStatus::Unsubscribed,
                    ChangeSource::Cli,
                    None,
                )
                .await?
                .ok_or_else(|| unknown(&email))?;
            match change.from {
                Some(SubscriberStatus::Unsubscribed) => {
                    println!("{email} was already unsubscribed")
                }
                _ => println!("unsubscribed {email}"),
            }
            Ok(())
        }
        SubscribersCommand::Remove { email } => {
            let email = parse_arg("email address", &email, EmailAddress::parse)?;
            store
                .remove_subscriber(&email)
                .await?
                .ok_or_else(|| unknown(&email))?;
            println!(
                "erased {email}: their address, name, attributes and lists are gone; only an anonymous count remains"
            );
            Ok(())
        }
    }
}

fn unknown(email: &EmailAddress) -> Error {
    Error::Input(format!("no subscriber has the address {email}"))
}

async fn add(
    store: &Store,
    email: EmailAddress,
    name: Option<SubscriberName>,
    list: ListName,
    active: bool,
) -> Result<()> {
    let status = if active {
        SubscriberStatus::Active
    } else {
        SubscriberStatus::Pending
    };
    let new = NewSubscriber {
        email: email.clone(),
        name,
        status,
        language: None,
    };
    if let Some(s) = store
        .add_subscriber(&new, std::slice::from_ref(&list), ChangeSource::Cli)
        .await?
    {
        println!("added {} ({}) to list {list}", s.email, s.status);
        return Ok(());
    }
    let existing = store
        .find_subscriber(&email)
        .await?
        .ok_or_else(|| unknown(&email))?;
    if active && existing.status.is_gone() {
        return Err(Error::Input(format!(
            "{email} is {}; postbode does not re-subscribe someone who left. \
             They can subscribe again on the subscribe page.",
            existing.status
        )));
    }
    let joined = store
        .join_lists(existing.id, std::slice::from_ref(&list))
        .await?;
    if active && existing.status == SubscriberStatus::Pending {
        store
            .set_status(&email, SubscriberStatus::Active, ChangeSource::Cli, None)
            .await?;
        println!("{email} was pending and is now active");
    } else if joined > 0 {
        println!(
            "{email} was already known ({}); added to list {list}",
            existing.status
        );
    } else {
        println!(
            "{email} is already on list {list} ({}); nothing changed",
            existing.status
        );
    }
    Ok(())
}

async fn import(
    store: &Store,
    file: &std::path::Path,
    options: &ImportOptions,
) -> Result<import::ImportSummary> {
    let progress = ProgressBar::new(0);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let name = file.display().to_string();
    let summary = import::import_csv(store, file, options, &progress, |r| {
        progress.suspend(|| eprintln!("{name}: line {}: {}", r.line, r.reason));
    })
    .await?;
    let c = summary.counts;
    println!(
        "{name}: {} added, {} updated, {} unchanged, {} rejected",
        c.added, c.updated, c.unchanged, summary.rejected
    );
    if c.kept_gone > 0 {
        println!(
            "{} rows named people who had left; they stay unsubscribed (an import never re-subscribes anyone)",
            c.kept_gone
        );
    }
    if c.duplicates > 0 {
        println!(
            "{} rows repeated an address seen just before; merged into one",
            c.duplicates
        );
    }
    Ok(summary)
}
