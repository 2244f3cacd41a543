//! The system administrator's pages: accounts (create, edit, disable, reset password or
//! second factor, unlock) and the audited reveal of an account's protected fields. Roles
//! are not set here: granting them is the security administrator's job (三员分立).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::account::require_recent_auth;
use super::context::{Ctx, CurrentUser};
use super::login::now_local;
use super::password::hash_password;
use super::routes::{Access, Routes};
use super::store::{self, NewUser, UserRecord};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::error::{AppError, AppResult};
use crate::ids::IdNumber;
use crate::protect::{Phone, SensitiveKind};
use crate::region::RegionCode;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/users", Access::Perm("admin:user:read"), list_page)
        .get(
            "/admin/users/new",
            Access::Perm("admin:user:create"),
            new_page,
        )
        .post("/admin/users", Access::Perm("admin:user:create"), create)
        .get(
            "/admin/users/{id}",
            Access::Perm("admin:user:read"),
            detail_page,
        )
        .post(
            "/admin/users/{id}",
            Access::Perm("admin:user:update"),
            update,
        )
        .post(
            "/admin/users/{id}/status",
            Access::Perm("admin:user:update"),
            set_status,
        )
        .post(
            "/admin/users/{id}/reset-password",
            Access::Perm("admin:user:update"),
            reset_password,
        )
        .post(
            "/admin/users/{id}/reset-totp",
            Access::Perm("admin:user:update"),
            reset_totp,
        )
        .post(
            "/admin/users/{id}/unlock",
            Access::Perm("admin:user:update"),
            unlock,
        )
        .post(
            "/admin/users/{id}/reveal",
            Access::Perm("admin:user:reveal"),
            reveal,
        )
        .post(
            "/admin/users-find",
            Access::Perm("admin:user:read"),
            find_by_id_number,
        )
        .get("/api/v1/users", Access::Perm("admin:user:read"), api_list)
}

/// An account as lists and the API show it: protected fields masked.
#[derive(Serialize, Clone)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub region_code: String,
    pub active: bool,
    pub locked: bool,
    pub must_change_password: bool,
    pub second_factor: bool,
    pub phone_masked: String,
    pub id_number_masked: String,
    pub version: i64,
}

pub fn view(state: &AppState, u: &UserRecord) -> UserView {
    let masked = |kind: SensitiveKind, sealed: &Option<String>| {
        sealed
            .as_deref()
            .and_then(|s| state.keyring.open(kind, s).ok())
            .map(|v| kind.mask(&v))
            .unwrap_or_default()
    };
    UserView {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role.code(),
        role_label: u.role.label(),
        region_code: u.region_code.clone(),
        active: u.active,
        locked: u.locked_until.is_some_and(|t| t > state.clock.now()),
        must_change_password: u.must_change_password,
        second_factor: u.totp_secret.is_some(),
        phone_masked: masked(SensitiveKind::Phone, &u.phone_sealed),
        id_number_masked: masked(SensitiveKind::IdNumber, &u.id_number_sealed),
        version: u.version,
    }
}

/// A record of another region answers exactly like a missing one.
async fn load_in_scope(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<UserRecord> {
    let what = || format!("账号 {id}");
    let record = store::by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&record.region_code, what)?;
    Ok(record)
}

/// Accounts of the three administrators are not reset, disabled or unlocked from the web:
/// a system administrator who could reset the security or audit administrator's password
/// could sign in as them, and the separation of the three would be gone. The operator of
/// the server does it with `minzheng accounts reset` (audited as the CLI).
fn refuse_admin_target(target: &UserRecord) -> AppResult<()> {
    if target.role.is_admin() {
        return Err(AppError::Forbidden(format!(
            "{} 是{}账号：三员账号不能在网页上重置、停用或解锁，请由服务器运维人员运行 minzheng accounts reset {}。",
            target.username,
            target.role.label(),
            target.username
        )));
    }
    Ok(())
}

/// An account of the user's region that may be reset from the web (not one of the three
/// administrators), with the password entered within the re-authentication window.
async fn reset_target(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<UserRecord> {
    let target = load_in_scope(state, user, id).await?;
    refuse_admin_target(&target)?;
    require_recent_auth(state, user, &format!("/admin/users/{id}")).await?;
    Ok(target)
}

/// An audit event about account `id`, by the signed-in administrator.
fn user_event(state: &AppState, ctx: &Ctx, action: &str, id: i64) -> AuditEvent {
    AuditEvent::new(
        now_local(state),
        &ctx.actor(),
        action,
        "user",
        id.to_string(),
    )
}

/// The frame of a page under 账号管理 (navigation, breadcrumb 账号管理 › title).
async fn sub_page(state: &AppState, user: &CurrentUser, title: &str) -> AppResult<PageCtx> {
    PageCtx::load(
        state,
        Some(user),
        "admin_users",
        title,
        vec![Crumb::link("账号管理", "/admin/users"), Crumb::here(title)],
    )
    .await
}

/// A temporary password that meets the policy (shown once, must be changed at login).
pub fn temporary_password() -> String {
    use rand::Rng;
    use rand::seq::SliceRandom;
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"#$%&*+-=?@";
    let mut rng = rand::rng();
    let mut chars: Vec<u8> = Vec::with_capacity(16);
    for set in [UPPER, LOWER, DIGIT, SYMBOL] {
        chars.push(set[rng.random_range(0..set.len())]);
    }
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    while chars.len() < 16 {
        chars.push(all[rng.random_range(0..all.len())]);
    }
    chars.shuffle(&mut rng);
    String::from_utf8(chars).unwrap_or_default()
}

fn valid_username(u: &str) -> bool {
    (3..=32).contains(&u.len())
        && u.starts_with(|c: char| c.is_ascii_lowercase())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    page: PageCtx,
    users: Vec<UserView>,
}

async fn list_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let users = store::list(&state.db, user.scope().sql_bounds()).await?;
    let users = users.iter().map(|u| view(&state, u)).collect();
    let page = PageCtx::load(
        &state,
        Some(&user),
        "admin_users",
        "账号管理",
        vec![Crumb::here("账号管理")],
    )
    .await?;
    render(ListPage { page, users })
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Vec<UserView>>> {
    let users = store::list(&state.db, user.scope().sql_bounds()).await?;
    Ok(Json(users.iter().map(|u| view(&state, u)).collect()))
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewPage {
    page: PageCtx,
    errors: Vec<String>,
    form: CreateForm,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    #[serde(default)]
    _csrf: String,
    username: String,
    display_name: String,
    region_code: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

async fn new_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let page = sub_page(&state, &user, "新建账号").await?;
    render(NewPage {
        page,
        errors: Vec::new(),
        form: CreateForm {
            region_code: user.region.to_string(),
            ..Default::default()
        },
    })
}

#[derive(Template)]
#[template(path = "admin/user_created.html")]
struct CreatedPage {
    page: PageCtx,
    username: String,
    password: String,
    id: i64,
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CreateForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let mut errors = Vec::new();
    let username = form.username.trim().to_lowercase();
    if !valid_username(&username) {
        errors.push("用户名：3–32 位，以小写字母开头，只能含小写字母、数字和 . _ -。".to_string());
    } else if store::username_taken(&state.db, &username).await? {
        errors.push(format!("用户名：{username} 已被使用，请换一个。"));
    }
    let display_name = form.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 50 {
        errors.push("姓名：不能为空，最多 50 个字。".to_string());
    }
    let region_ok = match RegionCode::parse(&form.region_code) {
        Ok(code) => {
            user.scope().contains(code.as_str())
                && crate::region::store::get(&state.db, code.as_str())
                    .await?
                    .is_some()
        }
        Err(_) => false,
    };
    if !region_ok {
        errors.push(format!(
            "所属区划：{} 不存在或不在您的管辖范围内。",
            form.region_code.trim()
        ));
    }
    let phone = match form.phone.trim() {
        "" => None,
        p => match Phone::parse(p) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(format!("联系电话：{e}"));
                None
            }
        },
    };
    let id_number = match form.id_number.trim() {
        "" => None,
        s => match IdNumber::parse(s, state.clock.today()) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(format!("身份证号：{e}"));
                None
            }
        },
    };
    if !errors.is_empty() {
        let page = sub_page(&state, &user, "新建账号").await?;
        let html = render(NewPage { page, errors, form })?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    let password = temporary_password();
    let hash = hash_password(&password).map_err(AppError::Internal)?;
    let phone_sealed = phone
        .as_ref()
        .map(|p| state.keyring.seal(SensitiveKind::Phone, p.as_str()));
    let id_sealed = id_number
        .as_ref()
        .map(|i| state.keyring.seal(SensitiveKind::IdNumber, i.as_str()));
    let region_code = form.region_code.trim().to_string();
    let mut tx = state.db.begin().await?;
    let id = store::insert(
        &mut tx,
        &NewUser {
            username: &username,
            display_name,
            role: super::Role::None,
            region_code: &region_code,
            password_hash: &hash,
            must_change_password: true,
            totp_secret: None,
            phone: phone_sealed.as_ref(),
            id_number: id_sealed.as_ref(),
        },
        state.clock.now(),
    )
    .await?;
    record(
        &mut tx,
        &user_event(&state, &ctx, "user.create", id).with(json!({
            "after": {
                "username": username,
                "display_name": display_name,
                "region_code": region_code,
                "role": "none",
                "phone": phone.as_ref().map(|p| p.masked()),
                "id_number": id_number.as_ref().map(|i| i.masked()),
            }
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let page = sub_page(&state, &user, "账号已建立").await?;
    Ok(render(CreatedPage {
        page,
        username,
        password,
        id,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "admin/user_detail.html")]
struct DetailPage {
    page: PageCtx,
    u: UserView,
    notice: String,
    revealed: Option<(String, String)>,
}

async fn detail(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: String,
    revealed: Option<(String, String)>,
) -> AppResult<Html<String>> {
    let record = load_in_scope(state, user, id).await?;
    let u = view(state, &record);
    let page = PageCtx::load(
        state,
        Some(user),
        "admin_users",
        format!("账号 {}", u.username),
        vec![
            Crumb::link("账号管理", "/admin/users"),
            Crumb::here(u.username.clone()),
        ],
    )
    .await?;
    render(DetailPage {
        page,
        u,
        notice,
        revealed,
    })
}

async fn detail_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    detail(&state, &user, id, String::new(), None).await
}

/// The editable profile. `deny_unknown_fields`: role, status, username or any other
/// field in the body is refused (422) rather than silently applied or ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateForm {
    #[serde(default)]
    _csrf: String,
    display_name: String,
    region_code: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    clear_phone: Option<String>,
    version: i64,
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<UpdateForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let before = load_in_scope(&state, &user, id).await?;
    let display_name = form.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 50 {
        return Err(AppError::Invalid(
            "姓名不能为空，最多 50 个字。".to_string(),
        ));
    }
    let region = RegionCode::parse(&form.region_code)
        .ok()
        .filter(|c| user.scope().contains(c.as_str()))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "所属区划 {} 不存在或不在您的管辖范围内。",
                form.region_code.trim()
            ))
        })?;
    if crate::region::store::get(&state.db, region.as_str())
        .await?
        .is_none()
    {
        return Err(AppError::Invalid(format!("所属区划 {region} 不存在。")));
    }
    // A blank phone field keeps the number on file (the form never shows it in full);
    // `clear_phone` removes it.
    let phone = match form.phone.trim() {
        "" => None,
        p => Some(Phone::parse(p).map_err(|e| AppError::Invalid(format!("联系电话：{e}")))?),
    };
    let sealed = match (&phone, form.clear_phone.as_deref()) {
        (Some(p), _) => Some(state.keyring.seal(SensitiveKind::Phone, p.as_str())),
        (None, Some("1")) => None,
        (None, _) => before
            .phone_sealed
            .as_ref()
            .map(|sealed| crate::protect::Sealed {
                sealed: sealed.clone(),
                index: before.phone_index.clone().unwrap_or_default(),
            }),
    };
    let before_view = view(&state, &before);
    let mut tx = state.db.begin().await?;
    if !store::update_profile(
        &mut tx,
        id,
        form.version,
        display_name,
        region.as_str(),
        sealed.as_ref(),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "该账号已被其他人修改，请刷新页面后重新编辑。".to_string(),
        ));
    }
    record(
        &mut tx,
        &user_event(&state, &ctx, "user.update", id).with(json!({
            "before": {"display_name": before_view.display_name, "region_code": before_view.region_code, "phone": before_view.phone_masked},
            "after": {
                "display_name": display_name,
                "region_code": region.as_str(),
                "phone": match &phone { Some(p) => p.masked(), None if sealed.is_some() => before_view.phone_masked.clone(), None => String::new() },
            },
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(detail(&state, &user, id, "已保存。".to_string(), None)
        .await?
        .into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    active: String,
}

async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> AppResult<Html<String>> {
    let user = ctx.user()?.clone();
    let target = load_in_scope(&state, &user, id).await?;
    if target.id == user.id {
        return Err(AppError::Invalid("不能停用自己的账号。".to_string()));
    }
    refuse_admin_target(&target)?;
    let active = form.active == "1";
    let mut tx = state.db.begin().await?;
    store::set_active(&mut tx, id, active).await?;
    if !active {
        store::delete_user_sessions(&mut tx, id).await?;
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now_local(&state),
            &ctx.actor(),
            if active {
                "user.enable"
            } else {
                "user.disable"
            },
            "user",
            id.to_string(),
        )
        .with(json!({"before": {"active": target.active}, "after": {"active": active}})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    detail(
        &state,
        &user,
        id,
        if active {
            "账号已启用。"
        } else {
            "账号已停用，其会话已结束。"
        }
        .to_string(),
        None,
    )
    .await
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let user = ctx.user()?.clone();
    let target = reset_target(&state, &user, id).await?;
    let password = temporary_password();
    let hash = hash_password(&password).map_err(AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    store::set_password(&mut tx, id, &hash, true, state.clock.now()).await?;
    store::delete_user_sessions(&mut tx, id).await?;
    record(
        &mut tx,
        &user_event(&state, &ctx, "user.password_reset", id),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let page = sub_page(&state, &user, "密码已重置").await?;
    render(CreatedPage {
        page,
        username: target.username,
        password,
        id,
    })
}

async fn reset_totp(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let user = ctx.user()?.clone();
    reset_target(&state, &user, id).await?;
    let mut tx = state.db.begin().await?;
    store::set_totp_secret(&mut tx, id, None, 0).await?;
    store::delete_user_sessions(&mut tx, id).await?;
    record(&mut tx, &user_event(&state, &ctx, "user.totp_reset", id))
        .await
        .map_err(AppError::audit)?;
    tx.commit().await?;
    detail(
        &state,
        &user,
        id,
        "动态验证码已重置：该账号下次登录时需要重新绑定。".to_string(),
        None,
    )
    .await
}

async fn unlock(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let user = ctx.user()?.clone();
    let target = load_in_scope(&state, &user, id).await?;
    refuse_admin_target(&target)?;
    let mut tx = state.db.begin().await?;
    store::clear_failures(&mut tx, id).await?;
    record(
        &mut tx,
        &user_event(&state, &ctx, "auth.unlock", id)
            .with(json!({"reason": "unlocked by administrator"})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    detail(&state, &user, id, "账号已解锁。".to_string(), None).await
}

#[derive(Deserialize)]
pub struct RevealForm {
    field: String,
}

/// Shows one protected field in full: needs a recent password entry and is audited.
async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> AppResult<Html<String>> {
    let user = ctx.user()?.clone();
    let target = load_in_scope(&state, &user, id).await?;
    require_recent_auth(&state, &user, &format!("/admin/users/{id}")).await?;
    let (kind, sealed) = match form.field.as_str() {
        "phone" => (SensitiveKind::Phone, target.phone_sealed.clone()),
        "id_number" => (SensitiveKind::IdNumber, target.id_number_sealed.clone()),
        _ => {
            return Err(AppError::Invalid(
                "只能查看联系电话或身份证号。".to_string(),
            ));
        }
    };
    let Some(sealed) = sealed else {
        return Err(AppError::NotFound(format!("该账号的{}", kind.label())));
    };
    let value = state
        .keyring
        .open(kind, &sealed)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::audit::store::record_alone(
        &state.db,
        &user_event(&state, &ctx, "person.reveal", id)
            .with(json!({"field": kind.code(), "value": kind.mask(&value)})),
    )
    .await
    .map_err(AppError::audit)?;
    detail(
        &state,
        &user,
        id,
        String::new(),
        Some((kind.label().to_string(), value)),
    )
    .await
}

#[derive(Deserialize)]
pub struct FindForm {
    id_number: String,
}

/// Finds accounts by ID number. A POST, so the number never appears in a URL or a log.
async fn find_by_id_number(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<FindForm>,
) -> AppResult<Html<String>> {
    let id = IdNumber::parse(&form.id_number, state.clock.today())
        .map_err(|e| AppError::Invalid(format!("身份证号：{e}")))?;
    let index = state.keyring.index(SensitiveKind::IdNumber, id.as_str());
    let found = store::by_id_number_index(&state.db, &index).await?;
    let users = found
        .iter()
        .filter(|u| user.scope().contains(&u.region_code))
        .map(|u| view(&state, u))
        .collect();
    let page = PageCtx::load(
        &state,
        Some(&user),
        "admin_users",
        "账号管理",
        vec![Crumb::here("账号管理")],
    )
    .await?;
    render(ListPage { page, users })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_meet_the_policy() {
        for _ in 0..50 {
            let p = temporary_password();
            assert!(
                super::super::password::check_password(&p, "someone", 12).is_empty(),
                "{p}"
            );
        }
    }

    #[test]
    fn usernames() {
        assert!(valid_username("zhang.san"));
        assert!(!valid_username("Zhang"));
        assert!(!valid_username("1abc"));
        assert!(!valid_username("ab"));
        assert!(!valid_username("张三"));
    }
}
