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
    pub rows: Vec<Comparison>,
}

pub async fn compare(db: &Db, region: &Region, today: NaiveDate) -> Result<Figures, sqlx::Error> {
    let current = Quarter::of(today);
    let year_before = Quarter {
        year: current.year - 1,
        number: current.number,
    };
    let now = super::quarterly(db, current, &region.code, &region.name).await?;
    let prev = super::quarterly(db, current.previous(), &region.code, &region.name).await?;
    let last = super::quarterly(db, year_before, &region.code, &region.name).await?;
    let show = |v: Option<Value>| v.map_or("—".to_string(), Value::text);
    let rows = KEYS
        .iter()
        .filter(|(_, s)| *s == Source::Assistance)
        // The amount in yuan repeats the 万元 line.
        .filter(|(k, _)| *k != "temp_assistance_amount_yuan")
        .map(|(key, _)| {
            let (n, p, l) = (
                now.figures.get(key),
                prev.figures.get(key),
                last.figures.get(key),
            );
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
        quarter: current,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
