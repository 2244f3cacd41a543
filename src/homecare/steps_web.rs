//! The steps of an order after it is placed: dispatch to a provider serving the
//! person's community, service (a served 探访关爱 order is also the person's visit),
//! rating, cancellation before service. Each checks the status and version and is
//! audited in its transaction.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{ServiceKind, Step, parse_rating, parse_served_at, required_text, serves};
use super::order_store::{self as orders, Order, StepChange};
use super::store;
use super::web::{finish, number, order_in_scope};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::Ctx;
use crate::elderly::people_store::{self as people, NewVisit};
use crate::error::{AppError, AppResult};
use crate::web::extract::{FormOrJson, typed};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StepForm {
    version: i64,
    #[serde(default)]
    provider_id: Value,
    #[serde(default)]
    server_name: String,
    #[serde(default)]
    served_at: String,
    #[serde(default)]
    rating: Value,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    complaint: Value,
    #[serde(default)]
    reason: String,
}

/// Applies one step to the order, audited; the order must still be at `version`.
async fn take_step(
    state: &AppState,
    ctx: &Ctx,
    o: &Order,
    version: i64,
    (step, change): (Step, StepChange<'_>),
    details: Value,
) -> AppResult<()> {
    o.status.allows(step).map_err(AppError::Conflict)?;
    let user = ctx.user()?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let done = orders::apply_step(
        &mut tx,
        o.id,
        (o.status, version),
        &change,
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    if !done {
        return Err(AppError::Conflict(
            "这笔订单已被他人办理或修改，请刷新后查看。".to_string(),
        ));
    }
    // A served 探访关爱 order is a visit of the person too.
    if let (
        StepChange::Serve {
            server_name,
            served_at,
        },
        ServiceKind::Visit,
    ) = (&change, o.kind)
    {
        let day = served_at
            .get(..10)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or_else(|| state.clock.today());
        let visit = NewVisit {
            visited_on: day,
            way: "home",
            visitor: server_name,
            notes: "居家养老服务平台探访关爱服务",
            order_id: Some(o.id),
        };
        people::add_visit(
            &mut tx,
            o.person_id,
            &visit,
            &user.username,
            &now.to_rfc3339(),
        )
        .await?;
    }
    let action = format!("homecare.order.{}", step.code());
    let event =
        AuditEvent::new(now, &ctx.actor(), &action, "care_orders", o.id.to_string()).with(details);
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn dispatch(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<StepForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let o = order_in_scope(&state, &user, id).await?;
    let provider_id = number("服务商", &form.provider_id)?;
    let provider = store::providers(&state.db)
        .await?
        .into_iter()
        .find(|p| p.id == provider_id && p.active)
        .ok_or_else(|| AppError::Invalid("所选服务商不存在或已停用。".to_string()))?;
    if !serves(&provider.areas, &o.region_code) {
        return Err(AppError::Invalid(format!(
            "{} 的服务区域不包括老人所在的社区，请选择服务该社区的服务商。",
            provider.name
        )));
    }
    take_step(
        &state,
        &ctx,
        &o,
        form.version,
        (Step::Dispatch, StepChange::Dispatch { provider_id }),
        json!({ "provider_id": provider_id }),
    )
    .await?;
    finish(
        &state,
        &user,
        id,
        json,
        format!("已派单给 {}。", provider.name),
    )
    .await
}

pub(super) async fn serve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<StepForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let o = order_in_scope(&state, &user, id).await?;
    let server_name = required_text("服务人员", &form.server_name, 50, "上门服务的人员姓名")
        .map_err(AppError::Invalid)?;
    let requested = orders::time(&o.requested_at)?;
    let served_at = parse_served_at(&form.served_at, requested, state.clock.now_local())
        .map_err(AppError::Invalid)?
        .to_rfc3339();
    take_step(
        &state,
        &ctx,
        &o,
        form.version,
        (
            Step::Serve,
            StepChange::Serve {
                server_name: &server_name,
                served_at: &served_at,
            },
        ),
        json!({ "server_name": server_name, "served_at": served_at }),
    )
    .await?;
    let mut message = format!(
        "已登记服务：{server_name}，{}。",
        orders::short_time(&served_at)
    );
    if o.kind == ServiceKind::Visit {
        message.push_str("已同时记入老人的探访记录。");
    }
    finish(&state, &user, id, json, message).await
}

pub(super) async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<StepForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let o = order_in_scope(&state, &user, id).await?;
    let rating = parse_rating(&typed(&form.rating), &form.comment, &typed(&form.complaint))
        .map_err(AppError::Invalid)?;
    take_step(
        &state,
        &ctx,
        &o,
        form.version,
        (Step::Rate, StepChange::Rate(&rating)),
        json!({ "rating": rating.stars, "complaint": rating.complaint, "comment": rating.comment }),
    )
    .await?;
    let message = format!(
        "已评价：{} 分{}。",
        rating.stars,
        if rating.complaint { "，有投诉" } else { "" }
    );
    finish(&state, &user, id, json, message).await
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<StepForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let o = order_in_scope(&state, &user, id).await?;
    let reason = required_text("取消原因", &form.reason, 200, "如：老人住院，暂不需要")
        .map_err(AppError::Invalid)?;
    take_step(
        &state,
        &ctx,
        &o,
        form.version,
        (Step::Cancel, StepChange::Cancel { reason: &reason }),
        json!({ "reason": reason }),
    )
    .await?;
    let mut message = "已取消订单。".to_string();
    if o.subsidy.0 > 0 {
        message.push_str(&format!(
            "补贴 {} 元退回 {} 的额度。",
            o.subsidy.to_display(),
            o.month
        ));
    }
    finish(&state, &user, id, json, message).await
}
