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

/// A policy number the city may set: its key, label, national default, and the range a
/// value must be in. Money parameters (`YUAN`) are entered in yuan and kept in fen.
pub struct Parameter {
    pub key: &'static str,
    pub label: &'static str,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

const fn param(
    key: &'static str,
    label: &'static str,
    default: i64,
    min: i64,
    max: i64,
) -> Parameter {
    Parameter {
        key,
        label,
        default,
        min,
        max,
    }
}

/// Parameters entered in yuan and kept in fen.
const YUAN: &[&str] = &[
    "minimum_wage",
    "vehicle_value_limit",
    "business_capital_limit",
];

pub fn in_yuan(key: &str) -> bool {
    YUAN.contains(&key)
}

pub const PARAMETERS: &[Parameter] = &[
    param(
        "wage_deduction_pct",
        "工资性收入扣减就业成本比例（%）",
        20,
        0,
        50,
    ),
    param(
        "asset_months",
        "人均金融资产上限（个月低保标准）",
        24,
        1,
        120,
    ),
    param("floor_pct", "最低补助（低保标准的 %）", 10, 0, 100),
    param(
        "marginal_pct",
        "低保边缘标准（低保标准的 %）",
        150,
        100,
        300,
    ),
    param(
        "tekun_pct",
        "特困基本生活标准（低保标准的 %）",
        130,
        100,
        300,
    ),
    param("minimum_wage", "当地月最低工资（元）", 2000, 500, 10_000),
    param(
        "decision_days",
        "受理后作出决定的期限（工作日）",
        30,
        1,
        120,
    ),
    param("extended_days", "延期后的期限（工作日）", 45, 1, 180),
    param("notice_days", "公示期（天）", 7, 1, 30),
    param(
        "advance_completion_days",
        "先行救助补齐材料期限（工作日）",
        5,
        1,
        30,
    ),
    param("gradual_months", "渐退期（月）", 6, 0, 6),
    param(
        "vehicle_value_limit",
        "可保留的车辆价值上限（元，0 为有车即不符合）",
        0,
        0,
        200_000,
    ),
    param(
        "business_capital_limit",
        "经营性资产（注册资本）上限（元）",
        100_000,
        0,
        10_000_000,
    ),
    param(
        "addon_aged_60_79_pct",
        "分类施保：60–79 岁老年人（%）",
        10,
        0,
        100,
    ),
    param(
        "addon_aged_80_pct",
        "分类施保：80 岁以上老年人（%）",
        20,
        0,
        100,
    ),
    param(
        "addon_disability_1_2_pct",
        "分类施保：一、二级残疾人（%）",
        30,
        0,
        100,
    ),
    param(
        "addon_disability_3_4_pct",
        "分类施保：三、四级残疾人（%）",
        15,
        0,
        100,
    ),
    param("addon_minor_pct", "分类施保：未成年人（%）", 10, 0, 100),
    param(
        "addon_serious_illness_pct",
        "分类施保：重病患者（%）",
        20,
        0,
        100,
    ),
    param(
        "care_full_pct",
        "特困照料护理补贴：全自理（最低工资的 %）",
        5,
        0,
        100,
    ),
    param(
        "care_partial_pct",
        "特困照料护理补贴：半失能（最低工资的 %）",
        30,
        0,
        100,
    ),
    param(
        "care_none_pct",
        "特困照料护理补贴：全失能（最低工资的 %）",
        60,
        0,
        100,
    ),
    param(
        "temp_street_months",
        "临时救助：街道（乡镇）可审批的月数",
        3,
        1,
        24,
    ),
    param(
        "temp_district_months",
        "临时救助：区县可审批的月数",
        6,
        1,
        24,
    ),
    param("temp_advance_months", "临时救助：先行救助最多月数", 1, 1, 6),
];

/// Each parameter with the value in force on `on` (the default when never set), and
/// its history, newest first.
pub async fn parameters_on(
    db: &Db,
    on: NaiveDate,
) -> Result<Vec<(&'static Parameter, i64, Vec<(String, i64)>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT key, effective_from, value FROM assistance_parameters ORDER BY effective_from DESC",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for p in PARAMETERS {
        let mut history = Vec::new();
        for r in &rows {
            if r.try_get::<String, _>("key")? == p.key {
                let mut value: i64 = r.try_get("value")?;
                if in_yuan(p.key) {
                    value /= 100;
                }
                history.push((r.try_get::<String, _>("effective_from")?, value));
            }
        }
        let current = history
            .iter()
            .find(|(from, _)| from.as_str() <= on.to_string().as_str())
            .map(|(_, v)| *v)
            .unwrap_or(p.default);
        out.push((p, current, history));
    }
    Ok(out)
}

/// Sets a parameter from a date (the same date corrects it). `value` is as entered
/// (yuan for the minimum wage).
pub async fn set_parameter_value(
    tx: &mut Transaction<'_, Any>,
    key: &str,
    from: NaiveDate,
    value: i64,
    now: &str,
) -> Result<(), sqlx::Error> {
    let stored = if in_yuan(key) { value * 100 } else { value };
    sqlx::query(
        "INSERT INTO assistance_parameters (key, effective_from, value, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key, effective_from) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(from.to_string())
    .bind(stored)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn set_parameter(p: &mut Policy, key: &str, value: i64) {
    match key {
        "wage_deduction_pct" => p.wage_deduction_pct = value,
        "asset_months" => p.asset_months = value,
        "floor_pct" => p.floor_pct = value,
        "marginal_pct" => p.marginal_pct = value,
        "tekun_pct" => p.tekun_pct = value,
        "minimum_wage" => p.minimum_wage = Fen(value),
        "vehicle_value_limit" => p.vehicle_value_limit = Fen(value),
        "business_capital_limit" => p.business_capital_limit = Fen(value),
        "addon_aged_60_79_pct" => p.addon_aged_60_79_pct = value,
        "addon_aged_80_pct" => p.addon_aged_80_pct = value,
        "addon_disability_1_2_pct" => p.addon_disability_1_2_pct = value,
        "addon_disability_3_4_pct" => p.addon_disability_3_4_pct = value,
        "addon_minor_pct" => p.addon_minor_pct = value,
        "addon_serious_illness_pct" => p.addon_serious_illness_pct = value,
        "care_full_pct" => p.care_full_pct = value,
        "care_partial_pct" => p.care_partial_pct = value,
        "care_none_pct" => p.care_none_pct = value,
        "temp_street_months" => p.temp_street_months = value,
        "temp_district_months" => p.temp_district_months = value,
        "temp_advance_months" => p.temp_advance_months = value,
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
