//! Importing and exporting the roster (`minzheng import/export assistance-roster`, and
//! the upload page): all rows or none, every error listed, the same file twice changes
//! nothing.

use std::task::Poll;

use chrono::NaiveDate;
use sqlx::{Row, Transaction};

use super::roster::{self, COLUMNS, RosterChecker, RosterMember};
use super::roster_store::{HouseholdRow, MemberRow, RosterWriter};
use super::store;
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::db::bulk::{BulkConnection, DeferredIndexes};
use crate::ledger::sheet::{Header, RowReader, Rows, open_source};
use crate::ledger::{ImportError, RowError};
use crate::protect::{Keyring, SensitiveKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterImport {
    pub households: usize,
    pub members: usize,
    pub new_cases: usize,
    pub dry_run: bool,
}

/// Rows read, checked, sealed, looked up and written together.
const BATCH_ROWS: usize = 2000;
/// Rows read between two looks at the statement running meanwhile (see `overlapped`):
/// a statement that returns rows stalls when 50 of them wait to be taken.
const SLICE_ROWS: usize = 16;

/// A batch of checked rows: the members, and (unless nothing will be written) the same
/// members sealed for storing.
#[derive(Default)]
struct Batch {
    members: Vec<(usize, RosterMember)>,
    sealed: Vec<MemberRow>,
}

/// The reading side of an import: rows are read, checked and sealed here.
struct Reader<'s, 'c> {
    rows: Rows<'s>,
    header: Header,
    checker: RosterChecker<'c>,
    keyring: &'s Keyring,
    seal: bool,
    end: bool,
}

impl Reader<'_, '_> {
    /// Reads up to `n` more rows into `batch`. False once the batch is full or the file
    /// has ended. After the first error nothing more is kept, only checked.
    fn fill(&mut self, batch: &mut Batch, n: usize) -> bool {
        for _ in 0..n {
            if self.end || batch.members.len() >= BATCH_ROWS {
                return false;
            }
            match self.rows.next_row() {
                Ok(Some((row, cells))) => {
                    let mut r = RowReader::over(row, cells, &self.header, &COLUMNS);
                    if let Some((slot, member)) = self.checker.check(&mut r)
                        && self.checker.errors.is_empty()
                    {
                        if self.seal {
                            batch
                                .sealed
                                .push(MemberRow::seal(self.keyring, slot, &member));
                        }
                        batch.members.push((slot, member));
                    }
                }
                Ok(None) => self.end = true,
                // A malformed CSV record: what follows cannot be read. (Other errors
                // cannot come from reading text already in memory.)
                Err(e) => {
                    let mut errors = match e {
                        ImportError::Rejected(errors) => errors,
                        other => vec![RowError::new(0, "(整行)", "", other.to_string())],
                    };
                    self.checker.errors.append(&mut errors);
                    self.end = true;
                }
            }
        }
        !self.end && batch.members.len() < BATCH_ROWS
    }
}

/// Runs `statement` while doing `work` a slice at a time: after each slice the statement
/// is polled again, which on SQLite sends its next step to the connection's own thread at
/// once. So reading, checking and sealing the next rows (this thread) overlaps with the
/// database writing the previous ones (the connection's thread). `work` returns false
/// when it has nothing more to do; then the statement is simply awaited.
async fn overlapped<F: Future>(statement: F, mut work: impl FnMut() -> bool) -> F::Output {
    let mut statement = std::pin::pin!(statement);
    let mut more = true;
    std::future::poll_fn(|cx| {
        loop {
            if let Poll::Ready(out) = statement.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if !more {
                return Poll::Pending;
            }
            more = work();
        }
    })
    .await
}

/// Checks and stores a roster file, with its audit entry, in one transaction; with
/// `dry_run`, checks it (also against the register) and stores nothing.
///
/// The file is read in one pass, a batch of rows at a time: each batch is checked, its
/// people looked up in the register as it was before the import (one active household
/// per person, city-wide), and written while the next batch is read. Only a few facts per
/// household and the ID numbers seen so far are kept, not the rows. The first error stops
/// the writing but not the reading, so every error is still listed; the transaction is
/// then rolled back and nothing is stored.
pub async fn import_roster(
    db: &Db,
    keyring: &Keyring,
    file_name: &str,
    bytes: &[u8],
    today: NaiveDate,
    dry_run: bool,
    audit: &AuditEvent,
) -> Result<RosterImport, ImportError> {
    let file = RosterFile {
        name: file_name,
        bytes,
        today,
    };
    let started = std::time::Instant::now();
    // With no active case anywhere, nobody can be active in another household and there
    // is nothing to look up. Otherwise people are looked up on a connection of their own:
    // it sees the register as last committed, i.e. as it was before this import.
    let mut probe = match store::any_active_case(db).await? {
        true => Some(BulkConnection::open(db, false).await?),
        false => None,
    };
    let outcome = if dry_run {
        run(db, keyring, &file, None, probe.as_mut(), audit).await
    } else {
        let mut writer = match BulkConnection::open(db, true).await {
            Ok(writer) => writer,
            Err(e) => {
                if let Some(probe) = probe {
                    probe.release().await;
                }
                return Err(e.into());
            }
        };
        let outcome = async {
            let mut tx = writer.begin(db.backend()).await?;
            // A first load into an empty SQLite register builds its indexes at the end
            // (BEGIN IMMEDIATE holds the write lock: nothing is added meanwhile). Not on
            // PostgreSQL: dropping an index locks its table against readers until the
            // import commits, and every assistance page and /apply would wait.
            let bulk = db.backend() == crate::db::Backend::Sqlite
                && store::register_is_empty(&mut tx).await?;
            let deferred = match bulk {
                true => Some(
                    DeferredIndexes::drop(&mut tx, db.backend(), BULK_TABLES, BULK_KEEP).await?,
                ),
                false => None,
            };
            match run(db, keyring, &file, Some(&mut tx), probe.as_mut(), audit).await {
                Ok(done) => {
                    if let Some(deferred) = deferred {
                        deferred.restore(&mut tx).await?;
                        tracing::info!(
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "indexes built"
                        );
                    }
                    tx.commit().await?;
                    Ok(done)
                }
                Err(e) => {
                    tx.rollback().await?;
                    Err(e)
                }
            }
        }
        .await;
        writer.release().await;
        outcome
    };
    if let Some(probe) = probe {
        probe.release().await;
    }
    let done = outcome?;
    if done.dry_run {
        return Ok(done);
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster committed"
    );
    // A bulk load changes the tables' shape: refresh the planner's statistics, or the
    // next import's checks may be planned as if the tables were still empty.
    db.analyze(&["households", "members", "cases"]).await?;
    Ok(done)
}

/// The tables a roster import writes, and the one index the import reads through while
/// it writes (the stored cases of each batch of households, by household).
const BULK_TABLES: &[&str] = &["households", "members", "cases", "case_transitions"];
const BULK_KEEP: &[&str] = &["cases_household"];

struct RosterFile<'a> {
    name: &'a str,
    bytes: &'a [u8],
    today: NaiveDate,
}

/// The import itself, in `tx` (none for a dry run), without committing.
async fn run(
    db: &Db,
    keyring: &Keyring,
    file: &RosterFile<'_>,
    mut tx: Option<&mut Transaction<'_, sqlx::Any>>,
    mut probe: Option<&mut BulkConnection>,
    audit: &AuditEvent,
) -> Result<RosterImport, ImportError> {
    let started = std::time::Instant::now();
    let dry_run = tx.is_none();
    let communities = store::community_codes(db).await?;
    let source = open_source(file.name, file.bytes)?;
    let (header, rows) = source.rows(&COLUMNS)?;
    let mut reader = Reader {
        rows,
        header,
        checker: RosterChecker::new(file.today, &communities),
        keyring,
        seal: !dry_run,
        end: false,
    };
    let mut writer = RosterWriter::new(db.backend(), &audit.at.to_rfc3339(), file.today);
    let mut conflicts: Vec<RowError> = Vec::new();
    let mut batch = Batch::default();
    while reader.fill(&mut batch, usize::MAX) {}
    while !batch.members.is_empty() {
        let mut next = Batch::default();
        if let Some(probe) = probe.as_deref_mut()
            && reader.checker.errors.is_empty()
        {
            let wanted: Vec<(usize, String, String)> = batch
                .members
                .iter()
                .enumerate()
                .filter(|(_, (slot, _))| reader.checker.is_active(*slot))
                .map(|(i, (slot, m))| {
                    let index = match batch.sealed.get(i) {
                        Some(s) => s.id.index.clone(),
                        None => keyring.index(SensitiveKind::IdNumber, m.id.as_str()),
                    };
                    (i, index, reader.checker.number(*slot).to_string())
                })
                .collect();
            let pairs: Vec<(&str, &str)> = wanted
                .iter()
                .map(|(_, index, number)| (index.as_str(), number.as_str()))
                .collect();
            let look_up = store::active_elsewhere(&mut probe.conn, db.backend(), &pairs);
            let found = overlapped(look_up, || reader.fill(&mut next, SLICE_ROWS)).await?;
            for (i, index, _) in &wanted {
                if let Some(other) = found.get(index) {
                    let m = &batch.members[*i].1;
                    conflicts.push(RowError::new(
                        m.row,
                        "身份证号",
                        m.id.masked(),
                        format!("此人已在户 {other} 中在保，一个人同时只能在一户享受救助；请先办理该户的停保或变更"),
                    ));
                }
            }
        }
        if let Some(tx) = tx.as_deref_mut()
            && reader.checker.errors.is_empty()
            && conflicts.is_empty()
        {
            // Households named for the first time, in the order the file names them.
            let mut slots: Vec<usize> = batch
                .members
                .iter()
                .map(|(slot, _)| *slot)
                .filter(|slot| !writer.has(*slot))
                .collect();
            slots.sort_unstable();
            slots.dedup();
            let numbers: Vec<String> = slots
                .iter()
                .map(|slot| reader.checker.number(*slot).to_string())
                .collect();
            let new: Vec<(usize, &str, &str)> = slots
                .iter()
                .zip(&numbers)
                .map(|(slot, number)| (*slot, number.as_str(), reader.checker.community(*slot)))
                .collect();
            let write = async {
                writer.write_households(tx, &new).await?;
                writer.write_members(tx, &batch.sealed).await
            };
            overlapped(write, || reader.fill(&mut next, SLICE_ROWS)).await?;
        }
        while reader.fill(&mut next, usize::MAX) {}
        batch = next;
    }
    let mut checker = reader.checker;
    let errors = checker.finish();
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors));
    }
    for &slot in writer.locked() {
        conflicts.push(RowError::new(
            checker.first_row(slot),
            "户编号",
            checker.number(slot),
            "该户的救助申请已提出街道审核意见或正在公示，登记信息暂不能修改；请先在案件页退回重新调查，或从文件中去掉该户",
        ));
    }
    if !conflicts.is_empty() {
        conflicts.sort_by_key(|e| e.row);
        return Err(ImportError::Rejected(conflicts));
    }
    let households: Vec<HouseholdRow<'_>> = checker.household_rows();
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        households = households.len(),
        "roster read and checked, members written"
    );
    let Some(tx) = tx else {
        return Ok(RosterImport {
            households: households.len(),
            members: checker.members(),
            new_cases: 0,
            dry_run: true,
        });
    };
    writer.remove_stale(tx).await?;
    writer.write_cases(tx, &households).await?;
    let stored = writer.stored();
    let event = audit.clone().with(serde_json::json!({
        "ledger": roster::NAME,
        "file": file.name,
        "households": stored.households,
        "members": stored.members,
        "new_cases": stored.new_cases,
        "changed_cases": stored.changed_cases,
        "removed_members": stored.removed_members,
    }));
    crate::audit::record(tx, &event).await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster stored"
    );
    Ok(RosterImport {
        households: stored.households,
        members: stored.members,
        new_cases: stored.new_cases,
        dry_run: false,
    })
}

/// Every member of every household in the scope, as roster rows (full ID numbers: the
/// caller must have the right to export rolls, and the export is audited by the caller).
pub async fn roster_rows(
    db: &Db,
    keyring: &Keyring,
    bounds: (String, String),
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    // The latest case of each household (by approval date).
    let rows = sqlx::query(
        "SELECT h.number, c.program, m.name, m.id_number_sealed, m.relation, m.covered, h.region_code, \
         c.monthly_amount, c.approved_on, c.status, c.exited_on, c.exit_reason, m.bank_sealed, m.phone_sealed, \
         m.work_capacity, m.disability_grade, m.self_care \
         FROM households h \
         JOIN cases c ON c.household_id = h.id AND c.approved_on = \
              (SELECT MAX(c2.approved_on) FROM cases c2 WHERE c2.household_id = h.id AND c2.approved_on IS NOT NULL) \
         JOIN members m ON m.household_id = h.id \
         WHERE h.region_code >= $1 AND h.region_code < $2 AND c.status IN ('active', 'exited') \
         ORDER BY h.number, CASE WHEN m.relation = '本人' THEN 0 ELSE 1 END, m.id",
    )
    .bind(bounds.0)
    .bind(bounds.1)
    .fetch_all(db.pool())
    .await?;
    let open = |kind: SensitiveKind, sealed: Option<String>| -> String {
        sealed
            .and_then(|s| keyring.open(kind, &s).ok())
            .unwrap_or_default()
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let program: String = r.try_get("program")?;
        let relation: String = r.try_get("relation")?;
        let covered: i64 = r.try_get("covered")?;
        let monthly: i64 = r.try_get("monthly_amount")?;
        let status: String = r.try_get("status")?;
        let exit_reason: Option<String> = r.try_get("exit_reason")?;
        let work: Option<String> = r.try_get("work_capacity")?;
        let grade: Option<i64> = r.try_get("disability_grade")?;
        let care: Option<String> = r.try_get("self_care")?;
        out.push(vec![
            r.try_get("number")?,
            store::program_label(&program).to_string(),
            r.try_get("name")?,
            open(SensitiveKind::IdNumber, r.try_get("id_number_sealed")?),
            relation.clone(),
            if covered != 0 { "是" } else { "否" }.to_string(),
            r.try_get("region_code")?,
            if relation == "本人" {
                crate::money::Fen(monthly).to_yuan_string()
            } else {
                String::new()
            },
            r.try_get::<Option<String>, _>("approved_on")?
                .unwrap_or_default(),
            if status == "active" {
                "在保"
            } else {
                "停保"
            }
            .to_string(),
            r.try_get::<Option<String>, _>("exited_on")?
                .unwrap_or_default(),
            exit_reason
                .as_deref()
                .and_then(super::model::ExitReason::from_code)
                .map(|e| e.label().to_string())
                .unwrap_or_default(),
            open(SensitiveKind::BankAccount, r.try_get("bank_sealed")?),
            open(SensitiveKind::Phone, r.try_get("phone_sealed")?),
            work.as_deref()
                .and_then(super::model::WorkCapacity::from_code)
                .map(|w| w.label().to_string())
                .unwrap_or_default(),
            grade.map(|g| format!("{g}级")).unwrap_or_default(),
            care.as_deref()
                .and_then(super::model::SelfCare::from_code)
                .map(|c| c.label().to_string())
                .unwrap_or_default(),
        ]);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
