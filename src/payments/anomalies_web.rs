//! The fund-supervision queue (异常发放) and the recoveries (追回): pages and API. Each
//! task is resolved with a written result; confirming a payment after a case ended opens
//! the recovery of the months paid after it.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::Months;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::anomalies::{self, Anomaly, Recovery};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("payment:payroll:read");
const RESOLVE: Access = Access::Perm("payment:anomaly:resolve");

pub fn routes() -> Routes {
    Routes::new()
        .get("/payments/anomalies", READ, page)
        .post("/payments/anomalies/check", RESOLVE, check)
        .post("/payments/anomalies/{id}/resolve", RESOLVE, resolve)
        .post("/payments/recoveries/{id}", RESOLVE, progress)
        .get("/api/v1/payment-anomalies", READ, api)
        .post("/api/v1/payment-anomalies/check", RESOLVE, check)
        .post("/api/v1/payment-anomalies/{id}/resolve", RESOLVE, resolve)
        .post("/api/v1/payment-recoveries/{id}", RESOLVE, progress)
}

#[derive(Template)]
#[template(path = "payments/anomalies.html")]
struct QueuePage {
    page: PageCtx,
    open: Vec<Anomaly>,
    resolved: Vec<Anomaly>,
    recoveries: Vec<Recovery>,
    can_resolve: bool,
    notice: String,
}

async fn view(state: &AppState, user: &CurrentUser, notice: String) -> AppResult<Html<String>> {
    let bounds = user.scope_bounds();
    let (open, resolved): (Vec<Anomaly>, Vec<Anomaly>) = anomalies::queue(&state.db, &bounds)
        .await?
        .into_iter()
        .partition(|a| a.status == "open");
    let page = PageCtx::load(
        state,
        Some(user),
        "anomalies",
        "异常发放与追回",
        vec![
            Crumb::link("资金发放", "/payments"),
            Crumb::here("异常发放与追回"),
        ],
    )
    .await?;
    render(QueuePage {
        page,
        open,
        resolved,
        recoveries: anomalies::recoveries(&state.db, &bounds).await?,
        can_resolve: user.can("payment:anomaly:resolve"),
        notice,
    })
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    view(&state, &user, String::new()).await
}

async fn api(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    let bounds = user.scope_bounds();
    Ok(Json(json!({
        "anomalies": anomalies::queue(&state.db, &bounds).await?,
        "recoveries": anomalies::recoveries(&state.db, &bounds).await?,
    })))
}

/// Runs every rule over the payments of the last twelve months.
async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { json, .. }: FormOrJson<serde_json::Map<String, Value>>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let now = state.clock.now_local();
    let from = state
        .clock
        .today()
        .checked_sub_months(Months::new(12))
        .unwrap_or(state.clock.today())
        .format("%Y-%m")
        .to_string();
    let mut tx = state.db.begin().await?;
    let raised = anomalies::detect(
        &mut tx,
        &anomalies::Scope::Since(from.clone(), user.scope_bounds()),
        &now.to_rfc3339(),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "payment.check",
            "payment_anomalies",
            from.clone(),
        )
        .with(json!({ "from_month": from, "raised": raised })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("核查完成：{from} 以来的发放，新发现 {raised} 条异常。");
    if json {
        return Ok(Json(json!({ "raised": raised, "message": message })).into_response());
    }
    Ok(view(&state, &user, message).await?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResolveForm {
    /// confirm (属实) or dismiss (不属实).
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
    let a = anomalies::get(&state.db, id)
        .await?
        .filter(|a| user.scope().contains(&a.district_code))
        .ok_or_else(|| AppError::NotFound("这条异常".to_string()))?;
    let confirmed = match form.outcome.as_str() {
        "confirm" => true,
        "dismiss" => false,
        _ => {
            return Err(AppError::Invalid(
                "「核查结论」应为属实（confirm）或不属实（dismiss）。".to_string(),
            ));
        }
    };
    let result = form.result.trim();
    if result.is_empty() {
        return Err(AppError::Invalid(
            "请填写「核查结果」：查了什么、结论是什么。".to_string(),
        ));
    }
    let now = state.clock.now_local();
    let at = now.to_rfc3339();
    let mut tx = state.db.begin().await?;
    if !anomalies::resolve(&mut tx, id, confirmed, result, (&user.username, &at)).await? {
        return Err(AppError::Conflict("这条异常已经处理过了。".to_string()));
    }
    // A payment after the case ended, confirmed: recover every month paid after it.
    let mut recovery = None;
    if confirmed && matches!(a.rule.as_str(), "paid_after_death" | "paid_after_exit") {
        let ended: Option<String> = sqlx::query("SELECT exited_on FROM cases WHERE id = $1")
            .bind(a.case_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if let Some(ended) = ended {
            recovery = anomalies::create_recovery(
                &mut tx,
                a.case_id,
                Some(id),
                &ended,
                (&user.username, &at),
                result,
            )
            .await?;
        }
    }
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "payment.anomaly.resolve", "payment_anomaly", id.to_string())
            .with(json!({ "rule": a.rule, "confirmed": confirmed, "result": result, "recovery": recovery })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = match recovery {
        Some(r) => format!("已确认属实，并立案追回（第 {r} 号）。"),
        None if confirmed => "已确认属实。".to_string(),
        None => "已认定不属实，同一证据不再提示。".to_string(),
    };
    if json {
        return Ok(Json(
            json!({ "confirmed": confirmed, "recovery_id": recovery, "message": message }),
        )
        .into_response());
    }
    Ok(view(&state, &user, message).await?.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProgressForm {
    /// recovering, recovered or written_off.
    status: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
}

/// A step of a recovery: money received (追回中/已追回) or written off with the reason.
async fn progress(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<ProgressForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let row = sqlx::query(
        "SELECT district_code, amount, recovered, status FROM payment_recoveries WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?
    .filter(|r| {
        r.try_get::<String, _>(0)
            .is_ok_and(|d| user.scope().contains(&d))
    })
    .ok_or_else(|| AppError::NotFound("这笔追回".to_string()))?;
    let (owed, before, status): (i64, i64, String) =
        (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
    if matches!(status.as_str(), "recovered" | "written_off") {
        return Err(AppError::Conflict("这笔追回已经办结。".to_string()));
    }
    let note = form.note.trim();
    if note.is_empty() {
        return Err(AppError::Invalid(
            "请填写「说明」（如收款方式、核销依据）。".to_string(),
        ));
    }
    let received = if form.amount.trim().is_empty() {
        Fen::ZERO
    } else {
        Fen::parse_yuan(&form.amount).map_err(|e| AppError::Invalid(format!("「追回金额」{e}")))?
    };
    if received < Fen::ZERO || before + received.0 > owed {
        return Err(AppError::Invalid(format!(
            "「追回金额」不能为负，累计也不能超过应追回的 {} 元。",
            Fen(owed)
        )));
    }
    let total = before + received.0;
    let new_status = match form.status.as_str() {
        "written_off" => "written_off",
        "recovering" | "recovered" if total >= owed => "recovered",
        "recovering" | "recovered" => "recovering",
        _ => {
            return Err(AppError::Invalid(
                "「办理结果」应为追回（recovering/recovered）或核销（written_off）。".to_string(),
            ));
        }
    };
    let now = state.clock.now_local();
    let at = now.to_rfc3339();
    let mut tx = state.db.begin().await?;
    // Guarded by what was read: two receipts entered at once must not overwrite each other.
    let moved = sqlx::query(
        "UPDATE payment_recoveries SET recovered = $1, status = $2 WHERE id = $3 AND recovered = $4 AND status = $5",
    )
    .bind(total)
    .bind(new_status)
    .bind(id)
    .bind(before)
    .bind(&status)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(AppError::Conflict(
            "这笔追回刚被他人办理过，请刷新后再登记。".to_string(),
        ));
    }
    anomalies::recovery_event(
        &mut tx,
        id,
        new_status,
        received.0,
        note,
        (&user.username, &at),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "payment.recovery",
            "payment_recovery",
            id.to_string(),
        )
        .with(json!({ "status": new_status, "received_fen": received.0, "note": note })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "第 {id} 号追回：{}，累计追回 {} 元（应追回 {} 元）。",
        anomalies::recovery_status_label(new_status),
        Fen(total),
        Fen(owed)
    );
    if json {
        return Ok(Json(json!({ "status": new_status, "recovered": Fen(total).to_yuan_string(), "message": message })).into_response());
    }
    Ok(view(&state, &user, message).await?.into_response())
}
