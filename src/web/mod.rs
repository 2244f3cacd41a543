//! Router assembly: the business modules' routers, static assets, security headers,
//! request ids and error rendering.

mod assets;
mod errors;
mod home;
pub mod layout;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;

pub use errors::request_id;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content-Security-Policy: only our own embedded scripts and styles; no inline script,
/// no framing (the pages hold personal data; clickjacking must not be possible).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub fn router(state: AppState) -> Router {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut app = Router::new()
        .route("/", get(home::home))
        .route("/healthz", get(home::healthz))
        .route("/static/{file}", get(assets::serve))
        .merge(crate::region::web::router())
        .merge(crate::calendar::web::router())
        .fallback(errors::not_found)
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
    app.layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
