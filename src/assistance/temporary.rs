//! The `temporary-assistance` ledger (临时救助台账): one row per grant, keyed by
//! 身份证号 + 救助日期 + 金额 (FORMATS.md). A cancelled grant stays recorded as 已撤销.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};

use crate::audit::AuditEvent;
use crate::db::{Backend, Db, flag, value_rows};
use crate::ids::IdNumber;
use crate::ledger::sheet::{Column, RowReader, find_header, read_sheet};
use crate::ledger::{ImportError, RowError};
use crate::money::Fen;
use crate::protect::{Keyring, SensitiveKind};

pub const NAME: &str = "temporary-assistance";

const ID: usize = 0;
const NAME_COL: usize = 1;
const COMMUNITY: usize = 2;
const KIND: usize = 3;
const DATE: usize = 4;
const AMOUNT: usize = 5;
const SIZE: usize = 6;
const ADVANCE: usize = 7;
const STATUS: usize = 8;

pub const COLUMNS: [Column; 9] = [
    Column {
        name: "身份证号",
        required: true,
    },
    Column {
        name: "姓名",
        required: true,
    },
    Column {
        name: "所属社区",
        required: true,
    },
    Column {
        name: "救助类型",
        required: true,
    },
    Column {
        name: "救助日期",
        required: true,
    },
    Column {
        name: "金额",
        required: true,
    },
    Column {
        name: "家庭人口",
        required: true,
    },
    Column {
        name: "是否先行救助",
        required: true,
    },
    Column {
        name: "状态",
        required: true,
    },
];

#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    pub row: usize,
    pub id: IdNumber,
    pub name: String,
    pub community: String,
    /// 急难型 (true) or 支出型.
    pub emergency: bool,
    pub date: NaiveDate,
    pub amount: Fen,
    pub household_size: i64,
    pub advance: bool,
    pub cancelled: bool,
}

/// Checks every row; a grant repeated in the file (same person, date and amount) is an
/// error naming the first row.
pub fn parse_grants(
    sheet: &crate::ledger::sheet::Sheet,
    today: NaiveDate,
    communities: &HashSet<String>,
) -> Result<Vec<Grant>, ImportError> {
    let (header, first) = find_header(sheet, &COLUMNS)?;
    let mut errors = Vec::new();
    let mut grants = Vec::new();
    let mut seen: HashMap<(String, NaiveDate, i64), usize> = HashMap::new();
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &COLUMNS);
        let id = r.code(ID).and_then(|t| match IdNumber::parse(&t, today) {
            Ok(id) => Some(id),
            Err(e) => {
                r.fail(ID, e.to_string());
                None
            }
        });
        let name = r.text(NAME_COL);
        let community = r.code(COMMUNITY).and_then(|c| {
            if communities.contains(&c) {
                Some(c)
            } else {
                r.fail(COMMUNITY, "不是行政区划中已有的 12 位社区/村代码");
                None
            }
        });
        let emergency = r.choice(KIND, &["急难型", "支出型"]).map(|k| k == "急难型");
        let date = r.date(DATE);
        if let Some(d) = date
            && d > today
        {
            r.fail(DATE, "救助日期晚于今天");
        }
        let amount = r.money(AMOUNT);
        if amount.is_some_and(|a| a <= Fen::ZERO) {
            r.fail(AMOUNT, "金额应大于 0");
        }
        let size = r.count(SIZE);
        if size.is_some_and(|s| !(1..=30).contains(&s)) {
            r.fail(SIZE, "家庭人口应为 1–30 的整数");
        }
        let advance = r.yes_no(ADVANCE);
        let cancelled = r.choice(STATUS, &["有效", "已撤销"]).map(|s| s == "已撤销");
        let mut row_errors = std::mem::take(&mut r.errors);
        if !row_errors.is_empty() {
            errors.append(&mut row_errors);
            continue;
        }
        let (
            Some(id),
            Some(name),
            Some(community),
            Some(emergency),
            Some(date),
            Some(amount),
            Some(size),
            Some(advance),
            Some(cancelled),
        ) = (
            id, name, community, emergency, date, amount, size, advance, cancelled,
        )
        else {
            continue;
        };
        let key = (id.as_str().to_string(), date, amount.0);
        if let Some(first_row) = seen.get(&key) {
            errors.push(RowError::new(
                *row,
                "身份证号",
                id.masked(),
                format!("与第 {first_row} 行是同一笔救助（同一人、同一日期、同一金额）"),
            ));
            continue;
        }
        seen.insert(key, *row);
        grants.push(Grant {
            row: *row,
            id,
            name,
            community,
            emergency,
            date,
            amount,
            household_size: size,
            advance,
            cancelled,
        });
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(ImportError::Rejected(errors));
    }
    Ok(grants)
}

/// Inserts new grants and updates known ones (by person, date and amount).
pub async fn store_grants(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    keyring: &Keyring,
    grants: &[Grant],
    now: &str,
) -> Result<usize, sqlx::Error> {
    for chunk in grants.chunks(200) {
        let sql = format!(
            "INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, \
             amount, household_size, advance, status, created_at) VALUES {} \
             ON CONFLICT (id_number_index, grant_date, amount) DO UPDATE SET name = excluded.name, \
             region_code = excluded.region_code, kind = excluded.kind, household_size = excluded.household_size, \
             advance = excluded.advance, status = excluded.status",
            value_rows(backend, chunk.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for g in chunk {
            let sealed = keyring.seal(SensitiveKind::IdNumber, g.id.as_str());
            q = q
                .bind(sealed.sealed)
                .bind(sealed.index)
                .bind(g.name.clone())
                .bind(g.community.clone())
                .bind(if g.emergency {
                    "emergency"
                } else {
                    "expenditure"
                })
                .bind(g.date.to_string())
                .bind(g.amount.0)
                .bind(g.household_size)
                .bind(flag(g.advance))
                .bind(if g.cancelled { "cancelled" } else { "valid" })
                .bind(now);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(grants.len())
}

/// Checks and stores a temporary-assistance ledger with its audit entry.
pub async fn import_grants(
    db: &Db,
    keyring: &Keyring,
    file_name: &str,
    bytes: &[u8],
    today: NaiveDate,
    dry_run: bool,
    audit: &AuditEvent,
) -> Result<usize, ImportError> {
    let sheet = read_sheet(file_name, bytes)?;
    let communities = super::store::community_codes(db).await?;
    let grants = parse_grants(&sheet, today, &communities)?;
    if dry_run {
        return Ok(grants.len());
    }
    let mut tx = db.begin_bulk().await?;
    let n = store_grants(
        &mut tx,
        db.backend(),
        keyring,
        &grants,
        &audit.at.to_rfc3339(),
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &audit
            .clone()
            .with(serde_json::json!({"ledger": NAME, "file": file_name, "grants": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// The grants in a scope as ledger rows (full ID numbers: an audited export).
pub async fn grant_rows(
    db: &Db,
    keyring: &Keyring,
    bounds: (String, String),
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id_number_sealed, name, region_code, kind, grant_date, amount, household_size, advance, status \
         FROM temporary_grants WHERE region_code >= $1 AND region_code < $2 ORDER BY grant_date, id",
    )
    .bind(bounds.0)
    .bind(bounds.1)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let sealed: String = r.try_get("id_number_sealed")?;
        let kind: String = r.try_get("kind")?;
        let status: String = r.try_get("status")?;
        out.push(vec![
            keyring
                .open(SensitiveKind::IdNumber, &sealed)
                .unwrap_or_default(),
            r.try_get("name")?,
            r.try_get("region_code")?,
            if kind == "emergency" {
                "急难型"
            } else {
                "支出型"
            }
            .to_string(),
            r.try_get("grant_date")?,
            Fen(r.try_get("amount")?).to_yuan_string(),
            r.try_get::<i64, _>("household_size")?.to_string(),
            if r.try_get::<i64, _>("advance")? != 0 {
                "是"
            } else {
                "否"
            }
            .to_string(),
            if status == "cancelled" {
                "已撤销"
            } else {
                "有效"
            }
            .to_string(),
        ]);
    }
    Ok(out)
}
