//! Signing in and out, changing the password, enrolling the second factor, and
//! re-authenticating before sensitive actions.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::context::{Ctx, CurrentUser, Stage};
use super::guard::{
    clear_cookie, random_token, read_cookie, same_secret, session_cookie, token_hash,
};
use super::password::{dummy_hash, verify_password};
use super::policy::SecurityPolicy;
use super::routes::{Access, Routes};
use super::store::{self, SessionRecord, UserRecord};
use super::totp;
use crate::AppState;
use crate::audit::{AuditEvent, store::record, store::record_alone};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;

pub fn routes() -> Routes {
    Routes::new()
        .get("/login", Access::Public, login_page)
        .post("/login", Access::Public, login_submit)
        .post("/logout", Access::Session, logout)
        .post("/api/v1/login", Access::Public, api_login)
        .post("/api/v1/logout", Access::Session, api_logout)
        .get("/api/v1/me", Access::SignedIn, api_me)
}

/// The one answer for every failed login, so that an unknown user, a wrong password and a
/// wrong second factor cannot be told apart.
pub const LOGIN_FAILED: &str = "用户名、密码或动态验证码不正确。";

/// Name of the pre-login cookie that pairs with the login form's hidden token
/// (double-submit: a foreign site can post the form but cannot read the cookie).
const PRE_COOKIE: &str = "mz_pre";

/// A local path to return to after signing in; anything else goes home.
/// A local path to return to: it must start with one `/` and contain only URL-safe
/// characters (browsers drop tabs and newlines, so `/\t/evil` would become `//evil`).
pub fn safe_next(next: Option<&str>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~?=&%+".contains(c);
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && n.chars().all(allowed) => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// A typed username as the audit log keeps it: a mistyped password in the username box
/// must not end up in the log, so anything that is not a possible username is replaced.
fn loggable_username(typed: &str) -> String {
    let ok = (1..=32).contains(&typed.len())
        && typed
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        typed.to_string()
    } else {
        "(无效用户名)".to_string()
    }
}

pub fn now_local(state: &AppState) -> DateTime<chrono::FixedOffset> {
    state.clock.now_local()
}

// ---------------------------------------------------------------- login core

pub struct LoginOk {
    pub token: String,
    pub csrf: String,
    pub stage: Stage,
    pub user: UserRecord,
}

pub enum LoginFail {
    Failed,
    Locked { minutes: i64 },
    Disabled,
    Throttled { retry_after_secs: u64 },
}

impl LoginFail {
    pub fn message(&self) -> String {
        match self {
            LoginFail::Failed => LOGIN_FAILED.to_string(),
            LoginFail::Locked { minutes } => format!(
                "该账号因连续多次登录失败已被锁定，请 {minutes} 分钟后再试，或联系系统管理员解锁。"
            ),
            LoginFail::Disabled => "该账号已停用，请联系系统管理员。".to_string(),
            LoginFail::Throttled { retry_after_secs } => {
                format!("登录尝试过于频繁，请 {retry_after_secs} 秒后再试。")
            }
        }
    }
}

fn password_expired(user: &UserRecord, policy: &SecurityPolicy, now: DateTime<Utc>) -> bool {
    let days = if user.role.is_admin() {
        policy.admin_password_max_age_days
    } else {
        policy.user_password_max_age_days
    };
    days > 0 && now - user.password_changed_at > Duration::days(days)
}

/// Checks the credentials and opens a session. Every outcome is audited.
pub async fn attempt_login(
    state: &AppState,
    ctx: &Ctx,
    username: &str,
    password: &str,
    code: &str,
) -> AppResult<Result<LoginOk, LoginFail>> {
    let policy = SecurityPolicy::load(&state.db).await?;
    let now = state.clock.now();
    let at = now_local(state);
    if let Err(wait) = state
        .throttle
        .check(&ctx.ip, now, policy.login_attempts_per_minute)
    {
        return Ok(Err(LoginFail::Throttled {
            retry_after_secs: wait,
        }));
    }
    let username = username.trim().to_lowercase();
    let logged_name = loggable_username(&username);
    let anonymous = crate::audit::Actor::anonymous(&logged_name, &ctx.ip, &ctx.request_id);
    let failure = |reason: &str| {
        AuditEvent::new(at, &anonymous, "auth.login", "user", logged_name.clone())
            .failed()
            .with(json!({ "reason": reason }))
    };
    let Some(user) = store::by_username(&state.db, &username).await? else {
        // Spend the same time as a real check, and lock unknown names exactly like real
        // ones, so neither timing nor the lock message tells which names exist.
        verify_password(password, dummy_hash());
        record_alone(&state.db, &failure("unknown user"))
            .await
            .map_err(AppError::audit)?;
        let lock = state.throttle.unknown_failure(
            &username,
            now,
            policy.max_failed_logins,
            Duration::minutes(policy.lockout_minutes),
        );
        return Ok(Err(match lock {
            Some(minutes) => LoginFail::Locked { minutes },
            None => LoginFail::Failed,
        }));
    };
    let mut actor = anonymous.clone();
    actor.user_id = Some(user.id);
    actor.role = user.role.code().to_string();
    actor.region_code = user.region_code.clone();

    // An expired lock is lifted (and that is audited) before the attempt counts.
    if let Some(until) = user.locked_until {
        if until > now {
            record_alone(&state.db, &failure("locked"))
                .await
                .map_err(AppError::audit)?;
            let minutes = ((until - now).num_seconds() + 59) / 60;
            return Ok(Err(LoginFail::Locked { minutes }));
        }
        let mut tx = state.db.begin().await?;
        store::clear_failures(&mut tx, user.id).await?;
        record(
            &mut tx,
            &AuditEvent::new(at, &actor, "auth.unlock", "user", user.id.to_string())
                .with(json!({"reason": "lock expired"})),
        )
        .await
        .map_err(AppError::audit)?;
        tx.commit().await?;
    }
    let user = store::by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;

    let password_ok = verify_password(password, &user.password_hash);
    let mut totp_step = None;
    let second_factor_ok = match (&user.totp_secret, user.role.requires_totp()) {
        (Some(sealed), _) => {
            let secret = state
                .keyring
                .open(SensitiveKind::Totp, sealed)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            totp_step = totp::verify(
                &secret,
                code,
                now.timestamp().max(0) as u64,
                user.totp_last_step,
            );
            totp_step.is_some()
        }
        // An administrator without a second factor may only sign in to enrol one.
        (None, _) => true,
    };
    if !password_ok || !second_factor_ok {
        let reason = if !password_ok {
            "wrong password"
        } else {
            "wrong second factor"
        };
        let locked = count_failure(state, &actor, user.id, &failure(reason)).await?;
        return Ok(Err(if locked {
            LoginFail::Locked {
                minutes: policy.lockout_minutes,
            }
        } else {
            LoginFail::Failed
        }));
    }
    if !user.active {
        record_alone(&state.db, &failure("disabled"))
            .await
            .map_err(AppError::audit)?;
        return Ok(Err(LoginFail::Disabled));
    }
    let stage = if user.must_change_password || password_expired(&user, &policy, now) {
        Stage::ChangePassword
    } else if user.role.requires_totp() && user.totp_secret.is_none() {
        Stage::EnrolTotp
    } else {
        Stage::Full
    };
    let token = random_token();
    let csrf = random_token();
    let mut tx = state.db.begin().await?;
    if let Some(step) = totp_step
        && !store::use_totp_step(&mut tx, user.id, step).await?
    {
        // A concurrent login used the same code first.
        tx.rollback().await?;
        let locked =
            count_failure(state, &actor, user.id, &failure("second factor replayed")).await?;
        return Ok(Err(if locked {
            LoginFail::Locked {
                minutes: policy.lockout_minutes,
            }
        } else {
            LoginFail::Failed
        }));
    }
    store::clear_failures(&mut tx, user.id).await?;
    store::insert_session(
        &mut tx,
        &SessionRecord {
            token_hash: token_hash(&token),
            user_id: user.id,
            stage: stage.code().to_string(),
            csrf_token: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            reauth_at: now,
        },
        &ctx.ip,
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(at, &actor, "auth.login", "user", user.id.to_string())
            .with(json!({"stage": stage.code(), "second_factor": totp_step.is_some()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(Ok(LoginOk {
        token,
        csrf,
        stage,
        user,
    }))
}

/// Counts a failed password (or second-factor) check against the account, locking it
/// and ending its sessions when the limit is reached. Returns whether it is now locked.
/// Used by login, re-authentication and password change alike, so a stolen session
/// cannot guess the password without limit.
pub async fn count_failure(
    state: &AppState,
    actor: &crate::audit::Actor,
    user_id: i64,
    failure: &AuditEvent,
) -> AppResult<bool> {
    let policy = SecurityPolicy::load(&state.db).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (failures, locked) = store::record_failure(
        &mut tx,
        user_id,
        policy.max_failed_logins,
        now + Duration::minutes(policy.lockout_minutes),
    )
    .await?;
    record(&mut tx, failure).await.map_err(AppError::audit)?;
    if locked {
        store::delete_user_sessions(&mut tx, user_id).await?;
        record(
            &mut tx,
            &AuditEvent::new(
                now_local(state),
                actor,
                "auth.lock",
                "user",
                user_id.to_string(),
            )
            .with(json!({"failures": failures, "minutes": policy.lockout_minutes})),
        )
        .await
        .map_err(AppError::audit)?;
    }
    tx.commit().await?;
    Ok(locked)
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    error: String,
    notice: String,
    /// No account exists yet: say how to set the system up.
    setup: bool,
    city: String,
    max_failed: i64,
    lockout_minutes: i64,
    username: String,
    next: String,
    pre: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    changed: Option<String>,
    out: Option<String>,
}

async fn login_page_parts(state: &AppState) -> AppResult<(String, i64, i64)> {
    let policy = SecurityPolicy::load(&state.db).await?;
    Ok((
        super::account::city_name(state).await?,
        policy.max_failed_logins,
        policy.lockout_minutes,
    ))
}

fn login_page_response(page: LoginPage, status: axum::http::StatusCode) -> AppResult<Response> {
    let pre = page.pre.clone();
    let html = crate::web::layout::render(page)?;
    let mut response = (status, html).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{PRE_COOKIE}={pre}; Path=/login; HttpOnly; SameSite=Strict"
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

async fn login_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    if ctx.user.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let notice = if q.changed.is_some() {
        "密码已修改，请用新密码登录（管理员请输入验证器上新的动态验证码：每个验证码只能用一次，每 30 秒更新）。"
    } else if q.out.is_some() {
        "您已安全退出。"
    } else {
        ""
    };
    let (city, max_failed, lockout_minutes) = login_page_parts(&state).await?;
    login_page_response(
        LoginPage {
            error: String::new(),
            notice: notice.to_string(),
            setup: store::count(&state.db).await? == 0,
            city,
            max_failed,
            lockout_minutes,
            username: String::new(),
            next: safe_next(q.next.as_deref()),
            pre: random_token(),
        },
        axum::http::StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    _pre: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let (city, max_failed, lockout_minutes) = login_page_parts(&state).await?;
    let retry = |error: String, status| {
        login_page_response(
            LoginPage {
                error,
                notice: String::new(),
                setup: false,
                city: city.clone(),
                max_failed,
                lockout_minutes,
                username: form.username.clone(),
                next: safe_next(Some(&form.next)),
                pre: random_token(),
            },
            status,
        )
    };
    let pre_ok = read_cookie(&headers, PRE_COOKIE).is_some_and(|c| same_secret(&c, &form._pre));
    if !pre_ok {
        return retry(
            "登录页面已过期，请重新输入后登录。".to_string(),
            axum::http::StatusCode::FORBIDDEN,
        );
    }
    match attempt_login(&state, &ctx, &form.username, &form.password, &form.code).await? {
        Ok(ok) => {
            let to = match ok.stage {
                Stage::Full => safe_next(Some(&form.next)),
                other => other.page().to_string(),
            };
            let mut response = Redirect::to(&to).into_response();
            if let Ok(v) =
                HeaderValue::from_str(&session_cookie(&ok.token, state.settings.secure_cookies))
            {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(fail) => {
            let status = match fail {
                LoginFail::Throttled { .. } => axum::http::StatusCode::TOO_MANY_REQUESTS,
                _ => axum::http::StatusCode::OK,
            };
            let mut response = retry(fail.message(), status)?;
            if let LoginFail::Throttled { retry_after_secs } = fail
                && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(response)
        }
    }
}

/// Ends the session (audited) and returns the cookie that clears it.
async fn end_session(state: &AppState, ctx: &Ctx) -> AppResult<HeaderValue> {
    let user = ctx.user()?;
    let mut tx = state.db.begin().await?;
    store::delete_session_tx(&mut tx, &user.token_hash).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now_local(state),
            &ctx.actor(),
            "auth.logout",
            "user",
            user.id.to_string(),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    HeaderValue::from_str(&clear_cookie(state.settings.secure_cookies))
        .map_err(|e| AppError::Internal(e.to_string()))
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let cookie = end_session(&state, &ctx).await?;
    let mut response = Redirect::to("/login?out=1").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

// ---------------------------------------------------------------- JSON API

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApiLogin {
    username: String,
    password: String,
    /// 动态验证码（6 位，绑定了验证器的管理员账号必填）。
    #[serde(default)]
    code: String,
}

#[derive(Serialize)]
pub struct MeAnswer {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    role_label: &'static str,
    region_code: String,
    stage: &'static str,
    permissions: Vec<&'static str>,
    /// Send this as `X-CSRF-Token` with every state-changing API call.
    csrf_token: String,
}

async fn api_login(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(body): Json<ApiLogin>,
) -> AppResult<Response> {
    match attempt_login(&state, &ctx, &body.username, &body.password, &body.code).await? {
        Ok(ok) => {
            let answer = MeAnswer {
                id: ok.user.id,
                username: ok.user.username.clone(),
                display_name: ok.user.display_name.clone(),
                role: ok.user.role.code(),
                role_label: ok.user.role.label(),
                region_code: ok.user.region_code.clone(),
                stage: ok.stage.code(),
                permissions: ok.user.role.permissions(),
                csrf_token: ok.csrf,
            };
            let mut response = Json(answer).into_response();
            if let Ok(v) =
                HeaderValue::from_str(&session_cookie(&ok.token, state.settings.secure_cookies))
            {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(LoginFail::Throttled { retry_after_secs }) => {
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(fail) => Err(AppError::Forbidden(fail.message())),
    }
}

async fn api_logout(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let cookie = end_session(&state, &ctx).await?;
    let mut response = Json(json!({"status": "signed out"})).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn api_me(user: CurrentUser) -> Json<MeAnswer> {
    Json(MeAnswer {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role.code(),
        role_label: user.role.label(),
        region_code: user.region.to_string(),
        stage: user.stage.code(),
        permissions: user.role.permissions(),
        csrf_token: user.csrf_token.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(safe_next(Some("/regions")), "/regions");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/regions?x=1")), "/regions?x=1");
        assert_eq!(safe_next(None), "/");
    }
}
