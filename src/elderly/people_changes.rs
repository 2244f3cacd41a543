//! Changing an older person's registration: a new ability assessment, living
//! situation, visit interval or phone (with the row's version), and ending it (death or
//! moving away), which cancels the person's orders not yet served. Audited.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::people::{AbilityLevel, LeftReason, Living, parse_assessment};
use super::people_store::{self as store, Changes};
use super::people_web::{finish, person_in_scope};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::protect::{Phone, SensitiveKind};
use crate::web::extract::FormOrJson;

/// What to change; a field left out keeps its value (the page sends them all). An empty
/// level and date mean "not assessed", an empty interval the default.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateForm {
    version: i64,
    ability_level: Option<String>,
    assessed_on: Option<String>,
    living: Option<String>,
    visit_every_days: Option<serde_json::Value>,
    /// A new phone number (empty: keep the one on file).
    #[serde(default)]
    phone: String,
    /// "1": remove the phone number on file.
    #[serde(default)]
    remove_phone: String,
}

pub(super) async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<UpdateForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let before = person_in_scope(&state, &user, id).await?;
    if !before.active() {
        return Err(AppError::Conflict(
            "此人的登记已注销，不能再修改。".to_string(),
        ));
    }
    let assessment = match (&form.ability_level, &form.assessed_on) {
        (None, None) => before.ability.zip(before.assessed_on),
        (level, on) => parse_assessment(
            level.as_deref().unwrap_or(""),
            on.as_deref().unwrap_or(""),
            state.clock.today(),
        )
        .map_err(AppError::Invalid)?,
    };
    let living = match &form.living {
        None => before.living,
        Some(text) => Living::parse(text).ok_or_else(|| {
            AppError::Invalid(format!(
                "「居住情况」「{}」无法识别，请选择：{}。",
                text.trim(),
                Living::labels()
            ))
        })?,
    };
    let own_interval = match &form.visit_every_days {
        None => before.visit_every_days,
        Some(v) => super::people::parse_interval(&crate::web::extract::typed(v))
            .map_err(AppError::Invalid)?,
    };
    let phone = match (form.phone.trim(), form.remove_phone.as_str()) {
        (_, "1" | "on" | "true") => Some(None),
        ("", _) => None,
        (p, _) => {
            let p = Phone::parse(p).map_err(|e| AppError::Invalid(format!("{e}。")))?;
            Some(Some(state.keyring.seal(SensitiveKind::Phone, p.as_str())))
        }
    };
    let changes = Changes {
        assessment,
        living,
        own_interval,
        phone,
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::update(&mut tx, id, form.version, &changes, &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(
            "这条登记已被他人修改，请刷新后重新填写。".to_string(),
        ));
    }
    let event = AuditEvent::new(
        now,
        &ctx.actor(),
        "elderly.person.update",
        "older_people",
        id.to_string(),
    )
    .with(json!({
        "before": {
            "ability_level": before.ability.map(AbilityLevel::number),
            "assessed_on": before.assessed_on.map(|d| d.to_string()),
            "living": before.living.code(),
            "visit_every_days": before.visit_every_days,
        },
        "after": {
            "ability_level": changes.assessment.map(|(l, _)| l.number()),
            "assessed_on": changes.assessment.map(|(_, d)| d.to_string()),
            "living": changes.living.code(),
            "visit_every_days": changes.own_interval,
        },
        "phone_changed": changes.phone.is_some(),
    }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    finish(&state, &user, id, json, "已保存。".to_string()).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LeaveForm {
    version: i64,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    left_on: String,
    #[serde(default)]
    reason: String,
}

/// Ends a registration (death, moved away); the person's orders not yet served are
/// cancelled with it.
pub(super) async fn leave(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<LeaveForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let p = person_in_scope(&state, &user, id).await?;
    let reason = LeftReason::parse(&form.reason).ok_or_else(|| {
        AppError::Invalid(format!("请选择「注销原因」：{}。", LeftReason::labels()))
    })?;
    let today = state.clock.today();
    let on = crate::calendar::parse_date(&form.left_on)
        .filter(|d| *d <= today && *d >= p.registered_on)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "「注销日期」应为登记日 {} 至今天之间的日期，收到「{}」。",
                p.registered_on,
                form.left_on.trim()
            ))
        })?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::leave(&mut tx, id, form.version, on, reason, &now.to_rfc3339()).await? {
        return Err(AppError::Conflict(
            "这条登记已被他人修改或已注销，请刷新后查看。".to_string(),
        ));
    }
    let cancelled = crate::homecare::order_store::cancel_open_orders(
        &mut tx,
        id,
        &format!("老人已注销登记（{}）", reason.label()),
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    let event = AuditEvent::new(now, &ctx.actor(), "elderly.person.leave", "older_people", id.to_string())
        .with(json!({ "left_on": on.to_string(), "reason": reason.code(), "orders_cancelled": cancelled }));
    record(&mut tx, &event).await.map_err(AppError::audit)?;
    tx.commit().await?;
    let mut message = format!("已注销登记（{}，{on}）。", reason.label());
    if cancelled > 0 {
        message.push_str(&format!(
            "尚未服务的 {cancelled} 笔居家养老服务订单已一并取消。"
        ));
    }
    finish(&state, &user, id, json, message).await
}
