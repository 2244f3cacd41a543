//! The marriage-registration figures of the quarter (METRICS.md): marriages and divorces
//! registered, and the share of both that the compliance audit marks 合格 (imported
//! records included). Registries are districts: no figure below a district, no
//! urban/rural split.

use chrono::NaiveDate;

use super::{Area, Value};
use crate::db::Db;

pub(super) struct Counted {
    /// Marriages, divorces, and of both the number 合格; none below a district.
    counts: Option<(i64, i64, i64)>,
}

impl Counted {
    pub(super) fn value(&self, key: &str, area: Area) -> Option<Value> {
        if area != Area::All {
            return None;
        }
        let (marriages, divorces, compliant) = self.counts?;
        match key {
            "marriages" => Some(Value::Count(marriages)),
            "divorces" => Some(Value::Count(divorces)),
            // One decimal, held as hundredths (66.7 → 6670).
            "registration_compliance_rate" => {
                let all = marriages + divorces;
                (all > 0).then(|| Value::Hundredths((compliant * 1000 + all / 2) / all * 10))
            }
            _ => None,
        }
    }
}

/// The figures of the days from `from` to `to` inclusive within the bounds.
pub(super) async fn figures(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    bounds: &(String, String),
) -> Result<Counted, sqlx::Error> {
    if bounds.0.len() > 6 {
        return Ok(Counted { counts: None });
    }
    let row: (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'marriage' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN kind = 'divorce' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(compliant), 0) AS BIGINT) FROM marriage_registrations \
         WHERE kind IN ('marriage', 'divorce') AND registered_on >= $1 AND registered_on <= $2 \
         AND office_code >= $3 AND office_code < $4",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_one(db.pool())
    .await?;
    Ok(Counted { counts: Some(row) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_has_one_decimal_and_none_without_registrations() {
        let c = |m, d, ok| Counted {
            counts: Some((m, d, ok)),
        };
        let rate = |x: &Counted| x.value("registration_compliance_rate", Area::All);
        assert_eq!(rate(&c(2, 1, 2)), Some(Value::Hundredths(6670)));
        assert_eq!(rate(&c(3, 0, 3)), Some(Value::Hundredths(10000)));
        assert_eq!(rate(&c(0, 0, 0)), None);
        assert_eq!(c(2, 1, 2).value("marriages", Area::Urban), None);
        assert_eq!(Counted { counts: None }.value("marriages", Area::All), None);
    }
}
