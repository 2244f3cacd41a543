//! The `marriage-registrations` ledger of FORMATS.md (婚姻登记记录, keyed by 证书编号).
//! A file whose rows cannot be read (type, dates, certificate number, registry) stores
//! nothing and lists every error; readable records are kept even when they break the
//! rules of DOMAIN.md §6 — they happened — and every registration of the persons they
//! touch is audited again and marked 合格 or 不合格 with the failed rule.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use sqlx::Row;

use super::marriage::{Kind, Record};
use super::marriage_store::{self as store, NewRegistration};
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::ids::IdNumber;
use crate::ledger::checks::{Imported, InScope, coded, not_after_today, once, region_in, rejected};
use crate::ledger::sheet::{Column, RowReader, find_header, read_sheet};
use crate::ledger::{ImportError, RowError};
use crate::protect::{Keyring, Sealed, SensitiveKind};

pub const NAME: &str = "marriage-registrations";
pub const LABEL: &str = "婚姻登记记录";

const fn col(name: &'static str, required: bool) -> Column {
    Column { name, required }
}

/// Names and IDs may be blank: such a record is kept and marked 不合格. FORMATS.md keeps
/// every readable historical record ("they happened"), so a blank or invalid ID is not a
/// row error: the record fails the audit (「身份证号缺失」 or the ID's own fault) and its
/// party is not indexed as a person — a blank would otherwise hash to one blind index
/// shared by every such record, and the registry would treat them as one person.
pub const COLUMNS: [Column; 9] = [
    col("登记类型", true),
    col("登记日期", true),
    col("证书编号", true),
    col("男方姓名", false),
    col("男方身份证号", false),
    col("女方姓名", false),
    col("女方身份证号", false),
    col("登记机关代码", true),
    col("离婚申请日期", false),
];

pub fn headers() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.name).collect()
}

struct Found {
    row: usize,
    kind: Kind,
    day: NaiveDate,
    certificate: String,
    man_name: String,
    man_id: String,
    woman_name: String,
    woman_id: String,
    office: String,
    applied_on: Option<NaiveDate>,
}

/// An ID as stored: the checked number when valid, else the text as given (upper-case).
fn id_text(s: &str, day: NaiveDate) -> String {
    IdNumber::parse(s, day)
        .map(|i| i.as_str().to_string())
        .unwrap_or_else(|_| s.trim().to_uppercase())
}

/// An ID sealed for storage; indexed (recognised as a person) only when it is a valid
/// ID number.
fn sealed(keyring: &Keyring, id: &str, day: NaiveDate) -> Sealed {
    let mut s = keyring.seal(SensitiveKind::IdNumber, id);
    if IdNumber::parse(id, day).is_err() {
        s.index = String::new();
    }
    s
}

/// Reads, checks and (unless `dry_run`) stores a ledger file, audited.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    db: &Db,
    keyring: &Keyring,
    file_name: &str,
    bytes: &[u8],
    today: NaiveDate,
    in_scope: InScope<'_>,
    dry_run: bool,
    audit: &AuditEvent,
) -> Result<Imported, ImportError> {
    let sheet = read_sheet(file_name, bytes)?;
    let (header, first) = find_header(&sheet, &COLUMNS)?;
    let mut tx = db.begin().await?;
    let districts: HashSet<String> =
        sqlx::query("SELECT code FROM regions WHERE level = 'district'")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
    let (mut errors, mut seen, mut found) = (Vec::new(), HashMap::new(), Vec::new());
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &COLUMNS);
        let kind = coded(&mut r, 0, Kind::parse, Kind::labels());
        let day = r.date(1);
        not_after_today(&mut r, 1, day, today);
        let certificate = r.code(2);
        let man_name = r.text(3).unwrap_or_default();
        let man_id = r.code(4).unwrap_or_default();
        let woman_name = r.text(5).unwrap_or_default();
        let woman_id = r.code(6).unwrap_or_default();
        let office = region_in(&mut r, 7, &districts, "区县（6 位）登记机关", in_scope);
        let applied_on = r.date(8);
        not_after_today(&mut r, 8, applied_on, today);
        let row_errors = std::mem::take(&mut r.errors);
        if let (Some(kind), Some(day), Some(certificate), Some(office)) =
            (kind, day, certificate, office)
            && row_errors.is_empty()
            && once(
                &mut seen,
                certificate.clone(),
                *row,
                &mut errors,
                ("证书编号", certificate.clone()),
            )
        {
            found.push(Found {
                row: *row,
                kind,
                day,
                certificate,
                man_id: id_text(&man_id, day),
                woman_id: id_text(&woman_id, day),
                man_name,
                woman_name,
                office,
                applied_on: applied_on.filter(|_| kind == Kind::Divorce),
            });
        }
        errors.extend(row_errors);
    }
    // The registry and every registry-year numbering of the file, locked in one sorted
    // call (as the counter locks them, so neither waits on the other in a cycle) before
    // anything is checked: PostgreSQL reads committed data, and a counter registering one
    // of these persons meanwhile must be seen by the re-audit.
    let mut keys = vec![super::marriage_store::REGISTRY_LOCK.to_string()];
    for f in &found {
        keys.push(format!(
            "certificate:{}:{}",
            f.office,
            chrono::Datelike::year(&f.day)
        ));
    }
    keys.sort();
    keys.dedup();
    db.lock_keys(&mut tx, &keys).await?;
    let mut new = Vec::new();
    let mut done = Imported {
        rows: found.len(),
        ..Imported::default()
    };
    for f in &found {
        let Some(known) = store::by_certificate(&mut tx, &f.certificate).await? else {
            new.push(f);
            continue;
        };
        let open = |v: &str| keyring.open(SensitiveKind::IdNumber, v).unwrap_or_default();
        let same = known.kind == f.kind
            && known.registered_on == f.day.to_string()
            && known.man_name == f.man_name
            && known.woman_name == f.woman_name
            && open(&known.man_id_sealed) == f.man_id
            && open(&known.woman_id_sealed) == f.woman_id
            && known.office_code == f.office
            && known.applied_on == f.applied_on.map(|d| d.to_string());
        // What the record holds is told only to who may see it: a record of a registry
        // outside the user's districts is not described (nor its district named).
        let why = if same {
            None
        } else if in_scope(&known.office_code) {
            Some(format!(
                "该证书编号已登记为 {} 的{}记录，内容不同：登记记录不能用导入覆盖，请核对证书编号",
                known.registered_on,
                known.kind.label()
            ))
        } else {
            Some("该证书编号不能使用（与已有登记记录冲突），请核对证书编号".to_string())
        };
        match why {
            None => done.updated += 1,
            Some(why) => errors.push(RowError::new(f.row, "证书编号", f.certificate.clone(), why)),
        }
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    let who = (audit.actor.username.clone(), audit.at.to_rfc3339());
    let (mut persons, mut fresh) = (BTreeSet::new(), BTreeSet::new());
    for f in new {
        let (m, w): (Sealed, Sealed) = (
            sealed(keyring, &f.man_id, f.day),
            sealed(keyring, &f.woman_id, f.day),
        );
        persons.insert(m.index.clone());
        persons.insert(w.index.clone());
        let n = NewRegistration {
            record: Record {
                kind: f.kind,
                day: f.day,
                certificate: &f.certificate,
                man_name: &f.man_name,
                man_id: &f.man_id,
                woman_name: &f.woman_name,
                woman_id: &f.woman_id,
                office: &f.office,
                applied_on: f.applied_on,
            },
            man: &m,
            woman: &w,
            application: None,
            imported: true,
        };
        // Marked by the audit below, once every record of the file is in the registry.
        fresh.insert(store::insert(&mut tx, &n, &Ok(()), (&who.0, &who.1)).await?);
        done.created += 1;
    }
    let remarked = store::reaudit(&mut tx, keyring, &persons, &fresh, audit).await?;
    let failing = failing(&mut tx, &persons).await?;
    if dry_run {
        tx.rollback().await?;
        return Ok(done);
    }
    crate::audit::record(
        &mut tx,
        &audit.clone().with(serde_json::json!({
            "ledger": NAME, "file": file_name, "rows": done.rows, "created": done.created,
            "updated": done.updated, "remarked": remarked, "persons_failing": failing,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// How many registrations of these persons are 不合格.
async fn failing(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    persons: &BTreeSet<String>,
) -> Result<i64, sqlx::Error> {
    let mut n = 0;
    for p in persons.iter().filter(|p| !p.is_empty()) {
        let c: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM marriage_registrations WHERE compliant = 0 AND (man_id_index = $1 OR woman_id_index = $1)",
        )
        .bind(p)
        .fetch_one(&mut **tx)
        .await?;
        n += c;
    }
    Ok(n)
}

/// The registrations of registries within the bounds as ledger rows (IDs in full: the
/// export imports back unchanged).
pub async fn export(
    db: &Db,
    keyring: &Keyring,
    bounds: &(String, String),
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    let from = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    let to = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    let rows = store::list(db, bounds, (from, to), None).await?;
    let open = |v: &str| keyring.open(SensitiveKind::IdNumber, v).unwrap_or_default();
    Ok(rows
        .iter()
        .rev()
        .map(|s| {
            vec![
                s.kind.label().to_string(),
                s.registered_on.clone(),
                s.certificate_no.clone(),
                s.man_name.clone(),
                open(&s.man_id_sealed),
                s.woman_name.clone(),
                open(&s.woman_id_sealed),
                s.office_code.clone(),
                s.applied_on.clone().unwrap_or_default(),
            ]
        })
        .collect())
}
