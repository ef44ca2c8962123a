//! `postbode dkim keygen`: write a signing key, print the DNS record.

use std::io::Write;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::mail::{KeyKind, keygen};

#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Write a new private key and print the DNS TXT record to publish
    Keygen {
        /// The selector: the record goes at SELECTOR._domainkey.DOMAIN
        #[arg(long)]
        selector: String,
        /// Signing domain [default: dkim.domain, else the From address's domain]
        #[arg(long)]
        domain: Option<String>,
        #[arg(long, value_enum, default_value_t = Algorithm::Rsa)]
        algorithm: Algorithm,
        /// Where to write the key [default: dkim-SELECTOR.pem]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Algorithm {
    /// rsa-sha256, 2048 bits: understood everywhere
    Rsa,
    /// ed25519-sha256 (RFC 8463): small and fast, not yet checked by every receiver
    Ed25519,
}

pub fn run(cmd: DkimCommand, settings: &Settings) -> Result<()> {
    let DkimCommand::Keygen {
        selector,
        domain,
        algorithm,
        out,
    } = cmd;
    if selector.is_empty()
        || !selector
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(Error::Input(format!(
            "--selector \"{}\": use letters, digits, dots and dashes",
            selector.escape_debug()
        )));
    }
    let domain = domain
        .or_else(|| Some(settings.dkim.domain.clone()).filter(|d| !d.is_empty()))
        .unwrap_or_else(|| settings.newsletter.from.address.domain().to_owned());
    let kind = match algorithm {
        Algorithm::Rsa => KeyKind::Rsa2048,
        Algorithm::Ed25519 => KeyKind::Ed25519,
    };
    let key = keygen(kind, &domain, &selector).map_err(|e| Error::Input(e.to_string()))?;
    let path = out.unwrap_or_else(|| PathBuf::from(format!("dkim-{selector}.pem")));
    // A secret: 0600 (0640 with files.group, for the service user that
    // signs); never over an existing key, never through a link.
    let mut file = settings
        .files
        .group
        .create_new(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.write_all(key.pem.as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    println!("wrote the private key to {}", path.display());
    println!();
    println!(
        "Publish this DNS TXT record at {} (the value, for a DNS panel):",
        key.dns_name
    );
    println!("  {}", key.dns_txt);
    println!();
    println!("As a zone-file line (split into strings of at most 255 bytes, as DNS requires):");
    println!("{}", key.zone_file_record());
    println!();
    println!("Then add to postbode.toml:");
    println!(
        "[dkim]\ndomain = \"{domain}\"\nselector = \"{selector}\"\nprivate_key_file = \"{}\"",
        path.display()
    );
    Ok(())
}
