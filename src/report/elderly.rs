//! The elderly-care figures of the quarter (METRICS.md): new day-care centres and
//! happiness homes, new care beds, institutions inspected and caregiver trainees.

use chrono::NaiveDate;

use super::assistance::{Split, split};
use super::{Area, Value};
use crate::db::Db;

pub(super) struct Counted {
    daycare: Split,
    happiness: Split,
    /// Beds a facility opened with, and positive changes (sum column).
    opened_beds: Split,
    added_beds: Split,
    inspected: Split,
    /// Trainings are a district's, not a community's: no urban/rural split, and none
    /// for a street's or a community's report.
    trainees: Option<i64>,
}

impl Counted {
    pub(super) fn value(&self, key: &str, area: Area) -> Option<Value> {
        let count = |s: &Split| Value::Count(s.get(area, None).0);
        let v = match key {
            "daycare_centres_new" => count(&self.daycare),
            "happiness_homes_new" => count(&self.happiness),
            "care_beds_new" => {
                Value::Count(self.opened_beds.get(area, None).1 + self.added_beds.get(area, None).1)
            }
            "institutions_inspected" => count(&self.inspected),
            "caregiver_trainees" if area == Area::All => Value::Count(self.trainees?),
            _ => return None,
        };
        Some(v)
    }
}

/// The figures of the days from `from` to `to` inclusive within the bounds.
pub(super) async fn figures(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    bounds: &(String, String),
) -> Result<Counted, sqlx::Error> {
    let q = (from, to);
    let opened = |kind: &'static [&'static str]| {
        split(
            db,
            "SELECT r.urban_rural, substr(f.opened_on, 1, 7), COUNT(*), CAST(SUM(f.opening_beds) AS BIGINT) \
             FROM care_facilities f JOIN regions r ON r.code = f.region_code \
             WHERE f.opened_on >= $1 AND f.opened_on <= $2 AND f.region_code >= $3 AND f.region_code < $4 \
             AND f.kind = $5 GROUP BY r.urban_rural, substr(f.opened_on, 1, 7)",
            q,
            bounds,
            kind,
        )
    };
    let daycare = opened(&["daycare"]).await?;
    let happiness = opened(&["happiness_home"]).await?;
    // A new facility's initial beds count as added on its opening day, whatever its type.
    let opened_beds = split(
        db,
        "SELECT r.urban_rural, substr(f.opened_on, 1, 7), COUNT(*), CAST(SUM(f.opening_beds) AS BIGINT) \
         FROM care_facilities f JOIN regions r ON r.code = f.region_code \
         WHERE f.opened_on >= $1 AND f.opened_on <= $2 AND f.region_code >= $3 AND f.region_code < $4 \
         GROUP BY r.urban_rural, substr(f.opened_on, 1, 7)",
        q,
        bounds,
        &[],
    )
    .await?;
    let added_beds = split(
        db,
        "SELECT r.urban_rural, substr(c.effective_on, 1, 7), COUNT(*), CAST(SUM(c.beds) AS BIGINT) \
         FROM care_bed_changes c JOIN care_facilities f ON f.id = c.facility_id \
         JOIN regions r ON r.code = f.region_code \
         WHERE c.beds > 0 AND c.effective_on >= $1 AND c.effective_on <= $2 \
         AND f.region_code >= $3 AND f.region_code < $4 GROUP BY r.urban_rural, substr(c.effective_on, 1, 7)",
        q,
        bounds,
        &[],
    )
    .await?;
    // Each institution once, however many times it was inspected in the quarter.
    let inspected = split(
        db,
        "SELECT r.urban_rural, '', COUNT(DISTINCT f.id), 0 \
         FROM care_facilities f JOIN regions r ON r.code = f.region_code \
         WHERE f.kind = 'institution' AND f.region_code >= $3 AND f.region_code < $4 \
         AND EXISTS (SELECT 1 FROM care_inspections i WHERE i.facility_id = f.id \
                     AND i.inspected_on >= $1 AND i.inspected_on <= $2) \
         GROUP BY r.urban_rural",
        q,
        bounds,
        &[],
    )
    .await?;
    // A district's trainings count for the district and the city; a street's or a
    // community's report has none of its own.
    let district_bounds = (
        bounds.0.get(..6).unwrap_or(&bounds.0).to_string(),
        bounds.1.clone(),
    );
    let trainees: Option<i64> = if bounds.0.len() > 6 {
        None
    } else {
        let sum: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(attendees) AS BIGINT) FROM staff_trainings WHERE category = 'elderly_care' \
             AND held_on >= $1 AND held_on <= $2 AND district_code >= $3 AND district_code < $4",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(&district_bounds.0)
        .bind(&district_bounds.1)
        .fetch_one(db.pool())
        .await?;
        Some(sum.unwrap_or(0))
    };
    Ok(Counted {
        daycare,
        happiness,
        opened_beds,
        added_beds,
        inspected,
        trainees,
    })
}
