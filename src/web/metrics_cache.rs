//! The `/metrics` text, made at most once per [`WINDOW`].
//!
//! Counting deliveries and subscribers takes a while at millions of rows
//! (0.45 s at 1.5M deliveries), and many scrapers at once slowed the
//! one-click unsubscribes that share the database. Here one scrape per
//! window counts; scrapes arriving meanwhile wait for it and share its
//! text (one refresh at a time), and later ones in the window get the same
//! text. So nothing a stranger does (a POST to `/subscribe` moves the
//! `pending` gauge) shows in `/metrics` before the next window.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::error::Result;

/// How long one text is served. Prometheus scrapes every 15 s or more.
pub const WINDOW: Duration = Duration::from_secs(15);

#[derive(Debug, Default)]
pub struct MetricsCache(Mutex<Option<(Instant, Arc<str>)>>);

impl MetricsCache {
    /// The text of this window, made with `make` when there is none yet.
    /// A failure is not kept: the next scrape tries again.
    pub async fn get(&self, make: impl AsyncFnOnce() -> Result<String>) -> Result<Arc<str>> {
        // tokio's Mutex is fair: scrapes queue behind the one refreshing.
        let mut slot = self.0.lock().await;
        if let Some((made, text)) = &*slot
            && made.elapsed() < WINDOW
        {
            return Ok(Arc::clone(text));
        }
        let text: Arc<str> = make().await?.into();
        *slot = Some((Instant::now(), Arc::clone(&text)));
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_scrapes_share_one_count_and_a_failure_is_not_kept() {
        let cache = Arc::new(MetricsCache::default());
        let made = Arc::new(AtomicUsize::new(0));
        let failed = cache
            .get(async || Err(crate::error::Error::Failed("database down".into())))
            .await;
        assert!(failed.is_err());
        let mut scrapes = Vec::new();
        for _ in 0..16 {
            let (cache, made) = (Arc::clone(&cache), Arc::clone(&made));
            scrapes.push(tokio::spawn(async move {
                cache
                    .get(async || {
                        let n = made.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(format!("count {n}"))
                    })
                    .await
                    .map(|t| t.to_string())
                    .ok()
            }));
        }
        for scrape in scrapes {
            assert_eq!(scrape.await.ok().flatten().as_deref(), Some("count 0"));
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }
}
