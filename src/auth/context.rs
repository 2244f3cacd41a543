//! Who is asking: the signed-in user (put there by `guard::authenticate`), the client's
//! address and the request id — everything an audit entry needs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};

use super::roles::Role;
use crate::AppState;
use crate::audit::Actor;
use crate::error::AppError;
use crate::region::{RegionCode, RegionScope};

/// How far a session has got: full access, or confined to finishing a step first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Full,
    /// First login, reset or expired password: only the change-password page answers.
    ChangePassword,
    /// An administrator without a second factor yet: only enrolment answers.
    EnrolTotp,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Full => "full",
            Stage::ChangePassword => "change_password",
            Stage::EnrolTotp => "enrol_totp",
        }
    }
    pub fn from_code(s: &str) -> Option<Stage> {
        match s {
            "full" => Some(Stage::Full),
            "change_password" => Some(Stage::ChangePassword),
            "enrol_totp" => Some(Stage::EnrolTotp),
            _ => None,
        }
    }
    /// Where a confined session is sent.
    pub fn page(self) -> &'static str {
        match self {
            Stage::Full => "/",
            Stage::ChangePassword => "/account/password",
            Stage::EnrolTotp => "/account/totp",
        }
    }
}

#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub stage: Stage,
    pub token_hash: String,
    pub csrf_token: String,
    pub reauth_at: DateTime<Utc>,
}

impl CurrentUser {
    pub fn scope(&self) -> RegionScope {
        self.region.scope()
    }

    /// Bounds for list queries: `region_code >= $1 AND region_code < $2`.
    pub fn scope_bounds(&self) -> (String, String) {
        self.scope().sql_bounds()
    }

    /// Single-record reads call this with the record's region: a record outside the
    /// user's scope answers exactly like a missing one (404), so its existence leaks not.
    pub fn ensure_in_scope(
        &self,
        region_code: &str,
        what: impl FnOnce() -> String,
    ) -> Result<(), AppError> {
        if self.scope().contains(region_code) {
            Ok(())
        } else {
            Err(AppError::NotFound(what()))
        }
    }
    pub fn can(&self, permission: &str) -> bool {
        self.stage == Stage::Full && self.role.has(permission)
    }
}

/// Request context for handlers: `ctx.user` is set when signed in.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub user: Option<CurrentUser>,
    pub ip: String,
    pub request_id: String,
}

impl Ctx {
    pub fn actor(&self) -> Actor {
        match &self.user {
            Some(u) => Actor {
                user_id: Some(u.id),
                username: u.username.clone(),
                role: u.role.code().to_string(),
                region_code: u.region.to_string(),
                ip: self.ip.clone(),
                request_id: self.request_id.clone(),
            },
            None => Actor::anonymous("-", &self.ip, &self.request_id),
        }
    }

    /// The signed-in user; routes behind `Access::SignedIn`/`Perm` always have one.
    pub fn user(&self) -> Result<&CurrentUser, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }
}

/// The client's address: the socket peer, or — behind a trusted reverse proxy — the
/// right-most `X-Forwarded-For` entry, the one the proxy itself added (entries to its
/// left come from the client and can be forged).
pub fn client_ip(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(forwarded) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
    {
        let hop = forwarded.trim();
        if hop.parse::<std::net::IpAddr>().is_ok() {
            return hop.to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "0.0.0.0".to_string())
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Ctx {
            user: parts.extensions.get::<CurrentUser>().cloned(),
            ip: client_ip(parts, state.settings.trust_proxy),
            request_id: crate::web::request_id(&parts.headers),
        })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}
