//! Writing, reading, verifying and purging the audit log.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::model::{AuditEvent, Entry, first_broken};
use crate::db::Db;

/// Appends `event` to the chain inside the caller's transaction. The caller commits it
/// together with the change it describes; if this fails, the caller's change must fail.
pub async fn record(tx: &mut Transaction<'_, Any>, event: &AuditEvent) -> Result<i64, sqlx::Error> {
    // Taking the head row first serialises writers (a row lock on PostgreSQL; SQLite
    // write transactions are already exclusive), so the chain never forks.
    // Both sides of SET read the row as it was, so data_seq takes the new seq.
    let head = sqlx::query(if changes_data(&event.action) {
        "UPDATE audit_head SET seq = seq + 1, data_seq = seq + 1 WHERE id = 1 \
         RETURNING seq, last_hash"
    } else {
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash"
    })
    .fetch_one(&mut **tx)
    .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("last_hash")?;
    let mut entry = Entry {
        seq,
        at: event.at.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        user_id: event.actor.user_id,
        username: event.actor.username.clone(),
        role: event.actor.role.clone(),
        region_code: event.actor.region_code.clone(),
        source_ip: event.actor.ip.clone(),
        request_id: event.actor.request_id.clone(),
        action: event.action.clone(),
        object_type: event.object_type.clone(),
        object_id: event.object_id.clone(),
        outcome: event.outcome.code().to_string(),
        details: event.details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, user_id, username, role, region_code, source_ip, \
         request_id, action, object_type, object_id, outcome, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(entry.seq)
    .bind(&entry.at)
    .bind(entry.user_id)
    .bind(&entry.username)
    .bind(&entry.role)
    .bind(&entry.region_code)
    .bind(&entry.source_ip)
    .bind(&entry.request_id)
    .bind(&entry.action)
    .bind(&entry.object_type)
    .bind(&entry.object_id)
    .bind(&entry.outcome)
    .bind(&entry.details)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&entry.hash)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// Audited actions that change no stored figure: reading personal data (views, reveals,
/// exports that only read) and sign-in state (sessions). They move the chain's head but not
/// the data generation (`audit_head.data_seq`) that computed reports are kept by. Anything
/// not named here counts as a change: an action missing from this list costs a report
/// recomputation, while a change wrongly listed here would leave stale figures standing.
const READS: &[&str] = &[
    "household.view",
    "case.view",
    "relief.case.view",
    "person.reveal",
    "household.export",
    "ledger.export",
    "report.export",
    "audit.export",
    "funds.export",
    "compare.findings.export",
    "auth.login",
    "auth.logout",
    "auth.reauth",
];

/// Whether an audited action changes data (and so the data generation).
pub fn changes_data(action: &str) -> bool {
    !READS.contains(&action)
}

/// The data generation: the sequence number of the last audited change of data. Every
/// change is audited in its own transaction, so while this stays the same, so do the
/// figures computed from the data (across processes too).
pub async fn data_generation(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT data_seq FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?
        .try_get(0)
}

/// Records one event in a transaction of its own (for events that change nothing else,
/// such as a failed login or a reveal).
pub async fn record_alone(db: &Db, event: &AuditEvent) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let seq = record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(seq)
}

const COLUMNS: &str = "seq, at, user_id, username, role, region_code, source_ip, request_id, \
                       action, object_type, object_id, outcome, details, prev_hash, hash";

fn entry_from_row(row: &AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        role: row.try_get("role")?,
        region_code: row.try_get("region_code")?,
        source_ip: row.try_get("source_ip")?,
        request_id: row.try_get("request_id")?,
        action: row.try_get("action")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        outcome: row.try_get("outcome")?,
        details: row.try_get("details")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub checked: i64,
    /// The first entry that does not verify, and why.
    pub broken: Option<(i64, String)>,
}

/// Walks the whole chain from its anchor, in batches, and checks the head row too (so a
/// deleted last entry is found).
pub async fn verify(db: &Db) -> Result<VerifyReport, sqlx::Error> {
    let head =
        sqlx::query("SELECT seq, last_hash, first_seq, anchor_hash FROM audit_head WHERE id = 1")
            .fetch_one(db.pool())
            .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("last_hash")?;
    let mut next_seq: i64 = head.try_get("first_seq")?;
    let mut prev: String = head.try_get("anchor_hash")?;
    let mut checked = 0;
    const BATCH: i64 = 5_000;
    loop {
        // Only up to the head read above: entries appended while we verify are left for
        // the next run instead of being mistaken for a broken tail.
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(next_seq)
            .bind(head_seq)
            .bind(BATCH)
            .fetch_all(db.pool())
            .await?;
        let entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((seq, why)) = first_broken(&prev, next_seq, &entries) {
            return Ok(VerifyReport {
                // The entries of this batch before the broken one are intact.
                checked: checked + (seq - next_seq).max(0),
                broken: Some((seq, why.to_string())),
            });
        }
        checked += entries.len() as i64;
        match entries.last() {
            Some(last) => {
                prev = last.hash.clone();
                next_seq = last.seq + 1;
            }
            None => break,
        }
        if (entries.len() as i64) < BATCH {
            break;
        }
    }
    // The head must point at the last entry we saw.
    if next_seq - 1 != head_seq || (checked > 0 && prev != head_hash) {
        return Ok(VerifyReport {
            checked,
            broken: Some((next_seq, "链尾记录缺失（最后的记录被删除）".to_string())),
        });
    }
    Ok(VerifyReport {
        checked,
        broken: None,
    })
}

/// Filters of the audit search page.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Inclusive dates (China time).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only entries whose actor's region lies in this subtree (`None`: all).
    pub region_bounds: Option<(String, String)>,
}

impl AuditFilter {
    /// Appends the WHERE clause; returns the bound values in order.
    fn where_clause(&self) -> (String, Vec<String>) {
        let mut clauses = Vec::new();
        let mut binds = Vec::new();
        let mut push = |clause: &str, value: String| {
            binds.push(value);
            clauses.push(clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(u) = &self.username {
            push("username = ?", u.clone());
        }
        if let Some(a) = &self.action {
            push("action = ?", a.clone());
        }
        if let Some(t) = &self.object_type {
            push("object_type = ?", t.clone());
        }
        if let Some(i) = &self.object_id {
            push("object_id = ?", i.clone());
        }
        if let Some(f) = self.from {
            push("at >= ?", f.to_string());
        }
        if let Some(t) = self.to {
            // `at` is "YYYY-MM-DDT…": every time on day `t` sorts below "YYYY-MM-DD~".
            push("at < ?", format!("{t}~"));
        }
        if let Some((low, high)) = &self.region_bounds {
            push("region_code >= ?", low.clone());
            push("region_code < ?", high.clone());
        }
        if clauses.is_empty() {
            (String::new(), binds)
        } else {
            (format!(" WHERE {}", clauses.join(" AND ")), binds)
        }
    }
}

/// One page of matching entries, newest first, and the total count.
pub async fn search(
    db: &Db,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Entry>, i64), sqlx::Error> {
    let (clause, binds) = filter.where_clause();
    let count_sql = format!("SELECT COUNT(*) FROM audit_log{clause}");
    let mut count = sqlx::query(&count_sql);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total: i64 = count.fetch_one(db.pool()).await?.try_get(0)?;
    let n = binds.len();
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log{clause} ORDER BY seq DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b.clone());
    }
    let rows = query.bind(limit).bind(offset).fetch_all(db.pool()).await?;
    let entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((entries, total))
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(
        "审计记录至少保留 {retention_days} 天：只能清除 {earliest} 之前的记录，不能清除 {requested} 之前的记录"
    )]
    TooYoung {
        retention_days: i64,
        earliest: NaiveDate,
        requested: NaiveDate,
    },
    #[error("{0}")]
    Database(#[from] sqlx::Error),
}

/// Deletes entries dated before `before`, if that is older than the retention period,
/// and moves the chain's anchor to the first kept entry. The purge is itself audited.
pub async fn purge(
    db: &Db,
    before: NaiveDate,
    today: NaiveDate,
    retention_days: i64,
    event: &AuditEvent,
) -> Result<u64, PurgeError> {
    let retention_days = retention_days.max(crate::auth::policy::AUDIT_RETENTION_FLOOR_DAYS);
    let earliest = today - chrono::Days::new(retention_days as u64);
    if before > earliest {
        return Err(PurgeError::TooYoung {
            retention_days,
            earliest,
            requested: before,
        });
    }
    let mut tx = db.begin().await?;
    let cutoff = before.to_string();
    let last_purged: Option<(i64, String)> =
        sqlx::query("SELECT seq, hash FROM audit_log WHERE at < $1 ORDER BY seq DESC LIMIT 1")
            .bind(&cutoff)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("seq")?, r.try_get("hash")?)))
            .transpose()?;
    let Some((seq, hash)) = last_purged else {
        record(&mut tx, event).await?;
        tx.commit().await?;
        return Ok(0);
    };
    let deleted = sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
        .bind(seq)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE audit_head SET first_seq = $1, anchor_hash = $2 WHERE id = 1")
        .bind(seq + 1)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    let mut event = event.clone();
    event.details = serde_json::json!({"before": cutoff, "deleted": deleted});
    record(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::changes_data;

    #[test]
    fn reads_leave_the_data_generation_and_everything_else_moves_it() {
        for read in [
            "household.view",
            "person.reveal",
            "report.export",
            "auth.login",
        ] {
            assert!(!changes_data(read), "{read}");
        }
        // An export that marks a payroll exported is a change; so is any action not listed.
        for change in [
            "payroll.export",
            "approve",
            "ledger.import",
            "auth.lock",
            "",
        ] {
            assert!(changes_data(change), "{change}");
        }
    }
}
