//! The elderly-care ledgers on the web: templates, upload (every error listed, nothing
//! stored until the whole file is right; rows outside the user's region refused) and
//! export of the user's region, audited.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Response};

use super::facilities_web::{READ, UPDATE};
use super::ledgers::{self, LEDGERS, Ledger};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ledger::{ImportError, RowError};
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/elderly/ledgers", UPDATE, page)
        .post("/elderly/ledgers", UPDATE, upload)
        .get("/elderly/ledgers/template/{file}", READ, template)
        .get("/elderly/ledgers/export/{file}", READ, export)
        .get("/elderly/ledgers/errors/{token}", UPDATE, errors_file)
}

#[derive(Template)]
#[template(path = "elderly/ledgers.html")]
struct LedgersPage {
    page: PageCtx,
    ledgers: Vec<(&'static str, &'static str)>,
    errors: Vec<RowError>,
    error_count: usize,
    error_token: String,
    result: String,
}

fn ledger_list() -> Vec<(&'static str, &'static str)> {
    LEDGERS.iter().map(|l| (l.name(), l.label())).collect()
}

async fn view(
    state: &AppState,
    user: &CurrentUser,
    result: String,
    errors: (Vec<RowError>, usize, String),
) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        state,
        Some(user),
        "elderly_ledgers",
        "养老服务台账",
        vec![Crumb::here("养老服务台账")],
    )
    .await?;
    render(LedgersPage {
        page,
        ledgers: ledger_list(),
        errors: errors.0,
        error_count: errors.1,
        error_token: errors.2,
        result,
    })
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    view(&state, &user, String::new(), (Vec::new(), 0, String::new())).await
}

/// `facilities.xlsx` → the ledger and the file name.
fn ledger_file(file: &str) -> AppResult<(Ledger, &str)> {
    let (stem, _) = file
        .rsplit_once('.')
        .filter(|(_, ext)| matches!(*ext, "xlsx" | "csv"))
        .ok_or_else(|| AppError::NotFound(format!("台账文件 {file}")))?;
    let ledger = Ledger::parse(stem).ok_or_else(|| AppError::NotFound(format!("台账 {stem}")))?;
    Ok((ledger, file))
}

fn download(bytes: Vec<u8>, file: &str) -> Response {
    let kind = if file.ends_with(".csv") {
        crate::web::download::CSV
    } else {
        crate::web::download::XLSX
    };
    crate::web::download::attachment(bytes, kind, file)
}

async fn template(Path(file): Path<String>) -> AppResult<Response> {
    let (ledger, file) = ledger_file(&file)?;
    let bytes =
        crate::ledger::write_ledger(file, &ledger.headers(), &[]).map_err(AppError::Internal)?;
    Ok(download(bytes, file))
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let (ledger, file) = ledger_file(&file)?;
    let rows =
        ledgers::export(&state.db, ledger, &user.scope_bounds(), state.clock.today()).await?;
    let bytes =
        crate::ledger::write_ledger(file, &ledger.headers(), &rows).map_err(AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "ledger.export",
            "ledger",
            ledger.name(),
        )
        .with(serde_json::json!({"region": user.region.as_str(), "rows": rows.len()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(download(bytes, file))
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
    let ledger = Ledger::parse(&ledger).ok_or_else(|| {
        AppError::Invalid(format!("没有名为「{ledger}」的台账，请从列表中选择。"))
    })?;
    let event = AuditEvent::new(
        state.clock.now_local(),
        &ctx.actor(),
        "ledger.import",
        "ledger",
        ledger.name(),
    );
    let scope = user.scope();
    let in_scope = move |code: &str| {
        // A district code (trainings) is in scope when the user's region lies within it
        // or contains it; a community's code when the user's region contains it.
        scope.contains(code)
    };
    let outcome = ledgers::import(
        &state.db,
        ledger,
        &file_name,
        &bytes,
        state.clock.today(),
        &in_scope,
        dry_run,
        &event,
    )
    .await;
    match outcome {
        Ok(done) => {
            let result = format!(
                "{}{}：{} 行（新增 {}，更新 {}）{}",
                ledger.label(),
                if dry_run { "检查通过" } else { "已导入" },
                done.rows,
                done.created,
                done.updated,
                if dry_run { "，未写入数据" } else { "" }
            );
            Ok(view(&state, &user, result, (Vec::new(), 0, String::new()))
                .await?
                .into_response())
        }
        Err(ImportError::Rejected(errors)) => {
            let count = errors.len();
            let shown: Vec<RowError> = errors.iter().take(500).cloned().collect();
            let token = state.error_lists.put(user.id, errors);
            let html = view(&state, &user, String::new(), (shown, count, token)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(ImportError::Database(e)) => Err(AppError::Database(e)),
        Err(other) => Err(AppError::Invalid(other.to_string())),
    }
}

async fn errors_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
) -> AppResult<Response> {
    crate::assistance::upload::error_file_of(&state, &user, &token)
}
