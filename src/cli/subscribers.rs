//! `postbode subscribers ...`: add, import, list, show (in
//! [`super::subscriber_show`]), export, unsubscribe, remove, unsuppress.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use super::parse_arg;
use super::pending::Pending;
use super::subscriber_show::{self, ShowFormat};
use crate::config::Settings;
use crate::domain::{
    ChangeSource, ConsentBasis, EmailAddress, ListName, StatusOutcome, SubscriberName,
    SubscriberStatus, SuppressionReason,
};
use crate::error::{Error, Result};
use crate::export::{self, ListFormat};
use crate::import::{self, ImportOptions};
use crate::store::{Added, ConsentWay, NewSubscriber, Store, SubscriberFilter, Unsuppressed};

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
        /// Where their consent came from, kept as proof of consent, e.g.
        /// "aanmelding op het congres 2026" [default: not stated]
        #[arg(long, value_name = "TEXT")]
        basis: Option<String>,
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
        /// Where their consent came from, kept as proof of consent for each
        /// person added, activated or put on a new list [default: not stated]
        #[arg(long, value_name = "TEXT")]
        basis: Option<String>,
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
    /// Everything known about one subscriber: status, lists, attributes,
    /// suppression, proof of consent and status history
    Show {
        email: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
        format: ShowFormat,
    },
    /// Write every subscriber to a CSV file that `import` reads back (- for stdout)
    Export { file: PathBuf },
    /// Unsubscribe someone (recorded with source "cli")
    Unsubscribe { email: String },
    /// Erase a person (GDPR): only anonymous counts are kept, and a keyed
    /// hash of the address on the suppression list
    Remove { email: String },
    /// Lift a bounce or complaint from the suppression list (logged with
    /// source "admin"); a bounced or complained subscriber becomes active
    Unsuppress {
        email: String,
        /// Why: kept in the status log, e.g. "mailbox works again, checked
        /// with the reader by phone"
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(cmd: SubscribersCommand, settings: &Settings, store: &Store) -> Result<()> {
    // Whatever changes someone touches the suppression list: say at once
    // when its key is missing, before any work.
    if matches!(
        cmd,
        SubscribersCommand::Add { .. }
            | SubscribersCommand::Import { .. }
            | SubscribersCommand::Unsubscribe { .. }
            | SubscribersCommand::Remove { .. }
            | SubscribersCommand::Unsuppress { .. }
    ) {
        store.suppression_key()?;
    }
    match cmd {
        SubscribersCommand::Add {
            email,
            name,
            list,
            active,
            basis,
            send_confirmation,
        } => {
            let args = AddArgs {
                email,
                name,
                list,
                active,
                basis,
                send_confirmation,
            };
            run_add(settings, store, args).await
        }
        SubscribersCommand::Import {
            file,
            list,
            active,
            basis,
            send_confirmation,
        } => {
            let args = ImportArgs {
                file,
                list,
                active,
                basis,
                send_confirmation,
            };
            run_import(settings, store, args).await
        }
        SubscribersCommand::List {
            status,
            list,
            format,
        } => run_list(store, status, list, format).await,
        SubscribersCommand::Show { email, format } => {
            let email = parse_arg("email address", &email, EmailAddress::parse)?;
            subscriber_show::run(settings, store, &email, format, unknown).await
        }
        SubscribersCommand::Export { file } => run_export(settings, store, &file).await,
        SubscribersCommand::Unsubscribe { email } => run_unsubscribe(store, &email).await,
        SubscribersCommand::Remove { email } => run_remove(store, &email).await,
        SubscribersCommand::Unsuppress { email, reason } => {
            run_unsuppress(store, &email, &reason).await
        }
    }
}

/// The flags of `subscribers add`, as typed.
struct AddArgs {
    email: String,
    name: Option<String>,
    list: Option<String>,
    active: bool,
    basis: Option<String>,
    send_confirmation: bool,
}

/// `subscribers add`: add the person, then follow up on them if they are
/// pending afterwards (new, or pending already).
async fn run_add(settings: &Settings, store: &Store, args: AddArgs) -> Result<()> {
    let email = parse_arg("email address", &args.email, EmailAddress::parse)?;
    let basis = parse_basis(args.basis)?;
    let name = args
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| parse_arg("--name", n, SubscriberName::parse))
        .transpose()?;
    let list = match args.list {
        Some(l) => parse_arg("--list", &l, ListName::parse)?,
        None => settings.newsletter.default_list.clone(),
    };
    let started = crate::store::now_ms();
    add(store, email.clone(), name, list, args.active, basis).await?;
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
        send: args.send_confirmation,
        source: ChangeSource::Cli,
    };
    super::pending::follow_up(settings, store, pending).await
}

/// The flags of `subscribers import`, as typed.
struct ImportArgs {
    file: PathBuf,
    list: Option<String>,
    active: bool,
    basis: Option<String>,
    send_confirmation: bool,
}

/// `subscribers import`: import the file, then follow up on its pending
/// people.
async fn run_import(settings: &Settings, store: &Store, args: ImportArgs) -> Result<()> {
    let list = args
        .list
        .map(|l| parse_arg("--list", &l, ListName::parse))
        .transpose()?;
    let options = ImportOptions {
        list,
        activate: args.active,
        default_list: settings.newsletter.default_list.clone(),
        batch_size: 1000,
        basis: parse_basis(args.basis)?,
    };
    let summary = import(store, &args.file, &options).await?;
    let pending = Pending {
        ids: &summary.pending,
        created: summary.pending_created,
        send: args.send_confirmation,
        source: ChangeSource::Import,
    };
    super::pending::follow_up(settings, store, pending).await
}

/// `subscribers list`: the matching subscribers on standard output.
async fn run_list(
    store: &Store,
    status: Option<String>,
    list: Option<String>,
    format: ListFormat,
) -> Result<()> {
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

/// `subscribers export`: quiet when the CSV goes to standard output.
async fn run_export(settings: &Settings, store: &Store, file: &Path) -> Result<()> {
    let n = export::export_csv(store, file, &settings.files.group).await?;
    if file.as_os_str() != "-" {
        println!("exported {n} subscribers to {}", file.display());
    }
    Ok(())
}

/// `subscribers unsubscribe`.
async fn run_unsubscribe(store: &Store, email: &str) -> Result<()> {
    let email = parse_arg("email address", email, EmailAddress::parse)?;
    let outcome = store
        .set_status(
            &email,
            SubscriberStatus::Unsubscribed,
            ChangeSource::Cli,
            None,
        )
        .await?;
    match outcome {
        StatusOutcome::Changed { .. } => println!("unsubscribed {email}"),
        StatusOutcome::Unchanged(_) => println!("{email} was already unsubscribed"),
        // Bounced or complained: they get no mail, and that
        // status says more than an unsubscribe would.
        StatusOutcome::Refused { current } => {
            println!("{email} is {current} and gets no mail; nothing changed")
        }
        StatusOutcome::Unknown => return Err(unknown(&email)),
    }
    Ok(())
}

/// `subscribers remove`: the GDPR erasure.
async fn run_remove(store: &Store, email: &str) -> Result<()> {
    let email = parse_arg("email address", email, EmailAddress::parse)?;
    store
        .remove_subscriber(&email)
        .await?
        .ok_or_else(|| unknown(&email))?;
    println!(
        "erased {email}: their address, name, attributes and lists are gone; \
         only an anonymous count remains, and a keyed hash of the address on the \
         suppression list, so no import brings them back"
    );
    Ok(())
}

/// `subscribers unsuppress`: only bounces and complaints; what the person
/// asked for themselves only they can lift.
async fn run_unsuppress(store: &Store, email: &str, reason: &str) -> Result<()> {
    let email = parse_arg("email address", email, EmailAddress::parse)?;
    if reason.trim().is_empty() {
        return Err(Error::Input(
            "--reason must say why the suppression is lifted".into(),
        ));
    }
    match store.unsuppress(&email, reason.trim()).await? {
        Unsuppressed::Lifted {
            reactivated: true, ..
        } => println!("lifted the suppression of {email}; they are active again"),
        Unsuppressed::Lifted { reason, .. } => println!(
            "lifted the suppression of {email} ({}); the address may be added again",
            reason.map_or("-", |r| r.as_str())
        ),
        Unsuppressed::NotSuppressed => {
            return Err(Error::Input(format!(
                "{email} is not suppressed for a bounce or complaint; nothing changed"
            )));
        }
        Unsuppressed::PersonOnly(why) => {
            return Err(Error::Input(format!(
                "{email} is suppressed because it was {why}; only the person can lift \
                 that, by subscribing again on the subscribe page (double opt-in). \
                 Nothing changed."
            )));
        }
    }
    Ok(())
}

/// `--basis`, when given.
fn parse_basis(basis: Option<String>) -> Result<Option<ConsentBasis>> {
    basis
        .map(|b| parse_arg("--basis", &b, ConsentBasis::parse))
        .transpose()
}

fn unknown(email: &EmailAddress) -> Error {
    Error::Input(format!("no subscriber has the address {email}"))
}

/// Adds the person, or, when the address is known, puts them on the list
/// (and activates them with `--active` when they were pending).
async fn add(
    store: &Store,
    email: EmailAddress,
    name: Option<SubscriberName>,
    list: ListName,
    active: bool,
    basis: Option<ConsentBasis>,
) -> Result<()> {
    let consent = ConsentWay::Add {
        list: list.clone(),
        basis,
    };
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
    match store
        .add_subscriber_consenting(
            &new,
            std::slice::from_ref(&list),
            ChangeSource::Cli,
            &consent,
        )
        .await?
    {
        Added::New(s) => {
            println!("added {} ({}) to list {list}", s.email, s.status);
            Ok(())
        }
        Added::Suppressed(why) => Err(suppressed(&email, why)),
        Added::Known => add_known(store, &email, &list, active, &consent).await,
    }
}

/// The address is suppressed: say who may lift that.
fn suppressed(email: &EmailAddress, why: SuppressionReason) -> Error {
    let lift = if why.lifted_by_person() {
        "only they can lift that, by subscribing again on the subscribe page"
    } else {
        "an admin lifts that with `postbode subscribers unsuppress`"
    };
    Error::Input(format!(
        "{email} is on the suppression list ({why}); not added: {lift}"
    ))
}

/// `add` for an address the store knows already: joins the list and, with
/// `--active`, activates a pending person, but never re-subscribes someone
/// who left. Consent is recorded only when something changed.
async fn add_known(
    store: &Store,
    email: &EmailAddress,
    list: &ListName,
    active: bool,
    consent: &ConsentWay,
) -> Result<()> {
    let existing = store
        .find_subscriber(email)
        .await?
        .ok_or_else(|| unknown(email))?;
    if active && existing.status.is_gone() {
        return Err(Error::Input(format!(
            "{email} is {}; postbode does not re-subscribe someone who left. \
             They can subscribe again on the subscribe page.",
            existing.status
        )));
    }
    let joined = store
        .join_lists(existing.id, std::slice::from_ref(list))
        .await?;
    let activated = active
        && existing.status == SubscriberStatus::Pending
        && matches!(
            store
                .set_status(email, SubscriberStatus::Active, ChangeSource::Cli, None)
                .await?,
            StatusOutcome::Changed { .. }
        );
    if activated || joined > 0 {
        store.record_consent(existing.id, consent).await?;
    }
    if activated {
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
    if let Some(note) = &summary.encoding_note {
        println!("{name}: {note}");
    }
    if c.kept_gone > 0 {
        println!(
            "{} rows named people who had left; they stay unsubscribed, bounced or complained as they were (an import never re-subscribes anyone)",
            c.kept_gone
        );
    }
    if c.suppressed.total() > 0 {
        let reasons: Vec<String> = SuppressionReason::ALL
            .iter()
            .filter(|r| c.suppressed.get(**r) > 0)
            .map(|r| format!("{} {r}", c.suppressed.get(*r)))
            .collect();
        println!(
            "{} rows skipped: the address is on the suppression list ({})",
            c.suppressed.total(),
            reasons.join(", ")
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
