//! The leader's figures on the home page: this quarter so far against the previous
//! quarter and the same quarter a year before, for the leader's region.

use chrono::NaiveDate;
use serde::Serialize;

use super::{KEYS, Quarter, Source, Value, label};
use crate::db::Db;
use crate::region::Region;

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub key: &'static str,
    pub label: &'static str,
    pub current: String,
    pub previous: String,
    pub last_year: String,
    /// Change in percent, e.g. "+12.5%"; "—" when the base is 0.
    pub vs_previous: String,
    pub vs_last_year: String,
}

/// Percentage change from `base` to `now`, one decimal, signed.
pub fn change(now: Value, base: Value) -> String {
    let as_i = |v: Value| match v {
        Value::Count(n) | Value::Hundredths(n) => n,
    };
    let (now, base) = (as_i(now), as_i(base));
    if base == 0 {
        return "—".to_string();
    }
    let pct = (now - base) as f64 / base as f64 * 100.0;
    format!("{pct:+.1}%")
}

pub struct Figures {
    pub quarter: Quarter,
    /// The three runs of days compared, as "MM-DD 至 MM-DD".
    pub periods: [String; 3],
    pub rows: Vec<Comparison>,
}

/// This quarter from its first day to `today`, and the same number of days from the
/// start of the previous quarter and of the same quarter a year before, so a quarter
/// under way is compared like for like, not with whole quarters.
pub fn periods(today: NaiveDate) -> (Quarter, [(NaiveDate, NaiveDate); 3]) {
    let current = Quarter::of(today);
    let elapsed = today - current.first_day();
    let same_days = |q: Quarter| (q.first_day(), (q.first_day() + elapsed).min(q.last_day()));
    let year_before = Quarter {
        year: current.year - 1,
        number: current.number,
    };
    (
        current,
        [
            (current.first_day(), today),
            same_days(current.previous()),
            same_days(year_before),
        ],
    )
}

pub async fn compare(db: &Db, region: &Region, today: NaiveDate) -> Result<Figures, sqlx::Error> {
    let (quarter, runs) = periods(today);
    let mut figures = Vec::with_capacity(3);
    for (from, to) in runs {
        figures.push(super::figures_between(db, from, to, &region.code).await?);
    }
    let [now, prev, last] = [&figures[0], &figures[1], &figures[2]];
    let show = |v: Option<Value>| v.map_or("—".to_string(), Value::text);
    let rows = KEYS
        .iter()
        .filter(|(_, s)| *s == Source::Assistance)
        // The amount in yuan repeats the 万元 line.
        .filter(|(k, _)| *k != "temp_assistance_amount_yuan")
        .map(|(key, _)| {
            let (n, p, l) = (now.get(key), prev.get(key), last.get(key));
            let delta = |base: Option<Value>| match (n, base) {
                (Some(n), Some(b)) => change(n, b),
                _ => "—".to_string(),
            };
            Comparison {
                key,
                label: label(key),
                current: show(n),
                previous: show(p),
                last_year: show(l),
                vs_previous: delta(p),
                vs_last_year: delta(l),
            }
        })
        .collect();
    Ok(Figures {
        quarter,
        periods: runs
            .map(|(from, to)| format!("{} 至 {}", from.format("%Y-%m-%d"), to.format("%m-%d"))),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_under_way_is_compared_with_the_same_days_before() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (q, runs) = periods(day("2026-11-29"));
        assert_eq!(q.to_string(), "2026Q4");
        // 59 days after 10-01: 07-01 + 59 = 08-29; 2025-10-01 + 59 = 2025-11-29.
        assert_eq!(runs[0], (day("2026-10-01"), day("2026-11-29")));
        assert_eq!(runs[1], (day("2026-07-01"), day("2026-08-29")));
        assert_eq!(runs[2], (day("2025-10-01"), day("2025-11-29")));
        // The last day of a long quarter maps to the last day of a shorter one.
        let (_, runs) = periods(day("2026-06-30"));
        assert_eq!(runs[1], (day("2026-01-01"), day("2026-03-31")));
    }

    #[test]
    fn change_is_signed_with_one_decimal() {
        assert_eq!(change(Value::Count(9), Value::Count(8)), "+12.5%");
        assert_eq!(change(Value::Count(6), Value::Count(8)), "-25.0%");
        assert_eq!(change(Value::Count(3), Value::Count(0)), "—");
        assert_eq!(
            change(Value::Hundredths(150), Value::Hundredths(100)),
            "+50.0%"
        );
    }
}
