//! SQL for the assistance register: the communities, checks before an import, and the
//! program labels; writing a roster in bulk is in `roster_store`.

use std::collections::{HashMap, HashSet};

use sqlx::{Any, AnyConnection, Row, Transaction};

use super::model::Program;
use crate::db::{Backend, Db, value_rows};

/// Communities/villages of the tree (roster rows must name one).
pub async fn community_codes(db: &Db) -> Result<HashSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT code FROM regions WHERE level = 'community'")
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

/// Whether any case is active: if none is, no person can be active in another household
/// and the one-household check has nothing to look up.
/// Whether the register has no household yet (a first load).
pub async fn register_is_empty(tx: &mut Transaction<'_, Any>) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) FROM (SELECT 1 FROM households LIMIT 1) AS h")
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get::<i64, _>(0)? == 0)
}

pub async fn any_active_case(db: &Db) -> Result<bool, sqlx::Error> {
    let row =
        sqlx::query("SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE status = 'active' LIMIT 1) t")
            .fetch_one(db.pool())
            .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

/// For each (blind index, household number) given, the number of a household other than
/// that one in which the person is in an active case (one active household per person,
/// city-wide). On a connection other than the import's own, this is the register as
/// last committed: during an import, what the register held before it.
///
/// Only conflicts come back: a person found in their own household (everybody, when a
/// roster is imported again) is left out by the query, not read and dropped. The list is
/// looked up from (`CROSS JOIN`), and `|| ''` keeps SQLite off the indexes that start with
/// `status` (every active case), which it picks while it has no statistics.
pub async fn active_elsewhere(
    conn: &mut AnyConnection,
    backend: Backend,
    indexes: &[(&str, &str)],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut found = HashMap::new();
    for chunk in indexes.chunks(PROBE_BATCH) {
        let sql = format!(
            "WITH v (id_number_index, number) AS (VALUES {}) \
             SELECT m.id_number_index, h.number FROM v CROSS JOIN members m \
             JOIN households h ON h.id = m.household_id \
             WHERE m.id_number_index = v.id_number_index AND h.number <> v.number \
             AND EXISTS (SELECT 1 FROM cases c WHERE c.household_id = h.id AND c.status || '' = 'active')",
            value_rows(backend, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (index, number) in chunk {
            q = q.bind(*index).bind(*number);
        }
        for row in q.fetch_all(&mut *conn).await? {
            found.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(found)
}

pub use super::roster_store::{Stored, store_roster};

/// Blind indexes looked up per query.
pub(super) const PROBE_BATCH: usize = 1000;

/// The program's label for a code, for pages.
pub fn program_label(code: &str) -> &'static str {
    Program::from_code(code).map(|p| p.label()).unwrap_or("")
}
