//! SQL for the assistance register: households, members, cases and their transitions.

use std::collections::{HashMap, HashSet};

use sqlx::{Any, Row, Transaction};

use super::model::Program;
use super::roster::RosterHousehold;
use crate::db::{Backend, Db, flag, param_list, value_rows};
use crate::protect::{Keyring, SensitiveKind};

/// Communities/villages of the tree (roster rows must name one).
pub async fn community_codes(db: &Db) -> Result<HashSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT code FROM regions WHERE level = 'community'")
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}

/// For each blind index given, the number of a household other than `except` in which
/// that person is in an active case (one active household per person, city-wide).
pub async fn active_elsewhere(
    db: &Db,
    indexes: &[(String, String)],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut found = HashMap::new();
    for chunk in indexes.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT m.id_number_index, h.number FROM members m \
             JOIN households h ON h.id = m.household_id \
             JOIN cases c ON c.household_id = h.id AND c.status = 'active' \
             WHERE m.id_number_index IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (index, _) in chunk {
            q = q.bind(index.clone());
        }
        let wanted: HashMap<&str, &str> = chunk
            .iter()
            .map(|(i, h)| (i.as_str(), h.as_str()))
            .collect();
        for row in q.fetch_all(db.pool()).await? {
            let index: String = row.try_get(0)?;
            let number: String = row.try_get(1)?;
            if wanted.get(index.as_str()).is_some_and(|own| *own != number) {
                found.insert(index, number);
            }
        }
    }
    Ok(found)
}

/// Counts of what an import stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stored {
    pub households: usize,
    pub members: usize,
    pub new_cases: usize,
}

const MEMBER_COLUMNS: &str = "household_id, name, relation, id_number_sealed, id_number_index, birth_date, \
    sex, covered, work_capacity, disability_grade, self_care, phone_sealed, phone_index, bank_sealed, bank_index";
/// Households per round of statements; members are inserted 200 rows per statement
/// (15 parameters each, well under both engines' parameter limits).
const HOUSEHOLD_BATCH: usize = 500;
const MEMBER_BATCH: usize = 200;

/// A stored case as the import compares it.
struct StoredCase {
    id: i64,
    household_id: i64,
    program: String,
    approved_on: String,
    state: (String, Option<String>, Option<String>, i64, i64),
}

/// Stores checked households in the caller's transaction: households by number, their
/// members replaced by the file's, and the case matched by (household, program, approval
/// date) — updated if it changed, added if new. Importing the same file again changes
/// nothing. Work is done a batch of households at a time, so a large roster costs a few
/// thousand statements, not millions.
pub async fn store_roster(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    keyring: &Keyring,
    households: &[RosterHousehold],
    now: &str,
) -> Result<Stored, sqlx::Error> {
    let mut stored = Stored::default();
    for batch in households.chunks(HOUSEHOLD_BATCH) {
        // 1. Households, new or updated, with their ids.
        let sql = format!(
            "INSERT INTO households (number, region_code, created_at) VALUES {} \
             ON CONFLICT (number) DO UPDATE SET region_code = excluded.region_code RETURNING id, number",
            value_rows(backend, batch.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for h in batch {
            q = q.bind(h.number.clone()).bind(h.community.clone()).bind(now);
        }
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(batch.len());
        for row in q.fetch_all(&mut **tx).await? {
            ids.insert(row.try_get("number")?, row.try_get("id")?);
        }
        let id_of = |h: &RosterHousehold| ids.get(&h.number).copied().unwrap_or_default();
        stored.households += batch.len();
        let batch_ids: Vec<i64> = batch.iter().map(id_of).collect();

        // 2. Members: the file's list replaces the stored one.
        let sql = format!(
            "DELETE FROM members WHERE household_id IN ({})",
            param_list(backend, 1, batch_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &batch_ids {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
        let members: Vec<(i64, &super::roster::RosterMember)> = batch
            .iter()
            .flat_map(|h| h.members.iter().map(move |m| (h, m)))
            .map(|(h, m)| (id_of(h), m))
            .collect();
        for chunk in members.chunks(MEMBER_BATCH) {
            let sql = format!(
                "INSERT INTO members ({MEMBER_COLUMNS}) VALUES {}",
                value_rows(backend, chunk.len(), 15)
            );
            let mut q = sqlx::query(&sql);
            for (household_id, m) in chunk {
                let id = keyring.seal(SensitiveKind::IdNumber, m.id.as_str());
                let phone = m
                    .phone
                    .as_ref()
                    .map(|p| keyring.seal(SensitiveKind::Phone, p.as_str()));
                let bank = m
                    .bank
                    .as_ref()
                    .map(|b| keyring.seal(SensitiveKind::BankAccount, b.as_str()));
                q = q
                    .bind(*household_id)
                    .bind(m.name.clone())
                    .bind(m.relation.label())
                    .bind(id.sealed)
                    .bind(id.index)
                    .bind(m.id.birth_date().to_string())
                    .bind(match m.id.sex() {
                        crate::ids::Sex::Male => "male",
                        crate::ids::Sex::Female => "female",
                    })
                    .bind(flag(m.covered))
                    .bind(m.work_capacity.map(|w| w.code()))
                    .bind(m.disability_grade.map(i64::from))
                    .bind(m.self_care.map(|c| c.code()))
                    .bind(phone.as_ref().map(|s| s.sealed.clone()))
                    .bind(phone.map(|s| s.index))
                    .bind(bank.as_ref().map(|s| s.sealed.clone()))
                    .bind(bank.map(|s| s.index));
            }
            q.execute(&mut **tx).await?;
            stored.members += chunk.len();
        }

        // 3. Cases: compare with what is stored for these households.
        let sql = format!(
            "SELECT id, household_id, program, approved_on, status, exited_on, exit_reason, monthly_amount, \
             covered_persons FROM cases WHERE household_id IN ({})",
            param_list(backend, 1, batch_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &batch_ids {
            q = q.bind(*id);
        }
        let mut existing: Vec<StoredCase> = Vec::new();
        for r in q.fetch_all(&mut **tx).await? {
            existing.push(StoredCase {
                id: r.try_get("id")?,
                household_id: r.try_get("household_id")?,
                program: r.try_get("program")?,
                approved_on: r
                    .try_get::<Option<String>, _>("approved_on")?
                    .unwrap_or_default(),
                state: (
                    r.try_get("status")?,
                    r.try_get("exited_on")?,
                    r.try_get("exit_reason")?,
                    r.try_get("monthly_amount")?,
                    r.try_get("covered_persons")?,
                ),
            });
        }
        let mut new_cases: Vec<(i64, &RosterHousehold)> = Vec::new();
        for h in batch {
            let household_id = id_of(h);
            let wanted = (
                if h.active { "active" } else { "exited" }.to_string(),
                h.exited_on.map(|d| d.to_string()),
                h.exit_reason.map(|r| r.code().to_string()),
                h.monthly.0,
                h.members.iter().filter(|m| m.covered).count() as i64,
            );
            let found = existing.iter().find(|c| {
                c.household_id == household_id
                    && c.program == h.program.code()
                    && c.approved_on == h.approved_on.to_string()
            });
            match found {
                Some(c) if c.state == wanted => {}
                Some(c) => {
                    sqlx::query(
                        "UPDATE cases SET status = $2, region_code = $3, exited_on = $4, exit_reason = $5, \
                         monthly_amount = $6, covered_persons = $7 WHERE id = $1",
                    )
                    .bind(c.id)
                    .bind(wanted.0)
                    .bind(h.community.clone())
                    .bind(wanted.1)
                    .bind(wanted.2)
                    .bind(wanted.3)
                    .bind(wanted.4)
                    .execute(&mut **tx)
                    .await?;
                }
                None => new_cases.push((household_id, h)),
            }
        }
        if new_cases.is_empty() {
            continue;
        }
        stored.new_cases += new_cases.len();
        let sql = format!(
            "INSERT INTO cases (household_id, program, status, region_code, applied_on, approved_on, exited_on, \
             exit_reason, monthly_amount, covered_persons, source) VALUES {} RETURNING id, household_id",
            value_rows(backend, new_cases.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for (household_id, h) in &new_cases {
            q = q
                .bind(*household_id)
                .bind(h.program.code())
                .bind(if h.active { "active" } else { "exited" })
                .bind(h.community.clone())
                .bind(h.approved_on.to_string())
                .bind(h.approved_on.to_string())
                .bind(h.exited_on.map(|d| d.to_string()))
                .bind(h.exit_reason.map(|r| r.code()))
                .bind(h.monthly.0)
                .bind(h.members.iter().filter(|m| m.covered).count() as i64)
                .bind("import");
        }
        let mut case_of: HashMap<i64, i64> = HashMap::new();
        for row in q.fetch_all(&mut **tx).await? {
            case_of.insert(row.try_get("household_id")?, row.try_get("id")?);
        }
        // 4. Their history: approved, and exited where the file says so.
        let mut transitions: Vec<(i64, Option<&str>, &str, String, &str)> = Vec::new();
        for (household_id, h) in &new_cases {
            let case_id = case_of.get(household_id).copied().unwrap_or_default();
            transitions.push((
                case_id,
                None,
                "active",
                h.approved_on.to_string(),
                "花名册导入",
            ));
            if let (false, Some(exited)) = (h.active, h.exited_on) {
                let reason = h.exit_reason.map(|r| r.label()).unwrap_or("");
                transitions.push((
                    case_id,
                    Some("active"),
                    "exited",
                    exited.to_string(),
                    reason,
                ));
            }
        }
        for chunk in transitions.chunks(MEMBER_BATCH) {
            let sql = format!(
                "INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason) VALUES {}",
                value_rows(backend, chunk.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for (case_id, from, to, at, reason) in chunk {
                q = q
                    .bind(*case_id)
                    .bind(*from)
                    .bind(*to)
                    .bind(at.clone())
                    .bind("import")
                    .bind(*reason);
            }
            q.execute(&mut **tx).await?;
        }
    }
    Ok(stored)
}

/// The program's label for a code, for pages.
pub fn program_label(code: &str) -> &'static str {
    Program::from_code(code).map(|p| p.label()).unwrap_or("")
}
