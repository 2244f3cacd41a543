//! The signed-in user's own account: changing the password, enrolling the second
//! factor, and re-entering the password before sensitive actions.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Duration;
use serde::Deserialize;

use super::context::{Ctx, CurrentUser, Stage};
use super::guard::clear_cookie;
use super::login::{count_failure, now_local, safe_next};
use super::password::{check_password, hash_password, verify_password};
use super::policy::SecurityPolicy;
use super::routes::{Access, Routes};
use super::store::{self, UserRecord};
use super::totp;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;

pub fn routes() -> Routes {
    Routes::new()
        .get("/account/password", Access::Session, password_page)
        .post("/account/password", Access::Session, password_submit)
        .get("/account/totp", Access::Session, totp_page)
        .post("/account/totp", Access::Session, totp_submit)
        .get("/reauth", Access::SignedIn, reauth_page)
        .post("/reauth", Access::SignedIn, reauth_submit)
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    user: CurrentUser,
    errors: Vec<String>,
    forced: bool,
    min_length: i64,
}

async fn password_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Html<String>> {
    let policy = SecurityPolicy::load(&state.db).await?;
    crate::web::layout::render(PasswordPage {
        forced: user.stage == Stage::ChangePassword,
        user,
        errors: Vec::new(),
        min_length: policy.min_password_length,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// Why a password change is refused (each sentence shown), or `Ok` with the new hash.
async fn check_change(
    state: &AppState,
    user: &UserRecord,
    current: &str,
    new: &str,
    confirm: &str,
) -> AppResult<Result<String, Vec<String>>> {
    let policy = SecurityPolicy::load(&state.db).await?;
    let mut errors = Vec::new();
    if !verify_password(current, &user.password_hash) {
        errors.push("当前密码不正确。".to_string());
    }
    if new != confirm {
        errors.push("两次输入的新密码不一致。".to_string());
    }
    let mut broken = check_password(new, &user.username, policy.min_password_length as usize);
    if new == current {
        broken.push(super::password::PasswordRule::SameAsCurrent);
    }
    errors.extend(broken.iter().map(|r| format!("{}。", r.message())));
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    hash_password(new).map(Ok).map_err(AppError::Internal)
}

/// Stores the new password and ends every session of the account (audited).
async fn apply_change(state: &AppState, ctx: &Ctx, user_id: i64, hash: &str) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    store::set_password(&mut tx, user_id, hash, false, state.clock.now()).await?;
    store::delete_user_sessions(&mut tx, user_id).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now_local(state),
            &ctx.actor(),
            "auth.password_change",
            "user",
            user_id.to_string(),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(())
}

async fn password_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let record = store::by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !verify_password(&form.current, &record.password_hash) {
        let event = AuditEvent::new(
            now_local(&state),
            &ctx.actor(),
            "auth.password_change",
            "user",
            user.id.to_string(),
        )
        .failed();
        if count_failure(&state, &ctx.actor(), user.id, &event).await? {
            return Ok(Redirect::to("/login").into_response());
        }
    }
    match check_change(&state, &record, &form.current, &form.new, &form.confirm).await? {
        Err(errors) => {
            let policy = SecurityPolicy::load(&state.db).await?;
            let html = crate::web::layout::render(PasswordPage {
                forced: user.stage == Stage::ChangePassword,
                user,
                errors,
                min_length: policy.min_password_length,
            })?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Ok(hash) => {
            apply_change(&state, &ctx, user.id, &hash).await?;
            let mut response = Redirect::to("/login?changed=1").into_response();
            if let Ok(v) = HeaderValue::from_str(&clear_cookie(state.settings.secure_cookies)) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "auth/totp.html")]
struct TotpPage {
    user: CurrentUser,
    enrolled: bool,
    secret: String,
    qr_svg: String,
    error: String,
}

async fn totp_enrolled(state: &AppState, user_id: i64) -> AppResult<bool> {
    Ok(store::by_id(&state.db, user_id)
        .await?
        .is_some_and(|u| u.totp_secret.is_some()))
}

fn totp_page_for(
    user: CurrentUser,
    enrolled: bool,
    secret: String,
    error: String,
    city: &str,
) -> AppResult<Html<String>> {
    let issuer = format!("{city}民政");
    let qr_svg = if enrolled {
        String::new()
    } else {
        totp::qr_svg(&totp::otpauth_uri(&issuer, &user.username, &secret)).unwrap_or_default()
    };
    crate::web::layout::render(TotpPage {
        user,
        enrolled,
        secret,
        qr_svg,
        error,
    })
}

pub(crate) async fn city_name(state: &AppState) -> AppResult<String> {
    Ok(crate::region::store::city(&state.db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default())
}

async fn totp_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let enrolled = totp_enrolled(&state, user.id).await?;
    let city = city_name(&state).await?;
    totp_page_for(user, enrolled, totp::new_secret(), String::new(), &city)
}

#[derive(Deserialize)]
pub struct TotpForm {
    secret: String,
    code: String,
}

async fn totp_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<TotpForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    if totp_enrolled(&state, user.id).await? {
        return Err(AppError::Conflict(
            "已经绑定了动态验证码。如需更换，请联系系统管理员重置。".to_string(),
        ));
    }
    let now = state.clock.now().timestamp().max(0) as u64;
    let Some(step) = totp::verify(&form.secret, &form.code, now, 0) else {
        let city = city_name(&state).await?;
        let html = totp_page_for(
            user,
            false,
            form.secret.clone(),
            "验证码不正确：请确认手机时间准确，并输入验证器上当前显示的 6 位数字。".to_string(),
            &city,
        )?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    let sealed = state.keyring.seal(SensitiveKind::Totp, form.secret.trim());
    let mut tx = state.db.begin().await?;
    store::set_totp_secret(&mut tx, user.id, Some(&sealed.sealed), step).await?;
    if user.stage == Stage::EnrolTotp {
        store::set_stage(&mut tx, &user.token_hash, Stage::Full.code()).await?;
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now_local(&state),
            &ctx.actor(),
            "auth.totp_enrol",
            "user",
            user.id.to_string(),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Template)]
#[template(path = "auth/reauth.html")]
struct ReauthPage {
    page: crate::web::layout::PageCtx,
    user: CurrentUser,
    next: String,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

async fn reauth_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NextQuery>,
) -> AppResult<Html<String>> {
    let page =
        crate::web::layout::PageCtx::load(&state, Some(&user), "", "重新验证身份", vec![]).await?;
    crate::web::layout::render(ReauthPage {
        page,
        user,
        next: safe_next(q.next.as_deref()),
        error: String::new(),
    })
}

#[derive(Deserialize)]
pub struct ReauthForm {
    password: String,
    #[serde(default)]
    next: String,
}

async fn reauth_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ReauthForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let record_user = store::by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let ok = verify_password(&form.password, &record_user.password_hash);
    let event = AuditEvent::new(
        now_local(&state),
        &ctx.actor(),
        "auth.reauth",
        "user",
        user.id.to_string(),
    );
    if ok {
        let mut tx = state.db.begin().await?;
        store::set_reauth(&mut tx, &user.token_hash, state.clock.now()).await?;
        record(&mut tx, &event).await.map_err(AppError::audit)?;
        tx.commit().await?;
        return Ok(Redirect::to(&safe_next(Some(&form.next))).into_response());
    }
    // Wrong password: it counts towards the lock, which also ends this session.
    if count_failure(&state, &ctx.actor(), user.id, &event.failed()).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let page =
        crate::web::layout::PageCtx::load(&state, Some(&user), "", "重新验证身份", vec![]).await?;
    let html = crate::web::layout::render(ReauthPage {
        page,
        user,
        next: safe_next(Some(&form.next)),
        error: "密码不正确。".to_string(),
    })?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// Sensitive actions call this first: the password must have been entered within the
/// policy's window (10 minutes), otherwise the user is sent to re-authenticate.
pub async fn require_recent_auth(
    state: &AppState,
    user: &CurrentUser,
    next: &str,
) -> AppResult<()> {
    let policy = SecurityPolicy::load(&state.db).await?;
    if state.clock.now() - user.reauth_at > Duration::minutes(policy.reauth_minutes) {
        return Err(AppError::ReauthRequired {
            next: next.to_string(),
        });
    }
    Ok(())
}
