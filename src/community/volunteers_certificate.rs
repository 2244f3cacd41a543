//! The printable service certificate (志愿服务记录证明): one standalone page listing every
//! service record with its hours, the cumulative hours and the star level. Its style is
//! inline and allowed by its hash in the page's own Content-Security-Policy, so the page
//! needs nothing from outside (no script at all, no external asset) and prints the same
//! when saved. ID number masked. Printing is audited like an export.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::volunteers_person::volunteer_in_scope;
use super::volunteers_web::{ServiceView, VolunteerView, service_view, view_of};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};

/// The page's whole style: A4, no navigation, the table kept across pages.
const CSS: &str = "body{font-family:\"Songti SC\",\"SimSun\",\"Noto Serif CJK SC\",serif;color:#111;background:#f4f4f4;margin:0}\
.sheet{background:#fff;max-width:180mm;margin:1.5rem auto;padding:18mm 16mm;box-shadow:0 1px 6px rgba(0,0,0,.15)}\
h1{text-align:center;font-size:22pt;letter-spacing:.4em;margin:0 0 1.2rem}\
.number{text-align:right;font-size:10pt;color:#444;margin:0 0 .8rem}\
p{font-size:12pt;line-height:1.9;text-indent:2em;margin:.4rem 0}\
table{width:100%;border-collapse:collapse;font-size:10.5pt;margin:1rem 0}\
th,td{border:1px solid #333;padding:.25rem .4rem;text-align:left}\
td.num,th.num{text-align:right}\
thead{display:table-header-group}\
tr{page-break-inside:avoid}\
tfoot td{font-weight:bold}\
.sign{margin-top:2.5rem;text-align:right;font-size:12pt;line-height:2.2}\
.toolbar{max-width:180mm;margin:1rem auto 0;font-family:sans-serif;font-size:10pt;color:#444}\
.toolbar a{color:#1a4f8b}\
@media print{body{background:#fff}.toolbar{display:none}.sheet{box-shadow:none;margin:0;max-width:none;padding:0}@page{size:A4;margin:20mm 18mm}}";

/// The page's Content-Security-Policy: nothing but its own inline style.
static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    )
});

#[derive(Template)]
#[template(path = "community/volunteers_certificate.html")]
struct CertificatePage {
    css: &'static str,
    number: String,
    v: VolunteerView,
    services: Vec<ServiceView>,
    city: String,
    street: String,
    today: String,
    issued_by: String,
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let v = volunteer_in_scope(&state, &user, id).await?;
    let names = crate::elderly::people_view::names(&state, &user).await?;
    let view = view_of(&v, &state.keyring, &names);
    let services: Vec<ServiceView> = crate::community::volunteers_store::services(&state.db, id)
        .await?
        .iter()
        .map(service_view)
        .collect();
    let today = state.clock.today();
    let city = crate::region::store::city(&state.db)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let street = names
        .get(v.region_code.get(..9).unwrap_or(""))
        .cloned()
        .unwrap_or_default();
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "volunteer.certificate.print",
            "volunteer",
            id.to_string(),
        )
        .with(json!({"records": services.len(), "hours": view.hours})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let html = CertificatePage {
        css: CSS,
        number: format!("ZYFW-{}-{id:06}", today.format("%Y%m%d")),
        v: view,
        services,
        city,
        street,
        today: today.format("%Y 年 %m 月 %d 日").to_string(),
        issued_by: user.display_name.clone(),
    }
    .render()
    .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    let mut response = axum::response::Html(html).into_response();
    if let Ok(csp) = HeaderValue::from_str(&CSP) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}
