//! `postbode dns check`: parse the arguments, run `dns::check`, print one
//! line per check (and the record to publish under a failed one).

use std::net::{IpAddr, SocketAddr};

use clap::Subcommand;

use crate::config::Settings;
use crate::dns::{self, Lookup, Targets, Verdict};
use crate::error::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Check the DKIM, SPF and DMARC records of the sending and bounce domains
    Check {
        /// Ask this nameserver (IP or IP:PORT) instead of the system's (resolv.conf)
        #[arg(long, value_name = "IP:PORT", value_parser = nameserver)]
        nameserver: Option<SocketAddr>,
    },
}

pub async fn run(cmd: DnsCommand, settings: &Settings) -> Result<()> {
    let DnsCommand::Check { nameserver } = cmd;
    let targets = Targets::from_settings(settings).map_err(|e| Error::Config(e.to_string()))?;
    let lookup = match nameserver {
        Some(server) => Lookup::at(server),
        None => Lookup::system().map_err(|e| Error::Failed(e.to_string()))?,
    };
    let findings = dns::check(&targets, &lookup).await;
    for f in &findings {
        println!(
            "{:<5} {:<9} {}: {}",
            f.verdict, f.check, f.subject, f.message
        );
        if let Some(record) = &f.publish {
            println!("      publish at {}: {}", record.name, record.text);
            println!("      (zone file: {})", record.zone_file_line());
        }
    }
    let count = |v| findings.iter().filter(|f| f.verdict == v).count();
    let (failed, warned) = (count(Verdict::Fail), count(Verdict::Warn));
    println!(
        "{} checks: {} ok, {warned} {}, {failed} failed",
        findings.len(),
        findings.len() - failed - warned,
        if warned == 1 { "warning" } else { "warnings" }
    );
    if failed > 0 {
        return Err(Error::Failed(format!(
            "{failed} of {} DNS checks failed; publish or fix the records named above",
            findings.len()
        )));
    }
    Ok(())
}

/// `IP:PORT`, or a bare IP for port 53.
fn nameserver(s: &str) -> std::result::Result<SocketAddr, String> {
    s.parse::<SocketAddr>()
        .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("{s:?} is not an IP address or IP:PORT (e.g. 127.0.0.1:5353)"))
}
