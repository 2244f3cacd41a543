//! One handler for a page form and its JSON API twin: the body is read as JSON when the
//! request says so (`Content-Type: application/json`), otherwise as a form, and the
//! handler answers in kind (a redirect for the page, JSON for the API).

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::{Form, Json};
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub struct FormOrJson<T> {
    pub value: T,
    /// The body was JSON: answer with JSON.
    pub json: bool,
}

impl<T, S> FromRequest<S> for FormOrJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let value = if json {
            Json::<T>::from_request(req, state)
                .await
                .map_err(|e| {
                    AppError::Invalid(format!("请求内容不是所需的 JSON：{}", e.body_text()))
                })?
                .0
        } else {
            Form::<T>::from_request(req, state)
                .await
                .map_err(|e| AppError::Invalid(format!("表单内容有误：{}", e.body_text())))?
                .0
        };
        Ok(FormOrJson { value, json })
    }
}

/// A JSON number or a form string, as typed.
pub fn typed(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
