//! The two funeral ledgers of FORMATS.md on the ledger engine: `cemeteries` and
//! `plot-additions`. Each import checks every row first (a file with any bad row stores
//! nothing and lists every error by row and column), then writes by the ledger's key, so
//! the same file twice leaves one copy.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::funeral::{CemeteryKind, CemeteryStatus, NewCemetery, check_addition, check_cemetery};
use super::funeral_store as store;
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::ledger::checks::{Imported, InScope, coded, once, region_in, rejected};
use crate::ledger::sheet::{Column, RowReader, Sheet, find_header, read_sheet};
use crate::ledger::{ImportError, RowError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ledger {
    Cemeteries,
    PlotAdditions,
}

pub const LEDGERS: [Ledger; 2] = [Ledger::Cemeteries, Ledger::PlotAdditions];

const fn col(name: &'static str, required: bool) -> Column {
    Column { name, required }
}

const CEMETERY_COLUMNS: [Column; 7] = [
    col("公墓编号", true),
    col("名称", true),
    col("性质", true),
    col("所属区划", true),
    col("状态", true),
    col("建成日期", false),
    col("墓穴数", true),
];
const ADDITION_COLUMNS: [Column; 3] = [
    col("公墓编号", true),
    col("日期", true),
    col("新增墓穴数", true),
];

impl Ledger {
    pub fn name(self) -> &'static str {
        match self {
            Ledger::Cemeteries => "cemeteries",
            Ledger::PlotAdditions => "plot-additions",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Ledger::Cemeteries => "公墓名录",
            Ledger::PlotAdditions => "墓穴变动",
        }
    }
    pub fn parse(s: &str) -> Option<Ledger> {
        LEDGERS
            .into_iter()
            .find(|l| l.name() == s || l.label() == s)
    }
    pub fn columns(self) -> &'static [Column] {
        match self {
            Ledger::Cemeteries => &CEMETERY_COLUMNS,
            Ledger::PlotAdditions => &ADDITION_COLUMNS,
        }
    }
    pub fn headers(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| c.name).collect()
    }
}

/// Reads, checks and (unless `dry_run`) stores a ledger file, all or nothing, audited
/// with the counts in the same transaction.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    db: &Db,
    ledger: Ledger,
    file_name: &str,
    bytes: &[u8],
    today: NaiveDate,
    in_scope: InScope<'_>,
    dry_run: bool,
    audit: &AuditEvent,
) -> Result<Imported, ImportError> {
    let sheet = read_sheet(file_name, bytes)?;
    let by = audit.actor.username.clone();
    let at = audit.at.to_rfc3339();
    let mut tx = db.begin().await?;
    let done = match ledger {
        Ledger::Cemeteries => cemeteries(db, &mut tx, &sheet, today, in_scope, (&by, &at)).await?,
        Ledger::PlotAdditions => {
            additions(db, &mut tx, &sheet, today, in_scope, (&by, &at)).await?
        }
    };
    if dry_run {
        tx.rollback().await?;
        return Ok(done);
    }
    crate::audit::record(
        &mut tx,
        &audit.clone().with(serde_json::json!({
            "ledger": ledger.name(), "file": file_name,
            "rows": done.rows, "created": done.created, "updated": done.updated,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// The codes of districts and streets: a cemetery belongs to one of them.
async fn district_and_street_codes(
    tx: &mut Transaction<'_, Any>,
) -> Result<HashSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT code FROM regions WHERE level IN ('district', 'street')")
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// Locks the stored cemeteries a file writes to (one sorted call: the same key a burial
/// and the cemetery form take), so a capacity cut and a burial do not cross.
async fn lock_cemeteries(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    ids: impl Iterator<Item = i64>,
) -> Result<(), sqlx::Error> {
    let keys: Vec<String> = ids.map(|id| format!("cemetery-plots:{id}")).collect();
    db.lock_keys(tx, &keys).await
}

/// After the writes: a row whose cemetery would then hold more burials than plots on
/// some day is refused (the caller's transaction is then dropped, nothing stored).
async fn check_occupancy(
    tx: &mut Transaction<'_, Any>,
    written: &[(usize, i64, &'static str, String)],
    today: NaiveDate,
) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    let mut checked = HashSet::new();
    for (row, id, column, value) in written {
        if checked.insert(*id)
            && let Some(short) = store::overfill(tx, *id, today).await?
        {
            errors.push(RowError::new(
                *row,
                *column,
                value.clone(),
                store::overfill_message(column, short),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(rejected(errors))
    }
}

async fn cemeteries(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &CEMETERY_COLUMNS)?;
    let regions = district_and_street_codes(tx).await?;
    let refs = store::refs(tx).await?;
    let (mut errors, mut found, mut seen) = (Vec::new(), Vec::new(), HashMap::new());
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &CEMETERY_COLUMNS);
        let number = r.code(0);
        let name = r.text(1);
        let kind = coded(&mut r, 2, CemeteryKind::parse, CemeteryKind::labels());
        let region = region_in(&mut r, 3, &regions, " 6 位区县或 9 位街道/乡镇", in_scope);
        let status = coded(&mut r, 4, CemeteryStatus::parse, CemeteryStatus::labels());
        let completed_on = r.date(5);
        let plots = r.count(6);
        let mut row_errors = std::mem::take(&mut r.errors);
        if let (Some(number), Some(name), Some(kind), Some(region), Some(status), Some(plots)) =
            (number, name, kind, region, status, plots)
        {
            let c = NewCemetery {
                number,
                name,
                kind,
                region,
                status,
                completed_on,
                plots,
            };
            for (column, reason) in check_cemetery(&c, today) {
                let value = match column {
                    "建成日期" => c.completed_on.map(|d| d.to_string()).unwrap_or_default(),
                    "墓穴数" => c.plots.to_string(),
                    "所属区划" => c.region.clone(),
                    _ => c.number.clone(),
                };
                row_errors.push(RowError::new(*row, column, value, reason));
            }
            // A number registered elsewhere is another area's cemetery, not the
            // importer's to overwrite; one of this area keeps its additions after completion
            // and its burials on or after it.
            if let Some((id, _, region)) = refs.get(&c.number) {
                if !in_scope(region) {
                    row_errors.push(RowError::new(
                        *row,
                        "公墓编号",
                        c.number.clone(),
                        "这个编号已登记为您管辖范围以外的公墓：请核对编号",
                    ));
                } else if row_errors.is_empty()
                    && let Some(why) = store::completion_conflict(tx, *id, c.completed_on).await?
                {
                    let value = c.completed_on.map(|d| d.to_string()).unwrap_or_default();
                    row_errors.push(RowError::new(*row, "建成日期", value, why));
                }
            }
            if row_errors.is_empty()
                && once(
                    &mut seen,
                    c.number.clone(),
                    *row,
                    &mut errors,
                    ("公墓编号", c.number.clone()),
                )
            {
                found.push((*row, c));
            }
        }
        errors.append(&mut row_errors);
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    let mut done = Imported {
        rows: found.len(),
        ..Imported::default()
    };
    let stored = found.iter().filter_map(|(_, c)| refs.get(&c.number));
    lock_cemeteries(db, tx, stored.map(|(id, _, _)| *id)).await?;
    let mut written = Vec::new();
    for (row, c) in found {
        let (id, created) = store::save(tx, &c, who).await?;
        if created {
            done.created += 1;
        } else {
            done.updated += 1;
            written.push((row, id, "墓穴数", c.plots.to_string()));
        }
    }
    check_occupancy(tx, &written, today).await?;
    Ok(done)
}

async fn additions(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &ADDITION_COLUMNS)?;
    let refs = store::refs(tx).await?;
    let (mut errors, mut seen) = (Vec::new(), HashMap::new());
    let mut stored_days: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    let mut found: Vec<(usize, i64, NaiveDate, i64, bool)> = Vec::new();
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &ADDITION_COLUMNS);
        let number = r.code(0);
        let cemetery = match number.as_deref().map(|n| (n, refs.get(n))) {
            Some((_, None)) => {
                r.fail(0, "不在公墓名录中：请先导入或登记该公墓");
                None
            }
            Some((_, Some((_, _, region)))) if !in_scope(region) => {
                r.fail(0, "该公墓不在您的管辖范围内，不能由您导入");
                None
            }
            Some((_, Some((id, completed, _)))) => Some((*id, *completed)),
            None => None,
        };
        let on = r.date(1);
        let plots = r.count(2);
        let mut row_errors = std::mem::take(&mut r.errors);
        if let (Some((id, completed)), Some(on), Some(plots)) = (cemetery, on, plots)
            && row_errors.is_empty()
        {
            for (column, reason) in check_addition(completed, on, plots, today) {
                let value = match column {
                    "日期" => on.to_string(),
                    "新增墓穴数" => plots.to_string(),
                    _ => number.clone().unwrap_or_default(),
                };
                row_errors.push(RowError::new(*row, column, value, reason));
            }
            if row_errors.is_empty()
                && once(
                    &mut seen,
                    (id, on),
                    *row,
                    &mut errors,
                    ("日期", on.to_string()),
                )
            {
                if let std::collections::hash_map::Entry::Vacant(slot) = stored_days.entry(id) {
                    slot.insert(store::addition_days(tx, id).await?);
                }
                let replaced = stored_days.get(&id).is_some_and(|d| d.contains(&on));
                found.push((*row, id, on, plots, replaced));
            }
        }
        errors.append(&mut row_errors);
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    let mut done = Imported {
        rows: found.len(),
        ..Imported::default()
    };
    lock_cemeteries(db, tx, found.iter().map(|f| f.1)).await?;
    let mut written = Vec::new();
    for (row, id, on, plots, replaced) in found {
        store::put_addition(tx, id, on, plots, who).await?;
        if replaced {
            done.updated += 1;
            written.push((row, id, "新增墓穴数", plots.to_string()));
        } else {
            done.created += 1;
        }
    }
    check_occupancy(tx, &written, today).await?;
    Ok(done)
}

/// A ledger's rows within the bounds, with the headers it imports with.
pub async fn export(
    db: &Db,
    ledger: Ledger,
    bounds: &(String, String),
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    Ok(match ledger {
        Ledger::Cemeteries => store::list(db, bounds)
            .await?
            .into_iter()
            .map(|c| {
                vec![
                    c.number,
                    c.name,
                    c.kind.label().to_string(),
                    c.region_code,
                    c.status.label().to_string(),
                    c.completed_on.unwrap_or_default(),
                    c.plots.to_string(),
                ]
            })
            .collect(),
        Ledger::PlotAdditions => store::all_additions(db, bounds)
            .await?
            .into_iter()
            .map(|(n, d, p)| vec![n, d, p.to_string()])
            .collect(),
    })
}
