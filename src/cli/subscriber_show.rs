//! `postbode subscribers show EMAIL`: everything the store knows about one
//! person, for an admin answering "why do I (not) get this?" or a request
//! under GDPR: status, lists, attributes, suppression, proof of consent,
//! and the full status history, with the bounce or complaint report behind
//! each change it made. Times are shown in `newsletter.timezone`.

use std::io::Write;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use crate::config::Settings;
use crate::domain::{EmailAddress, SuppressionReason};
use crate::error::{Error, Result};
use crate::store::{ChangeReport, Consent, ConsentWay, LoggedChange, Store, Subscriber};

/// Output formats of `subscribers show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    Table,
    Json,
}

/// What is known about the address on the suppression list.
enum Suppression {
    No,
    Yes {
        reason: SuppressionReason,
        since: Timestamp,
    },
    /// The list could not be asked (no `secrets.suppression_key`).
    NotChecked(String),
}

/// One person, as `show` prints them.
struct Profile {
    subscriber: Subscriber,
    suppression: Suppression,
    consents: Vec<Consent>,
    history: Vec<LoggedChange>,
}

/// Prints subscriber `email` to standard output; an unknown address is
/// `unknown(email)`, the error every `subscribers` command gives for one.
pub async fn run(
    settings: &Settings,
    store: &Store,
    email: &EmailAddress,
    format: ShowFormat,
    unknown: impl FnOnce(&EmailAddress) -> Error,
) -> Result<()> {
    let subscriber = store
        .find_subscriber(email)
        .await?
        .ok_or_else(|| unknown(email))?;
    let suppression = match store.suppression(email).await {
        Ok(None) => Suppression::No,
        Ok(Some((reason, since_ms))) => Suppression::Yes {
            reason,
            since: Timestamp::from_millisecond(since_ms).unwrap_or(Timestamp::UNIX_EPOCH),
        },
        // A missing key is configuration, not a failure to show the rest.
        Err(e) if e.is_input() => Suppression::NotChecked(e.to_string()),
        Err(e) => return Err(e),
    };
    let profile = Profile {
        consents: store.consents(subscriber.id).await?,
        history: store.status_log(subscriber.id).await?,
        subscriber,
        suppression,
    };
    let zone = Zone::of(settings);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let io = |e: std::io::Error| Error::io("standard output", e);
    match format {
        ShowFormat::Table => write_table(&profile, &zone, &mut out).map_err(io)?,
        ShowFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &to_json(&profile, &zone))
                .map_err(|e| io(e.into()))?;
            writeln!(out).map_err(io)?;
        }
    }
    out.flush().map_err(io)
}

/// The time zone times are shown in, with its name.
struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    fn of(settings: &Settings) -> Zone {
        let name = settings.newsletter.timezone.as_str().to_owned();
        Zone {
            tz: settings.newsletter.timezone.time_zone(),
            name,
        }
    }

    /// `2026-11-30 14:02:11`, for the table (whose heading names the zone).
    fn table(&self, t: Timestamp) -> String {
        t.to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    /// RFC 3339 with the zone's offset, `2026-11-30T14:02:11+01:00`.
    fn json(&self, t: Timestamp) -> String {
        t.to_zoned(self.tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }
}

/// One consent in words: how, and what came with it.
fn describe(way: &ConsentWay) -> String {
    let basis = |b: &Option<crate::domain::ConsentBasis>| match b {
        Some(b) => format!("basis \"{b}\""),
        None => "basis not stated".to_owned(),
    };
    match way {
        ConsentWay::Form {
            list,
            language,
            client,
        } => format!(
            "subscribe form: list {list}, page in {}, from network {}",
            language
                .as_ref()
                .map_or("an unknown language", |l| l.as_str()),
            client.as_ref().map_or("not recorded", |c| c.as_str()),
        ),
        ConsentWay::Add { list, basis: b } => {
            format!("subscribers add: list {list}, {}", basis(b))
        }
        ConsentWay::Import { basis: b } => format!("subscribers import: {}", basis(b)),
        ConsentWay::BeforeRecords => "unknown (before consent records)".to_owned(),
    }
}

/// Whether the person confirmed it, in words.
fn confirmation(consent: &Consent, zone: &Zone) -> String {
    match consent.confirmed_at {
        Some(at) => format!("confirmed by the person {}", zone.table(at)),
        None => "not confirmed by the person".to_owned(),
    }
}

fn suppression_text(s: &Suppression, zone: &Zone) -> String {
    match s {
        Suppression::No => "no".to_owned(),
        Suppression::Yes { reason, since } => {
            let lift = if reason.lifted_by_person() {
                "only they can lift it, by subscribing again"
            } else {
                "an admin lifts it with `subscribers unsuppress`"
            };
            format!("yes, {reason} since {} ({lift})", zone.table(*since))
        }
        Suppression::NotChecked(why) => format!("not checked: {why}"),
    }
}

fn write_table(p: &Profile, zone: &Zone, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &p.subscriber;
    let none = "-";
    writeln!(out, "{}", s.email)?;
    let field = |out: &mut dyn Write, key: &str, value: &str| writeln!(out, "  {key:<12}{value}");
    field(out, "name", s.name.as_ref().map_or(none, |n| n.as_str()))?;
    field(out, "status", s.status.as_str())?;
    field(
        out,
        "language",
        s.language.as_ref().map_or(none, |l| l.as_str()),
    )?;
    let lists: Vec<&str> = s.lists.iter().map(|l| l.as_str()).collect();
    field(
        out,
        "lists",
        &if lists.is_empty() {
            none.to_owned()
        } else {
            lists.join(", ")
        },
    )?;
    let attributes: Vec<String> = s
        .attributes
        .iter()
        .map(|(k, v)| match v {
            Value::String(v) => format!("{k}={v}"),
            other => format!("{k}={other}"),
        })
        .collect();
    field(
        out,
        "attributes",
        &if attributes.is_empty() {
            none.to_owned()
        } else {
            attributes.join("; ")
        },
    )?;
    let since = Timestamp::from_millisecond(s.created_at).unwrap_or(Timestamp::UNIX_EPOCH);
    field(out, "since", &zone.table(since))?;
    field(out, "suppressed", &suppression_text(&p.suppression, zone))?;

    writeln!(out, "\nconsent (times in {}):", zone.name)?;
    if p.consents.is_empty() {
        writeln!(out, "  none recorded")?;
    }
    for c in &p.consents {
        writeln!(out, "  {}  {}", zone.table(c.at), describe(&c.way))?;
        writeln!(out, "  {:19}  {}", "", confirmation(c, zone))?;
    }

    writeln!(out, "\nstatus history (times in {}):", zone.name)?;
    writeln!(
        out,
        "  {:<19}  {:<12}  {:<12}  {:<11}  DETAIL",
        "TIME", "FROM", "TO", "SOURCE"
    )?;
    for h in &p.history {
        let row = format!(
            "  {:<19}  {:<12}  {:<12}  {:<11}  {}",
            zone.table(h.at),
            h.from.map_or(none, |f| f.as_str()),
            h.to.as_str(),
            h.source.as_str(),
            h.detail.as_deref().unwrap_or(""),
        );
        writeln!(out, "{}", row.trim_end())?;
        if let Some(report) = &h.report {
            writeln!(out, "  {:19}  {}", "", report_text(report, zone))?;
        }
    }
    Ok(())
}

/// The report behind a change, in words: `report mid:…: hard bounce 5.1.1,
/// delivery of issue SLUG, applied 2026-11-30 14:02:11`.
fn report_text(report: &ChangeReport, zone: &Zone) -> String {
    let Some(r) = &report.recorded else {
        return format!(
            "report {}: not recorded (ingest it again to record it)",
            report.key
        );
    };
    let issue = r.issue.as_deref().map_or_else(
        || "of a deleted issue".to_owned(),
        |slug| format!("of issue {slug}"),
    );
    format!(
        "report {}: {} {}, delivery {issue}, applied {}",
        report.key,
        r.kind.words(),
        r.code,
        zone.table(r.applied_at)
    )
}

fn report_json(report: &ChangeReport, zone: &Zone) -> Value {
    let r = report.recorded.as_ref();
    json!({
        "key": report.key,
        "recorded": r.is_some(),
        "kind": r.map(|r| r.kind.as_str()),
        "code": r.map(|r| r.code.as_str()),
        "issue": r.and_then(|r| r.issue.as_deref()),
        "applied_at": r.map(|r| zone.json(r.applied_at)),
    })
}

fn to_json(p: &Profile, zone: &Zone) -> Value {
    let s = &p.subscriber;
    let suppression = match &p.suppression {
        Suppression::No => Value::Null,
        Suppression::Yes { reason, since } => json!({
            "reason": reason.as_str(),
            "since": zone.json(*since),
            "lifted_by": if reason.lifted_by_person() { "person" } else { "admin" },
        }),
        Suppression::NotChecked(why) => json!({ "not_checked": why }),
    };
    let consent: Vec<Value> = p
        .consents
        .iter()
        .map(|c| {
            let (list, language, client, basis) = match &c.way {
                ConsentWay::Form {
                    list,
                    language,
                    client,
                } => (
                    Some(list.as_str()),
                    language.as_ref().map(|l| l.as_str()),
                    client.as_ref().map(|c| c.as_str()),
                    None,
                ),
                ConsentWay::Add { list, basis } => (
                    Some(list.as_str()),
                    None,
                    None,
                    basis.as_ref().map(|b| b.as_str()),
                ),
                ConsentWay::Import { basis } => {
                    (None, None, None, basis.as_ref().map(|b| b.as_str()))
                }
                ConsentWay::BeforeRecords => (None, None, None, None),
            };
            json!({
                "method": c.way.method(),
                "at": zone.json(c.at),
                "list": list,
                "language": language,
                "client_network": client,
                "basis": basis,
                "confirmed_at": c.confirmed_at.map(|t| zone.json(t)),
                "summary": describe(&c.way),
            })
        })
        .collect();
    let history: Vec<Value> = p
        .history
        .iter()
        .map(|h| {
            json!({
                "at": zone.json(h.at),
                "from": h.from.map(|f| f.as_str()),
                "to": h.to.as_str(),
                "source": h.source.as_str(),
                "detail": h.detail,
                "report": h.report.as_ref().map(|r| report_json(r, zone)),
            })
        })
        .collect();
    json!({
        "email": s.email.as_str(),
        "name": s.name.as_ref().map(|n| n.as_str()),
        "status": s.status.as_str(),
        "language": s.language.as_ref().map(|l| l.as_str()),
        "lists": s.lists.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "attributes": s.attributes,
        "created_at": zone.json(Timestamp::from_millisecond(s.created_at).unwrap_or(Timestamp::UNIX_EPOCH)),
        "timezone": zone.name,
        "suppression": suppression,
        "consent": consent,
        "history": history,
    })
}
