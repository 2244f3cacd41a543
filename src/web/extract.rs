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

/// A ledger file as the upload forms send it: which ledger, the file, and whether only
/// to check it.
pub struct LedgerUpload {
    pub ledger: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub dry_run: bool,
}

impl LedgerUpload {
    /// Reads the multipart form; a missing file is a message that says to choose one.
    pub async fn read(mut multipart: axum::extract::Multipart) -> Result<LedgerUpload, AppError> {
        let mut upload = LedgerUpload {
            ledger: String::new(),
            file_name: String::new(),
            bytes: Vec::new(),
            dry_run: false,
        };
        while let Some(field) = multipart.next_field().await.map_err(|_| {
            AppError::BadRequest("上传的内容不完整，请重新选择文件上传。".to_string())
        })? {
            match field.name().unwrap_or("") {
                "ledger" => upload.ledger = field.text().await.unwrap_or_default(),
                "dry_run" => upload.dry_run = field.text().await.unwrap_or_default() == "1",
                "file" => {
                    upload.file_name = field.file_name().unwrap_or("upload").to_string();
                    upload.bytes = field
                        .bytes()
                        .await
                        .map_err(|_| AppError::BadRequest("文件上传不完整，请重试。".to_string()))?
                        .to_vec();
                }
                _ => {}
            }
        }
        if upload.bytes.is_empty() {
            return Err(AppError::Invalid("请选择要导入的文件。".to_string()));
        }
        Ok(upload)
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
