//! Importing and exporting the roster (`minzheng import/export assistance-roster`, and
//! the upload page): all rows or none, every error listed, the same file twice changes
//! nothing.

use chrono::NaiveDate;
use sqlx::Row;

use super::roster::{self, RosterHousehold};
use super::store;
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::ledger::sheet::read_sheet;
use crate::ledger::{ImportError, RowError};
use crate::protect::{Keyring, SensitiveKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterImport {
    pub households: usize,
    pub members: usize,
    pub new_cases: usize,
    pub dry_run: bool,
}

/// Reads and checks a roster file completely (also against the register), storing
/// nothing. Returns the households to store.
pub async fn check_roster(
    db: &Db,
    keyring: &Keyring,
    file_name: &str,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<Vec<RosterHousehold>, ImportError> {
    let started = std::time::Instant::now();
    let sheet = read_sheet(file_name, bytes)?;
    let communities = store::community_codes(db).await?;
    let households = roster::parse_roster(&sheet, today, &communities)?;
    drop(sheet);
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        households = households.len(),
        "roster read and checked"
    );
    // One active household per person, city-wide: the person may not be active in a
    // household other than the one this file puts them in.
    let wanted: Vec<(String, String)> = households
        .iter()
        .filter(|h| h.active)
        .flat_map(|h| {
            h.members.iter().map(|m| {
                (
                    keyring.index(SensitiveKind::IdNumber, m.id.as_str()),
                    h.number.clone(),
                )
            })
        })
        .collect();
    let conflicts = store::active_elsewhere(db, &wanted).await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster checked against the register"
    );
    if !conflicts.is_empty() {
        let mut errors = Vec::new();
        for h in households.iter().filter(|h| h.active) {
            for m in &h.members {
                let index = keyring.index(SensitiveKind::IdNumber, m.id.as_str());
                if let Some(other) = conflicts.get(&index) {
                    errors.push(RowError::new(
                        m.row,
                        "身份证号",
                        m.id.masked(),
                        format!("此人已在户 {other} 中在保，一个人同时只能在一户享受救助；请先办理该户的停保或变更"),
                    ));
                }
            }
        }
        errors.sort_by_key(|e| e.row);
        return Err(ImportError::Rejected(errors));
    }
    Ok(households)
}

/// Checks and stores a roster file, with its audit entry, in one transaction.
pub async fn import_roster(
    db: &Db,
    keyring: &Keyring,
    file_name: &str,
    bytes: &[u8],
    today: NaiveDate,
    dry_run: bool,
    audit: &AuditEvent,
) -> Result<RosterImport, ImportError> {
    let households = check_roster(db, keyring, file_name, bytes, today).await?;
    let members = households.iter().map(|h| h.members.len()).sum();
    if dry_run {
        return Ok(RosterImport {
            households: households.len(),
            members,
            new_cases: 0,
            dry_run: true,
        });
    }
    let started = std::time::Instant::now();
    let mut tx = db.begin_bulk().await?;
    let stored = store::store_roster(
        &mut tx,
        db.backend(),
        keyring,
        &households,
        &audit.at.to_rfc3339(),
    )
    .await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster stored"
    );
    let event = audit.clone().with(serde_json::json!({
        "ledger": roster::NAME,
        "file": file_name,
        "households": stored.households,
        "members": stored.members,
        "new_cases": stored.new_cases,
    }));
    crate::audit::record(&mut tx, &event).await?;
    tx.commit().await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster committed"
    );
    // A bulk load changes the tables' shape: refresh the planner's statistics, or the
    // next import's checks may be planned as if the tables were still empty.
    db.analyze(&["households", "members", "cases"]).await?;
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
