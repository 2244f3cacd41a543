//! Writing a roster into the register in bulk: households, members (personal numbers
//! sealed once), cases and their transitions, in multi-row statements sized to the
//! databases' parameter limits. Split from `store` (the register's reads and small
//! writes) because it is one job with its own tuning.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};

use super::model::{ExitReason, Program};
use super::roster::{RosterHousehold, RosterMember};
use super::workflow;
use crate::db::{Backend, flag, param_list, value_rows};
use crate::money::Fen;
use crate::protect::{Keyring, Sealed, SensitiveKind};

/// Counts of what an import stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stored {
    pub households: usize,
    pub members: usize,
    pub new_cases: usize,
    /// Members the file no longer names, removed from their households (re-import).
    pub removed_members: usize,
    /// Stored cases whose status, amount or exit the file changed.
    pub changed_cases: usize,
}

const MEMBER_COLUMNS: &str = "household_id, name, relation, id_number_sealed, id_number_index, birth_date, \
    sex, covered, work_capacity, disability_grade, self_care, phone_sealed, phone_index, bank_sealed, bank_index";
const MEMBER_WIDTH: usize = 15;
/// Rows per multi-row INSERT, as many as SQLite's limit of 32,766 parameters allows
/// (PostgreSQL's is 65,535): members 2,000 (15 parameters each), households and cases
/// 2,500 (3 and 13 each). Larger statements mean fewer round trips, and fewer copies of
/// index pages into SQLite's statement journal (a page is copied once per statement that
/// changes it, and rows with random index keys change a different page each).
const MEMBER_ROWS: usize = 2000;
const HOUSEHOLD_ROWS: usize = 2500;

/// The SQL that inserts `rows` rows of `width` values: `{head} VALUES (…), (…){tail}`.
fn insert_rows(backend: Backend, head: &str, rows: usize, width: usize, tail: &str) -> String {
    format!("{head} VALUES {}{tail}", value_rows(backend, rows, width))
}

/// A member ready to store, its personal numbers sealed once (the blind index of the ID
/// number is also what the one-household check looks up).
pub(crate) struct MemberRow {
    /// The household's slot among the households of the file.
    pub slot: usize,
    pub name: String,
    pub relation: &'static str,
    pub id: Sealed,
    pub birth_date: String,
    pub sex: &'static str,
    pub covered: bool,
    pub work_capacity: Option<&'static str>,
    pub disability_grade: Option<i64>,
    pub self_care: Option<&'static str>,
    pub phone: Option<Sealed>,
    pub bank: Option<Sealed>,
}

impl MemberRow {
    pub fn seal(keyring: &Keyring, slot: usize, m: &RosterMember) -> MemberRow {
        let id = m.id.as_str();
        MemberRow {
            slot,
            // YYYYMMDD of a validated number, as `YYYY-MM-DD`.
            birth_date: format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]),
            sex: match m.id.sex() {
                crate::ids::Sex::Male => "male",
                crate::ids::Sex::Female => "female",
            },
            id: keyring.seal(SensitiveKind::IdNumber, id),
            relation: m.relation.label(),
            covered: m.covered,
            work_capacity: m.work_capacity.map(|w| w.code()),
            disability_grade: m.disability_grade.map(i64::from),
            self_care: m.self_care.map(|c| c.code()),
            phone: m
                .phone
                .as_ref()
                .map(|p| keyring.seal(SensitiveKind::Phone, p.as_str())),
            bank: m
                .bank
                .as_ref()
                .map(|b| keyring.seal(SensitiveKind::BankAccount, b.as_str())),
            name: m.name.clone(),
        }
    }
}

/// A household as its case is stored.
pub(crate) struct HouseholdRow<'a> {
    pub slot: usize,
    pub community: &'a str,
    pub program: Program,
    pub approved_on: NaiveDate,
    pub active: bool,
    pub exited_on: Option<NaiveDate>,
    pub exit_reason: Option<ExitReason>,
    pub monthly: Fen,
    pub covered: i64,
    /// Every member elderly or severely disabled (yearly reviews).
    pub all_stable: bool,
}

/// A step of a new case's history, as the import records it.
struct Transition<'a> {
    household: &'a HouseholdRow<'a>,
    household_id: i64,
    from: Option<&'static str>,
    to: &'static str,
    at: String,
    reason: &'static str,
}

/// A stored case as the import compares it.
struct StoredCase {
    id: i64,
    state: (String, Option<String>, Option<String>, i64, i64),
}

/// Writes a roster in the caller's transaction as its rows arrive: households by number,
/// their members replaced by the file's (a household's stored members are removed when
/// the file first names it, so its rows may be spread over the file), and, once every
/// member is written, each household's case matched by (household, program, approval
/// date) — updated if it changed, added if new. Importing the same file again changes
/// nothing. Rows go a thousand to a statement.
pub(crate) struct RosterWriter {
    backend: Backend,
    now: String,
    /// The import's date: imported active cases are next reviewed on the first date of
    /// their cycle from here on.
    today: NaiveDate,
    /// Stored household id by slot.
    ids: Vec<Option<i64>>,
    stored: Stored,
    /// Slots of households the import may not change (a case in opinion or notice).
    locked: Vec<usize>,
    /// Members stored before this import in the households it has written, by household
    /// and blind index, until the file names them again.
    stale: HashMap<i64, HashMap<String, i64>>,
    /// The statement for a full batch of members, built once.
    members_sql: String,
}

impl RosterWriter {
    pub fn new(backend: Backend, now: &str, today: NaiveDate) -> RosterWriter {
        RosterWriter {
            backend,
            now: now.to_string(),
            today,
            ids: Vec::new(),
            stale: HashMap::new(),
            locked: Vec::new(),
            stored: Stored::default(),
            members_sql: members_sql(backend, MEMBER_ROWS),
        }
    }

    /// Households of the file the register keeps as they are (see `write_households`).
    pub fn locked(&self) -> &[usize] {
        &self.locked
    }

    /// Whether the household in this slot has been written.
    pub fn has(&self, slot: usize) -> bool {
        self.ids.get(slot).copied().flatten().is_some()
    }

    fn id(&self, slot: usize) -> i64 {
        self.ids.get(slot).copied().flatten().unwrap_or_default()
    }

    /// Writes households seen for the first time, `(slot, number, community)`, and
    /// removes their stored members.
    pub async fn write_households(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        households: &[(usize, &str, &str)],
    ) -> Result<(), sqlx::Error> {
        for chunk in households.chunks(HOUSEHOLD_ROWS) {
            let sql = insert_rows(
                self.backend,
                "INSERT INTO households (number, region_code, created_at)",
                chunk.len(),
                3,
                // A household written again is a change of the register like any other:
                // its version moves, so a form filled before the import is refused.
                " ON CONFLICT (number) DO UPDATE SET region_code = excluded.region_code, \
                 version = households.version + 1 RETURNING id, number",
            );
            let mut q = sqlx::query(&sql);
            for (_, number, community) in chunk {
                q = q.bind(*number).bind(*community).bind(self.now.as_str());
            }
            let slot_of: HashMap<&str, usize> = chunk.iter().map(|(s, n, _)| (*n, *s)).collect();
            let mut ids = Vec::with_capacity(chunk.len());
            for row in q.fetch_all(&mut **tx).await? {
                let number: String = row.try_get(1)?;
                let id: i64 = row.try_get(0)?;
                if let Some(&slot) = slot_of.get(number.as_str()) {
                    if self.ids.len() <= slot {
                        self.ids.resize(slot + 1, None);
                    }
                    self.ids[slot] = Some(id);
                    ids.push(id);
                }
            }
            self.stored.households += chunk.len();
            // A household whose case is under the street's opinion or in notice keeps
            // the facts put to the public (as for edits on the page): the import is
            // refused for it.
            let sql = format!(
                "SELECT DISTINCT household_id FROM cases WHERE status IN ('reviewed', 'notice') \
                 AND household_id IN ({})",
                param_list(self.backend, 1, ids.len())
            );
            let mut q = sqlx::query(&sql);
            for id in &ids {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut **tx).await? {
                let id: i64 = row.try_get(0)?;
                if let Some(slot) = self.ids.iter().position(|s| *s == Some(id)) {
                    self.locked.push(slot);
                }
            }
            // The file's list of members replaces the stored one. A member still in the
            // file is updated in place (`write_members`), keeping what the register adds
            // to the roster (incomes, hukou, illness, …); the others are removed once every
            // row has been written (`remove_stale`).
            let sql = format!(
                "SELECT id, household_id, id_number_index FROM members WHERE household_id IN ({})",
                param_list(self.backend, 1, ids.len())
            );
            let mut q = sqlx::query(&sql);
            for id in &ids {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut **tx).await? {
                self.stale
                    .entry(row.try_get(1)?)
                    .or_default()
                    .insert(row.try_get(2)?, row.try_get(0)?);
            }
        }
        Ok(())
    }

    /// Removes the stored members of written households that the file no longer names.
    pub async fn remove_stale(&mut self, tx: &mut Transaction<'_, Any>) -> Result<(), sqlx::Error> {
        let ids: Vec<i64> = self
            .stale
            .drain()
            .flat_map(|(_, members)| members.into_values())
            .collect();
        self.stored.removed_members += ids.len();
        for chunk in ids.chunks(super::store::PROBE_BATCH) {
            let sql = format!(
                "DELETE FROM members WHERE id IN ({})",
                param_list(self.backend, 1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Inserts members of households already written.
    pub async fn write_members(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        members: &[MemberRow],
    ) -> Result<(), sqlx::Error> {
        let full = MEMBER_ROWS;
        for chunk in members.chunks(full) {
            let short;
            let sql = if chunk.len() == full {
                self.members_sql.as_str()
            } else {
                short = members_sql(self.backend, chunk.len());
                short.as_str()
            };
            // The full-size statement is prepared once; a shorter last one is not kept.
            let mut q = sqlx::query(sql).persistent(chunk.len() == full);
            for m in chunk {
                let household = self.id(m.slot);
                if let Some(stored) = self.stale.get_mut(&household) {
                    stored.remove(m.id.index.as_str());
                }
                q = q
                    .bind(household)
                    .bind(m.name.as_str())
                    .bind(m.relation)
                    .bind(m.id.sealed.as_str())
                    .bind(m.id.index.as_str())
                    .bind(m.birth_date.as_str())
                    .bind(m.sex)
                    .bind(flag(m.covered))
                    .bind(m.work_capacity)
                    .bind(m.disability_grade)
                    .bind(m.self_care)
                    .bind(m.phone.as_ref().map(|s| s.sealed.as_str()))
                    .bind(m.phone.as_ref().map(|s| s.index.as_str()))
                    .bind(m.bank.as_ref().map(|s| s.sealed.as_str()))
                    .bind(m.bank.as_ref().map(|s| s.index.as_str()));
            }
            q.execute(&mut **tx).await?;
            self.stored.members += chunk.len();
        }
        Ok(())
    }

    /// Stores the case of each household (all written before), and what was stored.
    pub async fn write_cases(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        households: &[HouseholdRow<'_>],
    ) -> Result<(), sqlx::Error> {
        for batch in households.chunks(HOUSEHOLD_ROWS) {
            self.write_case_batch(tx, batch).await?;
        }
        Ok(())
    }

    pub fn stored(&self) -> Stored {
        self.stored.clone()
    }

    async fn write_case_batch(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        batch: &[HouseholdRow<'_>],
    ) -> Result<(), sqlx::Error> {
        let backend = self.backend;
        let sql = format!(
            "SELECT id, household_id, program, approved_on, status, exited_on, exit_reason, monthly_amount, \
             covered_persons FROM cases WHERE household_id IN ({})",
            param_list(backend, 1, batch.len())
        );
        let mut q = sqlx::query(&sql);
        for h in batch {
            q = q.bind(self.id(h.slot));
        }
        // (household, program, approval date) → the stored case.
        let mut existing: HashMap<(i64, String, String), StoredCase> = HashMap::new();
        for r in q.fetch_all(&mut **tx).await? {
            let key = (
                r.try_get("household_id")?,
                r.try_get("program")?,
                r.try_get::<Option<String>, _>("approved_on")?
                    .unwrap_or_default(),
            );
            let case = StoredCase {
                id: r.try_get("id")?,
                state: (
                    r.try_get("status")?,
                    r.try_get("exited_on")?,
                    r.try_get("exit_reason")?,
                    r.try_get("monthly_amount")?,
                    r.try_get("covered_persons")?,
                ),
            };
            // Like a scan in id order, the first stored case of a key is the one matched.
            existing.entry(key).or_insert(case);
        }
        let mut new_cases: Vec<(i64, &HouseholdRow<'_>)> = Vec::new();
        for h in batch {
            let household_id = self.id(h.slot);
            let wanted = (
                if h.active { "active" } else { "exited" }.to_string(),
                h.exited_on.map(|d| d.to_string()),
                h.exit_reason.map(|r| r.code().to_string()),
                h.monthly.0,
                h.covered,
            );
            let key = (
                household_id,
                h.program.code().to_string(),
                h.approved_on.to_string(),
            );
            match existing.get(&key) {
                Some(c) if c.state == wanted => {}
                Some(c) => {
                    self.stored.changed_cases += 1;
                    if c.state.0 != wanted.0 {
                        // A status the file changes is a step of the case's history.
                        let at = match &wanted.1 {
                            Some(exited) if wanted.0 == "exited" => exited.clone(),
                            _ => self.today.to_string(),
                        };
                        sqlx::query(
                            "INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason, action) \
                             VALUES ($1, $2, $3, $4, 'import', $5, 'import')",
                        )
                        .bind(c.id)
                        .bind(c.state.0.clone())
                        .bind(wanted.0.clone())
                        .bind(at)
                        .bind(match h.exit_reason {
                            Some(r) if !h.active => format!("花名册导入：{}", r.label()),
                            _ => "花名册导入".to_string(),
                        })
                        .execute(&mut **tx)
                        .await?;
                    }
                    sqlx::query(
                        "UPDATE cases SET status = $2, region_code = $3, exited_on = $4, exit_reason = $5, \
                         monthly_amount = $6, covered_persons = $7, version = version + 1 WHERE id = $1",
                    )
                    .bind(c.id)
                    .bind(wanted.0)
                    .bind(h.community)
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
            return Ok(());
        }
        self.stored.new_cases += new_cases.len();
        for chunk in new_cases.chunks(HOUSEHOLD_ROWS) {
            self.insert_cases(tx, chunk).await?;
        }
        // Their history: approved, and exited where the file says so. Each new case is
        // found again by its key (household, program, approval date), which is cheaper
        // than reading every id back. `CROSS JOIN` makes SQLite look the cases up from the
        // list, and `|| ''` keeps it off the approval-date index (about 1,000 cases per
        // date, 100 times slower), which it picks while the tables have no statistics yet.
        // PostgreSQL plans both as an ordinary join.
        let mut transitions: Vec<Transition<'_>> = Vec::new();
        for (household_id, h) in &new_cases {
            transitions.push(Transition {
                household: h,
                household_id: *household_id,
                from: None,
                to: "active",
                at: h.approved_on.to_string(),
                reason: "花名册导入",
            });
            if let (false, Some(exited)) = (h.active, h.exited_on) {
                transitions.push(Transition {
                    household: h,
                    household_id: *household_id,
                    from: Some("active"),
                    to: "exited",
                    at: exited.to_string(),
                    reason: h.exit_reason.map(|r| r.label()).unwrap_or(""),
                });
            }
        }
        for chunk in transitions.chunks(HOUSEHOLD_ROWS) {
            let sql = format!(
                "WITH v (n, household_id, program, approved_on, from_status, to_status, at, reason) AS (VALUES {}) \
                 INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason) \
                 SELECT c.id, v.from_status, v.to_status, v.at, 'import', v.reason \
                 FROM v CROSS JOIN cases c WHERE c.household_id = v.household_id \
                 AND c.program = v.program AND c.approved_on || '' = v.approved_on ORDER BY v.n",
                value_rows(backend, chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for (n, t) in chunk.iter().enumerate() {
                q = q
                    .bind(n as i64)
                    .bind(t.household_id)
                    .bind(t.household.program.code())
                    .bind(t.household.approved_on.to_string())
                    .bind(t.from)
                    .bind(t.to)
                    .bind(t.at.as_str())
                    .bind(t.reason);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn insert_cases(
        &self,
        tx: &mut Transaction<'_, Any>,
        new_cases: &[(i64, &HouseholdRow<'_>)],
    ) -> Result<(), sqlx::Error> {
        let sql = insert_rows(
            self.backend,
            "INSERT INTO cases (household_id, program, status, region_code, applied_on, approved_on, exited_on, \
             exit_reason, monthly_amount, covered_persons, source, next_review_on, approved_persons)",
            new_cases.len(),
            13,
            "",
        );
        let mut q = sqlx::query(&sql);
        for (household_id, h) in new_cases {
            q = q
                .bind(*household_id)
                .bind(h.program.code())
                .bind(if h.active { "active" } else { "exited" })
                .bind(h.community)
                .bind(h.approved_on.to_string())
                .bind(h.approved_on.to_string())
                .bind(h.exited_on.map(|d| d.to_string()))
                .bind(h.exit_reason.map(|r| r.code()))
                .bind(h.monthly.0)
                .bind(h.covered)
                .bind("import")
                .bind(h.active.then(|| {
                    let months = workflow::review_interval_months(h.program, h.all_stable);
                    workflow::next_review_after(h.approved_on, months, self.today).to_string()
                }))
                .bind(h.covered);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }
}

fn members_sql(backend: Backend, rows: usize) -> String {
    // Every roster column but the two that identify the member in the household.
    let update: Vec<String> = MEMBER_COLUMNS
        .split(',')
        .map(str::trim)
        .filter(|c| !matches!(*c, "household_id" | "id_number_index"))
        .map(|c| match c {
            // Optional in the roster: a blank cell (or a file without the column) keeps
            // what the register holds; it is cleared on the household page.
            "work_capacity" | "disability_grade" | "self_care" | "phone_sealed" | "phone_index"
            | "bank_sealed" | "bank_index" => format!("{c} = COALESCE(excluded.{c}, members.{c})"),
            _ => format!("{c} = excluded.{c}"),
        })
        .collect();
    insert_rows(
        backend,
        &format!("INSERT INTO members ({MEMBER_COLUMNS})"),
        rows,
        MEMBER_WIDTH,
        &format!(
            " ON CONFLICT (household_id, id_number_index) DO UPDATE SET {}",
            update.join(", ")
        ),
    )
}

/// Stores checked households in the caller's transaction (see `RosterWriter`).
pub async fn store_roster(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    keyring: &Keyring,
    households: &[RosterHousehold],
    now: &str,
    today: NaiveDate,
) -> Result<Stored, sqlx::Error> {
    let mut writer = RosterWriter::new(backend, now, today);
    for (chunk_no, chunk) in households.chunks(HOUSEHOLD_ROWS).enumerate() {
        let first = chunk_no * HOUSEHOLD_ROWS;
        let new: Vec<(usize, &str, &str)> = chunk
            .iter()
            .enumerate()
            .map(|(i, h)| (first + i, h.number.as_str(), h.community.as_str()))
            .collect();
        writer.write_households(tx, &new).await?;
        let members: Vec<MemberRow> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, h)| h.members.iter().map(move |m| (first + i, m)))
            .map(|(slot, m)| MemberRow::seal(keyring, slot, m))
            .collect();
        writer.write_members(tx, &members).await?;
    }
    writer.remove_stale(tx).await?;
    let rows: Vec<HouseholdRow<'_>> = households
        .iter()
        .enumerate()
        .map(|(slot, h)| HouseholdRow {
            slot,
            community: &h.community,
            program: h.program,
            approved_on: h.approved_on,
            active: h.active,
            exited_on: h.exited_on,
            exit_reason: h.exit_reason,
            monthly: h.monthly,
            covered: h.members.iter().filter(|m| m.covered).count() as i64,
            all_stable: !h.members.is_empty()
                && h.members.iter().all(|m| {
                    m.id.age_on(today) >= 60 || m.disability_grade.is_some_and(|g| g <= 2)
                }),
        })
        .collect();
    writer.write_cases(tx, &rows).await?;
    Ok(writer.stored())
}
