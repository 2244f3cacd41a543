//! The quarterly report on a page (quarter and region pickers, figures with the urban/rural
//! split, the region's parts side by side, the speech's section 一 filled in), as an Excel
//! download, and through the API. Everything within the user's region.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{GROUPS, Quarter, label};
use crate::AppState;
use crate::audit::AuditEvent;
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::{Region, RegionCode};
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("report:quarterly:read");

pub fn routes() -> Routes {
    Routes::new()
        .get("/reports/quarterly", READ, page)
        .get("/reports/quarterly/xlsx", READ, download)
        .get("/api/v1/reports/quarterly", READ, api)
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct Pick {
    /// e.g. 2026Q3; the last whole quarter when empty.
    #[serde(default)]
    quarter: String,
    /// A region within the user's; the user's own when empty.
    #[serde(default)]
    region: String,
}

/// The quarter and region asked for, checked against the user's region.
async fn resolve(state: &AppState, user: &CurrentUser, p: &Pick) -> AppResult<(Quarter, Region)> {
    let quarter = match p.quarter.trim() {
        "" => Quarter::of(state.clock.today()).previous(),
        q => q.parse::<Quarter>().map_err(AppError::Invalid)?,
    };
    let code = match p.region.trim() {
        "" => user.region.clone(),
        c => RegionCode::parse(c)
            .ok()
            .filter(|c| user.scope().contains(c.as_str()))
            .ok_or_else(|| AppError::Invalid(format!("区划「{c}」不存在或不在您的管辖范围内。")))?,
    };
    let region = crate::region::store::get(&state.db, code.as_str())
        .await?
        .ok_or_else(|| AppError::Invalid(format!("区划 {code} 不存在。")))?;
    Ok((quarter, region))
}

async fn reports(
    state: &AppState,
    quarter: Quarter,
    region: &Region,
) -> AppResult<super::cache::WithParts> {
    Ok(state.reports.with_parts(&state.db, quarter, region).await?)
}

pub struct Row {
    label: &'static str,
    all: String,
    urban: String,
    rural: String,
    missing: &'static str,
}

#[derive(Template)]
#[template(path = "report/quarterly.html")]
struct ReportPage {
    page: PageCtx,
    pick: Pick,
    title: String,
    groups: Vec<(&'static str, Vec<Row>)>,
    keys: Vec<&'static str>,
    parts: Vec<(String, Vec<String>)>,
    speech: String,
    download: String,
    quarters: Vec<String>,
    regions: Vec<(String, String)>,
    can_balance: bool,
    /// Program, spent in the quarter, budget, allocated, spent this year, execution rate.
    funds: Vec<[String; 6]>,
    comparison: crate::compare::report::ComparisonFigures,
}

fn show(v: Option<super::Value>) -> String {
    v.map(|v| v.text()).unwrap_or_else(|| "—".to_string())
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Pick>,
) -> AppResult<Html<String>> {
    let (quarter, region) = resolve(&state, &user, &p).await?;
    let report = reports(&state, quarter, &region).await?;
    let (whole, parts) = &*report;
    let groups = GROUPS
        .iter()
        .map(|(name, keys)| {
            let rows = keys
                .iter()
                .map(|k| Row {
                    label: label(k),
                    all: show(whole.figures.get(k)),
                    urban: show(whole.urban.get(k)),
                    rural: show(whole.rural.get(k)),
                    missing: whole
                        .missing
                        .iter()
                        .find(|m| m.key == *k)
                        .map(|m| m.reason)
                        .unwrap_or(""),
                })
                .collect();
            (*name, rows)
        })
        .collect();
    // The side-by-side table shows the figures that exist.
    let keys: Vec<&'static str> = super::KEYS
        .iter()
        .filter(|(_, s)| *s == super::Source::Assistance)
        .map(|(k, _)| *k)
        .collect();
    let parts = parts
        .iter()
        .map(|r| {
            (
                r.region_name.clone(),
                keys.iter().map(|k| show(r.figures.get(k))).collect(),
            )
        })
        .collect();
    let pick = Pick {
        quarter: quarter.to_string(),
        region: region.code.to_string(),
    };
    let download = format!(
        "/reports/quarterly/xlsx?{}",
        serde_urlencoded::to_string(&pick).unwrap_or_default()
    );
    let mut quarters = Vec::new();
    let mut q = Quarter::of(state.clock.today());
    for _ in 0..8 {
        quarters.push(q.to_string());
        q = q.previous();
    }
    let regions = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.code.level() != crate::region::Level::Community)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    let page = PageCtx::load(
        &state,
        Some(&user),
        "report",
        "季度报表",
        vec![Crumb::here("季度报表")],
    )
    .await?;
    render(ReportPage {
        page,
        title: format!(
            "{} · {}（{} 至 {}）",
            region.name,
            quarter.label(),
            whole.from,
            whole.to
        ),
        speech: super::text(whole),
        groups,
        keys: keys.iter().map(|k| label(k)).collect(),
        parts,
        download,
        can_balance: user.can("report:balance:read"),
        comparison: whole.comparison.clone(),
        funds: whole
            .funds
            .iter()
            .flatten()
            .map(|f| {
                let money = |s: &str| {
                    crate::money::Fen::parse_yuan(s)
                        .map(|f| f.to_display())
                        .unwrap_or_else(|_| s.to_string())
                };
                [
                    f.label.to_string(),
                    money(&f.spent_in_quarter),
                    money(&f.budget),
                    money(&f.allocated),
                    money(&f.spent_to_date),
                    crate::funds::model::show_rate(f.execution_rate),
                ]
            })
            .collect(),
        pick,
        quarters,
        regions,
    })
}

async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(p): Query<Pick>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let (quarter, region) = resolve(&state, &user, &p).await?;
    let report = reports(&state, quarter, &region).await?;
    let (whole, parts) = &*report;
    let balance = super::balance_for_city(&state.db, whole).await?;
    let bytes =
        super::workbook::workbook(whole, parts, balance.as_ref()).map_err(AppError::Internal)?;
    crate::audit::store::record_alone(
        &state.db,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "report.export",
            "quarterly_report",
            format!("{quarter}/{}", region.code),
        )
        .with(json!({ "quarter": quarter.to_string(), "region": region.code.to_string() })),
    )
    .await
    .map_err(AppError::audit)?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX,
        &format!("report-{quarter}-{}.xlsx", region.code),
    ))
}

async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Pick>,
) -> AppResult<Json<serde_json::Value>> {
    let (quarter, region) = resolve(&state, &user, &p).await?;
    let report = reports(&state, quarter, &region).await?;
    let (whole, parts) = &*report;
    Ok(Json(json!({ "report": whole, "parts": parts })))
}
