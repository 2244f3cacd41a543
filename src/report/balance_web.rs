//! The balance page (均衡分析): the city's districts side by side on each indicator, the
//! spread, the urban/rural gap, bar charts by district and the eight-quarter trend; an
//! audited Excel download and the JSON API. The analysis holds aggregates only, so every
//! reader with `report:balance:read` sees all districts, as the bureau's 通报 does.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;
use serde_json::json;

use super::balance::{Balance, show};
use super::trend::{self, Trend};
use super::{Quarter, balance_data, charts};
use crate::AppState;
use crate::audit::AuditEvent;
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::Region;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("report:balance:read");
/// Quarters in the trend charts.
pub const TREND_QUARTERS: usize = 8;

pub fn routes() -> Routes {
    Routes::new()
        .get("/reports/balance", READ, page)
        .get("/reports/balance/xlsx", READ, download)
        .get("/api/v1/reports/balance", READ, api)
}

#[derive(Deserialize, Default)]
pub struct Pick {
    #[serde(default)]
    quarter: String,
}

async fn resolve(state: &AppState, p: &Pick) -> AppResult<(Quarter, Region)> {
    let quarter = match p.quarter.trim() {
        "" => Quarter::of(state.clock.today()).previous(),
        q => q
            .parse::<Quarter>()
            .map_err(|e| AppError::Invalid(format!("季度：{e}")))?,
    };
    let city = crate::region::store::city(&state.db)
        .await?
        .ok_or_else(|| AppError::Invalid("还没有导入行政区划。".to_string()))?;
    Ok((quarter, city))
}

/// Bar charts of the districts on the indicators the bureau looks at first.
pub fn district_charts(b: &Balance) -> Vec<String> {
    let names: Vec<String> = b.districts.iter().map(|d| d.name.clone()).collect();
    let values = |key: &str| {
        b.indicators
            .iter()
            .find(|i| i.key == key)
            .map(|i| i.values.clone())
            .unwrap_or_default()
    };
    vec![
        charts::bars(
            "低保对象每千常住人口",
            "人",
            &names,
            &[
                ("城镇", values("dibao_per_1000_urban")),
                ("农村", values("dibao_per_1000_rural")),
            ],
        ),
        charts::bars(
            "低保标准",
            "元/人·月",
            &names,
            &[
                ("城市", values("dibao_standard_urban")),
                ("农村", values("dibao_standard_rural")),
            ],
        ),
        charts::bars(
            "民政工作人员每万常住人口",
            "人",
            &names,
            &[("每万人", values("staff_per_10000"))],
        ),
    ]
}

/// Line charts of the main figures over the trend's quarters.
pub fn trend_charts(t: &Trend) -> Vec<String> {
    let series = |keys: &[&'static str]| -> Vec<charts::Series<'static>> {
        keys.iter().map(|k| (trend::label(k), t.get(k))).collect()
    };
    vec![
        charts::trend(
            "低保户进出（户）",
            "户",
            &t.quarters,
            &series(&["dibao_new_households", "dibao_removed_households"]),
        ),
        charts::trend(
            "在保人数（季末）",
            "人",
            &t.quarters,
            &series(&["dibao_persons_in_force", "tekun_persons_in_force"]),
        ),
        charts::trend(
            "临时救助",
            "人次",
            &t.quarters,
            &series(&["temp_assistance_cases"]),
        ),
    ]
}

pub struct Line {
    label: &'static str,
    values: Vec<String>,
    max: String,
    min: String,
    ratio: String,
    cv: String,
    missing: &'static str,
}

#[derive(Template)]
#[template(path = "report/balance.html")]
struct BalancePage {
    page: PageCtx,
    quarter: String,
    quarters: Vec<String>,
    on: String,
    districts: Vec<String>,
    lines: Vec<Line>,
    gaps: Vec<[String; 4]>,
    without_residents: String,
    bars: Vec<String>,
    trends: Vec<String>,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Pick>,
) -> AppResult<Html<String>> {
    let (quarter, city) = resolve(&state, &p).await?;
    let (b, t) =
        balance_data::analyse_with_trend(&state.db, quarter, &city, TREND_QUARTERS).await?;
    let lines = b
        .indicators
        .iter()
        .map(|i| {
            let s = i.spread.as_ref();
            Line {
                label: i.label,
                values: i.values.iter().map(|v| show(*v)).collect(),
                max: s.map_or("—".into(), |s| {
                    format!("{:.2}（{}）", s.max, s.max_district)
                }),
                min: s.map_or("—".into(), |s| {
                    format!("{:.2}（{}）", s.min, s.min_district)
                }),
                ratio: show(s.and_then(|s| s.ratio)),
                cv: s
                    .and_then(|s| s.cv)
                    .map_or("—".into(), |v| format!("{v:.3}")),
                missing: i.missing.unwrap_or(""),
            }
        })
        .collect();
    let gaps = b
        .gaps
        .iter()
        .map(|g| {
            [
                g.label.to_string(),
                show(g.urban),
                show(g.rural),
                g.rural_to_urban.map_or("—".into(), |v| format!("{v:.3}")),
            ]
        })
        .collect();
    let mut quarters = Vec::new();
    let mut q = Quarter::of(state.clock.today());
    for _ in 0..TREND_QUARTERS {
        quarters.push(q.to_string());
        q = q.previous();
    }
    let page = PageCtx::load(
        &state,
        Some(&user),
        "balance",
        "均衡分析",
        vec![Crumb::here("均衡分析")],
    )
    .await?;
    render(BalancePage {
        page,
        quarter: quarter.to_string(),
        quarters,
        on: b.on.clone(),
        districts: b.districts.iter().map(|d| d.name.clone()).collect(),
        lines,
        gaps,
        without_residents: b.without_residents.join("、"),
        bars: district_charts(&b),
        trends: trend_charts(&t),
    })
}

async fn api(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(p): Query<Pick>,
) -> AppResult<Json<serde_json::Value>> {
    let (quarter, city) = resolve(&state, &p).await?;
    let (b, t) =
        balance_data::analyse_with_trend(&state.db, quarter, &city, TREND_QUARTERS).await?;
    Ok(Json(as_json(&b, &t)))
}

/// The analysis and the city's trend as the API and `minzheng report balance` give them.
pub fn as_json(b: &Balance, t: &Trend) -> serde_json::Value {
    let figures: serde_json::Map<String, serde_json::Value> = t
        .values
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "balance": b,
        "trend": { "quarters": t.quarters, "figures": figures },
    })
}

/// For the command line: the analysis of a quarter like `2026Q3` over the city's
/// districts, with the trend. Errors are sentences for the user.
pub async fn for_cli(db: &crate::db::Db, quarter: &str) -> Result<(Balance, Trend), String> {
    let quarter: Quarter = quarter.parse().map_err(|e| format!("--quarter：{e}"))?;
    let city = crate::region::store::city(db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "还没有导入行政区划".to_string())?;
    balance_data::analyse_with_trend(db, quarter, &city, TREND_QUARTERS)
        .await
        .map_err(|e| e.to_string())
}

async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<Pick>,
) -> AppResult<Response> {
    let (quarter, city) = resolve(&state, &p).await?;
    let b = balance_data::analyse(&state.db, quarter, &city).await?;
    let bytes = super::workbook::balance_workbook(&b).map_err(AppError::Internal)?;
    crate::audit::store::record_alone(
        &state.db,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "report.export",
            "balance_analysis",
            quarter.to_string(),
        )
        .with(json!({ "quarter": quarter.to_string() })),
    )
    .await
    .map_err(AppError::audit)?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX,
        &format!("balance-{quarter}.xlsx"),
    ))
}
