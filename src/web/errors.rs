use askama::Template;
use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::REQUEST_ID;
use crate::error::{AppError, ErrorInfo, message_for_status};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

#[derive(Serialize)]
struct Problem<'a> {
    r#type: &'static str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    request_id: &'a str,
}

pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// A handler panicked (a bug): answer 500 through the error page; the panic is logged.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    AppError::Internal(format!("handler panicked: {what}")).into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound("您要访问的页面".to_string())
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "请求有误",
        401 => "需要登录",
        403 => "没有权限",
        404 => "页面不存在",
        413 => "内容过大",
        429 => "操作过于频繁",
        s if s >= 500 => "系统出错",
        _ => "请求未完成",
    }
}

/// Renders every error answer — ours and the framework's — as a Chinese page (or a JSON
/// problem under `/api/`) with the request id. Bodies of framework errors (English
/// extractor messages) are never passed through.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let id = request_id(request.headers());
    let wants_json = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = response.extensions().get::<ErrorInfo>().cloned();
    // A page or document our handler rendered itself (a form shown again with its
    // errors) is passed on as it is.
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let rendered =
        content_type.starts_with("text/html") || content_type.starts_with("application/json");
    if info.is_none() && rendered {
        return response;
    }
    if !wants_json && let Some(to) = info.as_ref().and_then(|i| i.redirect.clone()) {
        return axum::response::Redirect::to(&to).into_response();
    }
    let message = info
        .map(|i| i.message)
        .unwrap_or_else(|| message_for_status(status).to_string());
    // Keep headers such as Retry-After and Allow that tell the client what to do.
    let keep: Vec<_> = [
        header::RETRY_AFTER,
        header::ALLOW,
        header::WWW_AUTHENTICATE,
        header::SET_COOKIE,
        header::CACHE_CONTROL,
    ]
    .into_iter()
    .filter_map(|h| response.headers().get(&h).map(|v| (h, v.clone())))
    .collect();
    let title = title_for(status);
    let mut out = if wants_json {
        let mut r = Json(Problem {
            r#type: "about:blank",
            title,
            status: status.as_u16(),
            detail: &message,
            request_id: &id,
        })
        .into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        r
    } else {
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message: &message,
            request_id: &id,
        };
        match page.render() {
            Ok(html) => Html(html).into_response(),
            Err(_) => format!("{message}（请求编号 {id}）").into_response(),
        }
    };
    *out.status_mut() = status;
    for (name, value) in keep {
        out.headers_mut().insert(name, value);
    }
    out
}
