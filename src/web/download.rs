//! A file answered as a download: the type and the name the browser saves it under.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// A file streamed in 64 KiB chunks with `mime`, saved as `file_name`. Its length goes in
/// `Content-Length`, so that a download cut short (a dropped connection, a server stopped
/// mid-way) is seen as broken by the browser or the bank's client rather than kept as a
/// shorter file.
pub fn attachment_stream(file: std::fs::File, mime: &'static str, file_name: &str) -> Response {
    use tokio::io::AsyncReadExt;
    let len = file.metadata().map(|m| m.len()).ok();
    let file = tokio::fs::File::from_std(file);
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), Some(file)))
            }
            // The error ends the body; the client sees a broken download, not a short file.
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut response = attachment(Vec::new(), mime, file_name);
    *response.body_mut() = axum::body::Body::from_stream(chunks);
    if let Some(len) = len {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    response
}

/// `bytes` with `mime`, saved as `file_name` (ASCII: the names we build are codes and dates).
pub fn attachment(bytes: Vec<u8>, mime: &'static str, file_name: &str) -> Response {
    let mut response = bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
