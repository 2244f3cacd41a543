//! The community ledgers of FORMATS.md: `consultations`, `social-organisations` and
//! `welfare-activities`. Each import checks every row (a file with any bad row stores
//! nothing and lists every error by row and column), then writes by the ledger's key.
//! An activity of an organisation not registered on its date is refused.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::consultation_store::{self, NewConsultation};
use super::model::{
    ActivityField, ConsultationCategory, ConsultationOutcome, OrgKind, OrgStatus, registered_on,
};
use super::org_store::{self, NewOrg};
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::ids::Uscc;
pub use crate::ledger::checks::{Imported, InScope};
use crate::ledger::checks::{coded, not_after_today, once, region_in, rejected};
use crate::ledger::sheet::{Column, RowReader, Sheet, find_header, read_sheet};
use crate::ledger::{ImportError, RowError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Ledger {
    Consultations,
    SocialOrganisations,
    WelfareActivities,
}

pub const LEDGERS: [Ledger; 3] = [
    Ledger::Consultations,
    Ledger::SocialOrganisations,
    Ledger::WelfareActivities,
];

const fn col(name: &'static str, required: bool) -> Column {
    Column { name, required }
}

const CONSULTATION_COLUMNS: [Column; 6] = [
    col("活动日期", true),
    col("所属社区", true),
    col("议题", true),
    col("类别", true),
    col("参与居民人数", true),
    col("结果", true),
];
const ORG_COLUMNS: [Column; 7] = [
    col("统一社会信用代码", true),
    col("名称", true),
    col("类型", true),
    col("所属区县", true),
    col("登记日期", true),
    col("状态", true),
    col("撤销注销日期", false),
];
const ACTIVITY_COLUMNS: [Column; 5] = [
    col("统一社会信用代码", true),
    col("活动日期", true),
    col("活动名称", true),
    col("领域", true),
    col("受益人次", true),
];

impl Ledger {
    pub fn name(self) -> &'static str {
        match self {
            Ledger::Consultations => "consultations",
            Ledger::SocialOrganisations => "social-organisations",
            Ledger::WelfareActivities => "welfare-activities",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Ledger::Consultations => "社区协商活动台账",
            Ledger::SocialOrganisations => "社会组织名录",
            Ledger::WelfareActivities => "社会组织公益活动台账",
        }
    }
    pub fn parse(s: &str) -> Option<Ledger> {
        LEDGERS
            .into_iter()
            .find(|l| l.name() == s || l.label() == s)
    }
    pub fn columns(self) -> &'static [Column] {
        match self {
            Ledger::Consultations => &CONSULTATION_COLUMNS,
            Ledger::SocialOrganisations => &ORG_COLUMNS,
            Ledger::WelfareActivities => &ACTIVITY_COLUMNS,
        }
    }
    pub fn headers(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| c.name).collect()
    }
}

/// Reads, checks and (unless `dry_run`) stores a ledger file, all or nothing, audited.
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
    let who = (audit.actor.username.clone(), audit.at.to_rfc3339());
    let who = (who.0.as_str(), who.1.as_str());
    let mut tx = db.begin().await?;
    let done = match ledger {
        Ledger::Consultations => consultations(&mut tx, &sheet, today, in_scope, who).await?,
        Ledger::SocialOrganisations => orgs(&mut tx, &sheet, today, in_scope, who).await?,
        Ledger::WelfareActivities => activities(&mut tx, &sheet, today, in_scope, who).await?,
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

async fn codes(tx: &mut Transaction<'_, Any>, level: &str) -> Result<HashSet<String>, sqlx::Error> {
    sqlx::query("SELECT code FROM regions WHERE level = $1")
        .bind(level)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

fn count(r: &mut RowReader<'_>, column: usize) -> Option<i64> {
    let n = r.count(column);
    if n.is_some_and(|n| !(0..=1_000_000).contains(&n)) {
        r.fail(column, "应为 0 到 1000000 的整数");
    }
    n
}

async fn consultations(
    tx: &mut Transaction<'_, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &CONSULTATION_COLUMNS)?;
    let communities = codes(tx, "community").await?;
    let (mut errors, mut seen, mut found) = (Vec::new(), HashMap::new(), Vec::new());
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &CONSULTATION_COLUMNS);
        let held_on = r.date(0);
        not_after_today(&mut r, 0, held_on, today);
        let community = region_in(&mut r, 1, &communities, " 12 位社区/村", in_scope);
        let topic = r.text(2);
        let category = coded(
            &mut r,
            3,
            ConsultationCategory::parse,
            ConsultationCategory::labels(),
        );
        let participants = count(&mut r, 4);
        let outcome = coded(
            &mut r,
            5,
            ConsultationOutcome::parse,
            ConsultationOutcome::labels(),
        );
        let row_errors = std::mem::take(&mut r.errors);
        if let (Some(held_on), Some(community), Some(topic), Some(category)) =
            (held_on, community, topic, category)
            && let (Some(participants), Some(outcome)) = (participants, outcome)
            && row_errors.is_empty()
            && once(
                &mut seen,
                (held_on, community.clone(), topic.clone()),
                *row,
                &mut errors,
                ("议题", topic.clone()),
            )
        {
            found.push(NewConsultation {
                held_on,
                community,
                topic,
                category,
                participants,
                outcome,
            });
        }
        errors.extend(row_errors);
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    let mut done = Imported {
        rows: found.len(),
        ..Imported::default()
    };
    for c in &found {
        if consultation_store::put(tx, c, who).await? {
            done.created += 1;
        } else {
            done.updated += 1;
        }
    }
    Ok(done)
}

/// A USCC cell: the code, or the row's error with the parser's reason.
fn uscc(r: &mut RowReader<'_>, column: usize) -> Option<String> {
    let text = r.code(column)?;
    match Uscc::parse(&text) {
        Ok(u) => Some(u.as_str().to_string()),
        Err(e) => {
            r.fail(column, e.to_string());
            None
        }
    }
}

async fn orgs(
    tx: &mut Transaction<'_, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &ORG_COLUMNS)?;
    let mut authorities = codes(tx, "district").await?;
    authorities.extend(codes(tx, "city").await?);
    let (mut errors, mut seen, mut found) = (Vec::new(), HashMap::new(), Vec::new());
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &ORG_COLUMNS);
        let code = uscc(&mut r, 0);
        let name = r.text(1);
        let kind = coded(&mut r, 2, OrgKind::parse, OrgKind::labels());
        let region = region_in(&mut r, 3, &authorities, "市或区县（6 位）", in_scope);
        let registered = r.date(4);
        not_after_today(&mut r, 4, registered, today);
        let status = coded(&mut r, 5, OrgStatus::parse, OrgStatus::labels());
        let ended = r.date(6);
        not_after_today(&mut r, 6, ended, today);
        match (status, ended) {
            (Some(s), None) if s.ended() => {
                r.fail(6, format!("状态为「{}」时应填写撤销注销日期", s.label()))
            }
            (Some(s), Some(_)) if !s.ended() => {
                r.fail(6, format!("状态为「{}」时撤销注销日期应为空", s.label()))
            }
            _ => {}
        }
        if let (Some(from), Some(to)) = (registered, ended)
            && to < from
        {
            r.fail(6, format!("早于登记日期 {from}"));
        }
        let row_errors = std::mem::take(&mut r.errors);
        if let (Some(uscc), Some(name), Some(kind), Some(region_code)) = (code, name, kind, region)
            && let (Some(registered_on), Some(status)) = (registered, status)
            && row_errors.is_empty()
            && once(
                &mut seen,
                uscc.clone(),
                *row,
                &mut errors,
                ("统一社会信用代码", uscc.clone()),
            )
        {
            found.push((
                *row,
                NewOrg {
                    uscc,
                    name,
                    kind,
                    region_code,
                    registered_on,
                    status,
                    ended_on: ended,
                },
            ));
        }
        errors.extend(row_errors);
    }
    // An organisation already registered elsewhere is not this importer's to change.
    for (row, o) in &found {
        let Some(known) = org_store::by_uscc(tx, &o.uscc).await? else {
            continue;
        };
        if !in_scope(&known.region_code) {
            errors.push(RowError::new(
                *row,
                "统一社会信用代码",
                o.uscc.clone(),
                "这个代码已登记为您管辖范围以外的社会组织：请核对代码",
            ));
        } else if known.status.ended() && (known.status != o.status || known.ended() != o.ended_on)
        {
            // An end is final: an older file imported again must not bring it back.
            errors.push(RowError::new(
                *row,
                "状态",
                o.status.label(),
                format!(
                    "该组织已于 {} {}，不能再改：重新成立须重新登记",
                    known.ended_on.clone().unwrap_or_default(),
                    known.status_label
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    let mut done = Imported {
        rows: found.len(),
        ..Imported::default()
    };
    for (_, o) in &found {
        let (_, created) = org_store::save(tx, o, "台账导入", who).await?;
        if created {
            done.created += 1;
        } else {
            done.updated += 1;
        }
    }
    Ok(done)
}

async fn activities(
    tx: &mut Transaction<'_, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &ACTIVITY_COLUMNS)?;
    let (mut errors, mut seen, mut found) = (Vec::new(), HashMap::new(), Vec::new());
    let mut known: HashMap<String, Option<org_store::Org>> = HashMap::new();
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &ACTIVITY_COLUMNS);
        let code = uscc(&mut r, 0);
        let org = match code {
            Some(c) => {
                if !known.contains_key(&c) {
                    let o = org_store::by_uscc(tx, &c).await?;
                    known.insert(c.clone(), o);
                }
                match known.get(&c).cloned().flatten() {
                    None => {
                        r.fail(0, "不在社会组织名录中：请先登记或导入该组织");
                        None
                    }
                    Some(o) if !in_scope(&o.region_code) => {
                        r.fail(0, "该组织不在您的管辖范围内，不能由您导入");
                        None
                    }
                    Some(o) => Some(o),
                }
            }
            None => None,
        };
        let held_on = r.date(1);
        not_after_today(&mut r, 1, held_on, today);
        let name = r.text(2);
        let field = coded(&mut r, 3, ActivityField::parse, ActivityField::labels());
        let beneficiaries = count(&mut r, 4);
        if let (Some(o), Some(day)) = (&org, held_on)
            && let Some(from) = o.registered()
            && !registered_on(from, o.ended(), day)
        {
            r.fail(
                1,
                match o.ended_on.as_deref() {
                    Some(end) if o.ended().is_some_and(|e| day >= e) => format!(
                        "该组织已于 {end} {}，此后的活动不能记在它名下",
                        o.status_label
                    ),
                    _ => format!(
                        "该组织 {} 才登记，此前的活动不能记在它名下",
                        o.registered_on
                    ),
                },
            );
        }
        let row_errors = std::mem::take(&mut r.errors);
        if let (Some(o), Some(held_on), Some(name), Some(field), Some(beneficiaries)) =
            (org, held_on, name, field, beneficiaries)
            && row_errors.is_empty()
            && once(
                &mut seen,
                (o.id, held_on, name.clone()),
                *row,
                &mut errors,
                ("活动名称", name.clone()),
            )
        {
            found.push((o.id, held_on, name, field, beneficiaries));
        }
        errors.extend(row_errors);
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    let mut done = Imported {
        rows: found.len(),
        ..Imported::default()
    };
    for (org, on, name, field, beneficiaries) in &found {
        if org_store::add_activity(tx, *org, (*on, name), *field, *beneficiaries, who)
            .await?
            .is_some()
        {
            done.created += 1;
        } else {
            sqlx::query(
                "UPDATE welfare_activities SET field = $1, beneficiaries = $2 \
                 WHERE org_id = $3 AND held_on = $4 AND name = $5",
            )
            .bind(field.code())
            .bind(beneficiaries)
            .bind(org)
            .bind(on.to_string())
            .bind(name)
            .execute(&mut **tx)
            .await?;
            done.updated += 1;
        }
    }
    Ok(done)
}

/// A ledger's rows within the bounds, with the headers it imports with.
pub async fn export(
    db: &Db,
    ledger: Ledger,
    bounds: &(String, String),
) -> Result<Vec<Vec<String>>, sqlx::Error> {
    match ledger {
        Ledger::Consultations => consultation_store::ledger_rows(db, bounds).await,
        Ledger::SocialOrganisations => Ok(org_store::list(db, bounds)
            .await?
            .into_iter()
            .map(|o| {
                vec![
                    o.uscc,
                    o.name,
                    o.kind_label.to_string(),
                    o.region_code,
                    o.registered_on,
                    o.status_label.to_string(),
                    o.ended_on.unwrap_or_default(),
                ]
            })
            .collect()),
        Ledger::WelfareActivities => sqlx::query(
            "SELECT o.uscc, a.held_on, a.name, a.field, a.beneficiaries FROM welfare_activities a \
             JOIN social_orgs o ON o.id = a.org_id WHERE o.region_code >= $1 AND o.region_code < $2 \
             ORDER BY a.held_on, o.uscc, a.name",
        )
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(vec![
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                ActivityField::parse(&r.try_get::<String, _>(3)?)
                    .map_or("", ActivityField::label)
                    .to_string(),
                r.try_get::<i64, _>(4)?.to_string(),
            ])
        })
        .collect(),
    }
}
