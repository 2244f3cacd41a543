//! 临时救助报批: a grant above the approval level of whoever enters it waits for an
//! approver of that level — the district (up to 6 months) or the city (一事一议, above).
//! Approved, it becomes a grant dated the day of approval; rejected, it stays with the
//! reason. The list page and the JSON API show what waits in the user's region.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::temporary_web::{NewGrant, NewRequest, insert_grant};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::protect::Sealed;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

const GRANT: Access = Access::Perm("assistance:temporary:grant");

pub fn routes() -> Routes {
    Routes::new()
        .get("/assistance/temporary/requests", GRANT, list_page)
        .post(
            "/assistance/temporary/requests/{id}/decide",
            GRANT,
            decide_page,
        )
        .get("/api/v1/temporary-requests", GRANT, list_api)
        .post(
            "/api/v1/temporary-requests/{id}/decision",
            GRANT,
            decide_api,
        )
}

pub fn level_label(level: &str) -> &'static str {
    match level {
        "city" => "市级（一事一议）",
        _ => "区县民政部门",
    }
}

fn level_permission(level: &str) -> &'static str {
    match level {
        "city" => "assistance:temporary:approve_city",
        _ => "assistance:temporary:approve_district",
    }
}

/// Stores a request and its audit entry; returns its number.
pub(super) async fn send_up(state: &AppState, ctx: &Ctx, r: &NewRequest<'_>) -> AppResult<i64> {
    let user = ctx.user()?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    // The same request twice (a double submit, or entered again while the first waits)
    // would be paid twice once both are approved on different days.
    state
        .db
        .lock_keys(&mut tx, &[format!("temporary:{}", r.sealed.index)])
        .await?;
    let waiting: Option<i64> = sqlx::query(
        "SELECT id FROM temporary_requests WHERE id_number_index = $1 AND amount = $2 AND status = 'pending'",
    )
    .bind(r.sealed.index.as_str())
    .bind(r.amount.0)
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?;
    if let Some(other) = waiting {
        return Err(AppError::Conflict(format!(
            "重复报批：此人已有一笔 {} 元的临时救助报批（编号 {other}）在等待审批，请勿重复提交。",
            r.amount
        )));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO temporary_requests (id_number_sealed, id_number_index, name, region_code, kind, \
         household_size, months, amount, level, status, requested_by, requested_at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12) RETURNING id",
    )
    .bind(r.sealed.sealed.as_str())
    .bind(r.sealed.index.as_str())
    .bind(r.name)
    .bind(r.community)
    .bind(if r.emergency { "emergency" } else { "expenditure" })
    .bind(r.size)
    .bind(r.months)
    .bind(r.amount.0)
    .bind(r.level)
    .bind(user.username.as_str())
    .bind(now.to_rfc3339())
    .bind(r.reason)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "temporary.request",
            "temporary_request",
            id.to_string(),
        )
        .with(json!({
            "amount": r.amount.to_yuan_string(),
            "months": r.months,
            "household_size": r.size,
            "level": r.level,
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(id)
}

/// A request as the list shows it (the name, never the ID number).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RequestRow {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    /// The community's name.
    pub community: String,
    pub kind: String,
    /// 事由.
    pub reason: Option<String>,
    pub household_size: i64,
    pub months: i64,
    pub amount: String,
    pub level: String,
    pub status: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub grant_id: Option<i64>,
    /// The current user may decide it (pending, and of a level the user approves).
    pub can_decide: bool,
}

/// Pending requests in the user's region, oldest first, then the latest 30 decided.
async fn rows(state: &AppState, user: &CurrentUser) -> AppResult<Vec<RequestRow>> {
    let (low, high) = user.scope_bounds();
    let mut out = Vec::new();
    for (filter, order) in [
        ("status = 'pending'", "id"),
        ("status <> 'pending'", "id DESC LIMIT 30"),
    ] {
        let sql = format!(
            "SELECT t.id, t.name, t.region_code, r.name AS community, t.kind, t.reason, t.household_size, t.months, \
             t.amount, t.level, t.status, t.requested_by, t.requested_at, t.decided_by, t.decided_at, t.decision_note, \
             t.grant_id FROM temporary_requests t JOIN regions r ON r.code = t.region_code \
             WHERE t.region_code >= $1 AND t.region_code < $2 AND t.{filter} ORDER BY t.{order}"
        );
        for r in sqlx::query(&sql)
            .bind(low.clone())
            .bind(high.clone())
            .fetch_all(state.db.pool())
            .await?
        {
            let level: String = r.try_get("level")?;
            let status: String = r.try_get("status")?;
            out.push(RequestRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                region_code: r.try_get("region_code")?,
                community: r.try_get("community")?,
                kind: r.try_get("kind")?,
                reason: r.try_get("reason")?,
                household_size: r.try_get("household_size")?,
                months: r.try_get("months")?,
                amount: Fen(r.try_get("amount")?).to_display(),
                can_decide: status == "pending" && user.can(level_permission(&level)),
                level,
                status,
                requested_by: r.try_get("requested_by")?,
                requested_at: r.try_get("requested_at")?,
                decided_by: r.try_get("decided_by")?,
                decided_at: r.try_get("decided_at")?,
                decision_note: r.try_get("decision_note")?,
                grant_id: r.try_get("grant_id")?,
            });
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "assistance/temporary_requests.html")]
struct ListPage {
    page: PageCtx,
    rows: Vec<RequestRow>,
    message: String,
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> AppResult<Html<String>> {
    let rows = rows(&state, &user).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "temporary_requests",
        "临时救助报批",
        vec![
            Crumb::link("救助工作台", "/assistance/workbench"),
            Crumb::link("临时救助", "/assistance/temporary/new"),
            Crumb::here("报批"),
        ],
    )
    .await?;
    render(ListPage {
        page,
        rows,
        message: q.done,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// "approve" or "reject".
    pub decision: String,
    /// Required to reject.
    #[serde(default)]
    pub reason: String,
}

/// What a decision did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Decided {
    pub request_id: i64,
    pub status: &'static str,
    /// The grant made on approval.
    pub grant_id: Option<i64>,
    pub message: String,
}

async fn decide(state: &AppState, ctx: &Ctx, id: i64, d: &Decision) -> AppResult<Decided> {
    let user = ctx.user()?;
    let approve = match d.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::Invalid(
                "审批决定：请选择批准（approve）或不予批准（reject）。".to_string(),
            ));
        }
    };
    let reason = d.reason.trim();
    if !approve && reason.is_empty() {
        return Err(AppError::Invalid(
            "不予批准的原因：请写明原因。".to_string(),
        ));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::Invalid("原因：最多 500 个字。".to_string()));
    }
    let what = || format!("临时救助报批 {id}");
    let mut tx = state.db.begin().await?;
    let r = sqlx::query(
        "SELECT id_number_sealed, id_number_index, name, region_code, kind, household_size, amount, level, status, \
         reason FROM temporary_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound(what()))?;
    let region: String = r.try_get("region_code")?;
    user.ensure_in_scope(&region, what)?;
    let level: String = r.try_get("level")?;
    if !user.can(level_permission(&level)) {
        return Err(AppError::Forbidden(format!(
            "该笔临时救助须由{}审批，您的角色（{}）不能审批。",
            level_label(&level),
            user.role.label()
        )));
    }
    if r.try_get::<String, _>("status")? != "pending" {
        return Err(AppError::Conflict(
            "该笔报批已经审批过了，请刷新页面查看结果。".to_string(),
        ));
    }
    let now = state.clock.now_local();
    let today = state.clock.today();
    let amount = Fen(r.try_get("amount")?);
    let name: String = r.try_get("name")?;
    let request_reason: Option<String> = r.try_get("reason")?;
    let grant_id = if approve {
        let sealed = Sealed {
            sealed: r.try_get("id_number_sealed")?,
            index: r.try_get("id_number_index")?,
        };
        let grant = NewGrant {
            sealed: &sealed,
            name: &name,
            community: &region,
            emergency: r.try_get::<String, _>("kind")? == "emergency",
            date: today,
            amount,
            size: r.try_get("household_size")?,
            advance: false,
            due_on: None,
            reason: request_reason.as_deref(),
        };
        Some(
            insert_grant(&mut tx, &grant, &now.to_rfc3339())
                .await?
                .ok_or_else(|| {
                    AppError::Conflict(format!(
                        "重复登记：{name} 今天已有一笔 {amount} 元的临时救助，本笔未批准；请核实后再审批。"
                    ))
                })?,
        )
    } else {
        None
    };
    let status = if approve { "approved" } else { "rejected" };
    // Only from pending: two approvers acting at once cannot both decide.
    let updated = sqlx::query(
        "UPDATE temporary_requests SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4, \
         grant_id = $5 WHERE id = $6 AND status = 'pending'",
    )
    .bind(status)
    .bind(user.username.as_str())
    .bind(now.to_rfc3339())
    .bind((!reason.is_empty()).then_some(reason))
    .bind(grant_id)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(AppError::Conflict(
            "该笔报批已经审批过了，请刷新页面查看结果。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            if approve {
                "temporary.approve"
            } else {
                "temporary.reject"
            },
            "temporary_request",
            id.to_string(),
        )
        .with(json!({
            "amount": amount.to_yuan_string(),
            "level": level,
            "grant": grant_id,
            "reason": reason,
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    // The message travels in the redirect's address: the request's number, never a name.
    let message = if approve {
        format!("已批准报批 {id}：临时救助 {amount} 元，计入今日发放。")
    } else {
        format!("已不予批准报批 {id}（临时救助 {amount} 元）。")
    };
    Ok(Decided {
        request_id: id,
        status,
        grant_id,
        message,
    })
}

async fn decide_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(d): Form<Decision>,
) -> AppResult<Response> {
    let done = decide(&state, &ctx, id, &d).await?;
    Ok(Redirect::to(&format!(
        "/assistance/temporary/requests?done={}",
        crate::web::encode_query(&done.message)
    ))
    .into_response())
}

async fn list_api(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Vec<RequestRow>>> {
    Ok(Json(rows(&state, &user).await?))
}

async fn decide_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: d, .. }: FormOrJson<Decision>,
) -> AppResult<Json<Decided>> {
    Ok(Json(decide(&state, &ctx, id, &d).await?))
}
