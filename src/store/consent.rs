//! Proof of consent (GDPR art. 7: the sender must be able to show that a
//! person agreed to get mail): one row in `consents` each time someone's
//! consent reached us, and how.
//!
//! - The subscribe form ([`ConsentWay::Form`]): when, the form's list and
//!   language, and the client's network (never its address; see
//!   [`ClientNetwork`]). Written with the new subscriber, or, for a known
//!   pending or unsubscribed person asking again, by
//!   [`Store::record_form_request`].
//! - `subscribers add` and `import` ([`ConsentWay::Add`],
//!   [`ConsentWay::Import`]): when, and the basis the admin stated with
//!   `--basis` (`None`: not stated). Written for each person the command
//!   creates, activates or puts on a list they were not on, in the
//!   transaction that does it.
//! - [`ConsentWay::BeforeRecords`]: a subscriber stored before this table
//!   existed; the migration wrote one such row for each.
//!
//! A confirmation (the link in a double opt-in mail) stamps the newest
//! unconfirmed row of that person with its time, in the transaction of the
//! status change ([`confirm_consent`]). The rows go with the person when
//! they are erased (`ON DELETE CASCADE`): the basis and the network are
//! personal data.

use jiff::Timestamp;
use sqlx::{PgConnection, SqliteConnection};

use super::backend::on_db;
use super::{Store, now_ms};
use crate::domain::{ChangeSource, ClientNetwork, ConsentBasis, Language, ListName};
use crate::error::{Error, Result};

/// How a person's consent reached us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsentWay {
    /// The public subscribe form (double opt-in).
    Form {
        list: ListName,
        language: Option<Language>,
        /// `None`: not recorded (the request's address was not known).
        client: Option<ClientNetwork>,
    },
    /// `subscribers add`, onto `list`.
    Add {
        list: ListName,
        basis: Option<ConsentBasis>,
    },
    /// `subscribers import`.
    Import { basis: Option<ConsentBasis> },
    /// Stored before consent was recorded: how is unknown.
    BeforeRecords,
}

/// One recorded consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub way: ConsentWay,
    /// When it was given: the form request, the command; for
    /// [`ConsentWay::BeforeRecords`], when the subscriber was stored.
    pub at: Timestamp,
    /// When the person confirmed it by the link in a confirmation mail.
    pub confirmed_at: Option<Timestamp>,
}

impl ConsentWay {
    /// What a new subscriber added by `source` consented through, when
    /// the caller knows nothing more: the subscribe form (`page`) with no
    /// client network, an import, or else `subscribers add`, neither with
    /// a stated basis. The list is the first of `lists` (the default list
    /// if none).
    pub fn implied(
        source: ChangeSource,
        language: Option<&Language>,
        lists: &[ListName],
    ) -> ConsentWay {
        let list = lists
            .first()
            .cloned()
            .unwrap_or_else(ListName::default_list);
        match source {
            ChangeSource::Page => ConsentWay::Form {
                list,
                language: language.cloned(),
                client: None,
            },
            ChangeSource::Import => ConsentWay::Import { basis: None },
            _ => ConsentWay::Add { list, basis: None },
        }
    }

    /// The `method` column.
    pub fn method(&self) -> &'static str {
        match self {
            ConsentWay::Form { .. } => "form",
            ConsentWay::Add { .. } => "add",
            ConsentWay::Import { .. } => "import",
            ConsentWay::BeforeRecords => "before-records",
        }
    }

    /// The `list_name`, `language`, `client` and `basis` columns.
    pub(super) fn columns(&self) -> [Option<&str>; 4] {
        match self {
            ConsentWay::Form {
                list,
                language,
                client,
            } => [
                Some(list.as_str()),
                language.as_ref().map(Language::as_str),
                client.as_ref().map(ClientNetwork::as_str),
                None,
            ],
            ConsentWay::Add { list, basis } => [
                Some(list.as_str()),
                None,
                None,
                basis.as_ref().map(ConsentBasis::as_str),
            ],
            ConsentWay::Import { basis } => {
                [None, None, None, basis.as_ref().map(ConsentBasis::as_str)]
            }
            ConsentWay::BeforeRecords => [None; 4],
        }
    }
}

/// Records `$way` (a `&ConsentWay`) for subscriber `$id` at `$at` (Unix
/// ms), inside the caller's transaction `$tx`. A macro, because the
/// transaction's type differs per backend.
macro_rules! record_consent {
    ($tx:expr, $id:expr, $at:expr, $way:expr) => {{
        let way: &$crate::store::ConsentWay = $way;
        let [list, language, client, basis] = way.columns();
        sqlx::query(
            "INSERT INTO consents (subscriber_id, method, at, list_name, language, client, basis) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($id)
        .bind(way.method())
        .bind($at)
        .bind(list)
        .bind(language)
        .bind(client)
        .bind(basis)
        .execute($tx)
        .await?;
    }};
}
pub(super) use record_consent;

/// Stamps subscriber `$id`'s newest unconfirmed consent as confirmed at
/// `$at` (Unix ms), inside the caller's transaction `$tx`: for a change to
/// active by a confirmation link.
macro_rules! confirm_consent {
    ($tx:expr, $id:expr, $at:expr) => {{
        sqlx::query(
            "UPDATE consents SET confirmed_at = $2 WHERE id = \
             (SELECT max(id) FROM consents WHERE subscriber_id = $1 AND confirmed_at IS NULL)",
        )
        .bind($id)
        .bind($at)
        .execute($tx)
        .await?;
    }};
}
pub(super) use confirm_consent;

/// An import batch's consents on SQLite, inside its transaction: one
/// [`ConsentWay::Import`] row for each new subscriber (`new`, the id range
/// the batch inserted, as its status changes are found) and each known one
/// in `known` (ids the batch activated or put on a new list). By id range,
/// not by address: a range scan costs half of 1,000 index lookups.
pub(super) async fn record_imported_sqlite(
    tx: &mut SqliteConnection,
    new: std::ops::Range<i64>,
    known: &[i64],
    at: i64,
    basis: Option<&ConsentBasis>,
) -> Result<()> {
    if new.is_empty() && known.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO consents (subscriber_id, method, at, basis) \
         SELECT id, 'import', ?1, ?2 FROM subscribers WHERE id >= ?3 AND id < ?4 \
         UNION ALL SELECT j.value, 'import', ?1, ?2 FROM json_each(?5) AS j",
    )
    .bind(at)
    .bind(basis.map(ConsentBasis::as_str))
    .bind(new.start)
    .bind(new.end)
    .bind(to_json(known)?)
    .execute(tx)
    .await?;
    Ok(())
}

/// An import batch's consents on PostgreSQL, inside its transaction: one
/// [`ConsentWay::Import`] row for each id in `ids` (the subscribers the
/// batch inserted, activated or put on a new list).
pub(super) async fn record_imported_postgres(
    tx: &mut PgConnection,
    ids: &[i64],
    at: i64,
    basis: Option<&ConsentBasis>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO consents (subscriber_id, method, at, basis) \
         SELECT u.id, 'import', $1, $2 FROM unnest($3::bigint[]) AS u(id)",
    )
    .bind(at)
    .bind(basis.map(ConsentBasis::as_str))
    .bind(ids)
    .execute(tx)
    .await?;
    Ok(())
}

/// A slice as JSON text, for a `json_each` parameter.
fn to_json<T: serde::Serialize>(values: &[T]) -> Result<String> {
    serde_json::to_string(values).map_err(|e| Error::Database(sqlx::Error::Encode(e.into())))
}

#[derive(sqlx::FromRow)]
struct ConsentRow {
    subscriber_id: i64,
    method: String,
    at: i64,
    list_name: Option<String>,
    language: Option<String>,
    client: Option<String>,
    basis: Option<String>,
    confirmed_at: Option<i64>,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = Error;

    /// Rows were written through the domain types, so a failure here means
    /// the database was edited by hand; say which subscriber.
    fn try_from(row: ConsentRow) -> Result<Consent> {
        let bad = |field: &str, reason: String| {
            Error::Input(format!(
                "a consent record of subscriber #{} has a bad {field}: {reason}",
                row.subscriber_id
            ))
        };
        let time = |field: &str, ms: i64| {
            Timestamp::from_millisecond(ms).map_err(|e| bad(field, e.to_string()))
        };
        let list = || {
            ListName::parse(row.list_name.as_deref().unwrap_or(""))
                .map_err(|e| bad("list", e.to_string()))
        };
        let basis = || {
            row.basis
                .as_deref()
                .map(ConsentBasis::parse)
                .transpose()
                .map_err(|e| bad("basis", e.to_string()))
        };
        let way = match row.method.as_str() {
            "form" => ConsentWay::Form {
                list: list()?,
                language: row
                    .language
                    .as_deref()
                    .map(Language::parse)
                    .transpose()
                    .map_err(|e| bad("language", e.to_string()))?,
                client: row
                    .client
                    .as_deref()
                    .map(ClientNetwork::parse)
                    .transpose()
                    .map_err(|e| bad("client network", e.to_string()))?,
            },
            "add" => ConsentWay::Add {
                list: list()?,
                basis: basis()?,
            },
            "import" => ConsentWay::Import { basis: basis()? },
            "before-records" => ConsentWay::BeforeRecords,
            other => return Err(bad("method", format!("unknown method {other:?}"))),
        };
        Ok(Consent {
            way,
            at: time("time", row.at)?,
            confirmed_at: row
                .confirmed_at
                .map(|ms| time("confirmation time", ms))
                .transpose()?,
        })
    }
}

impl Store {
    /// Subscriber `subscriber_id`'s consents, oldest first; empty for an
    /// unknown (or erased) id.
    pub async fn consents(&self, subscriber_id: i64) -> Result<Vec<Consent>> {
        let rows: Vec<ConsentRow> = on_db!(self, pool, _sql => sqlx::query_as(
            "SELECT subscriber_id, method, at, list_name, language, client, basis, confirmed_at \
             FROM consents WHERE subscriber_id = $1 ORDER BY id",
        )
        .bind(subscriber_id)
        .fetch_all(pool)
        .await?);
        rows.into_iter().map(Consent::try_from).collect()
    }

    /// Records `way` for known subscriber `subscriber_id`, now: for an
    /// admin's `add` that activates someone or puts them on a new list.
    /// Nothing is recorded for an unknown (erased) id.
    pub async fn record_consent(&self, subscriber_id: i64, way: &ConsentWay) -> Result<()> {
        let [list, language, client, basis] = way.columns();
        on_db!(self, pool, _sql => sqlx::query(
            "INSERT INTO consents (subscriber_id, method, at, list_name, language, client, basis) \
             SELECT id, $2, $3, $4, $5, $6, $7 FROM subscribers WHERE id = $1",
        )
        .bind(subscriber_id)
        .bind(way.method())
        .bind(now_ms())
        .bind(list)
        .bind(language)
        .bind(client)
        .bind(basis)
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Records that known subscriber `subscriber_id` asked again through
    /// the subscribe form, for `list`, on a page in `language`, from
    /// `client`. While their newest consent is an unconfirmed form request,
    /// it is brought up to date instead of adding another: someone (or
    /// something) filling the form again and again keeps one row, the
    /// latest request.
    pub async fn record_form_request(
        &self,
        subscriber_id: i64,
        list: ListName,
        language: Option<Language>,
        client: Option<ClientNetwork>,
    ) -> Result<()> {
        let now = now_ms();
        let way = &ConsentWay::Form {
            list,
            language,
            client,
        };
        let [list, language, client, basis] = way.columns();
        on_db!(self, pool, sql => {
            let mut tx = pool.begin_with(sql.begin_write).await?;
            let newest: Option<(i64, String, Option<i64>)> = sqlx::query_as(&format!(
                "SELECT id, method, confirmed_at FROM consents WHERE subscriber_id = $1 \
                 ORDER BY id DESC LIMIT 1{}",
                sql.for_update
            ))
            .bind(subscriber_id)
            .fetch_optional(&mut *tx)
            .await?;
            match newest {
                Some((id, method, None)) if method == way.method() => {
                    sqlx::query(
                        "UPDATE consents SET at = $2, list_name = $3, language = $4, \
                         client = $5, basis = $6 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now)
                    .bind(list)
                    .bind(language)
                    .bind(client)
                    .bind(basis)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {
                    // Nothing to insert for someone erased meanwhile.
                    let known: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM subscribers WHERE id = $1",
                    )
                    .bind(subscriber_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if known.is_some() {
                        record_consent!(&mut *tx, subscriber_id, now, way);
                    }
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
