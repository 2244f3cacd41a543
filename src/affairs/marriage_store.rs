//! SQL for marriage registration: registrations with their compliance mark, the next
//! certificate number of a registry and year, the status history per person (by the ID's
//! blind index), and the re-audit of every registration of the persons a change touched.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::marriage::{
    self, Kind, MaritalStatus, Record, Refusal, Registry, StatusEvent, spouses_before,
    status_before,
};
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::protect::{Keyring, SensitiveKind};
use serde_json::json;

/// A registration as stored (IDs sealed).
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: i64,
    pub kind: Kind,
    pub registered_on: String,
    pub certificate_no: String,
    pub man_name: String,
    pub man_id_sealed: String,
    pub man_id_index: String,
    pub woman_name: String,
    pub woman_id_sealed: String,
    pub woman_id_index: String,
    pub office_code: String,
    pub applied_on: Option<String>,
    pub compliant: bool,
    pub failed_rule: Option<String>,
    pub imported: bool,
}

const SELECT: &str = "SELECT id, kind, registered_on, certificate_no, man_name, man_id_sealed, man_id_index, \
    woman_name, woman_id_sealed, woman_id_index, office_code, applied_on, compliant, failed_rule, imported \
    FROM marriage_registrations";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Stored, sqlx::Error> {
    let kind = Kind::parse(&r.try_get::<String, _>(1)?)
        .ok_or_else(|| sqlx::Error::Decode("marriage_registrations.kind".into()))?;
    Ok(Stored {
        id: r.try_get(0)?,
        kind,
        registered_on: r.try_get(2)?,
        certificate_no: r.try_get(3)?,
        man_name: r.try_get(4)?,
        man_id_sealed: r.try_get(5)?,
        man_id_index: r.try_get(6)?,
        woman_name: r.try_get(7)?,
        woman_id_sealed: r.try_get(8)?,
        woman_id_index: r.try_get(9)?,
        office_code: r.try_get(10)?,
        applied_on: r.try_get(11)?,
        compliant: r.try_get::<i64, _>(12)? == 1,
        failed_rule: r.try_get(13)?,
        imported: r.try_get::<i64, _>(14)? == 1,
    })
}

/// The registrations of registries within the bounds dated between the two days, newest
/// first; or, with `index`, every registration of that person there.
pub async fn list(
    db: &Db,
    bounds: &(String, String),
    (from, to): (NaiveDate, NaiveDate),
    index: Option<&str>,
) -> Result<Vec<Stored>, sqlx::Error> {
    let rows = match index {
        Some(ix) => {
            let sql = format!(
                "{SELECT} WHERE office_code >= $1 AND office_code < $2 \
                 AND (man_id_index = $3 OR woman_id_index = $3) ORDER BY registered_on DESC, id DESC"
            );
            sqlx::query(&sql)
                .bind(&bounds.0)
                .bind(&bounds.1)
                .bind(ix)
                .fetch_all(db.pool())
                .await?
        }
        None => {
            let sql = format!(
                "{SELECT} WHERE office_code >= $1 AND office_code < $2 \
                 AND registered_on >= $3 AND registered_on <= $4 ORDER BY registered_on DESC, id DESC"
            );
            sqlx::query(&sql)
                .bind(&bounds.0)
                .bind(&bounds.1)
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_all(db.pool())
                .await?
        }
    };
    rows.iter().map(from_row).collect()
}

pub async fn by_certificate(
    tx: &mut Transaction<'_, Any>,
    certificate: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE certificate_no = $1");
    sqlx::query(&sql)
        .bind(certificate)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The next certificate number of a letter, registry and year; refused (not stored)
/// once the year's 6-digit sequence is used up.
pub async fn next_certificate(
    tx: &mut Transaction<'_, Any>,
    letter: char,
    office: &str,
    year: i32,
) -> Result<Result<String, Refusal>, sqlx::Error> {
    let prefix = format!("{letter}{office}-{year}-");
    let taken: Vec<String> = sqlx::query_scalar(
        "SELECT certificate_no FROM marriage_registrations WHERE certificate_no LIKE $1",
    )
    .bind(format!("{prefix}%"))
    .fetch_all(&mut **tx)
    .await?;
    let last = taken
        .iter()
        .filter_map(|c| marriage::parse_certificate(c).map(|p| p.3))
        .max()
        .unwrap_or(0);
    Ok(marriage::next_certificate_number(
        letter, office, year, last,
    ))
}

/// A person's status history.
pub async fn events(
    tx: &mut Transaction<'_, Any>,
    index: &str,
) -> Result<Vec<StatusEvent>, sqlx::Error> {
    sqlx::query(
        "SELECT since, registration_id, status, spouse_index FROM marital_statuses WHERE person_index = $1",
    )
    .bind(index)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        let since: String = r.try_get(0)?;
        Ok(StatusEvent {
            since: since
                .parse()
                .map_err(|_| sqlx::Error::Decode("marital_statuses.since".into()))?,
            registration: r.try_get(1)?,
            status: MaritalStatus::parse(&r.try_get::<String, _>(2)?)
                .ok_or_else(|| sqlx::Error::Decode("marital_statuses.status".into()))?,
            spouse: r.try_get(3)?,
        })
    })
    .collect()
}

/// What the registry says about the two just before a registration at `at`. A marriage
/// ends by divorce or by death: a spouse whose death this system holds (a cremation or a
/// burial with the ID, DOMAIN.md §6) dated on or before the day is no longer a spouse.
pub async fn registry(
    tx: &mut Transaction<'_, Any>,
    (man, woman): (&str, &str),
    at: (NaiveDate, i64),
) -> Result<Registry, sqlx::Error> {
    let men = events(tx, man).await?;
    let women = events(tx, woman).await?;
    let between: Vec<StatusEvent> = men.iter().filter(|e| e.spouse == woman).cloned().collect();
    Ok(Registry {
        man_spouses: living(tx, spouses_before(&men, at), at.0).await?,
        woman_spouses: living(tx, spouses_before(&women, at), at.0).await?,
        between: status_before(&between, at).map(|e| e.status),
        man_died: died(tx, man, at.0).await?,
        woman_died: died(tx, woman, at.0).await?,
    })
}

/// The day a person is known dead, when a cremation (its day of death) or a burial with
/// the ID (its burial day: a burial has no day of death, and the person had died by
/// then) dated on or before `day` says so. The death is read when asked, not copied into
/// the status history; a death recorded later re-audits the person's registrations
/// (`on_death`), since a registration after it fails 「当事人已死亡」.
async fn died(
    tx: &mut Transaction<'_, Any>,
    index: &str,
    day: NaiveDate,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    if index.is_empty() {
        return Ok(None);
    }
    let cremated: Option<String> = sqlx::query_scalar(
        "SELECT MIN(died_on) FROM cremations WHERE id_number_index = $1 AND died_on <= $2",
    )
    .bind(index)
    .bind(day.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let buried: Option<String> = sqlx::query_scalar(
        "SELECT MIN(buried_on) FROM burials WHERE id_number_index = $1 AND buried_on <= $2",
    )
    .bind(index)
    .bind(day.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let days = [cremated, buried];
    Ok(days.iter().flatten().filter_map(|d| d.parse().ok()).min())
}

/// The spouses not recorded dead on or before `day`.
async fn living(
    tx: &mut Transaction<'_, Any>,
    spouses: Vec<&str>,
    day: NaiveDate,
) -> Result<Vec<String>, sqlx::Error> {
    let mut out = Vec::new();
    for s in spouses {
        if died(tx, s, day).await?.is_none() {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// A registration to store, with its audit result.
pub struct NewRegistration<'a> {
    pub record: Record<'a>,
    pub man: &'a crate::protect::Sealed,
    pub woman: &'a crate::protect::Sealed,
    pub application: Option<i64>,
    pub imported: bool,
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    n: &NewRegistration<'_>,
    audit: &Result<(), Refusal>,
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    let r = &n.record;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO marriage_registrations (kind, registered_on, certificate_no, man_name, man_id_sealed, \
         man_id_index, woman_name, woman_id_sealed, woman_id_index, office_code, applied_on, application_id, \
         compliant, failed_rule, imported, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(r.kind.code())
    .bind(r.day.to_string())
    .bind(r.certificate)
    .bind(r.man_name.trim())
    .bind(&n.man.sealed)
    .bind(&n.man.index)
    .bind(r.woman_name.trim())
    .bind(&n.woman.sealed)
    .bind(&n.woman.index)
    .bind(r.office)
    .bind(r.applied_on.map(|d| d.to_string()))
    .bind(n.application)
    .bind(i64::from(audit.is_ok()))
    .bind(audit.as_ref().err().map(ToString::to_string))
    .bind(i64::from(n.imported))
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    // An imported record gets its mark and its statuses from `reaudit`, once every record
    // of the file is stored; a counter registration was audited (合格) before.
    if !n.imported {
        write_statuses(tx, id, r.kind, r.day, (&n.man.index, &n.woman.index), at).await?;
    }
    Ok(id)
}

/// The registry's view after a registration: each one married to (or divorced from) the
/// other since the day. Every marriage and divorce record comes here, 合格 or not: a
/// registration stands until a court voids it, so a 不合格 mark is an audit finding, not
/// an undoing (DOMAIN.md §6) — a bigamous record makes its party married twice. Never a
/// party without a usable ID (empty index): nobody can be recognised by it.
async fn write_statuses(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    kind: Kind,
    day: NaiveDate,
    (man, woman): (&str, &str),
    at: &str,
) -> Result<(), sqlx::Error> {
    let status = match kind {
        Kind::Marriage => MaritalStatus::Married,
        Kind::Divorce => MaritalStatus::Divorced,
        Kind::Reissue => return Ok(()),
    };
    // The same number on both sides is a bad record (不合格), not a person married to
    // themselves: no status, and no second row for one person and registration.
    if man.is_empty() || woman.is_empty() || man == woman {
        return Ok(());
    }
    for (person, spouse) in [(man, woman), (woman, man)] {
        sqlx::query(
            "INSERT INTO marital_statuses (person_index, status, since, spouse_index, registration_id, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(person)
        .bind(status.code())
        .bind(day.to_string())
        .bind(spouse)
        .bind(id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Audits one stored registration against the registry as it stands (its own entries
/// excluded). Sealed IDs are opened for the ages and sexes.
pub async fn audit_stored(
    tx: &mut Transaction<'_, Any>,
    keyring: &Keyring,
    s: &Stored,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let open = |v: &str| keyring.open(SensitiveKind::IdNumber, v).unwrap_or_default();
    let (man_id, woman_id) = (open(&s.man_id_sealed), open(&s.woman_id_sealed));
    let Ok(day) = s.registered_on.parse::<NaiveDate>() else {
        return Ok(Err(Refusal::new(
            marriage::Rule::Fields,
            format!("「登记日期」{} 不是日期", s.registered_on),
        )));
    };
    let record = Record {
        kind: s.kind,
        day,
        certificate: &s.certificate_no,
        man_name: &s.man_name,
        man_id: &man_id,
        woman_name: &s.woman_name,
        woman_id: &woman_id,
        office: &s.office_code,
        applied_on: s.applied_on.as_deref().and_then(|d| d.parse().ok()),
    };
    let reg = registry(tx, (&s.man_id_index, &s.woman_id_index), (day, s.id)).await?;
    Ok(marriage::audit(
        &record,
        &reg,
        (&s.man_id_index, &s.woman_id_index),
    ))
}

/// Re-audits every registration of these persons and of everyone linked to them by a
/// registration (a record dated earlier may change what the registry said on a later
/// one's day, for the spouse as much as for the person), and rebuilds their status
/// history from every record with both IDs usable, in date order: the registry's view is
/// always re-derivable from the records, whatever order they arrived in. Each mark that
/// changes is audited on its own (registration, certificate, before and after), under
/// the actor and time of `by`; `fresh` are the registrations just stored, whose mark is
/// their first, not a change (the import's own entry tells of them). The number of
/// registrations whose mark changed.
pub async fn reaudit(
    tx: &mut Transaction<'_, Any>,
    keyring: &Keyring,
    persons: &BTreeSet<String>,
    fresh: &BTreeSet<i64>,
    by: &AuditEvent,
) -> Result<usize, sqlx::Error> {
    let at = by.at.to_rfc3339();
    let at = at.as_str();
    let sql = format!("{SELECT} WHERE man_id_index = $1 OR woman_id_index = $1");
    let (mut linked, mut todo) = (BTreeSet::new(), Vec::new());
    let mut regs = std::collections::BTreeMap::new();
    for p in persons.iter().filter(|p| !p.is_empty()) {
        if linked.insert(p.clone()) {
            todo.push(p.clone());
        }
    }
    while let Some(person) = todo.pop() {
        for row in sqlx::query(&sql).bind(&person).fetch_all(&mut **tx).await? {
            let s = from_row(&row)?;
            for other in [&s.man_id_index, &s.woman_id_index] {
                if !other.is_empty() && linked.insert(other.clone()) {
                    todo.push(other.clone());
                }
            }
            regs.insert((s.registered_on.clone(), s.id), s);
        }
    }
    // Every status of these persons came from one of these registrations: start afresh.
    for person in &linked {
        sqlx::query("DELETE FROM marital_statuses WHERE person_index = $1")
            .bind(person)
            .execute(&mut **tx)
            .await?;
    }
    let mut changed = 0;
    for s in regs.values() {
        let result = audit_stored(tx, keyring, s).await?;
        let failed = result.as_ref().err().map(ToString::to_string);
        if result.is_ok() != s.compliant || failed != s.failed_rule {
            sqlx::query(
                "UPDATE marriage_registrations SET compliant = $1, failed_rule = $2, version = version + 1 \
                 WHERE id = $3",
            )
            .bind(i64::from(result.is_ok()))
            .bind(&failed)
            .bind(s.id)
            .execute(&mut **tx)
            .await?;
            if !fresh.contains(&s.id) {
                let mark = |ok: bool| if ok { "合格" } else { "不合格" };
                let entry = AuditEvent::new(
                    by.at,
                    &by.actor,
                    "marriage.reaudit",
                    "marriage_registration",
                    s.id.to_string(),
                )
                .with(json!({
                    "certificate_no": s.certificate_no,
                    "before": {"mark": mark(s.compliant), "failed_rule": s.failed_rule},
                    "after": {"mark": mark(result.is_ok()), "failed_rule": failed},
                    "cause": by.action,
                }));
                crate::audit::store::record(tx, &entry).await?;
                changed += 1;
            }
        }
        if let Ok(day) = s.registered_on.parse::<NaiveDate>() {
            let parties = (s.man_id_index.as_str(), s.woman_id_index.as_str());
            write_statuses(tx, s.id, s.kind, day, parties, at).await?;
        }
    }
    Ok(changed)
}

/// The lock every writer of the registry's marital view takes (PostgreSQL advisory lock;
/// SQLite serialises writers anyway) in the FIRST lock call of its transaction, before
/// any audit entry: the counter, divorce, the marriage ledger and a death recorded
/// (which re-audits). One key for the whole registry rather than one per person: a
/// re-audit follows spouses of spouses beyond the persons it could lock, a file of
/// thousands of persons would exhaust PostgreSQL's lock table, and registrations are a
/// few a minute, so serialising them costs nothing a counter would notice.
pub const REGISTRY_LOCK: &str = "marriage-registry";

/// A death recorded (a cremation, a burial with the ID) after the person's registrations:
/// a registration dated after it now fails 「当事人已死亡」, and the spouses' records with
/// it. Re-audits their registrations (each changed mark audited under `by`). Call inside
/// the transaction storing the death, which must have taken `REGISTRY_LOCK` in its first
/// lock call.
pub async fn on_death(
    tx: &mut Transaction<'static, Any>,
    person_index: &str,
    (_db, keyring): (&Db, &Keyring),
    by: &AuditEvent,
) -> Result<usize, sqlx::Error> {
    if person_index.is_empty() {
        return Ok(0);
    }
    let persons = BTreeSet::from([person_index.to_string()]);
    reaudit(tx, keyring, &persons, &BTreeSet::new(), by).await
}

/// The registration that makes a person married to `spouse` just before `at` (the
/// latest marriage between them): its certificate number and registry.
pub async fn marriage_with(
    tx: &mut Transaction<'_, Any>,
    person: &str,
    spouse: &str,
    at: (NaiveDate, i64),
) -> Result<Option<(String, String)>, sqlx::Error> {
    let with: Vec<StatusEvent> = events(tx, person)
        .await?
        .into_iter()
        .filter(|e| e.spouse == spouse)
        .collect();
    let Some(e) = status_before(&with, at) else {
        return Ok(None);
    };
    sqlx::query_as("SELECT certificate_no, office_code FROM marriage_registrations WHERE id = $1")
        .bind(e.registration)
        .fetch_optional(&mut **tx)
        .await
}

/// A person's status history as the registry shows it (newest first).
#[derive(Clone, Debug, Serialize)]
pub struct HistoryLine {
    pub status_label: &'static str,
    pub since: String,
    pub certificate_no: String,
}

/// `bounds`: the user's registries; a line registered elsewhere shows no certificate
/// number (that registry's record is not the user's to see, only the status it made).
pub async fn history(
    db: &Db,
    index: &str,
    bounds: &(String, String),
) -> Result<Vec<HistoryLine>, sqlx::Error> {
    sqlx::query(
        "SELECT s.status, s.since, r.certificate_no, r.office_code FROM marital_statuses s \
         JOIN marriage_registrations r ON r.id = s.registration_id \
         WHERE s.person_index = $1 ORDER BY s.since DESC, s.registration_id DESC",
    )
    .bind(index)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let office: String = r.try_get(3)?;
        let ours = office >= bounds.0 && office < bounds.1;
        Ok(HistoryLine {
            status_label: MaritalStatus::parse(&r.try_get::<String, _>(0)?)
                .map_or("", MaritalStatus::label),
            since: r.try_get(1)?,
            certificate_no: if ours {
                r.try_get(2)?
            } else {
                "辖区外登记".to_string()
            },
        })
    })
    .collect()
}
