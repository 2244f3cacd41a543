//! The security administrator's pages: granting roles and setting the security policy.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Html;
use serde::Deserialize;
use serde_json::json;

use super::account::require_recent_auth;
use super::admin::{UserView, view};
use super::context::{Ctx, CurrentUser};
use super::login::now_local;
use super::policy::{SETTINGS, SecurityPolicy};
use super::roles::{ALL_ROLES, Role};
use super::routes::{Access, Routes};
use super::store;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::error::{AppError, AppResult};
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/security/users",
            Access::Perm("security:user:read"),
            users_page,
        )
        .post(
            "/security/users/{id}/role",
            Access::Perm("security:role:grant"),
            grant,
        )
        .get(
            "/security/policy",
            Access::Perm("security:policy:read"),
            policy_page,
        )
        .post(
            "/security/policy",
            Access::Perm("security:policy:update"),
            policy_submit,
        )
}

pub struct RoleOption {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "security/users.html")]
struct UsersPage {
    page: PageCtx,
    users: Vec<UserView>,
    roles: Vec<RoleOption>,
    notice: String,
    me: i64,
}

async fn users_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
) -> AppResult<Html<String>> {
    let users = store::list(&state.db, user.scope().sql_bounds()).await?;
    let users = users.iter().map(|u| view(state, u)).collect();
    let roles = ALL_ROLES
        .iter()
        .map(|r| RoleOption {
            code: r.code(),
            label: r.label(),
        })
        .collect();
    let page = PageCtx::load(
        state,
        Some(user),
        "security_users",
        "角色授权",
        vec![Crumb::here("角色授权")],
    )
    .await?;
    render(UsersPage {
        page,
        users,
        roles,
        notice,
        me: user.id,
    })
}

async fn users_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    users_view(&state, &user, String::new()).await
}

#[derive(Deserialize)]
pub struct GrantForm {
    role: String,
}

async fn grant(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<GrantForm>,
) -> AppResult<Html<String>> {
    let user = ctx.user()?.clone();
    require_recent_auth(&state, &user, "/security/users").await?;
    let target = store::by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("账号 {id}")))?;
    user.ensure_in_scope(&target.region_code, || format!("账号 {id}"))?;
    if target.id == user.id {
        return Err(AppError::Invalid(
            "不能修改自己的角色：请由另一位安全管理员操作。".to_string(),
        ));
    }
    let role = Role::from_code(&form.role)
        .ok_or_else(|| AppError::Invalid(format!("角色「{}」不存在。", form.role)))?;
    if role == target.role {
        return users_view(
            &state,
            &user,
            format!("{} 的角色本来就是{}。", target.username, role.label()),
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    store::set_role(&mut tx, id, role).await?;
    // The new role applies from the next sign-in: open sessions end now, so that a user
    // given an administrator role must sign in again with a second factor.
    store::delete_user_sessions(&mut tx, id).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now_local(&state),
            &ctx.actor(),
            "role.grant",
            "user",
            id.to_string(),
        )
        .with(json!({"before": {"role": target.role.code()}, "after": {"role": role.code()}})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    users_view(
        &state,
        &user,
        format!("已将 {} 的角色改为{}。", target.username, role.label()),
    )
    .await
}

pub struct SettingRow {
    pub key: &'static str,
    pub label: &'static str,
    pub value: i64,
    pub min: i64,
    pub max: i64,
}

#[derive(Template)]
#[template(path = "security/policy.html")]
struct PolicyPage {
    page: PageCtx,
    rows: Vec<SettingRow>,
    errors: Vec<String>,
    notice: String,
    can_edit: bool,
}

async fn policy_view(
    state: &AppState,
    user: &CurrentUser,
    errors: Vec<String>,
    notice: String,
) -> AppResult<Html<String>> {
    let policy = SecurityPolicy::load(&state.db).await?;
    let rows = SETTINGS
        .iter()
        .map(|s| SettingRow {
            key: s.key,
            label: s.label,
            value: policy.get(s.key).unwrap_or_default(),
            min: s.min,
            max: s.max,
        })
        .collect();
    let page = PageCtx::load(
        state,
        Some(user),
        "security_policy",
        "安全策略",
        vec![Crumb::here("安全策略")],
    )
    .await?;
    render(PolicyPage {
        page,
        rows,
        errors,
        notice,
        can_edit: user.can("security:policy:update"),
    })
}

async fn policy_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    policy_view(&state, &user, Vec::new(), String::new()).await
}

async fn policy_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let user = ctx.user()?.clone();
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for (key, raw) in form.iter().filter(|(k, _)| k != "_csrf") {
        let Some(setting) = SETTINGS.iter().find(|s| s.key == key) else {
            errors.push(format!("未知的策略项 {key}。"));
            continue;
        };
        match raw.trim().parse::<i64>() {
            Ok(v) => match SecurityPolicy::check(key, v) {
                Ok(()) => changes.push((key.clone(), v)),
                Err(e) => errors.push(format!("{e}。")),
            },
            Err(_) => errors.push(format!(
                "「{}」应填写整数，填写的是「{raw}」。",
                setting.label
            )),
        }
    }
    if !errors.is_empty() {
        let html = policy_view(&state, &user, errors, String::new()).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    let policy = SecurityPolicy::load(&state.db).await?;
    let mut tx = state.db.begin().await?;
    let diff = policy.save(&mut tx, &changes, now_local(&state)).await?;
    if !diff.is_empty() {
        let before: serde_json::Map<String, serde_json::Value> =
            diff.iter().map(|(k, b, _)| (k.clone(), json!(b))).collect();
        let after: serde_json::Map<String, serde_json::Value> =
            diff.iter().map(|(k, _, a)| (k.clone(), json!(a))).collect();
        record(
            &mut tx,
            &AuditEvent::new(
                now_local(&state),
                &ctx.actor(),
                "config.policy_change",
                "security_policy",
                "policy",
            )
            .with(json!({"before": before, "after": after})),
        )
        .await
        .map_err(AppError::audit)?;
    }
    tx.commit().await?;
    let notice = if diff.is_empty() {
        "没有改动。".to_string()
    } else {
        format!("已保存 {} 项改动。", diff.len())
    };
    Ok(policy_view(&state, &user, Vec::new(), notice)
        .await?
        .into_response())
}
