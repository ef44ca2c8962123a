//! The public pages' limit of mails per mailbox (confirmations and
//! unsubscribe links together), kept in the database so a restart does
//! not reset it: one row per mail, under a keyed hash of the
//! [`NormalisedMailbox`] (HMAC under `secrets.suppression_key`, another
//! purpose than the suppression list's), so the table names nobody.
//!
//! The count and the insert are one statement, behind the store's
//! in-process writer lock: two requests in one `serve` cannot both take
//! the last place. Two `serve` processes on one PostgreSQL database could,
//! at worst one mail each over the limit.

use std::time::Duration;

use super::backend::on_db;
use super::{Store, now_ms};
use crate::domain::{EmailAddress, NormalisedMailbox};
use crate::error::Result;

impl Store {
    /// Records a mail to `address`'s mailbox and returns true, unless
    /// `limit` mails went to it within `window` (then false, and nothing
    /// is recorded). Rows older than `window` are swept on the way.
    pub async fn allow_address_mail(
        &self,
        address: &EmailAddress,
        limit: u32,
        window: Duration,
    ) -> Result<bool> {
        let hash = self
            .suppression_key()?
            .mailbox_hash(&NormalisedMailbox::of(address));
        let now = now_ms();
        let since = now.saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
        let _writer = self.writer.lock().await;
        let inserted = on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            sqlx::query("DELETE FROM address_mails WHERE at <= $1")
                .bind(since)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(
                "INSERT INTO address_mails (hash, at) SELECT $1, $2 \
                 WHERE (SELECT count(*) FROM address_mails WHERE hash = $1 AND at > $3) < $4",
            )
            .bind(hash.as_bytes().as_slice())
            .bind(now)
            .bind(since)
            .bind(i64::from(limit))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            done.rows_affected()
        });
        Ok(inserted == 1)
    }
}
