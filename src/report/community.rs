//! The community figures of the quarter (METRICS.md): consultations and their resident
//! participants, and welfare activities of social organisations registered on the
//! activity's date with their beneficiaries.

use chrono::NaiveDate;

use super::assistance::{Split, split};
use super::{Area, Value};
use crate::db::Db;

pub(super) struct Counted {
    /// Consultations (count) and participants (sum), by community.
    consultations: Split,
    /// Activities (count) and beneficiaries (sum). An organisation is registered by a
    /// city or district authority, not in a community: no urban/rural split.
    activities: Option<(i64, i64)>,
}

impl Counted {
    pub(super) fn value(&self, key: &str, area: Area) -> Option<Value> {
        let v = match key {
            "consultations" => Value::Count(self.consultations.get(area, None).0),
            "consultation_participants" => Value::Count(self.consultations.get(area, None).1),
            "socialorg_activities" if area == Area::All => Value::Count(self.activities?.0),
            "socialorg_beneficiaries" if area == Area::All => Value::Count(self.activities?.1),
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
    let consultations = split(
        db,
        "SELECT r.urban_rural, substr(c.held_on, 1, 7), COUNT(*), CAST(SUM(c.participants) AS BIGINT) \
         FROM consultations c JOIN regions r ON r.code = c.region_code \
         WHERE c.held_on >= $1 AND c.held_on <= $2 AND c.region_code >= $3 AND c.region_code < $4 \
         GROUP BY r.urban_rural, substr(c.held_on, 1, 7)",
        (from, to),
        bounds,
        &[],
    )
    .await?;
    // Registered at the activity's date: on or after registration, before any end. The
    // city's own organisations count for the city; a district's for the district and city.
    if bounds.0.len() > 6 {
        return Ok(Counted {
            consultations,
            activities: None,
        });
    }
    let row: (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(a.beneficiaries) AS BIGINT) FROM welfare_activities a \
         JOIN social_orgs o ON o.id = a.org_id \
         WHERE a.held_on >= $1 AND a.held_on <= $2 AND o.region_code >= $3 AND o.region_code < $4 \
         AND o.registered_on <= a.held_on AND (o.ended_on IS NULL OR a.held_on < o.ended_on)",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_one(db.pool())
    .await?;
    Ok(Counted {
        consultations,
        activities: Some((row.0, row.1.unwrap_or(0))),
    })
}
