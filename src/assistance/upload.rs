//! The ledger upload page: a caseworker uploads a roster or a temporary-assistance
//! ledger, sees every error in a table (and can download it as CSV), or the counts of
//! what was stored. Rows outside the uploader's region are refused.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::{import, roster, temporary};
use crate::AppState;
use crate::audit::AuditEvent;
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ledger::sheet::read_sheet;
use crate::ledger::{ImportError, RowError, write_errors_csv};
use crate::web::layout::{Crumb, PageCtx, render};

const IMPORT: Access = Access::Perm("assistance:ledger:import");

pub fn routes() -> Routes {
    Routes::new()
        .get("/ledgers", IMPORT, page)
        .post("/ledgers", IMPORT, upload)
        .get("/ledgers/errors/{token}", IMPORT, error_file)
        .get("/ledgers/template/{file}", IMPORT, template)
}

/// An empty ledger with its headers (codes formatted as text), to fill in Excel.
async fn template(Path(name): Path<String>) -> AppResult<Response> {
    let (ledger, title) = name
        .strip_suffix(".xlsx")
        .map(|n| (n, n))
        .ok_or_else(|| AppError::NotFound(format!("模板 {name}")))?;
    let headers: Vec<&str> = match ledger {
        roster::NAME => roster::COLUMNS.iter().map(|c| c.name).collect(),
        temporary::NAME => temporary::COLUMNS.iter().map(|c| c.name).collect(),
        _ => return Err(AppError::NotFound(format!("模板 {title}"))),
    };
    let bytes = crate::ledger::write_ledger(&name, &headers, &[]).map_err(AppError::Internal)?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX,
        &name,
    ))
}

/// Error lists kept for download for a short while, keyed by a random token and owned by
/// the user who uploaded (nobody else can fetch them).
#[derive(Default)]
pub struct ErrorLists {
    lists: Mutex<HashMap<String, (i64, Vec<RowError>)>>,
}

impl ErrorLists {
    pub(crate) fn put(&self, user: i64, errors: Vec<RowError>) -> String {
        let token = crate::auth::guard::random_token();
        let mut map = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 200 {
            map.clear();
        }
        map.insert(token.clone(), (user, errors));
        token
    }
    fn get(&self, user: i64, token: &str) -> Option<Vec<RowError>> {
        let map = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        map.get(token)
            .filter(|(owner, _)| *owner == user)
            .map(|(_, e)| e.clone())
    }
}

#[derive(Template)]
#[template(path = "assistance/upload.html")]
struct UploadPage {
    page: PageCtx,
    errors: Vec<RowError>,
    error_count: usize,
    error_token: String,
    result: String,
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        &state,
        Some(&user),
        "ledgers",
        "台账导入",
        vec![Crumb::here("台账导入")],
    )
    .await?;
    render(UploadPage {
        page,
        errors: Vec::new(),
        error_count: 0,
        error_token: String::new(),
        result: String::new(),
    })
}

/// Communities in the file that lie outside the user's region, as row errors.
fn outside_scope(user: &CurrentUser, rows: &[(usize, String)]) -> Vec<RowError> {
    rows.iter()
        .filter(|(_, code)| !user.scope().contains(code))
        .map(|(row, code)| {
            RowError::new(*row, "所属社区", code, "不在您的管辖范围内，不能由您导入")
        })
        .collect()
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Multipart,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let crate::web::extract::LedgerUpload {
        ledger,
        file_name,
        bytes,
        dry_run,
    } = crate::web::extract::LedgerUpload::read(multipart).await?;
    let today = state.clock.today();
    let event = AuditEvent::new(
        state.clock.now_local(),
        &ctx.actor(),
        "ledger.import",
        "ledger",
        ledger.clone(),
    );
    // Rows outside the uploader's region are refused before anything else.
    let communities = super::store::community_codes(&state.db).await?;
    let scope_errors = match ledger.as_str() {
        roster::NAME => match read_sheet(&file_name, &bytes)
            .and_then(|s| roster::parse_roster(&s, today, &communities))
        {
            Ok(households) => outside_scope(
                &user,
                &households
                    .iter()
                    .map(|h| (h.members[0].row, h.community.clone()))
                    .collect::<Vec<_>>(),
            ),
            Err(_) => Vec::new(),
        },
        temporary::NAME => match read_sheet(&file_name, &bytes)
            .and_then(|s| temporary::parse_grants(&s, today, &communities))
        {
            Ok(grants) => outside_scope(
                &user,
                &grants
                    .iter()
                    .map(|g| (g.row, g.community.clone()))
                    .collect::<Vec<_>>(),
            ),
            Err(_) => Vec::new(),
        },
        other => return Err(AppError::Invalid(format!("没有名为「{other}」的台账。"))),
    };
    let outcome: Result<String, ImportError> = if !scope_errors.is_empty() {
        Err(ImportError::Rejected(scope_errors))
    } else if ledger == roster::NAME {
        import::import_roster(
            &state.db,
            &state.keyring,
            &file_name,
            &bytes,
            today,
            dry_run,
            &event,
        )
        .await
        .map(|d| {
            format!(
                "{}：{} 户、{} 人{}",
                if dry_run { "检查通过" } else { "已导入" },
                d.households,
                d.members,
                if dry_run { "，未写入数据" } else { "" }
            )
        })
    } else {
        temporary::import_grants(
            &state.db,
            &state.keyring,
            &file_name,
            &bytes,
            today,
            dry_run,
            &event,
        )
        .await
        .map(|n| {
            format!(
                "{}：{n} 笔临时救助{}",
                if dry_run { "检查通过" } else { "已导入" },
                if dry_run { "，未写入数据" } else { "" }
            )
        })
    };
    let page = PageCtx::load(
        &state,
        Some(&user),
        "ledgers",
        "台账导入",
        vec![Crumb::here("台账导入")],
    )
    .await?;
    match outcome {
        Ok(result) => Ok(render(UploadPage {
            page,
            errors: Vec::new(),
            error_count: 0,
            error_token: String::new(),
            result,
        })?
        .into_response()),
        Err(ImportError::Rejected(errors)) => {
            let count = errors.len();
            let shown: Vec<RowError> = errors.iter().take(500).cloned().collect();
            let token = state.error_lists.put(user.id, errors);
            let html = render(UploadPage {
                page,
                errors: shown,
                error_count: count,
                error_token: token,
                result: String::new(),
            })?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(ImportError::Database(e)) => Err(AppError::Database(e)),
        Err(other) => Err(AppError::Invalid(other.to_string())),
    }
}

async fn error_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
) -> AppResult<Response> {
    error_file_of(&state, &user, &token)
}

/// The error list of an upload as CSV (行号,列名,值,原因), to the user who uploaded it.
pub(crate) fn error_file_of(
    state: &AppState,
    user: &CurrentUser,
    token: &str,
) -> AppResult<Response> {
    let errors = state
        .error_lists
        .get(user.id, token)
        .ok_or_else(|| AppError::NotFound("这份错误清单（已过期或不属于您）".to_string()))?;
    let mut out = Vec::new();
    write_errors_csv(&errors, &mut out).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"errors.csv\""),
    );
    Ok(response)
}
