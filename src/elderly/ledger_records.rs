//! The `inspections` and `trainings` ledgers: each row checked, then stored by the
//! ledger's key (an inspection's hazards replaced only when their number changed).

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};

use super::ledgers::FacilityRefs;
use crate::ledger::checks::{Imported, InScope, coded, not_after_today, once, region_in, rejected};
use crate::ledger::sheet::{RowReader, Sheet, find_header};
use crate::ledger::{ImportError, RowError};
use std::collections::HashSet;

use super::inspection_store::{self, NewHazard};
use super::ledgers::{INSPECTION_COLUMNS, TRAINING_CATEGORIES, TRAINING_COLUMNS};
use super::model::{InspectionItem, Severity};

pub(super) async fn inspections(
    tx: &mut Transaction<'_, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &INSPECTION_COLUMNS)?;
    let refs = FacilityRefs::read(tx).await?;
    let (mut errors, mut seen, mut found) = (Vec::new(), HashMap::new(), Vec::new());
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &INSPECTION_COLUMNS);
        let facility = refs.of_row(&mut r, in_scope).map(|(id, _)| id);
        let on = r.date(1);
        not_after_today(&mut r, 1, on, today);
        let item = coded(&mut r, 2, InspectionItem::parse, InspectionItem::labels());
        let inspectors = r.text(3);
        let count = r.count(4);
        if count.is_some_and(|n| !(0..=100).contains(&n)) {
            r.fail(4, "应为 0 到 100 的整数");
        }
        let deadline = r.date(5);
        let rectified = r.date(6);
        not_after_today(&mut r, 6, rectified, today);
        match (count, deadline) {
            (Some(n), None) if n > 0 => r.fail(5, "有隐患时应填写整改期限"),
            (Some(0), Some(_)) => r.fail(5, "没有隐患时整改期限应为空"),
            _ => {}
        }
        if let (Some(on), Some(d)) = (on, deadline)
            && d < on
        {
            r.fail(5, format!("早于检查日期 {on}"));
        }
        if let (Some(on), Some(d)) = (on, rectified)
            && d < on
        {
            r.fail(6, format!("早于检查日期 {on}"));
        }
        if rectified.is_some() && count == Some(0) {
            r.fail(6, "没有隐患时整改完成日期应为空");
        }
        let mut row_errors = std::mem::take(&mut r.errors);
        if let (Some(id), Some(on), Some(item), Some(inspectors), Some(count)) =
            (facility, on, item, inspectors, count)
            && row_errors.is_empty()
            && once(
                &mut seen,
                (id, on, item),
                *row,
                &mut errors,
                ("检查日期", on.to_string()),
            )
        {
            let hazards: Vec<NewHazard> = (1..=count)
                .map(|k| NewHazard {
                    description: format!("{}检查发现的第 {k} 处{LEDGER_HAZARD}", item.label()),
                    severity: Severity::General,
                    deadline: deadline.unwrap_or(on),
                    rectified_on: rectified,
                })
                .collect();
            // Known already: hazards entered one by one on the page are not the ledger's
            // to replace when the number differs.
            let stored = stored_hazards(tx, id, on, item).await?;
            let by_hand = stored.iter().any(|(d, _)| !d.ends_with(LEDGER_HAZARD));
            if stored.len() != hazards.len() && by_hand {
                row_errors.push(RowError::new(
                    *row,
                    "隐患数",
                    count.to_string(),
                    format!(
                        "这次检查在系统中已逐条登记了 {} 处隐患，与台账不符：请在设施页上核对，或按系统中的数填写",
                        stored.len()
                    ),
                ));
            } else {
                found.push((id, on, item, inspectors, hazards));
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
    for (id, on, item, inspectors, hazards) in found {
        if inspection_store::add(tx, id, (on, item), &inspectors, "", &hazards, who)
            .await?
            .is_some()
        {
            done.created += 1;
            continue;
        }
        // Known: the inspectors as the file says. The same number of hazards: those not
        // yet rectified take the file's deadline and, when it gives one, its rectification
        // date (rectifications recorded one by one stay). Another number (of the ledger's
        // own hazards, checked above): replaced.
        let inspection: i64 = sqlx::query_scalar(
            "SELECT id FROM care_inspections WHERE facility_id = $1 AND inspected_on = $2 AND item = $3",
        )
        .bind(id)
        .bind(on.to_string())
        .bind(item.code())
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query("UPDATE care_inspections SET inspectors = $1 WHERE id = $2")
            .bind(&inspectors)
            .bind(inspection)
            .execute(&mut **tx)
            .await?;
        let stored = stored_hazards(tx, id, on, item).await?;
        if stored.len() != hazards.len() {
            inspection_store::put_hazards(tx, inspection, &hazards).await?;
        } else if let Some(first) = hazards.first() {
            sqlx::query(
                "UPDATE care_hazards SET deadline = $1, rectified_on = $2, \
                 rectification = CASE WHEN $2 IS NULL THEN NULL ELSE '台账记载已整改' END, version = version + 1 \
                 WHERE inspection_id = $3 AND rectified_on IS NULL",
            )
            .bind(first.deadline.to_string())
            .bind(first.rectified_on.map(|d| d.to_string()))
            .bind(inspection)
            .execute(&mut **tx)
            .await?;
        }
        done.updated += 1;
    }
    Ok(done)
}

/// How the ledger names the hazards it records (it has only their number).
const LEDGER_HAZARD: &str = "隐患（台账导入）";

/// The hazards stored for an inspection: (description, rectified on).
async fn stored_hazards(
    tx: &mut Transaction<'_, Any>,
    facility: i64,
    on: NaiveDate,
    item: InspectionItem,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    sqlx::query(
        "SELECT h.description, h.rectified_on FROM care_hazards h \
         JOIN care_inspections i ON i.id = h.inspection_id \
         WHERE i.facility_id = $1 AND i.inspected_on = $2 AND i.item = $3 ORDER BY h.seq",
    )
    .bind(facility)
    .bind(on.to_string())
    .bind(item.code())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

pub(super) async fn trainings(
    tx: &mut Transaction<'_, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    (by, at): (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &TRAINING_COLUMNS)?;
    let districts: HashSet<String> =
        sqlx::query("SELECT code FROM regions WHERE level = 'district'")
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
    let labels: Vec<&str> = TRAINING_CATEGORIES.iter().map(|c| c.1).collect();
    let (mut errors, mut seen, mut found) = (Vec::new(), HashMap::new(), Vec::new());
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &TRAINING_COLUMNS);
        let on = r.date(0);
        not_after_today(&mut r, 0, on, today);
        let topic = r.text(1);
        let category = r.choice_index(2, &labels);
        let district = region_in(&mut r, 3, &districts, " 6 位区县", in_scope);
        let trainees = r.count(4);
        if trainees.is_some_and(|n| n <= 0) {
            r.fail(4, "应为大于 0 的整数");
        }
        let mut row_errors = std::mem::take(&mut r.errors);
        if let (Some(on), Some(topic), Some(category), Some(district), Some(trainees)) =
            (on, topic, category, district, trainees)
            && row_errors.is_empty()
            && once(
                &mut seen,
                (on, topic.clone(), district.clone()),
                *row,
                &mut errors,
                ("主题", topic.clone()),
            )
        {
            found.push((on, topic, TRAINING_CATEGORIES[category], district, trainees));
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
    for (on, topic, (category, _, post), district, trainees) in found {
        let updated = sqlx::query(
            "UPDATE staff_trainings SET attendees = $1, category = $2, \
             post = CASE WHEN category = $2 THEN post ELSE $3 END \
             WHERE held_on = $4 AND topic = $5 AND district_code = $6",
        )
        .bind(trainees)
        .bind(category)
        .bind(post)
        .bind(on.to_string())
        .bind(&topic)
        .bind(&district)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if updated > 0 {
            done.updated += 1;
            continue;
        }
        sqlx::query(
            "INSERT INTO staff_trainings (district_code, post, held_on, topic, attendees, category, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&district)
        .bind(post)
        .bind(on.to_string())
        .bind(&topic)
        .bind(trainees)
        .bind(category)
        .bind(by)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        done.created += 1;
    }
    Ok(done)
}
