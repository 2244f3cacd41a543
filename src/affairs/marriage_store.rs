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
use crate::db::Db;
use crate::protect::{Keyring, SensitiveKind};

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

/// The next certificate number of a letter, registry and year.
pub async fn next_certificate(
    tx: &mut Transaction<'_, Any>,
    letter: char,
    office: &str,
    year: i32,
) -> Result<String, sqlx::Error> {
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
    Ok(marriage::certificate_number(letter, office, year, last + 1))
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
/// ends by divorce or by death: a spouse whose cremation record (the death this system
/// holds, DOMAIN.md §6) is dated on or before the day is no longer a spouse.
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
    })
}

/// The spouses not recorded dead on or before `day`.
async fn living(
    tx: &mut Transaction<'_, Any>,
    spouses: Vec<&str>,
    day: NaiveDate,
) -> Result<Vec<String>, sqlx::Error> {
    let mut out = Vec::new();
    for s in spouses {
        let dead: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM cremations WHERE id_number_index = $1 AND died_on <= $2",
        )
        .bind(s)
        .bind(day.to_string())
        .fetch_one(&mut **tx)
        .await?;
        if dead == 0 {
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
    let status = match r.kind {
        Kind::Marriage => Some(MaritalStatus::Married),
        Kind::Divorce => Some(MaritalStatus::Divorced),
        Kind::Reissue => None,
    };
    if let Some(status) = status {
        for (person, spouse) in [
            (&n.man.index, &n.woman.index),
            (&n.woman.index, &n.man.index),
        ] {
            sqlx::query(
                "INSERT INTO marital_statuses (person_index, status, since, spouse_index, registration_id, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(person)
            .bind(status.code())
            .bind(r.day.to_string())
            .bind(spouse)
            .bind(id)
            .bind(at)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(id)
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

/// Re-audits every registration of the persons with these indexes (a registration dated
/// earlier may change what the registry said on a later one's day); the number whose
/// mark changed.
pub async fn reaudit(
    tx: &mut Transaction<'_, Any>,
    keyring: &Keyring,
    persons: &BTreeSet<String>,
) -> Result<usize, sqlx::Error> {
    let mut changed = 0;
    for person in persons {
        let sql = format!("{SELECT} WHERE man_id_index = $1 OR woman_id_index = $1 ORDER BY id");
        let rows = sqlx::query(&sql).bind(person).fetch_all(&mut **tx).await?;
        for row in &rows {
            let s = from_row(row)?;
            let result = audit_stored(tx, keyring, &s).await?;
            let failed = result.as_ref().err().map(ToString::to_string);
            if result.is_ok() != s.compliant || failed != s.failed_rule {
                sqlx::query(
                    "UPDATE marriage_registrations SET compliant = $1, failed_rule = $2, version = version + 1 \
                     WHERE id = $3",
                )
                .bind(i64::from(result.is_ok()))
                .bind(failed)
                .bind(s.id)
                .execute(&mut **tx)
                .await?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// A person's status history as the registry shows it (newest first).
#[derive(Clone, Debug, Serialize)]
pub struct HistoryLine {
    pub status_label: &'static str,
    pub since: String,
    pub certificate_no: String,
}

pub async fn history(db: &Db, index: &str) -> Result<Vec<HistoryLine>, sqlx::Error> {
    sqlx::query(
        "SELECT s.status, s.since, r.certificate_no FROM marital_statuses s \
         JOIN marriage_registrations r ON r.id = s.registration_id \
         WHERE s.person_index = $1 ORDER BY s.since DESC, s.registration_id DESC",
    )
    .bind(index)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(HistoryLine {
            status_label: MaritalStatus::parse(&r.try_get::<String, _>(0)?)
                .map_or("", MaritalStatus::label),
            since: r.try_get(1)?,
            certificate_no: r.try_get(2)?,
        })
    })
    .collect()
}
