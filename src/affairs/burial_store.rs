//! Burials in the database: the cemetery a burial goes into with its plots and burials on
//! a day (counted in SQL from the stored rows, inside the caller's transaction), storing a
//! burial, and the list of a region's burials.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::burial::{BurialForm, Remains};
use super::funeral::CemeteryStatus;
use crate::db::Db;

/// A cemetery as a burial needs it: id, region, status, completion date.
pub struct Target {
    pub id: i64,
    pub region_code: String,
    pub status: CemeteryStatus,
    pub completed_on: Option<NaiveDate>,
}

pub async fn cemetery(
    tx: &mut Transaction<'_, Any>,
    number: &str,
) -> Result<Option<Target>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, region_code, status, completed_on FROM cemeteries WHERE number = $1",
    )
    .bind(number)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let status: String = r.try_get(2)?;
    let completed: Option<String> = r.try_get(3)?;
    Ok(Some(Target {
        id: r.try_get(0)?,
        region_code: r.try_get(1)?,
        status: CemeteryStatus::parse(&status).unwrap_or(CemeteryStatus::Building),
        completed_on: completed.and_then(|d| d.parse().ok()),
    }))
}

/// A cemetery's plots on a day (those at completion, if completed by then, plus the
/// additions up to the day) and the burials that took a plot up to the day.
pub async fn plots_on(
    tx: &mut Transaction<'_, Any>,
    cemetery_id: i64,
    day: NaiveDate,
) -> Result<(i64, i64), sqlx::Error> {
    let r = sqlx::query(
        "SELECT CAST(CASE WHEN c.completed_on IS NOT NULL AND c.completed_on <= $2 THEN c.plots ELSE 0 END \
         + COALESCE((SELECT SUM(a.plots) FROM cemetery_plot_additions a \
                     WHERE a.cemetery_id = c.id AND a.added_on <= $2), 0) AS BIGINT), \
         CAST((SELECT COUNT(*) FROM burials b WHERE b.cemetery_id = c.id AND b.takes_plot = 1 \
               AND b.buried_on <= $2) AS BIGINT) \
         FROM cemeteries c WHERE c.id = $1",
    )
    .bind(cemetery_id)
    .bind(day.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// A burial to store; the ID already sealed.
pub struct NewBurial<'a> {
    pub cemetery_id: Option<i64>,
    pub region_code: &'a str,
    pub buried_on: NaiveDate,
    pub name: &'a str,
    /// Sealed ID and its blind index.
    pub id_number: Option<(&'a str, &'a str)>,
    pub form: BurialForm,
    pub remains: Remains,
}

/// Whether a burial with this blind index is stored already: its id and region.
pub async fn known(
    tx: &mut Transaction<'_, Any>,
    index: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, region_code FROM burials WHERE id_number_index = $1")
        .bind(index)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn insert(
    tx: &mut Transaction<'_, Any>,
    b: &NewBurial<'_>,
    (by, at): (&str, &str),
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO burials (cemetery_id, region_code, buried_on, name, id_number_sealed, \
         id_number_index, form, remains, takes_plot, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(b.cemetery_id)
    .bind(b.region_code)
    .bind(b.buried_on.to_string())
    .bind(b.name)
    .bind(b.id_number.map(|(sealed, _)| sealed.to_string()))
    .bind(b.id_number.map(|(_, index)| index.to_string()))
    .bind(b.form.code())
    .bind(b.remains.code())
    .bind(i64::from(b.form.takes_plot()))
    .bind(by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// A burial as listed (the ID still sealed).
#[derive(Clone, Debug, Serialize)]
pub struct Burial {
    pub id: i64,
    pub cemetery_number: Option<String>,
    pub cemetery_name: Option<String>,
    pub region_code: String,
    pub buried_on: String,
    pub name: String,
    #[serde(skip)]
    pub id_number_sealed: Option<String>,
    pub form: BurialForm,
    pub eco: bool,
    pub remains: Remains,
}

/// The burials within the bounds, latest first.
pub async fn list(db: &Db, bounds: &(String, String)) -> Result<Vec<Burial>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT b.id, c.number, c.name, b.region_code, b.buried_on, b.name, b.id_number_sealed, \
         b.form, b.remains FROM burials b LEFT JOIN cemeteries c ON c.id = b.cemetery_id \
         WHERE b.region_code >= $1 AND b.region_code < $2 ORDER BY b.buried_on DESC, b.id DESC",
    )
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let form: String = r.try_get(7)?;
            let form = BurialForm::parse(&form).unwrap_or(BurialForm::Grave);
            let remains: String = r.try_get(8)?;
            Ok(Burial {
                id: r.try_get(0)?,
                cemetery_number: r.try_get(1)?,
                cemetery_name: r.try_get(2)?,
                region_code: r.try_get(3)?,
                buried_on: r.try_get(4)?,
                name: r.try_get(5)?,
                id_number_sealed: r.try_get(6)?,
                form,
                eco: form.is_eco(),
                remains: Remains::parse(&remains).unwrap_or(Remains::Ashes),
            })
        })
        .collect()
}
