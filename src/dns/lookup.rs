//! TXT lookups through a stub resolver (hickory-resolver): the system's
//! (`/etc/resolv.conf`), or one nameserver given as `IP:PORT`, which is
//! how the tests point it at a DNS server on loopback.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::{ResolveError, ResolveErrorKind, TokioResolver};

/// A lookup that got no answer (timeout, SERVFAIL, REFUSED, no network):
/// not the same as "no such record", which is an empty answer.
#[derive(Debug, thiserror::Error)]
#[error("could not look up the TXT records of {name}: {reason}")]
pub struct LookupFailed {
    pub name: String,
    pub reason: String,
}

/// Resolves TXT records.
pub struct Lookup {
    resolver: TokioResolver,
}

impl Lookup {
    /// The system's resolver configuration.
    pub fn system() -> Result<Lookup, LookupFailed> {
        let builder = TokioResolver::builder_tokio().map_err(|e| LookupFailed {
            name: "/etc/resolv.conf".into(),
            reason: e.to_string(),
        })?;
        // Attempts and timeouts stay as resolv.conf says.
        Ok(Lookup {
            resolver: builder.build(),
        })
    }

    /// Only the nameserver at `server` (UDP, and TCP for long answers).
    pub fn at(server: SocketAddr) -> Lookup {
        let servers = NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
        let config = ResolverConfig::from_parts(None, vec![], servers);
        let resolver =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(builder_options())
                .build();
        Lookup { resolver }
    }

    /// The TXT records at `name`, each record's strings joined into one
    /// text (as SPF, DKIM and DMARC read them: RFC 7208 §3.3, RFC 6376
    /// §3.6.2.2). Empty when the name or its TXT records do not exist.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, LookupFailed> {
        // A final dot: the name is absolute, never tried under a search domain.
        let absolute = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(absolute).await {
            Ok(found) => Ok(found
                .iter()
                .map(|txt| {
                    let bytes: Vec<u8> = txt.iter().flat_map(|s| s.iter().copied()).collect();
                    String::from_utf8_lossy(&bytes).into_owned()
                })
                .collect()),
            Err(e) if no_such_record(&e) => Ok(Vec::new()),
            Err(e) => Err(LookupFailed {
                name: name.to_owned(),
                reason: e.to_string(),
            }),
        }
    }
}

/// NXDOMAIN, or an empty NOERROR answer: the record does not exist. Not
/// REFUSED or SERVFAIL, which hickory also reports as "no records found"
/// but which mean the server did not answer the question.
fn no_such_record(e: &ResolveError) -> bool {
    match e.kind() {
        ResolveErrorKind::Proto(p) => matches!(
            p.kind(),
            ProtoErrorKind::NoRecordsFound {
                response_code: ResponseCode::NXDomain | ResponseCode::NoError,
                ..
            }
        ),
        _ => false,
    }
}

fn builder_options() -> ResolverOpts {
    let mut options = ResolverOpts::default();
    options.timeout = Duration::from_secs(3);
    options.attempts = 2;
    // Answers are read once; a cache would only hide a record just fixed
    // when the check runs again in the same process (the tests do).
    options.cache_size = 0;
    options
}
