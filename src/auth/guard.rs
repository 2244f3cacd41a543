//! The two middlewares every request passes: `authenticate` (session cookie → user,
//! timeouts, CSRF and Origin checks, no-store) and, per route, `require` (the route's
//! declared access).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::context::{CurrentUser, Stage};
use super::policy::SecurityPolicy;
use super::routes::Access;
use super::store;
use crate::AppState;
use crate::error::AppError;
use crate::region::RegionCode;

/// The most a request body may hold (checked before anything is buffered); uploads of
/// ledgers stay well below it. Bigger requests get 413.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const MAX_BUFFERED_BODY: usize = MAX_BODY_BYTES;
/// The most a form or JSON body may hold: a form of the largest household is a few
/// kilobytes, so anything near a megabyte is a mistake or an attack and should not be
/// buffered, parsed or checked for a CSRF token. Files come as multipart and keep
/// `MAX_BODY_BYTES`.
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Holds non-multipart bodies to `MAX_FORM_BYTES`: a declared length over it answers 413
/// at once; a body sent without a length is cut off at the limit (reading it then fails).
pub async fn limit_form_bodies(request: Request, next: Next) -> Response {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BYTES as u64) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = request.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, MAX_FORM_BYTES));
    next.run(Request::from_parts(parts, body)).await
}

pub fn cookie_name(secure: bool) -> &'static str {
    // The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain.
    if secure {
        "__Host-mz_session"
    } else {
        "mz_session"
    }
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    let mut c = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict",
        cookie_name(secure)
    );
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn clear_cookie(secure: bool) -> String {
    let mut c = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        cookie_name(secure)
    );
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares secrets without an early exit, so timing does not reveal the prefix.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Why a session no longer counts, or `None` while it does.
pub fn session_expiry(
    now: DateTime<Utc>,
    created: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    admin: bool,
    policy: &SecurityPolicy,
) -> Option<&'static str> {
    let idle = if admin {
        policy.admin_idle_minutes
    } else {
        policy.idle_minutes
    };
    if now - last_seen > Duration::minutes(idle) {
        return Some("idle");
    }
    if now - created > Duration::hours(policy.absolute_hours) {
        return Some("absolute");
    }
    None
}

async fn load_user(state: &AppState, token: &str) -> Result<Option<CurrentUser>, AppError> {
    let hash = token_hash(token);
    let Some(session) = store::session(&state.db, &hash).await? else {
        return Ok(None);
    };
    let user = store::by_id(&state.db, session.user_id).await?;
    let Some(user) = user.filter(|u| u.active) else {
        store::delete_session(&state.db, &hash).await?;
        return Ok(None);
    };
    let policy = SecurityPolicy::load(&state.db).await?;
    let now = state.clock.now();
    if session_expiry(
        now,
        session.created_at,
        session.last_seen_at,
        user.role.is_admin(),
        &policy,
    )
    .is_some()
    {
        store::delete_session(&state.db, &hash).await?;
        return Ok(None);
    }
    // Write at most once a minute: a page load should not always be a database write.
    if now - session.last_seen_at > Duration::seconds(60) {
        store::touch_session(&state.db, &hash, now).await?;
    }
    let region = RegionCode::parse(&user.region_code)
        .map_err(|_| AppError::Internal(format!("user {} has a bad region code", user.id)))?;
    Ok(Some(CurrentUser {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        region,
        stage: Stage::from_code(&session.stage).unwrap_or(Stage::ChangePassword),
        token_hash: hash,
        csrf_token: session.csrf_token,
        reauth_at: session.reauth_at,
    }))
}

/// A state-changing request from another site: its `Origin` (or `Sec-Fetch-Site`) says
/// so. Requests without those headers (scripts, old browsers) rely on the CSRF token.
fn foreign_origin(headers: &HeaderMap, trust_proxy: bool) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // Behind a trusted proxy that rewrites Host, the public host is in X-Forwarded-Host.
    let forwarded_host = trust_proxy
        .then(|| {
            headers
                .get("x-forwarded-host")
                .and_then(|v| v.to_str().ok())
        })
        .flatten();
    let host = forwarded_host
        .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// The CSRF token the request carries: the `X-CSRF-Token` header, or the `_csrf` field
/// of a form body (which is buffered and handed on unchanged).
async fn carried_token(
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<(Option<String>, Body), Response> {
    if let Some(h) = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return Ok((Some(h.to_string()), body));
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let multipart = content_type.starts_with("multipart/form-data");
    if !form && !multipart {
        return Ok((None, body));
    }
    let bytes = to_bytes(body, MAX_BUFFERED_BODY).await.map_err(|e| {
        // A body sent without a length only shows its size here, when a limit cuts it
        // off: that is the same 413 as a declared length over the limit gets.
        if over_a_limit(&e) {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response()
        } else {
            AppError::BadRequest("提交的内容不完整（连接中断），请重新提交。".to_string())
                .into_response()
        }
    })?;
    let token = if form {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k == "_csrf")
                    .map(|(_, v)| v)
            })
    } else {
        multipart_field(&bytes, "_csrf")
    };
    Ok((token, Body::from(bytes)))
}

/// Whether reading a body failed because a length limit cut it off (`limit_form_bodies`'
/// or `to_bytes`'), wherever in the chain of wrapped errors that shows.
fn over_a_limit(error: &axum::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// The value of a small text field in a multipart body (our forms put `_csrf` first).
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let text_end = body.len().min(64 * 1024);
    let head = String::from_utf8_lossy(&body[..text_end]);
    let at = head.find(&needle)?;
    let rest = &head[at..];
    let start = rest.find("\r\n\r\n")? + 4;
    let end = rest[start..].find("\r\n")?;
    Some(rest[start..start + end].to_string())
}

pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let secure = state.settings.secure_cookies;
    let (mut parts, body) = request.into_parts();
    let mut clear = false;
    let mut user = None;
    if let Some(token) = read_cookie(&parts.headers, cookie_name(secure)) {
        match load_user(&state, &token).await {
            Ok(Some(u)) => user = Some(u),
            Ok(None) => clear = true,
            Err(e) => return e.into_response(),
        }
    }
    let mut body = body;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        if foreign_origin(&parts.headers, state.settings.trust_proxy) {
            return AppError::Forbidden(
                "请求来自其他网站，已拒绝。请在本系统的页面中操作。".to_string(),
            )
            .into_response();
        }
        if let Some(u) = &user {
            let (token, rebuilt) = match carried_token(&parts, body).await {
                Ok(t) => t,
                Err(refused) => return refused,
            };
            body = rebuilt;
            if !token.is_some_and(|t| same_secret(&t, &u.csrf_token)) {
                return AppError::Forbidden(
                    "页面已过期或表单来源无法确认（CSRF 校验失败），请刷新页面后重新提交。"
                        .to_string(),
                )
                .into_response();
            }
        }
    }
    let signed_in = user.is_some();
    if let Some(u) = user {
        parts.extensions.insert(u);
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if signed_in {
        // Pages of signed-in users carry personal data: never keep them in a cache.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if clear && let Ok(v) = HeaderValue::from_str(&clear_cookie(secure)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub async fn require(State(access): State<Access>, request: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    let api = request.uri().path().starts_with("/api/");
    let Some(user) = request.extensions().get::<CurrentUser>() else {
        if api {
            return AppError::Unauthenticated.into_response();
        }
        let next_path = if request.method() == Method::GET {
            request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".to_string())
        } else {
            "/".to_string()
        };
        return Redirect::to(&format!(
            "/login?next={}",
            crate::web::encode_query(&next_path)
        ))
        .into_response();
    };
    if access == Access::Session {
        return next.run(request).await;
    }
    if user.stage != Stage::Full {
        if api {
            return AppError::Forbidden("请先在网页上完成修改密码或绑定动态验证码。".to_string())
                .into_response();
        }
        return Redirect::to(user.stage.page()).into_response();
    }
    match access {
        // An account without a role reaches nothing but its own sign-in pages.
        _ if user.role == super::Role::None => {
            AppError::Forbidden("您的账号尚未授权，请联系安全管理员分配角色。".to_string())
                .into_response()
        }
        Access::Perm(p) if !user.role.has(p) => AppError::Forbidden(String::new()).into_response(),
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn idle_and_absolute_limits() {
        let p = SecurityPolicy::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        let m = Duration::minutes;
        assert_eq!(session_expiry(t0 + m(30), t0, t0, false, &p), None);
        assert_eq!(session_expiry(t0 + m(31), t0, t0, false, &p), Some("idle"));
        assert_eq!(
            session_expiry(t0 + m(16), t0, t0, true, &p),
            Some("idle"),
            "admins: 15 min"
        );
        assert_eq!(session_expiry(t0 + m(15), t0, t0, true, &p), None);
        let late = t0 + Duration::hours(12) + m(1);
        assert_eq!(
            session_expiry(late, t0, late - m(1), false, &p),
            Some("absolute")
        );
    }

    #[test]
    fn cookie_attributes() {
        let c = session_cookie("abc", false);
        assert_eq!(c, "mz_session=abc; Path=/; HttpOnly; SameSite=Strict");
        let s = session_cookie("abc", true);
        assert!(s.starts_with("__Host-mz_session=abc;") && s.ends_with("; Secure"));
    }

    #[test]
    fn tokens_are_256_bits_and_compare_in_constant_time() {
        let t = random_token();
        assert_eq!(t.len(), 43); // 32 bytes, base64url without padding
        assert_ne!(t, random_token());
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }

    #[test]
    fn multipart_csrf_field_is_found() {
        let body =
            b"--X\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n--X\r\n";
        assert_eq!(multipart_field(body, "_csrf").as_deref(), Some("tok123"));
    }
}
