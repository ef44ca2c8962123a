//! The import batch on PostgreSQL: each kind of write is one statement
//! over arrays (`unnest`), so a batch costs a handful of round trips, not
//! one per row. The plan (who is new, who changes) is the parent's, shared
//! with SQLite.

use super::*;

/// PostgreSQL's lookup: the known subscribers among `$1`, with the
/// position of the address they answer (1-based).
const PG_FIND_KNOWN: &str = "\
    SELECT j.idx, s.id, s.name, s.status, s.language, s.attributes, \
        ARRAY(SELECT m.list_id FROM list_members m WHERE m.subscriber_id = s.id) \
    FROM unnest($1::text[]) WITH ORDINALITY AS j(email, idx) JOIN subscribers s ON s.email = j.email";

/// Five columns of a batch, each bound as one PostgreSQL array.
type Columns<A, B, C, D, E> = (Vec<A>, Vec<B>, Vec<C>, Vec<D>, Vec<E>);

/// A row of [`PG_FIND_KNOWN`].
type PgKnown = (
    i64,
    i64,
    Option<String>,
    String,
    Option<String>,
    String,
    Vec<i64>,
);

/// A subscriber the batch's INSERT really added: (id, email, status).
type AddedRow = (i64, String, String);

/// What goes on the suppression list: (hash, reason).
type Suppress<'h> = Vec<(&'h AddressHash, SuppressionReason)>;

/// One batch on PostgreSQL: each kind of write is one statement over
/// arrays, so a batch costs a handful of round trips, not one per row.
pub(super) async fn postgres_batch(
    conn: &mut PgConnection,
    batch: &BatchIn<'_>,
) -> Result<BatchCounts> {
    let now = batch.now;
    let mut tx = conn.begin().await?;
    // Imports take turns, as on SQLite: two importing the same new
    // address at once would otherwise both find it unknown.
    sqlx::query("SELECT pg_advisory_xact_lock(7001)")
        .execute(&mut *tx)
        .await?;
    let mut existing = known_among(&mut tx, batch.emails).await?;
    let suppressed = suppressed_among_unknown(&mut tx, batch, &existing).await?;
    let mut plan = plan(
        batch.rows,
        &mut existing,
        &suppressed,
        batch.list_ids,
        batch.policy,
    );
    let source = ChangeSource::Import.as_str();
    let mut suppress: Suppress<'_> = Vec::new();

    update_known(&mut tx, now, &plan.updates).await?;
    let changed = change_known_statuses(&mut tx, now, source, &plan.known_logs).await?;
    for (row, id, reason) in &plan.known_suppress {
        if changed.contains(id) {
            suppress.push((&batch.hashes[*row], *reason));
        }
    }
    if !plan.new_rows.is_empty() {
        let added = insert_new(&mut tx, now, &plan.new_rows).await?;
        take_in_added(batch, &mut plan, &added, &mut suppress);
        log_first_statuses(&mut tx, now, source, &added).await?;
    }
    add_members(&mut tx, now, &plan.joins).await?;
    write_suppressions(&mut tx, now, &suppress).await?;
    consent::record_imported_postgres(&mut tx, &plan.consenting, now, batch.basis).await?;
    tx.commit().await?;
    Ok(plan.counts)
}

/// Runs [`PG_FIND_KNOWN`]: the subscribers with these addresses, indexed
/// like `emails`.
async fn known_among(conn: &mut PgConnection, emails: &[&str]) -> Result<Vec<Option<Existing>>> {
    let found: Vec<PgKnown> = sqlx::query_as(PG_FIND_KNOWN)
        .bind(emails)
        .fetch_all(&mut *conn)
        .await?;
    let mut existing: Vec<Option<Existing>> = Vec::new();
    existing.resize_with(emails.len(), || None);
    for (idx, id, name, status, language, attributes, lists) in found {
        let attributes = serde_json::from_str(&attributes).unwrap_or(Value::Null);
        let known = Known(0, id, name, status, language, attributes, lists);
        if let Some(slot) = usize::try_from(idx - 1)
            .ok()
            .and_then(|i| existing.get_mut(i))
        {
            *slot = Some(known.into());
        }
    }
    Ok(existing)
}

/// The suppression list's reason for each row whose address is not
/// stored yet, indexed like the batch (no query when every address is
/// known).
async fn suppressed_among_unknown(
    conn: &mut PgConnection,
    batch: &BatchIn<'_>,
    existing: &[Option<Existing>],
) -> Result<Vec<Option<SuppressionReason>>> {
    let unknown = batch.unknown_hashes(existing);
    let mut suppressed: Vec<Option<SuppressionReason>> = vec![None; batch.rows.len()];
    if unknown.is_empty() {
        return Ok(suppressed);
    }
    let rows: Vec<i64> = unknown
        .iter()
        .filter_map(|(i, _)| i64::try_from(*i).ok())
        .collect();
    let hashes: Vec<&[u8]> = unknown
        .iter()
        .map(|(_, h)| h.as_bytes().as_slice())
        .collect();
    let found: Vec<(i64, String)> = sqlx::query_as(
        "SELECT u.i, s.reason FROM unnest($1::bigint[], $2::bytea[]) AS u(i, h) \
         JOIN suppressions s ON s.hash = u.h",
    )
    .bind(rows)
    .bind(hashes)
    .fetch_all(&mut *conn)
    .await?;
    mark_suppressed(&mut suppressed, found);
    Ok(suppressed)
}

/// Writes the known subscribers' new name, language and attributes;
/// their status follows in [`change_known_statuses`] as a check-and-set.
async fn update_known(conn: &mut PgConnection, now: i64, updates: &[Update<'_>]) -> Result<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let mut cols: Columns<i64, Option<&str>, Option<&str>, String, &str> = Default::default();
    for Update(id, name, language, attributes, status, _) in updates {
        cols.0.push(*id);
        cols.1.push(*name);
        cols.2.push(*language);
        cols.3.push(to_json(attributes)?);
        cols.4.push(status);
    }
    // Everything but the status, which follows as a check-and-set.
    sqlx::query(
        "UPDATE subscribers SET name = u.name, language = u.language, \
           attributes = u.attributes, updated_at = $1 \
         FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) \
           AS u(id, name, language, attributes) \
         WHERE subscribers.id = u.id",
    )
    .bind(now)
    .bind(cols.0)
    .bind(cols.1)
    .bind(cols.2)
    .bind(cols.3)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves known subscribers to their new status and logs each move, in one
/// statement; returns the ids that really moved.
async fn change_known_statuses(
    conn: &mut PgConnection,
    now: i64,
    source: &str,
    logs: &[(i64, Option<&str>, &str)],
) -> Result<Vec<i64>> {
    if logs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = logs.iter().map(|l| l.0).collect();
    let from: Vec<Option<&str>> = logs.iter().map(|l| l.1).collect();
    let to: Vec<&str> = logs.iter().map(|l| l.2).collect();
    // Only where the status is still the one read: a one-click
    // unsubscribe or a bounce that came in meanwhile stays, and its
    // log is the true one.
    let changed: Vec<i64> = sqlx::query_scalar(
        "WITH changed AS ( \
           UPDATE subscribers SET status = u.t, updated_at = $1 \
           FROM unnest($3::bigint[], $4::text[], $5::text[]) AS u(id, f, t) \
           WHERE subscribers.id = u.id AND subscribers.status = u.f \
           RETURNING subscribers.id, u.f, u.t) \
         INSERT INTO status_changes (subscriber_id, at, from_status, to_status, source) \
         SELECT id, $1, f, t, $2 FROM changed RETURNING subscriber_id",
    )
    .bind(now)
    .bind(source)
    .bind(ids)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    Ok(changed)
}

/// Inserts the new subscribers, in file order; returns those really added.
async fn insert_new(
    conn: &mut PgConnection,
    now: i64,
    new_rows: &[NewRow<'_>],
) -> Result<Vec<AddedRow>> {
    let mut cols: Columns<&str, Option<&str>, &str, Option<&str>, String> = Default::default();
    for NewRow(email, name, status, language, attributes) in new_rows {
        cols.0.push(email);
        cols.1.push(*name);
        cols.2.push(status);
        cols.3.push(*language);
        cols.4.push(to_json(attributes)?);
    }
    // In order, so ids follow the file. An address another writer
    // added meanwhile (the subscribe form) is left to them. Ids and
    // link salts come from the database.
    let added: Vec<AddedRow> = sqlx::query_as(
        "INSERT INTO subscribers (email, name, status, language, attributes, created_at, updated_at) \
         SELECT u.email, u.name, u.status, u.language, u.attributes, $1, $1 \
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
           WITH ORDINALITY AS u(email, name, status, language, attributes, i) \
         ORDER BY u.i ON CONFLICT (email) DO NOTHING RETURNING id, email, status",
    )
    .bind(now)
    .bind(&cols.0)
    .bind(cols.1)
    .bind(cols.2)
    .bind(cols.3)
    .bind(cols.4)
    .fetch_all(&mut *conn)
    .await?;
    Ok(added)
}

/// Folds the people [`insert_new`] really added into the plan: their
/// count, their consent, the lists they join, and the suppression of
/// those who come in having left. The ids come from the database, so this
/// waits for the INSERT; an address another writer added meanwhile gets
/// none of these.
fn take_in_added<'h>(
    batch: &'h BatchIn<'_>,
    plan: &mut Plan<'_>,
    added: &[AddedRow],
    suppress: &mut Suppress<'h>,
) {
    plan.counts.added = added.len() as u64;
    plan.consenting.extend(added.iter().map(|a| a.0));
    let ids_by_email: HashMap<&str, i64> = added
        .iter()
        .map(|(id, email, _)| (email.as_str(), *id))
        .collect();
    let emails = plan.new_rows.iter().map(|r| r.0);
    for ((email, lists), row) in emails.zip(&plan.new_lists).zip(&plan.new_index) {
        if let Some(id) = ids_by_email.get(email) {
            for list_id in lists {
                plan.joins.entry(*list_id).or_default().push(*id);
            }
            if let Some(reason) = added
                .iter()
                .find(|a| a.1 == *email)
                .and_then(|a| SubscriberStatus::parse(&a.2).ok())
                .and_then(SuppressionReason::for_status)
            {
                suppress.push((&batch.hashes[*row], reason));
            }
        }
    }
}

/// Logs the first status of each subscriber [`insert_new`] added.
async fn log_first_statuses(
    conn: &mut PgConnection,
    now: i64,
    source: &str,
    added: &[AddedRow],
) -> Result<()> {
    let ids: Vec<i64> = added.iter().map(|a| a.0).collect();
    let statuses: Vec<&str> = added.iter().map(|a| a.2.as_str()).collect();
    sqlx::query(
        "INSERT INTO status_changes (subscriber_id, at, to_status, source) \
         SELECT u.id, $1, u.status, $2 FROM unnest($3::bigint[], $4::text[]) AS u(id, status) \
         ORDER BY u.id",
    )
    .bind(now)
    .bind(source)
    .bind(ids)
    .bind(statuses)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Puts subscribers on the lists they join: `joins` is subscriber ids by
/// list id.
async fn add_members(
    conn: &mut PgConnection,
    now: i64,
    joins: &BTreeMap<i64, Vec<i64>>,
) -> Result<()> {
    if joins.is_empty() {
        return Ok(());
    }
    let (lists, members): (Vec<i64>, Vec<i64>) = joins
        .iter()
        .flat_map(|(list, ids)| ids.iter().map(move |id| (*list, *id)))
        .unzip();
    sqlx::query(
        "INSERT INTO list_members (list_id, subscriber_id, added_at) \
         SELECT u.l, u.s, $1 FROM unnest($2::bigint[], $3::bigint[]) AS u(l, s) \
         ON CONFLICT DO NOTHING",
    )
    .bind(now)
    .bind(lists)
    .bind(members)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps each `(hash, reason)` on the suppression list; a bounce or
/// complaint already kept stays.
async fn write_suppressions(
    conn: &mut PgConnection,
    now: i64,
    suppress: &[(&AddressHash, SuppressionReason)],
) -> Result<()> {
    if suppress.is_empty() {
        return Ok(());
    }
    let hashes: Vec<&[u8]> = suppress
        .iter()
        .map(|(h, _)| h.as_bytes().as_slice())
        .collect();
    let reasons: Vec<&str> = suppress.iter().map(|(_, r)| r.as_str()).collect();
    // A hash appears once per batch (rows are merged by address).
    sqlx::query(
        "INSERT INTO suppressions (hash, reason, at) \
         SELECT u.h, u.r, $1 FROM unnest($2::bytea[], $3::text[]) AS u(h, r) \
         ON CONFLICT (hash) DO UPDATE SET reason = excluded.reason, at = excluded.at \
         WHERE suppressions.reason NOT IN ('bounced', 'complained') \
            OR excluded.reason IN ('bounced', 'complained')",
    )
    .bind(now)
    .bind(hashes)
    .bind(reasons)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
