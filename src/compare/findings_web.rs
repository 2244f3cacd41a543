//! The findings queue (scoped to the user's region, filtered, exported as XLSX) and a
//! finding beside the household's declared data, with take / confirm / dismiss.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::findings::{self, Filter, Finding, FindingStatus};
use super::rules::RULES;
use super::sources::{SOURCES, Source};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("compare:finding:read");
const RESOLVE: Access = Access::Perm("compare:finding:resolve");

/// Findings on one page of the queue (the XLSX has them all, up to `EXPORT_LIMIT`).
const PAGE: i64 = 200;
const EXPORT_LIMIT: i64 = 100_000;

pub fn routes() -> Routes {
    Routes::new()
        .get("/compare/findings", READ, queue_page)
        .get("/compare/findings/xlsx", READ, queue_xlsx)
        .get("/compare/findings/{id}", READ, finding_page)
        .post("/compare/findings/{id}/take", RESOLVE, take)
        .post("/compare/findings/{id}/resolve", RESOLVE, resolve)
        .get("/api/v1/compare/findings", READ, api_queue)
        .get("/api/v1/compare/findings/{id}", READ, api_finding)
        .post("/api/v1/compare/findings/{id}/take", RESOLVE, take)
        .post("/api/v1/compare/findings/{id}/resolve", RESOLVE, resolve)
}

#[derive(Template)]
#[template(path = "compare/findings.html")]
struct QueuePage {
    page: PageCtx,
    /// Each finding with its community's name.
    findings: Vec<(Finding, String)>,
    counts: Vec<(&'static str, &'static str, i64)>,
    filter: Filter,
    sources: Vec<(&'static str, &'static str)>,
    rules: Vec<(&'static str, &'static str)>,
    download: String,
    total: i64,
    /// This page, the last page, and the links to the pages before and after.
    paging: (i64, i64, Option<String>, Option<String>),
}

/// Checks the filter and turns labels (待核查, 车管车辆) into the codes stored.
fn check_filter(filter: &mut Filter) -> AppResult<()> {
    if !filter.status.is_empty() {
        filter.status = FindingStatus::parse(&filter.status)
            .ok_or_else(|| AppError::Invalid(format!("「状态」「{}」无法识别。", filter.status)))?
            .code()
            .to_string();
    }
    if !filter.source.is_empty() && filter.source != "system" {
        filter.source = Source::parse(&filter.source)
            .ok_or_else(|| AppError::Invalid(format!("「来源」「{}」无法识别。", filter.source)))?
            .code()
            .to_string();
    }
    if !filter.rule.is_empty() && super::rules::Rule::parse(&filter.rule).is_none() {
        return Err(AppError::Invalid(format!(
            "「疑点类型」「{}」无法识别。",
            filter.rule
        )));
    }
    Ok(())
}

async fn queue_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut filter): Query<Filter>,
) -> AppResult<Html<String>> {
    check_filter(&mut filter)?;
    let bounds = user.scope_bounds();
    let (found, total) = findings::list(&state.db, &bounds, &filter, PAGE).await?;
    let counts = findings::counts(&state.db, &bounds)
        .await?
        .into_iter()
        .map(|(s, n)| (s.code(), s.label(), n))
        .collect();
    let this = crate::web::paging::page(filter.page);
    let last = ((total + PAGE - 1) / PAGE).max(1);
    let link = |page: i64| {
        let mut f = filter.clone();
        f.page = Some(page);
        format!(
            "/compare/findings?{}",
            serde_urlencoded::to_string(&f).unwrap_or_default()
        )
    };
    let paging = (
        this,
        last,
        (this > 1).then(|| link(this - 1)),
        (this < last).then(|| link(this + 1)),
    );
    filter.page = None;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "compare_findings",
        "比对疑点",
        vec![Crumb::here("比对疑点")],
    )
    .await?;
    let names = community_names(&state, &user).await?;
    render(QueuePage {
        page,
        findings: found
            .into_iter()
            .map(|f| {
                let community = names.get(&f.region_code).cloned().unwrap_or_default();
                (f, community)
            })
            .collect(),
        counts,
        download: format!(
            "/compare/findings/xlsx?{}",
            serde_urlencoded::to_string(&filter).unwrap_or_default()
        ),
        filter,
        sources: SOURCES.iter().map(|s| (s.code(), s.label())).collect(),
        rules: RULES.iter().map(|r| (r.code(), r.label())).collect(),
        total,
        paging,
    })
}

/// Community names, as caseworkers know them (not 12-digit codes).
async fn community_names(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .map(|r| (r.code.to_string(), r.name))
        .collect())
}

async fn api_queue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut filter): Query<Filter>,
) -> AppResult<Json<Value>> {
    check_filter(&mut filter)?;
    let bounds = user.scope_bounds();
    let (found, total) = findings::list(&state.db, &bounds, &filter, PAGE).await?;
    let counts: serde_json::Map<String, Value> = findings::counts(&state.db, &bounds)
        .await?
        .into_iter()
        .map(|(s, n)| (s.code().to_string(), json!(n)))
        .collect();
    Ok(Json(json!({
        "counts": counts,
        "total": total,
        "page": crate::web::paging::page(filter.page),
        "page_size": PAGE,
        "findings": found,
    })))
}

async fn queue_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(mut filter): Query<Filter>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    check_filter(&mut filter)?;
    filter.page = None;
    let (found, total) =
        findings::list(&state.db, &user.scope_bounds(), &filter, EXPORT_LIMIT).await?;
    if total > EXPORT_LIMIT {
        return Err(AppError::Invalid(format!(
            "符合条件的疑点有 {total} 条，超过一次导出的上限 {EXPORT_LIMIT} 条：请按状态、来源或疑点类型筛选后分批导出。"
        )));
    }
    let names = community_names(&state, &user).await?;
    let heads = [
        "编号",
        "状态",
        "疑点类型",
        "来源",
        "姓名",
        "社区",
        "社区代码",
        "案件",
        "匹配",
        "得分",
        "匹配依据",
        "情况",
        "核查结果",
        "办理人",
        "发现时间",
        "最近比对",
    ];
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|f| {
            vec![
                f.id.to_string(),
                f.status_label.to_string(),
                f.rule_label.to_string(),
                f.source_label.to_string(),
                f.person_name.clone(),
                names.get(&f.region_code).cloned().unwrap_or_default(),
                f.region_code.clone(),
                f.case_id.map(|c| c.to_string()).unwrap_or_default(),
                f.match_kind.clone(),
                f.score.to_string(),
                f.match_reasons.clone(),
                f.detail.clone(),
                f.result.clone().unwrap_or_default(),
                f.resolved_by
                    .clone()
                    .or(f.taken_by.clone())
                    .unwrap_or_default(),
                f.created_at.clone(),
                if f.stale { "未再发现" } else { "" }.to_string(),
            ]
        })
        .collect();
    let bytes =
        crate::ledger::write_ledger("比对疑点.xlsx", &heads, &rows).map_err(AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "compare.findings.export",
            "compare_findings",
            "query",
        )
        .with(json!({ "filter": filter, "rows": rows.len() })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX,
        "compare-findings.xlsx",
    ))
}

async fn finding_in_scope(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Finding> {
    let what = || format!("疑点 {id}");
    let mut f = findings::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&f.region_code, what)?;
    findings::mark_stale(&state.db, std::slice::from_mut(&mut f)).await?;
    Ok(f)
}

/// What the household declared, beside the evidence.
#[derive(Default, serde::Serialize)]
struct Declared {
    members: Vec<(String, String)>,
    assets: Vec<(String, String, String)>,
    incomes: Vec<(String, String, String)>,
}

async fn declared(state: &AppState, household: Option<i64>) -> AppResult<Declared> {
    let Some(h) = household else {
        return Ok(Declared::default());
    };
    let pool = state.db.pool();
    let members =
        sqlx::query("SELECT name, relation FROM members WHERE household_id = $1 ORDER BY id")
            .bind(h)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
    let asset_label = |k: &str| match k {
        "financial" => "存款、有价证券",
        "vehicle" => "机动车",
        "home" => "住房",
        "commercial" => "商业用房",
        "business" => "企业任职或持股",
        _ => "其他",
    };
    let assets = sqlx::query(
        "SELECT kind, detail, value FROM household_assets WHERE household_id = $1 ORDER BY id",
    )
    .bind(h)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok((
            asset_label(&r.try_get::<String, _>(0)?).to_string(),
            r.try_get(1)?,
            crate::money::Fen(r.try_get(2)?).to_display(),
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    let incomes = sqlx::query(
        "SELECT m.name, i.item, i.monthly FROM member_incomes i JOIN members m ON m.id = i.member_id \
         WHERE m.household_id = $1 ORDER BY i.id",
    )
    .bind(h)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get(0)?,
            r.try_get(1)?,
            crate::money::Fen(r.try_get(2)?).to_display(),
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    Ok(Declared {
        members,
        assets,
        incomes,
    })
}

#[derive(Template)]
#[template(path = "compare/finding.html")]
struct FindingPage {
    page: PageCtx,
    f: Finding,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    declared: Declared,
    can_take: bool,
    can_resolve: bool,
    notice: String,
}

fn evidence_table(f: &Finding) -> (Vec<String>, Vec<Vec<String>>) {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    let columns = f
        .evidence
        .get("columns")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(text).collect())
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = f
        .evidence
        .get("rows")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .map(|c| c.iter().map(text).collect())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    // Stored masked already (see `run::judge`).
    (columns, rows)
}

async fn finding_view(
    state: &AppState,
    user: &CurrentUser,
    f: Finding,
    notice: String,
) -> AppResult<Html<String>> {
    let (columns, rows) = evidence_table(&f);
    let title = format!("疑点 {}：{}", f.id, f.rule_label);
    let page = PageCtx::load(
        state,
        Some(user),
        "compare_findings",
        &title,
        vec![
            Crumb::link("比对疑点", "/compare/findings"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    let open = f.status == FindingStatus::Pending
        || (f.status == FindingStatus::Verifying && f.taken_by.as_deref() == Some(&user.username));
    render(FindingPage {
        page,
        declared: declared(state, f.household_id).await?,
        can_take: user.can("compare:finding:resolve") && f.status == FindingStatus::Pending,
        can_resolve: user.can("compare:finding:resolve") && open,
        columns,
        rows,
        f,
        notice,
    })
}

async fn finding_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let f = finding_in_scope(&state, &user, id).await?;
    finding_view(&state, &user, f, String::new()).await
}

async fn api_finding(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let f = finding_in_scope(&state, &user, id).await?;
    let declared = declared(&state, f.household_id).await?;
    let (columns, rows) = evidence_table(&f);
    Ok(Json(json!({
        "finding": f,
        "evidence": { "columns": columns, "rows": rows },
        "declared": declared,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TakeForm {
    version: i64,
}

async fn take(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<TakeForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    finding_in_scope(&state, &user, id).await?;
    let mut tx = state.db.begin().await?;
    if !findings::take(&mut tx, id, form.version, &user.username).await? {
        return Err(AppError::Conflict(
            "这条疑点已被他人领取或办理，请刷新后查看。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "compare.finding.take",
            "compare_finding",
            id.to_string(),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let f = finding_in_scope(&state, &user, id).await?;
    if json {
        return Ok(Json(json!({ "finding": f })).into_response());
    }
    Ok(
        finding_view(&state, &user, f, "已领取，状态为「核查中」。".to_string())
            .await?
            .into_response(),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResolveForm {
    version: i64,
    /// confirm (属实) or dismiss (不属实).
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    result: String,
}

async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<ResolveForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let f = finding_in_scope(&state, &user, id).await?;
    let confirm = match form.outcome.as_str() {
        "confirm" | "属实" => true,
        "dismiss" | "不属实" => false,
        _ => {
            return Err(AppError::Invalid(
                "请选择「核查结论」：属实或不属实。".to_string(),
            ));
        }
    };
    // A finding someone has taken is theirs to conclude: two caseworkers verifying the
    // same person would act on the case twice.
    if let (FindingStatus::Verifying, Some(taker)) = (f.status, &f.taken_by)
        && *taker != user.username
    {
        return Err(AppError::Conflict(format!(
            "这条疑点已由 {taker} 领取核查，由其办结；如需转交，请联系 {taker}。"
        )));
    }
    let result = form.result.trim();
    if result.is_empty() || result.chars().count() > 500 {
        return Err(AppError::Invalid(if confirm {
            "请填写「核查结果」（核实了什么、怎样核实的），不超过 500 字。".to_string()
        } else {
            "认定不属实须写明「理由」（如：车辆已于 2025 年过户，有过户凭证），不超过 500 字。"
                .to_string()
        }));
    }
    let now = state.clock.now_local();
    let today = state.clock.today().to_string();
    let mut tx = state.db.begin().await?;
    let effect = findings::resolve(
        &mut tx,
        &f,
        form.version,
        confirm,
        result,
        (&user.username, &now.to_rfc3339(), &today),
    )
    .await?
    .ok_or_else(|| AppError::Conflict("这条疑点已被他人修改或办结，请刷新后查看。".to_string()))?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "compare.finding.resolve",
            "compare_finding",
            id.to_string(),
        )
        .with(json!({
            "outcome": if confirm { "confirmed" } else { "dismissed" },
            "result": result,
            "case_id": f.case_id,
            "effect": effect,
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let f = finding_in_scope(&state, &user, id).await?;
    if json {
        return Ok(Json(json!({ "finding": f, "effect": effect })).into_response());
    }
    let mut notice = format!(
        "已认定{}。",
        if confirm {
            "属实"
        } else {
            "不属实，同一证据不再提示"
        }
    );
    if let Some(on) = &effect.stopped_on {
        notice.push_str(&format!("案件已自 {on}（死亡日期）停保"));
        match effect.recovery_id {
            Some(_) => notice.push_str("，此后各月已发放的金额已立案追回（见「异常发放」）。"),
            None => notice.push_str("，此后没有已发放的月份需要追回。"),
        }
    }
    let status_label =
        |code: &str| crate::assistance::workflow::Status::from_code(code).map_or("", |s| s.label());
    if let Some(status) = &effect.noted_on_application {
        notice.push_str(&format!(
            "案件尚在审批中（{}），核查结果已记入案件经过，调查和审核时会看到。",
            status_label(status)
        ));
    }
    if let Some(status) = &effect.case_closed {
        notice.push_str(&format!(
            "案件已结束（{}），没有需要变更的。",
            status_label(status)
        ));
    }
    if let Some(on) = &effect.review_due {
        notice.push_str(&format!(
            "案件已列入复核（应复核日期 {on}），请到案件页办理复核。"
        ));
    }
    Ok(finding_view(&state, &user, f, notice)
        .await?
        .into_response())
}
