//! The command line. Each command parses its arguments into domain types and
//! calls the library; nothing here knows SQL or SMTP.

mod bounces;
mod bounces_fetch;
mod dkim;
mod dns;
mod init;
mod issue;
mod issue_schedule;
mod issue_status;
mod issue_test;
mod migrate;
mod pending;
mod quickstart;
mod render;
mod send;
mod subscriber_show;
mod subscribers;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{self, Loaded};
use crate::error::{Error, Result};
use crate::store::Store;

/// postbode: a self-hosted newsletter sender.
#[derive(Debug, Parser)]
#[command(name = "postbode", version, about, long_about = None)]
pub struct Args {
    /// Configuration file [default: $POSTBODE_CONFIG, else ./postbode.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write postbode.toml if missing, create the database and migrate it
    Init,
    /// Manage subscribers
    #[command(subcommand)]
    Subscribers(subscribers::SubscribersCommand),
    /// The whole job on embedded defaults: SQLite, example subscribers, outbox folder
    Quickstart,
    /// Preview, queue and follow issues
    #[command(subcommand)]
    Issue(issue::IssueCommand),
    /// Render any whole MJML document to HTML (or --text) on standard output
    Render(render::RenderArgs),
    /// Send everything that is due, then exit (for cron)
    Send {
        /// Only this issue: no other is started, resumed or waited for
        #[arg(long, value_name = "SLUG")]
        issue: Option<String>,
    },
    /// Run the public pages; with --dispatch also the send loop
    Serve {
        /// Also send, waking whenever something becomes due
        #[arg(long)]
        dispatch: bool,
    },
    /// Bounce reports and complaints that come back
    #[command(subcommand)]
    Bounces(bounces::BouncesCommand),
    /// DKIM signing keys
    #[command(subcommand)]
    Dkim(dkim::DkimCommand),
    /// Check the DNS records receivers read: DKIM, SPF, DMARC
    #[command(subcommand)]
    Dns(dns::DnsCommand),
    /// Copy everything to another, empty database (SQLite -> PostgreSQL) and check the counts
    MigrateStore {
        /// The database to copy into, e.g. postgres://postbode@db/postbode
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Write a consistent copy of the SQLite database to FILE, also while postbode runs
    Backup {
        /// The copy to make; it must not exist yet
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Runs a command and returns the process exit code: 0 done, 1 failed,
/// 2 bad usage or input.
pub fn run(args: Args) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("postbode: error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(execute(args)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::debug!(error = ?e, "command failed");
            eprintln!("postbode: error: {e}");
            u8::try_from(e.exit_code()).unwrap_or(1)
        }
    }
}

async fn execute(args: Args) -> Result<()> {
    match args.command {
        Command::Init => init::run(args.config.as_deref()).await,
        Command::Subscribers(cmd) => {
            with_store(args.config.as_deref(), |settings, store| {
                Box::pin(subscribers::run(cmd, settings, store))
            })
            .await
        }
        Command::Quickstart => quickstart::run(args.config.as_deref()).await,
        Command::Issue(cmd @ issue::IssueCommand::Preview { .. }) => {
            let loaded = load(args.config.as_deref())?;
            issue::run_preview(cmd, &loaded.settings).await
        }
        Command::Issue(cmd) => {
            with_store(args.config.as_deref(), |settings, store| {
                Box::pin(issue::run(cmd, settings, store))
            })
            .await
        }
        Command::Render(cmd) => render::run(cmd),
        Command::Send { issue } => {
            with_store(args.config.as_deref(), |settings, store| {
                Box::pin(async move { send::send(settings, store, issue.as_deref()).await })
            })
            .await
        }
        Command::Serve { dispatch } => {
            with_store(args.config.as_deref(), |settings, store| {
                Box::pin(serve(settings, store, dispatch))
            })
            .await
        }
        Command::Bounces(cmd) => {
            with_store(args.config.as_deref(), |settings, store| {
                Box::pin(bounces::run(cmd, settings, store))
            })
            .await
        }
        Command::Dkim(cmd) => {
            let loaded = load(args.config.as_deref())?;
            dkim::run(cmd, &loaded.settings)
        }
        Command::Dns(cmd) => {
            let loaded = load(args.config.as_deref())?;
            dns::run(cmd, &loaded.settings).await
        }
        Command::MigrateStore { to } => {
            with_store(args.config.as_deref(), |settings, store| {
                Box::pin(async move { migrate::run(settings, store, &to).await })
            })
            .await
        }
        Command::Backup { file } => {
            with_store(args.config.as_deref(), |settings, store| {
                Box::pin(async move {
                    let bytes = store.backup_to(&file, &settings.files.group).await?;
                    println!("backed up to {} ({bytes} bytes)", file.display());
                    Ok(())
                })
            })
            .await
        }
    }
}

/// `serve [--dispatch]`: the public pages on `server.bind`, the
/// housekeeping ([`crate::housekeeping::run`]), and with `dispatch` the
/// send loop and the IMAP fetch of bounces (`bounces fetch`) beside them,
/// until SIGINT or SIGTERM.
async fn serve(settings: &crate::config::Settings, store: &Store, dispatch: bool) -> Result<()> {
    // Every unsubscribe the pages take goes on the suppression list: refuse
    // to start rather than fail each one.
    store.suppression_key()?;
    let bind = &settings.server.bind;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| Error::Config(format!("setting server.bind: cannot listen on {bind}: {e}")))?;
    let mut stop = send::shutdown_signal();
    let shutdown = async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    let pages = crate::web::serve(settings, store.clone(), shutdown, listener);
    tokio::spawn(crate::housekeeping::run(
        store.clone(),
        settings.subscribers.clone(),
        send::shutdown_signal(),
    ));
    if dispatch {
        // With bounces.imap_url set, `bounces fetch` every
        // bounces.fetch_interval_secs beside the send loop.
        tokio::try_join!(
            pages,
            send::dispatch_loop(settings, store),
            bounces_fetch::every_interval(settings, store)
        )
        .map(|_| ())
    } else {
        pages.await
    }
}

/// Loads the configuration, opens the store, runs `f`, closes the store.
async fn with_store<F>(explicit: Option<&std::path::Path>, f: F) -> Result<()>
where
    F: for<'a> FnOnce(
        &'a crate::config::Settings,
        &'a Store,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>>,
{
    let loaded = load(explicit)?;
    let store = open_store(&loaded.settings).await?;
    let result = f(&loaded.settings, &store).await;
    store.close().await;
    result
}

/// Opens the configured database, with the suppression list's key when
/// one is set (`secrets.suppression_key`). Without one, whatever must
/// touch the list (every status change, adding, erasing) fails with an
/// error that says how to make one; the config loader has already refused
/// a key that is set but too short.
pub(crate) async fn open_store(settings: &crate::config::Settings) -> Result<Store> {
    let store = Store::open_with_access(&settings.database, &settings.files.group).await?;
    Ok(match settings.secrets.suppression_key() {
        Ok(Some(key)) => store.with_suppression_key(key),
        _ => store,
    })
}

/// Loads the configuration and starts logging with it.
fn load(explicit: Option<&std::path::Path>) -> Result<Loaded> {
    let loaded = config::load(explicit)?;
    crate::telemetry::init(&loaded.settings.log);
    tracing::debug!(file = ?loaded.file, settings = ?loaded.settings, "configuration loaded");
    Ok(loaded)
}

/// Parses a command-line value with a domain type, naming the argument in
/// the error.
fn parse_arg<T, E: std::fmt::Display>(
    what: &str,
    value: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, E>,
) -> Result<T> {
    parse(value).map_err(|e| Error::Input(format!("{what} \"{}\": {e}", value.escape_debug())))
}
