//! The four elderly-care ledgers of FORMATS.md on the ledger engine: `facilities`,
//! `bed-changes`, `inspections` and `trainings`. Each import checks every row first (a
//! file with any bad row stores nothing and lists every error by row and column), then
//! writes by the ledger's key, so the same file twice leaves one copy.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::{inspection_store, store};
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::ledger::ImportError;
pub use crate::ledger::checks::{Imported, InScope};
use crate::ledger::sheet::{Column, RowReader, read_sheet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ledger {
    Facilities,
    BedChanges,
    Inspections,
    Trainings,
}

pub const LEDGERS: [Ledger; 4] = [
    Ledger::Facilities,
    Ledger::BedChanges,
    Ledger::Inspections,
    Ledger::Trainings,
];

const fn col(name: &'static str, required: bool) -> Column {
    Column { name, required }
}

pub(super) const FACILITY_COLUMNS: [Column; 9] = [
    col("设施编号", true),
    col("名称", true),
    col("类型", true),
    col("所属社区", true),
    col("性质", true),
    col("状态", true),
    col("开业日期", false),
    col("床位数", true),
    col("护理型床位数", true),
];
pub(super) const BED_COLUMNS: [Column; 4] = [
    col("设施编号", true),
    col("变动日期", true),
    col("床位变动数", true),
    col("护理型床位变动数", true),
];
pub(super) const INSPECTION_COLUMNS: [Column; 7] = [
    col("设施编号", true),
    col("检查日期", true),
    col("检查项目", true),
    col("检查人员", true),
    col("隐患数", true),
    col("整改期限", false),
    col("整改完成日期", false),
];
pub(super) const TRAINING_COLUMNS: [Column; 5] = [
    col("培训日期", true),
    col("主题", true),
    col("类别", true),
    col("所属区县", true),
    col("培训人数", true),
];

/// The training categories of the ledger, with the staff post each is kept under.
pub const TRAINING_CATEGORIES: [(&str, &str, &str); 4] = [
    ("elderly_care", "养老服务", "elderly"),
    ("assistance", "社会救助", "assistance"),
    ("social_work", "社会工作", "community"),
    ("other", "其他", "general"),
];

impl Ledger {
    pub fn name(self) -> &'static str {
        match self {
            Ledger::Facilities => "facilities",
            Ledger::BedChanges => "bed-changes",
            Ledger::Inspections => "inspections",
            Ledger::Trainings => "trainings",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Ledger::Facilities => "养老服务设施名录",
            Ledger::BedChanges => "床位变动",
            Ledger::Inspections => "养老机构检查记录",
            Ledger::Trainings => "培训台账",
        }
    }
    pub fn parse(s: &str) -> Option<Ledger> {
        LEDGERS
            .into_iter()
            .find(|l| l.name() == s || l.label() == s)
    }
    pub fn columns(self) -> &'static [Column] {
        match self {
            Ledger::Facilities => &FACILITY_COLUMNS,
            Ledger::BedChanges => &BED_COLUMNS,
            Ledger::Inspections => &INSPECTION_COLUMNS,
            Ledger::Trainings => &TRAINING_COLUMNS,
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
    use super::{ledger_places as places, ledger_records as records};
    let done = match ledger {
        Ledger::Facilities => {
            places::facilities(&mut tx, &sheet, today, in_scope, (&by, &at)).await?
        }
        Ledger::BedChanges => {
            places::bed_changes(&mut tx, &sheet, today, in_scope, (&by, &at)).await?
        }
        Ledger::Inspections => {
            records::inspections(&mut tx, &sheet, today, in_scope, (&by, &at)).await?
        }
        Ledger::Trainings => {
            records::trainings(&mut tx, &sheet, today, in_scope, (&by, &at)).await?
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

/// The facilities a ledger row may name, by number: their id, opening date and region.
pub(super) struct FacilityRefs(HashMap<String, (i64, Option<NaiveDate>, String)>);

impl FacilityRefs {
    pub(super) async fn read(tx: &mut Transaction<'_, Any>) -> Result<FacilityRefs, sqlx::Error> {
        let rows = sqlx::query("SELECT number, id, opened_on, region_code FROM care_facilities")
            .fetch_all(&mut **tx)
            .await?;
        let mut out = HashMap::new();
        for r in &rows {
            let opened: Option<String> = r.try_get(2)?;
            out.insert(
                r.try_get(0)?,
                (
                    r.try_get(1)?,
                    opened.and_then(|d| d.parse().ok()),
                    r.try_get(3)?,
                ),
            );
        }
        Ok(FacilityRefs(out))
    }

    /// The facility registered under a number: id, opening date, region.
    pub(super) fn get(&self, number: &str) -> Option<(i64, Option<NaiveDate>, &str)> {
        self.0
            .get(number)
            .map(|(id, opened, region)| (*id, *opened, region.as_str()))
    }

    /// The row's 设施编号 (column 0): a known facility within the importer's region, its
    /// id and opening date; otherwise the row's error.
    pub(super) fn of_row(
        &self,
        r: &mut RowReader<'_>,
        in_scope: InScope<'_>,
    ) -> Option<(i64, Option<NaiveDate>)> {
        let number = r.code(0)?;
        match self.0.get(&number) {
            None => {
                r.fail(0, "不在设施名录中：请先导入或登记该设施");
                None
            }
            Some((_, _, region)) if !in_scope(region) => {
                r.fail(0, "该设施不在您的管辖范围内，不能由您导入");
                None
            }
            Some((id, opened, _)) => Some((*id, *opened)),
        }
    }
}

pub(super) async fn community_codes(
    tx: &mut Transaction<'_, Any>,
) -> Result<HashSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT code FROM regions WHERE level = 'community'")
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}

/// A ledger's rows within the bounds, with the headers it imports with.
pub async fn export(
    db: &Db,
    ledger: Ledger,
    bounds: &(String, String),
    today: NaiveDate,
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    match ledger {
        Ledger::Facilities => Ok(store::list(db, bounds, None, today)
            .await?
            .into_iter()
            .map(|f| {
                vec![
                    f.number,
                    f.name,
                    f.kind.label().to_string(),
                    f.region_code,
                    f.ownership.label().to_string(),
                    f.status.label().to_string(),
                    f.opened_on.unwrap_or_default(),
                    f.opening_beds.to_string(),
                    f.opening_nursing.to_string(),
                ]
            })
            .collect()),
        Ledger::BedChanges => Ok(store::all_bed_changes(db, bounds)
            .await?
            .into_iter()
            .map(|(n, d, b, nb)| vec![n, d, b.to_string(), nb.to_string()])
            .collect()),
        Ledger::Inspections => inspection_store::ledger_rows(db, bounds).await,
        Ledger::Trainings => {
            // Trainings are a district's: the district part of the bounds.
            let rows = sqlx::query(
                "SELECT held_on, topic, category, district_code, attendees FROM staff_trainings \
                 WHERE district_code >= $1 AND district_code < $2 ORDER BY held_on, district_code, topic",
            )
            .bind(bounds.0.get(..6).unwrap_or(&bounds.0))
            .bind(&bounds.1)
            .fetch_all(db.pool())
            .await?;
            rows.iter()
                .map(|r| {
                    let category: String = r.try_get(2)?;
                    Ok(vec![
                        r.try_get(0)?,
                        r.try_get(1)?,
                        TRAINING_CATEGORIES
                            .iter()
                            .find(|c| c.0 == category)
                            .map_or("其他", |c| c.1)
                            .to_string(),
                        r.try_get(3)?,
                        r.try_get::<i64, _>(4)?.to_string(),
                    ])
                })
                .collect()
        }
    }
}
