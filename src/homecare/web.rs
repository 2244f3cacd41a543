//! Orders on the platform: the list, an order's page, and placing one for an older
//! person (paid by the month's allowance or by the person), audited in its transaction.
//! The steps after placing (dispatch, service, rating, cancellation) are in
//! `steps_web`. Pages and JSON twins share the handlers.

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::allowance::{self, month_of};
use super::model::{
    OrderStatus, Payment, RequestedBy, Step, order_amount, parse_quantity, required_text, serves,
};
use super::order_store::{self as orders, NewOrder, Order};
use super::steps_web;
use super::store::{self, Provider};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::elderly::people::check_subsidy;
use crate::elderly::people_web::person_in_scope;
use crate::error::{AppError, AppResult};
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

pub(super) const READ: Access = Access::Perm("homecare:order:read");
const PLACE: Access = Access::Perm("homecare:order:place");
const HANDLE: Access = Access::Perm("homecare:order:handle");
const CANCEL: Access = Access::Perm("homecare:order:cancel");

pub fn routes() -> Routes {
    Routes::new()
        .get("/homecare/orders", READ, list_page)
        .post("/homecare/orders", PLACE, place)
        .get("/homecare/orders/{id}", READ, order_page)
        .post(
            "/homecare/orders/{id}/dispatch",
            HANDLE,
            steps_web::dispatch,
        )
        .post("/homecare/orders/{id}/serve", HANDLE, steps_web::serve)
        .post("/homecare/orders/{id}/rate", HANDLE, steps_web::rate)
        .post("/homecare/orders/{id}/cancel", CANCEL, steps_web::cancel)
        .get("/api/v1/homecare/orders", READ, api_list)
        .post("/api/v1/homecare/orders", PLACE, place)
        .get("/api/v1/homecare/orders/{id}", READ, api_order)
        .post(
            "/api/v1/homecare/orders/{id}/dispatch",
            HANDLE,
            steps_web::dispatch,
        )
        .post(
            "/api/v1/homecare/orders/{id}/serve",
            HANDLE,
            steps_web::serve,
        )
        .post("/api/v1/homecare/orders/{id}/rate", HANDLE, steps_web::rate)
        .post(
            "/api/v1/homecare/orders/{id}/cancel",
            CANCEL,
            steps_web::cancel,
        )
        .merge(super::admin_web::routes())
        .merge(super::performance_web::routes())
}

#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct ListFilter {
    /// `2026-11`; empty: any month.
    #[serde(default)]
    month: String,
    #[serde(default)]
    status: String,
}

fn check_filter(f: &mut ListFilter) -> AppResult<()> {
    f.month = f.month.trim().to_string();
    if !f.month.is_empty()
        && chrono::NaiveDate::parse_from_str(&format!("{}-01", f.month), "%Y-%m-%d").is_err()
    {
        return Err(AppError::Invalid(format!(
            "「月份」应写成 2026-11 的形式，收到「{}」。",
            f.month
        )));
    }
    if !f.status.is_empty() {
        f.status = OrderStatus::parse(&f.status)
            .ok_or_else(|| AppError::Invalid(format!("「状态」「{}」无法识别。", f.status)))?
            .code()
            .to_string();
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "homecare/orders.html")]
struct ListPage {
    page: PageCtx,
    orders: Vec<Order>,
    filter: ListFilter,
    statuses: Vec<(&'static str, &'static str)>,
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut filter): Query<ListFilter>,
) -> AppResult<Html<String>> {
    check_filter(&mut filter)?;
    let orders = orders::orders(
        &state.db,
        &user.scope_bounds(),
        (&filter.month, &filter.status, None),
        500,
    )
    .await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "homecare_orders",
        "居家养老服务订单",
        vec![Crumb::here("居家养老服务订单")],
    )
    .await?;
    render(ListPage {
        page,
        orders,
        filter,
        statuses: OrderStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
    })
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(mut filter): Query<ListFilter>,
) -> AppResult<Json<Value>> {
    check_filter(&mut filter)?;
    let orders = orders::orders(
        &state.db,
        &user.scope_bounds(),
        (&filter.month, &filter.status, None),
        500,
    )
    .await?;
    Ok(Json(json!({ "orders": orders })))
}

/// The order if its older person lies in the user's scope (outside: 404).
pub(super) async fn order_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<Order> {
    let what = || format!("居家养老服务订单 {id}");
    let mut conn = state.db.pool().acquire().await?;
    let o = orders::order(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&o.region_code, what)?;
    Ok(o)
}

#[derive(Template)]
#[template(path = "homecare/order.html")]
struct OrderPage {
    page: PageCtx,
    o: Order,
    /// Active providers serving the person's community (for dispatch).
    providers: Vec<Provider>,
    can_handle: bool,
    can_cancel: bool,
    notice: String,
    now: String,
}

async fn order_view(
    state: &AppState,
    user: &CurrentUser,
    o: Order,
    notice: String,
) -> AppResult<Html<String>> {
    let providers = store::providers(&state.db)
        .await?
        .into_iter()
        .filter(|p| p.active && serves(&p.areas, &o.region_code))
        .collect();
    let title = format!("订单 {}：{}", o.id, o.service_name);
    let page = PageCtx::load(
        state,
        Some(user),
        "homecare_orders",
        &title,
        vec![
            Crumb::link("居家养老服务订单", "/homecare/orders"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    render(OrderPage {
        page,
        providers,
        can_handle: user.can("homecare:order:handle"),
        can_cancel: user.can("homecare:order:cancel") && o.status.allows(Step::Cancel).is_ok(),
        notice,
        now: state.clock.now_local().format("%Y-%m-%dT%H:%M").to_string(),
        o,
    })
}

async fn order_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let o = order_in_scope(&state, &user, id).await?;
    order_view(&state, &user, o, String::new()).await
}

async fn api_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let o = order_in_scope(&state, &user, id).await?;
    Ok(Json(json!({ "order": o })))
}

/// After a step: the order's page with the message, or the order as JSON.
pub(super) async fn finish(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    json: bool,
    message: String,
) -> AppResult<Response> {
    let o = order_in_scope(state, user, id).await?;
    if json {
        return Ok(Json(json!({ "order": o, "message": message })).into_response());
    }
    Ok(order_view(state, user, o, message).await?.into_response())
}

pub(super) fn number(field: &str, v: &Value) -> AppResult<i64> {
    typed(v)
        .trim()
        .parse()
        .map_err(|_| AppError::Invalid(format!("请选择「{field}」。")))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PlaceForm {
    #[serde(default)]
    person_id: Value,
    #[serde(default)]
    service_id: Value,
    #[serde(default)]
    quantity: Value,
    #[serde(default)]
    payment: String,
    #[serde(default)]
    requested_by: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    note: String,
}

async fn place(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<PlaceForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let person = person_in_scope(&state, &user, number("老年人", &form.person_id)?).await?;
    if !person.active() {
        return Err(AppError::Conflict(
            "此人的登记已注销，不能再下单。".to_string(),
        ));
    }
    let service_id = number("服务", &form.service_id)?;
    let quantity = parse_quantity(&typed(&form.quantity)).map_err(AppError::Invalid)?;
    let payment = Payment::parse(&form.payment)
        .ok_or_else(|| AppError::Invalid(format!("请选择「支付方式」：{}。", Payment::labels())))?;
    let requested_by = RequestedBy::parse(&form.requested_by).ok_or_else(|| {
        AppError::Invalid(format!("请选择「提出人」：{}。", RequestedBy::labels()))
    })?;
    let requester = required_text("提出人姓名", &form.requester, 50, "谁提出的服务需求")
        .map_err(AppError::Invalid)?;
    let note = form.note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::Invalid("「服务要求」不超过 200 字。".to_string()));
    }
    let today = state.clock.today();
    let month = month_of(today);
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    // One order at a time per person and month, so two cannot both fit the remainder.
    state
        .db
        .lock_keys(&mut tx, &[format!("care-allowance:{}:{month}", person.id)])
        .await?;
    let service = store::service(&mut tx, service_id)
        .await?
        .filter(|s| s.active)
        .ok_or_else(|| {
            AppError::Invalid("所选服务不存在或已停用，请从服务目录中选择。".to_string())
        })?;
    let amount = order_amount(service.price, quantity);
    let month_allowance = allowance::for_month(&mut tx, &person, today).await?;
    let subsidy = match payment {
        Payment::Allowance => {
            check_subsidy(
                amount,
                &month_allowance.eligibility,
                month_allowance.remaining,
            )
            .map_err(AppError::Invalid)?;
            amount
        }
        Payment::SelfPaid => crate::money::Fen::ZERO,
    };
    let order = NewOrder {
        person_id: person.id,
        service_id,
        quantity,
        unit_price: service.price,
        amount,
        payment,
        subsidy,
        month: &month,
        requested_by,
        requester: &requester,
        note,
    };
    let id = orders::insert_order(&mut tx, &order, &user.username, &now.to_rfc3339()).await?;
    let left = crate::money::Fen(month_allowance.remaining.0 - subsidy.0);
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "homecare.order.place",
        "care_orders",
        id.to_string(),
    )
    .with(json!({
        "person_id": person.id,
        "service_id": service_id,
        "quantity": quantity,
        "amount": amount.to_yuan_string(),
        "payment": payment.code(),
        "subsidy": subsidy.to_yuan_string(),
        "remaining_before": month_allowance.remaining.to_yuan_string(),
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let mut message = format!(
        "已下单（订单 {id}）：{} {} {}，金额 {} 元，{}",
        service.name,
        quantity,
        service.unit,
        amount.to_display(),
        payment.label()
    );
    if payment == Payment::Allowance {
        message.push_str(&format!("；本月剩余补贴 {} 元。", left.to_display()));
    } else {
        message.push('。');
    }
    finish(&state, &user, id, json, message).await
}
