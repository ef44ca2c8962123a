//! The few outbound HTTP GETs of the SES webhook: the SNS signing
//! certificate (fetched once per URL and kept in memory) and the
//! subscription confirmation. ureq, blocking, on tokio's blocking pool;
//! no redirects (a redirect could leave the trusted host), a timeout and a
//! size cap, no proxy from the environment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::sns_signature::{self, Refusal};

/// A whole GET, connect to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// An SNS certificate is about 2 KB; a confirmation's answer under 1 KB.
pub const SIZE_LIMIT: u64 = 64 * 1024;
/// Certificates kept; a genuine topic uses one or two at a time, so a full
/// cache is emptied rather than managed.
const CACHE_LIMIT: usize = 64;

/// Why a fetch failed (a 503: SNS retries).
#[derive(Debug, thiserror::Error)]
#[error("GET {url}: {reason}")]
pub struct FetchError {
    url: String,
    reason: String,
}

/// GETs `url` (already checked by [`sns_signature::TrustedHosts`]).
pub async fn get(url: &str) -> Result<Vec<u8>, FetchError> {
    let owned = url.to_owned();
    let result = tokio::task::spawn_blocking(move || {
        // rustls on aws-lc-rs, named here: ureq would otherwise take ring.
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(crate::crypto::tls_provider())
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(TIMEOUT))
            .max_redirects(0)
            .proxy(None)
            .build()
            .into();
        let mut response = agent.get(&owned).call().map_err(|e| e.to_string())?;
        response
            .body_mut()
            .with_config()
            .limit(SIZE_LIMIT)
            .read_to_vec()
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("the fetch task failed: {e}")));
    result.map_err(|reason| FetchError {
        url: url.to_owned(),
        reason,
    })
}

/// Signing keys by certificate URL.
#[derive(Debug, Default)]
pub struct CertCache {
    keys: Mutex<HashMap<String, Arc<[u8]>>>,
}

/// What getting a signing key can end in.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The certificate is no good: refuse the message.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// It could not be fetched: let SNS try again.
    #[error(transparent)]
    Unavailable(#[from] FetchError),
}

impl CertCache {
    /// The RSA key of the certificate at `url`, fetched on first use.
    pub async fn key(&self, url: &str) -> Result<Arc<[u8]>, KeyError> {
        if let Some(key) = self.lock().get(url) {
            return Ok(key.clone());
        }
        let pem = get(url).await?;
        let now = jiff::Timestamp::now().as_second().max(0).unsigned_abs();
        let key: Arc<[u8]> = sns_signature::public_key_of(&pem, now)?.into();
        let mut keys = self.lock();
        if keys.len() >= CACHE_LIMIT {
            keys.clear();
        }
        keys.insert(url.to_owned(), key.clone());
        Ok(key)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<[u8]>>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
