//! The `facilities` and `bed-changes` ledgers: each row checked (a facility's dates and
//! beds; a change against the beds the facility has on that day and after), then stored
//! by the ledger's key.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};

use super::ledgers::FacilityRefs;
use super::ledgers::{BED_COLUMNS, FACILITY_COLUMNS, community_codes};
use super::model::{
    BedEvent, FacilityKind, FacilityStatus, NewFacility, Ownership, check_bed_change,
    check_facility,
};
use super::store;
use crate::ledger::ImportError;
use crate::ledger::RowError;
use crate::ledger::checks::{Imported, InScope, coded, not_after_today, once, region_in, rejected};
use crate::ledger::sheet::{RowReader, Sheet, find_header};

pub(super) async fn facilities(
    tx: &mut Transaction<'_, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &FACILITY_COLUMNS)?;
    let communities = community_codes(tx).await?;
    let refs = FacilityRefs::read(tx).await?;
    let (mut errors, mut found, mut seen) = (Vec::new(), Vec::new(), HashMap::new());
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &FACILITY_COLUMNS);
        let number = r.code(0);
        let name = r.text(1);
        let kind = coded(&mut r, 2, FacilityKind::parse, FacilityKind::labels());
        let community = region_in(&mut r, 3, &communities, " 12 位社区/村", in_scope);
        let ownership = coded(&mut r, 4, Ownership::parse, Ownership::labels());
        let status = coded(&mut r, 5, FacilityStatus::parse, FacilityStatus::labels());
        let opened_on = r.date(6);
        let beds = r.count(7);
        let nursing = r.count(8);
        let mut row_errors = std::mem::take(&mut r.errors);
        if let (Some(number), Some(name), Some(kind), Some(community), Some(ownership)) =
            (number, name, kind, community, ownership)
            && let (Some(status), Some(beds), Some(nursing)) = (status, beds, nursing)
        {
            let f = NewFacility {
                number,
                name,
                kind,
                community,
                ownership,
                status,
                opened_on,
                operator: String::new(),
                star_grade: None,
                beds,
                nursing_beds: nursing,
            };
            for (column, reason) in check_facility(&f, today) {
                let value = match column {
                    "开业日期" => f.opened_on.map(|d| d.to_string()).unwrap_or_default(),
                    "护理型床位数" => f.nursing_beds.to_string(),
                    "床位数" => f.beds.to_string(),
                    _ => f.number.clone(),
                };
                row_errors.push(RowError::new(*row, column, value, reason));
            }
            // A number already registered elsewhere is another district's facility, not
            // this one's to overwrite; one of this region is checked against its history.
            if let Some((_, _, region)) = refs.get(&f.number) {
                if !in_scope(region) {
                    row_errors.push(RowError::new(
                        *row,
                        "设施编号",
                        f.number.clone(),
                        "这个编号已登记为您管辖范围以外的设施：请核对编号",
                    ));
                } else if row_errors.is_empty()
                    && let Some(why) = store::check_saved_history(tx, &f).await?
                {
                    row_errors.push(RowError::new(*row, "床位数", f.beds.to_string(), why));
                }
            }
            if row_errors.is_empty()
                && once(
                    &mut seen,
                    f.number.clone(),
                    *row,
                    &mut errors,
                    ("设施编号", f.number.clone()),
                )
            {
                found.push(f);
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
    // Existing facilities keep what the ledger has no column for (operator, star grade).
    let existing = store::ids_by_number(tx).await?;
    for mut f in found {
        if let Some((id, _)) = existing.get(&f.number) {
            let r = sqlx::query("SELECT operator, star_grade FROM care_facilities WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
            f.operator = r.try_get(0)?;
            f.star_grade = r.try_get(1)?;
        }
        let (_, created) = store::save(tx, &f, who).await?;
        if created {
            done.created += 1;
        } else {
            done.updated += 1;
        }
    }
    Ok(done)
}

pub(super) async fn bed_changes(
    tx: &mut Transaction<'_, Any>,
    sheet: &Sheet,
    today: NaiveDate,
    in_scope: InScope<'_>,
    who: (&str, &str),
) -> Result<Imported, ImportError> {
    let (header, first) = find_header(sheet, &BED_COLUMNS)?;
    let refs = FacilityRefs::read(tx).await?;
    let (mut errors, mut seen) = (Vec::new(), HashMap::new());
    // Each facility's events as the file's rows are applied in order, to check each
    // change against the beds the earlier rows leave.
    let mut events: HashMap<i64, (Option<BedEvent>, Vec<BedEvent>)> = HashMap::new();
    let mut found: Vec<(i64, BedEvent, bool)> = Vec::new();
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &BED_COLUMNS);
        let facility = refs.of_row(&mut r, in_scope);
        let on = r.date(1);
        not_after_today(&mut r, 1, on, today);
        let beds = r.count(2);
        let nursing = r.count(3);
        let mut row_errors = std::mem::take(&mut r.errors);
        if let (Some((id, opened)), Some(on), Some(beds), Some(nursing)) =
            (facility, on, beds, nursing)
            && row_errors.is_empty()
        {
            let change = BedEvent { on, beds, nursing };
            match opened {
                None => row_errors.push(RowError::new(
                    *row,
                    "设施编号",
                    "",
                    "该设施尚未开业（名录中没有开业日期），不能登记床位变动",
                )),
                Some(o) if on < o => row_errors.push(RowError::new(
                    *row,
                    "变动日期",
                    on.to_string(),
                    format!("早于该设施的开业日期 {o}"),
                )),
                Some(_) => {
                    if let std::collections::hash_map::Entry::Vacant(slot) = events.entry(id) {
                        slot.insert(stored_changes(tx, id).await?);
                    }
                    let (opening, changes) = events.entry(id).or_default();
                    // The same facility and day stored before: this row replaces it.
                    let replaced = changes.iter().position(|e| e.on == on);
                    let mut others = changes.clone();
                    if let Some(i) = replaced {
                        others.remove(i);
                    }
                    let mut all = others.clone();
                    all.extend(opening.iter().copied());
                    match check_bed_change(&all, change) {
                        Err(reason) => row_errors.push(RowError::new(
                            *row,
                            "床位变动数",
                            beds.to_string(),
                            reason,
                        )),
                        Ok(()) => {
                            if once(
                                &mut seen,
                                (id, on),
                                *row,
                                &mut errors,
                                ("变动日期", on.to_string()),
                            ) {
                                others.push(change);
                                *changes = others;
                                found.push((id, change, replaced.is_some()));
                            }
                        }
                    }
                }
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
    for (id, change, replaced) in found {
        store::put_bed_change(tx, id, change, "台账导入", who).await?;
        if replaced {
            done.updated += 1;
        } else {
            done.created += 1;
        }
    }
    Ok(done)
}

/// A facility's opening beds (when it has opened) and its stored changes, apart.
async fn stored_changes(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> Result<(Option<BedEvent>, Vec<BedEvent>), sqlx::Error> {
    let (opened, mut all) = store::bed_events(tx, id, None).await?;
    let opening = opened.map(|_| all.remove(0));
    Ok((opening, all))
}
