//! One error type for handlers. A handler returns `AppError`; the `render_errors`
//! middleware turns it into an HTML page or an RFC 9457 problem document that carries the
//! request id, so a caseworker can quote it and an engineer can find the cause in the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// What was looked for, as a Chinese noun phrase ("行政区划 369999").
    #[error("没有找到{0}")]
    NotFound(String),
    /// The request itself is wrong; the message says what to change.
    #[error("{0}")]
    BadRequest(String),
    /// The input broke a rule; the message names the field and what to do (422).
    #[error("{0}")]
    Invalid(String),
    /// Someone changed the record first; the user must reload (409).
    #[error("{0}")]
    Conflict(String),
    #[error("需要登录")]
    Unauthenticated,
    #[error("没有权限")]
    Forbidden(String),
    /// A sensitive action needs the password again; `next` is where to return.
    #[error("需要重新验证身份")]
    ReauthRequired { next: String },
    #[error("请求过于频繁")]
    TooManyRequests { retry_after_secs: u64 },
    /// The audit entry could not be written, so the action was not carried out.
    #[error("审计记录无法写入")]
    AuditUnavailable(sqlx::Error),
    #[error("数据库操作失败")]
    Database(#[from] sqlx::Error),
    #[error("系统内部错误")]
    Internal(String),
}

/// What the error middleware needs to render the answer; travels as a response extension.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
    /// For pages: send the browser here instead of showing an error page.
    pub redirect: Option<String>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::ReauthRequired { .. } => StatusCode::FORBIDDEN,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::AuditUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(e) if Trouble::of(e).is_some() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Maps a failure to write the audit entry: the action must not happen (fail closed).
    pub fn audit(e: sqlx::Error) -> AppError {
        AppError::AuditUnavailable(e)
    }

    /// The sentence the user sees. Causes of server errors stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound(what) => format!("没有找到{what}，它可能不存在或不在您的管辖范围内。"),
            AppError::BadRequest(msg) | AppError::Invalid(msg) | AppError::Conflict(msg) => msg.clone(),
            AppError::Unauthenticated => "请先登录。".to_string(),
            AppError::Forbidden(msg) if !msg.is_empty() => msg.clone(),
            AppError::Forbidden(_) => "您没有执行此操作的权限。".to_string(),
            AppError::ReauthRequired { .. } => {
                "这是敏感操作，请先重新输入密码验证身份（10 分钟内有效）。".to_string()
            }
            AppError::TooManyRequests { retry_after_secs } => {
                format!("操作过于频繁，请 {retry_after_secs} 秒后再试。")
            }
            AppError::AuditUnavailable(_) => {
                "审计记录暂时无法写入，为保证可追溯，本次操作没有执行，请稍后再试。".to_string()
            }
            AppError::Database(e) if Trouble::of(e).is_some() => {
                Trouble::of(e).map(Trouble::message).unwrap_or_default().to_string()
            }
            AppError::Database(_) | AppError::Internal(_) => {
                "系统处理您的请求时出错，请稍后再试；如果问题持续，请把下面的请求编号告诉系统管理员。"
                    .to_string()
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::Database(e) => tracing::error!(error = %e, "database error"),
            AppError::AuditUnavailable(e) => {
                tracing::error!(error = %e, "audit write failed; action refused")
            }
            AppError::Internal(e) => tracing::error!(error = %e, "internal error"),
            _ => {}
        }
        let redirect = match &self {
            AppError::ReauthRequired { next } => {
                Some(format!("/reauth?next={}", crate::web::encode_query(next)))
            }
            _ => None,
        };
        let mut response = status.into_response();
        if let AppError::TooManyRequests { retry_after_secs } = &self
            && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(ErrorInfo {
            status,
            message: self.public_message(),
            redirect,
        });
        response
    }
}

/// The sentence for errors raised outside our handlers (routing, body limits, extractors).
pub fn message_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求的格式不正确，请检查填写的内容后重试。",
        401 => "请先登录。",
        403 => "您没有执行此操作的权限。",
        404 => "没有找到您要访问的页面，请检查地址或从左侧导航进入。",
        405 => "不支持这种请求方式。",
        408 => "请求超时，请稍后再试。",
        413 => "提交的内容过大（上传文件最多 32 MiB，其他表单最多 1 MiB），请缩小文件或分批提交。",
        415 => "提交的内容类型不正确。",
        422 => "提交的内容无法处理，请检查填写的内容。",
        429 => "操作过于频繁，请稍后再试。",
        503 => "系统暂时无法提供服务，请稍后再试。",
        s if s >= 500 => "系统处理您的请求时出错，请稍后再试。",
        _ => "请求未能完成。",
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A database failure that is not a fault in the request or the program: the storage is
/// full, or the database cannot be reached (restarting, network). The write did not
/// happen (its transaction rolled back), so the user is told to try again later with 503
/// rather than shown a generic 500.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    StorageFull,
    Unreachable,
}

impl Trouble {
    pub fn of(e: &sqlx::Error) -> Option<Trouble> {
        match e {
            sqlx::Error::Database(db) => {
                let code = db.code();
                let code = code.as_deref().unwrap_or("");
                // SQLite: SQLITE_FULL (13), SQLITE_IOERR (10) and its extended codes end
                // in 10 mod 256. PostgreSQL: class 53 (insufficient resources: 53100 disk
                // full), class 08 (connection), 57P01–57P03 (shutting down, starting).
                let sqlite = code.parse::<i64>().ok();
                if code == "13" || code == "53100" || db.message().contains("disk is full") {
                    Some(Trouble::StorageFull)
                } else if sqlite.is_some_and(|c| c & 0xff == 10)
                    || code.starts_with("08")
                    || code.starts_with("57P")
                    || code.starts_with("53")
                {
                    Some(Trouble::Unreachable)
                } else {
                    None
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Some(Trouble::Unreachable),
            _ => None,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Trouble::StorageFull => {
                "服务器存储空间已满，本次操作没有保存（已全部撤回）；请通知系统管理员清理空间后再试。"
            }
            Trouble::Unreachable => {
                "数据库暂时无法连接，本次操作没有执行；请稍后再试，如果问题持续请通知系统管理员。"
            }
        }
    }
}
