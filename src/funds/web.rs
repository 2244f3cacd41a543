//! The funds page (资金保障): a year's budget, allocations and spending per district and
//! program, by source, with the allocation and execution rates; forms and JSON twins for
//! budgets and allocations (a district approver for the own district, the city for every
//! district); the workbook. Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{BudgetLine, Execution, NewAllocation, PROGRAMS, SOURCES, show_rate};
use super::store::{self, Allocation};
use super::summary::{self, FundsYear};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::region::web::district_in_scope;
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("funds:register:read");
const UPDATE: Access = Access::Perm("funds:register:update");

pub fn routes() -> Routes {
    Routes::new()
        .get("/funds", READ, page)
        .get("/funds/xlsx", READ, workbook)
        .post("/funds/budgets", UPDATE, set_budget)
        .post("/funds/allocations", UPDATE, add_allocation)
        .post("/funds/allocations/{id}/delete", UPDATE, delete_allocation)
        .get("/api/v1/funds", READ, api)
        .post("/api/v1/funds/budgets", UPDATE, set_budget)
        .post("/api/v1/funds/allocations", UPDATE, add_allocation)
        .post(
            "/api/v1/funds/allocations/{id}/delete",
            UPDATE,
            delete_allocation,
        )
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i32>,
}

/// The year asked for (this year when none), its funds up to today and its allocations.
async fn gather(
    state: &AppState,
    user: &CurrentUser,
    year: Option<i32>,
) -> AppResult<(FundsYear, Vec<Allocation>)> {
    let today = state.clock.today();
    let year = year
        .filter(|y| (2000..=today.year() + 1).contains(y))
        .unwrap_or(today.year());
    let districts = crate::region::store::districts_for(&state.db, &user.region).await?;
    // A district user sees the own district's funds whatever the level of the account.
    let bounds = match districts.as_slice() {
        [one] => one.code.scope().sql_bounds(),
        _ => user.scope_bounds(),
    };
    let funds = summary::year(&state.db, year, today, &districts, &bounds).await?;
    let allocations = store::allocations(&state.db, year, &bounds).await?;
    Ok((funds, allocations))
}

/// One line of a table on the page: the amounts as the page prints them.
struct Row {
    name: String,
    budget: String,
    allocated: String,
    spent: String,
    balance: String,
    allocation_rate: String,
    execution_rate: String,
    /// Execution under half of what arrived, late in the year: worth a look.
    slow: bool,
}

fn row(name: String, e: &Execution, month: u32) -> Row {
    Row {
        name,
        budget: e.budget.to_display(),
        allocated: e.allocated.to_display(),
        spent: e.spent.to_display(),
        balance: e.balance().to_display(),
        allocation_rate: show_rate(e.allocation_rate()),
        execution_rate: show_rate(e.execution_rate()),
        slow: month >= 10 && e.execution_rate().is_some_and(|r| r < 50.0),
    }
}

struct DistrictView {
    name: String,
    code: String,
    rows: Vec<Row>,
    total: Row,
    /// (program label, source label, budget, allocated) for the by-source table.
    sources: Vec<(&'static str, &'static str, String, String)>,
}

struct AllocationView {
    id: i64,
    district: String,
    program: &'static str,
    source: &'static str,
    amount: String,
    allocated_on: String,
    document_no: String,
    created_by: String,
}

#[derive(Template)]
#[template(path = "funds/index.html")]
struct FundsPage {
    page: PageCtx,
    year: i32,
    until: String,
    programs: Vec<Row>,
    total: Row,
    districts: Vec<DistrictView>,
    allocations: Vec<AllocationView>,
    district_options: Vec<(String, String)>,
    program_options: Vec<(&'static str, &'static str)>,
    source_options: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    notice: String,
    years: Vec<i32>,
}

async fn view(
    state: &AppState,
    user: &CurrentUser,
    year: Option<i32>,
    notice: String,
) -> AppResult<Html<String>> {
    let (funds, allocations) = gather(state, user, year).await?;
    let today = state.clock.today();
    // Rates are judged late in the year only for the current year; past years are closed.
    let month = if funds.year == today.year() {
        today.month()
    } else {
        12
    };
    let name_of = |code: &str| {
        funds
            .districts
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    };
    let page = PageCtx::load(
        state,
        Some(user),
        "funds",
        "资金保障",
        vec![Crumb::here("资金保障")],
    )
    .await?;
    render(FundsPage {
        page,
        year: funds.year,
        until: funds.until.clone(),
        programs: funds
            .programs
            .iter()
            .map(|p| row(p.label.to_string(), &p.execution, month))
            .collect(),
        total: row("合计".to_string(), &funds.total, month),
        districts: funds
            .districts
            .iter()
            .map(|d| DistrictView {
                name: d.name.clone(),
                code: d.code.clone(),
                rows: d
                    .programs
                    .iter()
                    .map(|p| row(p.label.to_string(), &p.execution, month))
                    .collect(),
                total: row("合计".to_string(), &d.total, month),
                sources: d
                    .programs
                    .iter()
                    .flat_map(|p| {
                        p.by_source
                            .iter()
                            .filter(|s| s.budget.0 != 0 || s.allocated.0 != 0)
                            .map(|s| {
                                (
                                    p.label,
                                    s.label,
                                    s.budget.to_display(),
                                    s.allocated.to_display(),
                                )
                            })
                    })
                    .collect(),
            })
            .collect(),
        allocations: allocations
            .iter()
            .rev()
            .map(|a| AllocationView {
                id: a.id,
                district: name_of(&a.district_code),
                program: a.program.label(),
                source: a.source.label(),
                amount: a.amount.to_display(),
                allocated_on: a.allocated_on.clone(),
                document_no: a.document_no.clone(),
                created_by: a.created_by.clone(),
            })
            .collect(),
        district_options: funds
            .districts
            .iter()
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect(),
        program_options: PROGRAMS.iter().map(|p| (p.code(), p.label())).collect(),
        source_options: SOURCES.iter().map(|s| (s.code(), s.label())).collect(),
        can_edit: user.can("funds:register:update"),
        notice,
        years: (today.year() - 4..=today.year() + 1).rev().collect(),
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<YearQuery>,
) -> AppResult<Html<String>> {
    view(&state, &user, q.year, String::new()).await
}

fn execution_json(e: &Execution) -> Value {
    json!({
        "budget": e.budget.to_yuan_string(),
        "allocated": e.allocated.to_yuan_string(),
        "spent": e.spent.to_yuan_string(),
        "balance": e.balance().to_yuan_string(),
        "allocation_rate": e.allocation_rate(),
        "execution_rate": e.execution_rate(),
    })
}

fn programs_json(programs: &[summary::ProgramFunds]) -> Vec<Value> {
    programs
        .iter()
        .map(|p| {
            json!({
                "program": p.program,
                "label": p.label,
                "execution": execution_json(&p.execution),
                "by_source": p.by_source.iter().map(|s| json!({
                    "source": s.source,
                    "label": s.label,
                    "budget": s.budget.to_yuan_string(),
                    "allocated": s.allocated.to_yuan_string(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// Amounts in yuan strings with two decimals (exact), rates in percent with one decimal.
async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Value>> {
    let (funds, allocations) = gather(&state, &user, q.year).await?;
    Ok(Json(json!({
        "year": funds.year,
        "until": funds.until,
        "total": execution_json(&funds.total),
        "programs": programs_json(&funds.programs),
        "districts": funds.districts.iter().map(|d| json!({
            "code": d.code,
            "name": d.name,
            "total": execution_json(&d.total),
            "programs": programs_json(&d.programs),
        })).collect::<Vec<_>>(),
        "allocations": allocations.iter().map(allocation_json).collect::<Vec<_>>(),
    })))
}

fn allocation_json(a: &Allocation) -> Value {
    json!({
        "id": a.id,
        "year": a.year,
        "district_code": a.district_code,
        "program": a.program,
        "source": a.source,
        "amount": a.amount.to_yuan_string(),
        "allocated_on": a.allocated_on,
        "document_no": a.document_no,
        "created_by": a.created_by,
        "created_at": a.created_at,
    })
}

/// After a stored change: the page of that year with the message, or JSON with it.
async fn finish(
    state: &AppState,
    user: &CurrentUser,
    json: bool,
    year: i32,
    message: String,
    mut body: Value,
) -> AppResult<Response> {
    if json {
        body["message"] = Value::String(message);
        return Ok(Json(body).into_response());
    }
    Ok(view(state, user, Some(year), message)
        .await?
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BudgetForm {
    #[schema(example = "369902")]
    district_code: String,
    #[schema(example = 2026)]
    year: Value,
    program: String,
    source: String,
    amount: Value,
}

async fn set_budget(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<BudgetForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let district = district_in_scope(&state, &user, &form.district_code).await?;
    let line = BudgetLine::parse(
        &typed(&form.year),
        &form.program,
        &form.source,
        &typed(&form.amount),
        state.clock.today(),
    )
    .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let before = store::set_budget(
        &mut tx,
        district.code.as_str(),
        &line,
        &user.username,
        &now.to_rfc3339(),
    )
    .await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "funds.budget.set",
        "fund_budgets",
        format!(
            "{}/{}/{}/{}",
            line.year,
            district.code,
            line.program.code(),
            line.source.code()
        ),
    )
    .with(json!({
        "before": before.map(Fen::to_yuan_string),
        "after": line.amount.to_yuan_string(),
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已保存：{} {} 年{}预算（{}）{} 元{}。",
        district.name,
        line.year,
        line.program.label(),
        line.source.label(),
        line.amount.to_display(),
        before
            .map(|b| format!("，原为 {} 元", b.to_display()))
            .unwrap_or_default()
    );
    finish(
        &state,
        &user,
        json,
        line.year,
        message,
        json!({
            "district_code": district.code.to_string(),
            "year": line.year,
            "program": line.program,
            "source": line.source,
            "amount": line.amount.to_yuan_string(),
        }),
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AllocationForm {
    #[schema(example = "369902")]
    district_code: String,
    #[schema(example = 2026)]
    year: Value,
    program: String,
    source: String,
    amount: Value,
    #[schema(format = Date, example = "2026-11-02")]
    allocated_on: String,
    document_no: String,
}

async fn add_allocation(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<AllocationForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let district = district_in_scope(&state, &user, &form.district_code).await?;
    let a = NewAllocation::parse(
        &typed(&form.year),
        &form.program,
        &form.source,
        &typed(&form.amount),
        &form.allocated_on,
        &form.document_no,
        state.clock.today(),
    )
    .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let id = store::add_allocation(
        &mut tx,
        district.code.as_str(),
        &a,
        &user.username,
        &now.to_rfc3339(),
    )
    .await?;
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "funds.allocation.add",
        "fund_allocations",
        id.to_string(),
    )
    .with(json!({
        "district_code": district.code.to_string(),
        "year": a.year,
        "program": a.program.code(),
        "source": a.source.code(),
        "amount": a.amount.to_yuan_string(),
        "allocated_on": a.allocated_on.to_string(),
        "document_no": a.document_no,
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记：{} {} {}资金（{}）{} 元，文号 {}。",
        district.name,
        a.allocated_on,
        a.program.label(),
        a.source.label(),
        a.amount.to_display(),
        a.document_no
    );
    finish(
        &state,
        &user,
        json,
        a.year,
        message,
        json!({
            "id": id,
            "district_code": district.code.to_string(),
            "year": a.year,
            "program": a.program,
            "source": a.source,
            "amount": a.amount.to_yuan_string(),
            "allocated_on": a.allocated_on.to_string(),
            "document_no": a.document_no,
        }),
    )
    .await
}

/// Removes an allocation entered by mistake (the district's own, or any for the city);
/// the audit record keeps what it was.
async fn delete_allocation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { json, .. }: FormOrJson<serde_json::Map<String, Value>>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let mut tx = state.db.begin().await?;
    let gone = store::delete_allocation(&mut tx, id)
        .await?
        .filter(|a| user.scope().contains(&a.district_code))
        .ok_or_else(|| AppError::NotFound("该资金下达记录".to_string()))?;
    let event = AuditEvent::new(
        state.clock.now_local(),
        &ctx.actor(),
        "funds.allocation.delete",
        "fund_allocations",
        id.to_string(),
    )
    .with(json!({ "before": allocation_json(&gone) }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已删除：{} {}资金 {} 元（文号 {}）。",
        gone.allocated_on,
        gone.program.label(),
        gone.amount.to_display(),
        gone.document_no
    );
    finish(
        &state,
        &user,
        json,
        gone.year,
        message,
        json!({ "deleted": id }),
    )
    .await
}

async fn workbook(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let (funds, allocations) = gather(&state, &user, q.year).await?;
    let bytes = super::workbook::workbook(&funds, &allocations).map_err(AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "funds.export",
            "fund_budgets",
            funds.year.to_string(),
        )
        .with(json!({ "year": funds.year, "until": funds.until })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX,
        &format!("funds-{}.xlsx", funds.year),
    ))
}
