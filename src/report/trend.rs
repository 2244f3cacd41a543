//! The main figures over the last quarters (oldest first), for the trend charts of the
//! balance page and the leaders' dashboard.

use serde::Serialize;

use super::{Area, Quarter, Value, balance_data};
use crate::db::Db;
use crate::region::Region;

/// The figures a trend shows: flows of the quarter from the report, and stocks in force
/// on the quarter's last day.
pub const SERIES: &[(&str, &str)] = &[
    ("dibao_new_households", "新增低保户"),
    ("dibao_removed_households", "清退低保户"),
    ("temp_assistance_cases", "临时救助（人次）"),
    ("temp_assistance_amount_wan_yuan", "临时救助金额（万元）"),
    ("dibao_households_in_force", "在保低保户（季末）"),
    ("dibao_persons_in_force", "在保低保人数（季末）"),
    ("tekun_persons_in_force", "特困人员（季末）"),
];

#[derive(Clone, Debug, Serialize)]
pub struct Trend {
    pub quarters: Vec<String>,
    /// Key to one value per quarter.
    pub values: Vec<(&'static str, Vec<f64>)>,
}

impl Trend {
    pub fn get(&self, key: &str) -> Vec<Option<f64>> {
        self.values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.iter().map(|x| Some(*x)).collect())
            .unwrap_or_default()
    }
}

fn number(v: Option<Value>) -> f64 {
    match v {
        Some(Value::Count(n)) => n as f64,
        Some(Value::Hundredths(h)) => h as f64 / 100.0,
        None => 0.0,
    }
}

/// `count` quarters ending with `last`, oldest first.
pub fn span(last: Quarter, count: usize) -> Vec<Quarter> {
    let mut quarters = vec![last];
    while quarters.len() < count {
        let earlier = quarters[quarters.len() - 1].previous();
        quarters.push(earlier);
    }
    quarters.reverse();
    quarters
}

/// `count` quarters ending with `last`, over `region`'s subtree: one pass over each
/// table for the whole span, not one report per quarter.
pub async fn trend(
    db: &Db,
    region: &Region,
    last: Quarter,
    count: usize,
) -> Result<Trend, sqlx::Error> {
    let quarters = span(last, count);
    let bounds = region.code.scope().sql_bounds();
    let stocks = balance_data::in_force_at_ends(db, &quarters, &bounds).await?;
    from_stocks(db, region, &quarters, &stocks).await
}

/// The trend with the stocks at each quarter's end already read.
pub async fn from_stocks(
    db: &Db,
    region: &Region,
    quarters: &[Quarter],
    stocks: &[balance_data::Stock],
) -> Result<Trend, sqlx::Error> {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Ok(Trend {
            quarters: Vec::new(),
            values: Vec::new(),
        });
    };
    let bounds = region.code.scope().sql_bounds();
    let counted =
        super::assistance::figures(db, first.first_day(), last.last_day(), &bounds).await?;
    let mut values: Vec<(&'static str, Vec<f64>)> =
        SERIES.iter().map(|(k, _)| (*k, Vec::new())).collect();
    for (q, stock) in quarters.iter().zip(stocks) {
        let of = |program: &str| balance_data::program_total(stock, program);
        for (key, column) in values.iter_mut() {
            column.push(match *key {
                "dibao_households_in_force" => of("dibao").households as f64,
                "dibao_persons_in_force" => of("dibao").persons as f64,
                "tekun_persons_in_force" => of("tekun").persons as f64,
                figure => number(counted.value(figure, Area::All, Some(*q))),
            });
        }
    }
    Ok(Trend {
        quarters: quarters.iter().map(Quarter::to_string).collect(),
        values,
    })
}

pub fn label(key: &str) -> &'static str {
    SERIES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, l)| l)
}
