//! Router assembly: the business modules' routers, static assets, security headers,
//! request ids and error rendering.

mod assets;
pub mod download;
mod errors;
pub mod extract;
mod home;
pub mod layout;
pub mod ledger_books;
pub mod openapi;
mod openapi_bodies;
mod openapi_summaries;
pub mod paging;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::auth::{Access, Routes};

pub use errors::request_id;

/// Percent-encodes a value for a query string (used for local `next=` paths only).
pub fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content-Security-Policy: only our own embedded scripts and styles; no inline script,
/// no framing (the pages hold personal data; clickjacking must not be possible).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The whole application: every module's routes (each with its declared access), then
/// the layers every request passes. Returns the route table too.
pub fn router(state: AppState) -> (Router, Vec<crate::auth::RouteInfo>) {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let routes = Routes::new()
        .get("/", Access::SignedIn, home::home)
        .get("/healthz", Access::Public, home::healthz)
        .get("/static/{file}", Access::Public, assets::serve)
        .merge(crate::auth::login::routes())
        .merge(crate::auth::account::routes())
        .merge(crate::auth::admin::routes())
        .merge(crate::auth::security::routes())
        .merge(crate::audit::web::routes())
        .merge(crate::region::web::routes())
        .merge(crate::assistance::web::routes())
        .merge(crate::assistance::upload::routes())
        .merge(crate::assistance::apply_web::routes())
        .merge(crate::assistance::case_web::routes())
        .merge(crate::assistance::review::routes())
        .merge(crate::assistance::registry_web::routes())
        .merge(crate::assistance::registry_members::routes())
        .merge(crate::assistance::workbench::routes())
        .merge(crate::assistance::temporary_web::routes())
        .merge(crate::assistance::temporary_requests::routes())
        .merge(crate::report::web::routes())
        .merge(crate::report::balance_web::routes())
        .merge(crate::assistance::standards_web::routes())
        .merge(crate::assistance::notice_web::routes())
        .merge(crate::assistance::policy_web::routes())
        .merge(crate::assistance::lists_web::routes())
        .merge(crate::capacity::web::routes())
        .merge(crate::funds::web::routes())
        .merge(crate::compare::web::routes())
        .merge(crate::elderly::facilities_web::routes())
        .merge(crate::elderly::facility_web::routes())
        .merge(crate::elderly::inspections_web::routes())
        .merge(crate::web::ledger_books::routes(
            crate::web::ledger_books::Book::Elderly,
            crate::elderly::facilities_web::READ,
            crate::elderly::facilities_web::UPDATE,
        ))
        .merge(crate::affairs::cemeteries_web::routes())
        .merge(crate::affairs::cremations_web::routes())
        .merge(crate::affairs::burials_web::routes())
        .merge(crate::affairs::violations_web::routes())
        .merge(crate::web::ledger_books::routes(
            crate::web::ledger_books::Book::Funeral,
            crate::affairs::cemeteries_web::READ,
            crate::affairs::cemeteries_web::MANAGE,
        ))
        .merge(crate::web::ledger_books::routes(
            crate::web::ledger_books::Book::Community,
            crate::auth::Access::Perm("community:consultation:read"),
            crate::auth::Access::Perm("community:consultation:record"),
        ))
        .merge(crate::community::consultations_web::routes())
        .merge(crate::community::orgs_web::routes())
        .merge(crate::community::illegal_web::routes())
        .merge(crate::relief::web::routes())
        .merge(crate::affairs::marriage_web::routes())
        .merge(crate::web::ledger_books::routes(
            crate::web::ledger_books::Book::Marriage,
            crate::affairs::marriage_web::REGISTER,
            crate::affairs::marriage_web::REGISTER,
        ))
        .merge(crate::community::people_routes())
        .merge(crate::elderly::people_web::routes())
        .merge(crate::homecare::web::routes())
        .merge(crate::payments::web::routes())
        .merge(crate::payments::anomalies_web::routes())
        .merge(crate::calendar::web::routes());
    let (router, mut table) = routes.into_parts();
    table.push(crate::auth::RouteInfo {
        method: "GET",
        path: "/api/v1/openapi.json",
        access: Access::Public,
    });
    let document = std::sync::Arc::new(openapi::document(&table).to_json().unwrap_or_default());
    let router = router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    document.as_str().to_owned(),
                )
            }
        }),
    );
    let mut app = router
        .fallback(errors::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::guard::authenticate,
        ))
        // Extractors (Multipart, Form, Json) read up to the same limit, not axum's 2 MB
        // default: a department's file or a roster may be tens of megabytes.
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::auth::guard::MAX_BODY_BYTES,
        ))
        // Forms and JSON are small: a tighter limit than for uploads (see MAX_FORM_BYTES).
        .layer(middleware::from_fn(crate::auth::guard::limit_form_bodies))
        // Before anything reads the body: one byte over answers 413.
        .layer(RequestBodyLimitLayer::new(
            crate::auth::guard::MAX_BODY_BYTES,
        ))
        // Inside the error renderer, so a timeout or a panic still gets the Chinese page
        // with the request id.
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(60),
        ))
        .layer(CatchPanicLayer::custom(errors::panic_response))
        .layer(middleware::from_fn(errors::render_errors));
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    let app = app
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state);
    (app, table)
}
