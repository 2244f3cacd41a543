//! The 低保 standards (per district, urban and rural, each with an effective date) and the
//! city-wide policy numbers, read as the `Policy` in force on a date.

use chrono::NaiveDate;
use sqlx::{Any, Row, Transaction};

use super::rules::Policy;
use crate::db::Db;
use crate::money::Fen;
use crate::region::UrbanRural;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Standard {
    pub district_code: String,
    pub area: UrbanRural,
    pub effective_from: NaiveDate,
    pub dibao_standard: Fen,
}

/// Every standard ever set, newest first within each district and area.
pub async fn all(db: &Db) -> Result<Vec<Standard>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT district_code, area, effective_from, dibao_standard FROM assistance_standards \
         ORDER BY district_code, area, effective_from DESC",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let area: String = r.try_get("area")?;
        let from: String = r.try_get("effective_from")?;
        out.push(Standard {
            district_code: r.try_get("district_code")?,
            area: UrbanRural::from_code(&area).unwrap_or(UrbanRural::Urban),
            effective_from: from.parse().unwrap_or(NaiveDate::MIN),
            dibao_standard: Fen(r.try_get("dibao_standard")?),
        });
    }
    Ok(out)
}

/// The standard in force in `district` for `area` on `on`, if one has been set.
pub async fn standard_on(
    db: &Db,
    district: &str,
    area: UrbanRural,
    on: NaiveDate,
) -> Result<Option<Fen>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT dibao_standard FROM assistance_standards WHERE district_code = $1 AND area = $2 \
         AND effective_from <= $3 ORDER BY effective_from DESC LIMIT 1",
    )
    .bind(district)
    .bind(area.code())
    .bind(on.to_string())
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get::<i64, _>(0))
    .transpose()?
    .map(Fen))
}

/// The policy in force for a community's district and area on a date: the national
/// defaults, the city's parameters in force, and the district's standard.
pub async fn policy_on(
    db: &Db,
    district: &str,
    area: UrbanRural,
    on: NaiveDate,
) -> Result<Policy, sqlx::Error> {
    let mut policy = Policy::defaults(area);
    if let Some(standard) = standard_on(db, district, area, on).await? {
        policy.dibao_standard = standard;
    }
    let rows = sqlx::query(
        "SELECT key, value FROM assistance_parameters p WHERE effective_from = \
         (SELECT MAX(effective_from) FROM assistance_parameters q WHERE q.key = p.key AND q.effective_from <= $1)",
    )
    .bind(on.to_string())
    .fetch_all(db.pool())
    .await?;
    for r in rows {
        let key: String = r.try_get("key")?;
        let value: i64 = r.try_get("value")?;
        set_parameter(&mut policy, &key, value);
    }
    Ok(policy)
}

/// Parameters the city may set, with their labels (percent unless noted).
pub const PARAMETERS: [(&str, &str); 6] = [
    ("wage_deduction_pct", "工资性收入扣减就业成本比例（%）"),
    ("asset_months", "人均金融资产上限（个月低保标准）"),
    ("floor_pct", "最低补助（低保标准的 %）"),
    ("marginal_pct", "低保边缘标准（低保标准的 %）"),
    ("tekun_pct", "特困基本生活标准（低保标准的 %）"),
    ("minimum_wage", "当地月最低工资（分）"),
];

fn set_parameter(p: &mut Policy, key: &str, value: i64) {
    match key {
        "wage_deduction_pct" => p.wage_deduction_pct = value,
        "asset_months" => p.asset_months = value,
        "floor_pct" => p.floor_pct = value,
        "marginal_pct" => p.marginal_pct = value,
        "tekun_pct" => p.tekun_pct = value,
        "minimum_wage" => p.minimum_wage = Fen(value),
        _ => {}
    }
}

/// Sets a district's standard from a date (a later date adds to the history; the same
/// date corrects it).
pub async fn set_standard(
    tx: &mut Transaction<'_, Any>,
    s: &Standard,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO assistance_standards (district_code, area, effective_from, dibao_standard, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (district_code, area, effective_from) \
         DO UPDATE SET dibao_standard = excluded.dibao_standard",
    )
    .bind(&s.district_code)
    .bind(s.area.code())
    .bind(s.effective_from.to_string())
    .bind(s.dibao_standard.0)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
