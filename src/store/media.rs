//! Stored images (`media`): the prepared images of queued issues, by
//! their content-hash name (see [`crate::media`]). Rows are written with
//! the issue that first uses them and never changed; the same name is the
//! same bytes, so a second issue with the same photo adds nothing.

use super::backend::on_db;
use super::{Issue, NewIssue, Store, now_ms};
use crate::error::Result;
use crate::media::{MediaFile, MediaName};

impl Store {
    /// Queues an issue ([`Store::queue_issue`]) with its images. When the
    /// issue is refused, the images this call added are taken out again,
    /// so a refused queue leaves the store as it was.
    pub async fn queue_issue_with_media(
        &self,
        new: &NewIssue,
        media: &[MediaFile],
    ) -> Result<Issue> {
        let mut added = Vec::new();
        for file in media {
            if self.insert_media(file).await? {
                added.push(file.name.to_string());
            }
        }
        let queued = self.queue_issue(new).await;
        if queued.is_err() {
            for name in &added {
                on_db!(self, pool, _sql => sqlx::query("DELETE FROM media WHERE name = $1")
                    .bind(name)
                    .execute(pool)
                    .await
                    .map(drop)?);
            }
        }
        queued
    }

    /// Stores images without an issue (those of `issue test`'s mail).
    pub async fn store_media(&self, media: &[MediaFile]) -> Result<()> {
        for file in media {
            self.insert_media(file).await?;
        }
        Ok(())
    }

    /// Stores `file` unless its name is there; true when it was added.
    async fn insert_media(&self, file: &MediaFile) -> Result<bool> {
        let done = on_db!(self, pool, _sql => sqlx::query(
            "INSERT INTO media (name, content_type, bytes, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(file.name.to_string())
        .bind(file.name.kind().content_type())
        .bind(file.bytes.as_slice())
        .bind(now_ms())
        .execute(pool)
        .await?
        .rows_affected());
        Ok(done == 1)
    }

    /// The bytes of a stored image, if there is one by that name.
    pub async fn media(&self, name: &MediaName) -> Result<Option<Vec<u8>>> {
        on_db!(self, pool, _sql => Ok(
            sqlx::query_scalar("SELECT bytes FROM media WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(pool)
                .await?
        ))
    }
}
