//! The social-assistance figures of the quarter (METRICS.md): new 低保 households and
//! persons, 清退 households and persons, temporary-assistance grants and their sum.

use chrono::NaiveDate;
use sqlx::Row;

use super::{Area, Quarter, Value};
use crate::assistance::model::EXIT_REASONS;
use crate::db::Db;

/// Counts and sums of one figure group by month and urban/rural, so one query serves a
/// quarter's report and a trend over many quarters alike.
#[derive(Default)]
pub(super) struct Split {
    /// (month as `YYYY-MM`, rural, count, sum).
    rows: Vec<(String, bool, i64, i64)>,
}

impl Split {
    pub(super) fn get(&self, area: Area, quarter: Option<Quarter>) -> (i64, i64) {
        self.rows
            .iter()
            .filter(|(_, rural, _, _)| match area {
                Area::All => true,
                Area::Urban => !rural,
                Area::Rural => *rural,
            })
            .filter(|(month, _, _, _)| quarter.is_none_or(|q| quarter_of_month(month) == Some(q)))
            .fold((0, 0), |(c, s), (_, _, n, sum)| (c + n, s + sum))
    }
}

fn quarter_of_month(month: &str) -> Option<Quarter> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    Some(Quarter::of(first))
}

pub(super) struct Counted {
    dibao_new: Split,
    dibao_removed: Split,
    temporary: Split,
}

impl Counted {
    /// A figure over every month read, or over one quarter's months.
    pub(super) fn value(&self, key: &str, area: Area, quarter: Option<Quarter>) -> Option<Value> {
        let v = match key {
            "dibao_new_households" => Value::Count(self.dibao_new.get(area, quarter).0),
            "dibao_new_persons" => Value::Count(self.dibao_new.get(area, quarter).1),
            "dibao_removed_households" => Value::Count(self.dibao_removed.get(area, quarter).0),
            "dibao_removed_persons" => Value::Count(self.dibao_removed.get(area, quarter).1),
            "temp_assistance_cases" => Value::Count(self.temporary.get(area, quarter).0),
            // Fen are hundredths of a yuan.
            "temp_assistance_amount_yuan" => Value::Hundredths(self.temporary.get(area, quarter).1),
            // 万元 with 2 decimals, half up: hundredths of 万元 are units of 10,000 fen.
            "temp_assistance_amount_wan_yuan" => {
                let fen = self.temporary.get(area, quarter).1;
                Value::Hundredths((fen + 5_000).div_euclid(10_000))
            }
            _ => return None,
        };
        Some(v)
    }
}

/// Runs `sql` (binds: first day, last day, region bounds, then `extra`) whose rows are
/// (urban_rural, month, count, sum).
pub(super) async fn split(
    db: &Db,
    sql: &str,
    (from, to): (NaiveDate, NaiveDate),
    bounds: &(String, String),
    extra: &[&str],
) -> Result<Split, sqlx::Error> {
    let mut query = sqlx::query(sql)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(bounds.0.clone())
        .bind(bounds.1.clone());
    for e in extra {
        query = query.bind(*e);
    }
    let mut out = Split::default();
    for r in query.fetch_all(db.pool()).await? {
        let area: Option<String> = r.try_get(0)?;
        out.rows.push((
            r.try_get(1)?,
            area.as_deref() == Some("rural"),
            r.try_get::<i64, _>(2)?,
            r.try_get::<Option<i64>, _>(3)?.unwrap_or(0),
        ));
    }
    Ok(out)
}

/// The figures of the days from `from` to `to` inclusive, by month.
pub(super) async fn figures(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    bounds: &(String, String),
) -> Result<Counted, sqlx::Error> {
    let q = (from, to);
    // Persons at approval: the count the approval fixed (a later review may change the
    // case's current count); cases approved before that was kept have it as their count.
    let dibao_new = split(
        db,
        "SELECT r.urban_rural, substr(c.approved_on, 1, 7), COUNT(*), \
         CAST(SUM(COALESCE(c.approved_persons, c.covered_persons)) AS BIGINT) \
         FROM cases c JOIN regions r ON r.code = c.region_code \
         WHERE c.program = 'dibao' AND c.approved_on >= $1 AND c.approved_on <= $2 \
         AND c.region_code >= $3 AND c.region_code < $4 \
         GROUP BY r.urban_rural, substr(c.approved_on, 1, 7)",
        q,
        bounds,
        &[],
    )
    .await?;
    let removal: Vec<&str> = EXIT_REASONS
        .iter()
        .filter(|r| r.is_removal())
        .map(|r| r.code())
        .collect();
    let list = (5..5 + removal.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    // Persons at exit: an exited case's count does not change after its exit.
    let dibao_removed = split(
        db,
        &format!(
            "SELECT r.urban_rural, substr(c.exited_on, 1, 7), COUNT(*), CAST(SUM(c.covered_persons) AS BIGINT) \
             FROM cases c JOIN regions r ON r.code = c.region_code \
             WHERE c.program = 'dibao' AND c.status = 'exited' AND c.exited_on >= $1 AND c.exited_on <= $2 \
             AND c.region_code >= $3 AND c.region_code < $4 AND c.exit_reason IN ({list}) \
             GROUP BY r.urban_rural, substr(c.exited_on, 1, 7)"
        ),
        q,
        bounds,
        &removal,
    )
    .await?;
    let temporary = split(
        db,
        "SELECT r.urban_rural, substr(g.grant_date, 1, 7), COUNT(*), CAST(SUM(g.amount) AS BIGINT) \
         FROM temporary_grants g JOIN regions r ON r.code = g.region_code \
         WHERE g.status = 'valid' AND g.grant_date >= $1 AND g.grant_date <= $2 \
         AND g.region_code >= $3 AND g.region_code < $4 \
         GROUP BY r.urban_rural, substr(g.grant_date, 1, 7)",
        q,
        bounds,
        &[],
    )
    .await?;
    Ok(Counted {
        dibao_new,
        dibao_removed,
        temporary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary(rows: &[(&str, bool, i64, i64)]) -> Counted {
        Counted {
            dibao_new: Split::default(),
            dibao_removed: Split::default(),
            temporary: Split {
                rows: rows
                    .iter()
                    .map(|(m, rural, n, fen)| (m.to_string(), *rural, *n, *fen))
                    .collect(),
            },
        }
    }

    #[test]
    fn wan_yuan_round_half_up_at_the_boundary() {
        let wan = |fen: i64| {
            temporary(&[("2026-07", false, 1, fen)])
                .value("temp_assistance_amount_wan_yuan", Area::All, None)
                .unwrap()
                .text()
        };
        // 160.5 hundredths of 万元 rounds up, 160.4999 down.
        assert_eq!(wan(1_605_000), "1.61");
        assert_eq!(wan(1_604_999), "1.60");
        assert_eq!(wan(4_999), "0.00");
        assert_eq!(wan(5_000), "0.01");
    }

    #[test]
    fn months_fall_into_their_quarter_and_area() {
        let c = temporary(&[
            ("2026-06", false, 1, 100),
            ("2026-07", false, 2, 200),
            ("2026-09", true, 4, 400),
            ("2026-10", true, 8, 800),
        ]);
        let q3 = Some(Quarter {
            year: 2026,
            number: 3,
        });
        let count = |area, q| match c.value("temp_assistance_cases", area, q) {
            Some(Value::Count(n)) => n,
            other => panic!("{other:?}"),
        };
        assert_eq!(count(Area::All, q3), 6);
        assert_eq!(count(Area::Urban, q3), 2);
        assert_eq!(count(Area::Rural, q3), 4);
        assert_eq!(count(Area::All, None), 15);
    }
}
