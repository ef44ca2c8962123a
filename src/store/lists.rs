//! Lists: named groups of subscribers. A list is created the first time it
//! is named (by an import, `subscribers add --list`, or the default list).

use super::backend::on_db;
use super::{Store, now_ms};
use crate::domain::ListName;
use crate::error::Result;

impl Store {
    /// The id of the named list, creating the list if it does not exist.
    pub async fn ensure_list(&self, name: &ListName) -> Result<i64> {
        on_db!(self, pool, _sql => {
            sqlx::query(
                "INSERT INTO lists (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name.as_str())
            .bind(now_ms())
            .execute(pool)
            .await?;
            Ok(sqlx::query_scalar("SELECT id FROM lists WHERE name = $1")
                .bind(name.as_str())
                .fetch_one(pool)
                .await?)
        })
    }

    /// The id of the named list, if it exists.
    pub async fn find_list(&self, name: &ListName) -> Result<Option<i64>> {
        on_db!(self, pool, _sql => Ok(sqlx::query_scalar("SELECT id FROM lists WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(pool)
            .await?))
    }

    /// Every list with its number of active members.
    pub async fn lists(&self) -> Result<Vec<(ListName, i64)>> {
        let mut rows: Vec<(String, i64)> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT l.name, (SELECT count(*) FROM list_members m JOIN subscribers s \
               ON s.id = m.subscriber_id WHERE m.list_id = l.id AND s.status = 'active') \
             FROM lists l ORDER BY l.name",
        )
        .fetch_all(pool)
        .await?);
        // In byte order on either backend: PostgreSQL's ORDER BY follows
        // the database's collation.
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(rows
            .into_iter()
            .filter_map(|(name, n)| ListName::parse(&name).ok().map(|l| (l, n)))
            .collect())
    }
}
