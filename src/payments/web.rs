//! Payroll pages and API: the list with the generate form, a payroll with its lines and
//! the next step for this user, the bank file (audited, after re-entering the password)
//! and the bank's return. Every change is one transaction with its audit record.

use askama::Template;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::corrections;
use super::rules::{self, Action, Makers, Month, Status};
use super::store::{self, GenerateError, Payroll};
use crate::AppState;
use crate::assistance::model::Program;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::region::{Level, RegionCode};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("payment:payroll:read");
const GENERATE: Access = Access::Perm("payment:payroll:generate");
const APPROVE: Access = Access::Perm("payment:payroll:approve");
const EXPORT: Access = Access::Perm("payment:payroll:export");
const RECONCILE: Access = Access::Perm("payment:payroll:reconcile");
/// Lines on one page of a payroll.
const PAGE: i64 = 100;

pub fn routes() -> Routes {
    Routes::new()
        .get("/payments", READ, list_page)
        .post("/payments", GENERATE, generate)
        .get("/payments/{id}", READ, detail_page)
        .post("/payments/{id}/submit", GENERATE, submit)
        .post("/payments/{id}/approve", APPROVE, approve)
        .post("/payments/{id}/return", APPROVE, send_back)
        .get("/payments/{id}/export", EXPORT, bank_file)
        .post("/payments/{id}/reconcile", RECONCILE, bank_return)
        .post("/payments/{id}/corrections", GENERATE, corrections::correct)
        .get("/api/v1/payrolls", READ, api_list)
        .post("/api/v1/payrolls", GENERATE, generate)
        .get("/api/v1/payrolls/{id}", READ, api_detail)
        .post("/api/v1/payrolls/{id}/submit", GENERATE, submit)
        .post("/api/v1/payrolls/{id}/approve", APPROVE, approve)
        .post("/api/v1/payrolls/{id}/return", APPROVE, send_back)
        .get("/api/v1/payrolls/{id}/export", EXPORT, bank_file)
        .post("/api/v1/payrolls/{id}/reconcile", RECONCILE, bank_return)
        .post(
            "/api/v1/payrolls/{id}/corrections",
            GENERATE,
            corrections::correct,
        )
}

fn program_label(code: &str) -> &'static str {
    Program::from_code(code).map_or("", Program::label)
}

/// A payroll the user may see (its district within their region), or 404.
pub(super) async fn payroll_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<Payroll> {
    store::get(&state.db, id)
        .await?
        .filter(|p| user.scope().contains(&p.district_code))
        .ok_or_else(|| AppError::NotFound("这份发放名册".to_string()))
}

#[derive(Template)]
#[template(path = "payments/index.html")]
struct ListPage {
    page: PageCtx,
    payrolls: Vec<(Payroll, &'static str, String)>,
    districts: Vec<(String, String)>,
    month: String,
    can_generate: bool,
    notice: String,
}

async fn list_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let payrolls = store::list(&state.db, &user.scope_bounds()).await?;
    let names = district_names(&state, &user).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "payments",
        "资金发放",
        vec![Crumb::here("资金发放")],
    )
    .await?;
    render(ListPage {
        page,
        payrolls: payrolls
            .into_iter()
            .map(|p| {
                let name = names
                    .iter()
                    .find(|(c, _)| *c == p.district_code)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| p.district_code.clone());
                (p.clone(), program_label(&p.program), name)
            })
            .collect(),
        districts: names,
        month: Month::of(state.clock.today()).to_string(),
        can_generate: user.can("payment:payroll:generate"),
        notice: String::new(),
    })
}

async fn district_names(state: &AppState, user: &CurrentUser) -> AppResult<Vec<(String, String)>> {
    Ok(crate::region::store::districts_for(&state.db, &user.region)
        .await?
        .into_iter()
        .map(|d| (d.code.to_string(), d.name))
        .collect())
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    let payrolls = store::list(&state.db, &user.scope_bounds()).await?;
    Ok(Json(json!({ "payrolls": payrolls })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct GenerateForm {
    month: String,
    program: String,
    #[schema(example = "369902")]
    district_code: String,
}

async fn generate(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<GenerateForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let month: Month = form
        .month
        .parse()
        .map_err(|e: String| AppError::Invalid(format!("「发放月份」{e}")))?;
    if month > Month::of(state.clock.today()).next() {
        return Err(AppError::Invalid(format!(
            "「发放月份」{month} 太远：最多生成下个月的名册。"
        )));
    }
    let program = Program::from_code(form.program.trim())
        .ok_or_else(|| AppError::Invalid("「救助类别」应为低保或特困。".to_string()))?;
    let district = RegionCode::parse(form.district_code.trim())
        .ok()
        .filter(|c| c.level() == Level::District && user.scope().contains(c.as_str()))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "「区县」「{}」不存在或不在您的管辖范围内。",
                form.district_code.trim()
            ))
        })?;
    let made = match super::service::generate(
        &state.db,
        month,
        program,
        &district,
        &ctx.actor(),
        state.clock.now_local(),
    )
    .await
    {
        Ok(made) => made,
        Err(GenerateError::Refused(why)) => return Err(AppError::Conflict(why)),
        Err(GenerateError::Database(e)) => return Err(e.into()),
    };
    let id = made.generated.payroll_id;
    if json {
        let payroll = store::get(&state.db, id).await?;
        return Ok(Json(json!({
            "generated": made.generated,
            "payroll": payroll,
            "anomalies": made.anomalies,
        }))
        .into_response());
    }
    // Back to the payroll's own address (so a reload does not generate again), with
    // what was made for the notice.
    let g = &made.generated;
    Ok(Redirect::to(&format!(
        "/payments/{id}?made={},{},{},{},{},{}",
        g.regular, g.arrears, g.reissued, made.anomalies, g.without_payee, g.without_account
    ))
    .into_response())
}

/// The notice after generation, from the counts in `?made=`.
fn made_notice(made: &str) -> String {
    let n: Vec<i64> = made.split(',').filter_map(|x| x.parse().ok()).collect();
    let [
        regular,
        arrears,
        reissued,
        anomalies,
        without_payee,
        without_account,
    ] = n[..]
    else {
        return String::new();
    };
    let mut notice = format!(
        "已生成：当月 {regular} 笔，补发 {arrears} 笔，重发 {reissued} 笔；发现异常 {anomalies} 条。"
    );
    if without_payee > 0 {
        notice.push_str(&format!(
            "另有 {without_payee} 户没有「本人」，未进名册，请到救助家庭登记簿补登。"
        ));
    }
    if without_account > 0 {
        notice.push_str(&format!(
            "{without_account} 笔没有银行账号，导出前请补登，否则银行会退回。"
        ));
    }
    notice
}

#[derive(Deserialize, Default)]
pub struct LinesQuery {
    /// The last line id of the previous page.
    #[serde(default)]
    after: i64,
    /// Counts of a generation just done, for the notice.
    #[serde(default)]
    made: String,
}

pub struct LineView {
    reference: String,
    payee: String,
    account: String,
    kind: &'static str,
    month_paid: String,
    amount: String,
    status: &'static str,
    reason: String,
    case_id: i64,
}

#[derive(Template)]
#[template(path = "payments/detail.html")]
struct DetailPage {
    page: PageCtx,
    p: Payroll,
    program: &'static str,
    status: &'static str,
    lines: Vec<LineView>,
    next_after: Option<i64>,
    can_submit: bool,
    can_decide: bool,
    can_export: bool,
    can_reconcile: bool,
    can_correct: bool,
    corrections: Vec<corrections::CorrectionRecord>,
    /// Anomalies still open on lines of this payroll: the approver sees them first.
    open_anomalies: i64,
    problems: Vec<String>,
    notice: String,
}

pub(super) async fn detail_view(
    state: &AppState,
    user: &CurrentUser,
    p: Payroll,
    after: i64,
    problems: Vec<String>,
    notice: String,
) -> AppResult<Html<String>> {
    let lines = store::lines_after(&state.db, p.id, after, PAGE).await?;
    let next_after = (lines.len() as i64 == PAGE).then(|| lines.last().map_or(0, |l| l.id));
    let lines = lines
        .into_iter()
        .map(|l| LineView {
            reference: rules::reference(l.id),
            payee: l.payee_name,
            account: l
                .bank_sealed
                .as_deref()
                .and_then(|s| state.keyring.open(SensitiveKind::BankAccount, s).ok())
                .map(|a| SensitiveKind::BankAccount.mask(&a))
                .unwrap_or_else(|| "（无账号）".to_string()),
            kind: match l.kind.as_str() {
                "arrears" => "补发",
                "reissue" => "重发",
                _ => "当月",
            },
            month_paid: l.month_paid,
            amount: l.amount.to_display(),
            status: match l.status.as_str() {
                "paid" => "已到账",
                "failed" => "失败",
                _ => "待发放",
            },
            reason: l.fail_reason.unwrap_or_default(),
            case_id: l.case_id,
        })
        .collect();
    let title = format!("{} {}发放名册", p.month, program_label(&p.program));
    let page = PageCtx::load(
        state,
        Some(user),
        "payments",
        &title,
        vec![
            Crumb::link("资金发放", "/payments"),
            Crumb::here(title.clone()),
        ],
    )
    .await?;
    render(DetailPage {
        page,
        program: program_label(&p.program),
        status: p.status.label(),
        can_submit: user.can("payment:payroll:generate") && p.status == Status::Generated,
        can_decide: user.can("payment:payroll:approve") && p.status == Status::Submitted,
        can_export: user.can("payment:payroll:export")
            && matches!(p.status, Status::Approved | Status::Exported),
        can_reconcile: user.can("payment:payroll:reconcile") && p.status == Status::Exported,
        can_correct: user.can("payment:payroll:generate") && rules::correctable(p.status).is_ok(),
        corrections: corrections::list(&state.db, p.id).await?,
        open_anomalies: sqlx::query_scalar(
            "SELECT COUNT(*) FROM payment_anomalies a JOIN payroll_lines l ON l.id = a.line_id \
             WHERE l.payroll_id = $1 AND a.status = 'open'",
        )
        .bind(p.id)
        .fetch_one(state.db.pool())
        .await?,
        p,
        lines,
        next_after,
        problems,
        notice,
    })
}

async fn detail_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<LinesQuery>,
) -> AppResult<Html<String>> {
    let p = payroll_in_scope(&state, &user, id).await?;
    detail_view(&state, &user, p, q.after, Vec::new(), made_notice(&q.made)).await
}

async fn api_detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<LinesQuery>,
) -> AppResult<Json<Value>> {
    let p = payroll_in_scope(&state, &user, id).await?;
    let lines: Vec<Value> = store::lines_after(&state.db, id, q.after, PAGE)
        .await?
        .into_iter()
        .map(|l| {
            json!({
                "id": l.id,
                "reference": rules::reference(l.id),
                "case_id": l.case_id,
                "kind": l.kind,
                "month_paid": l.month_paid,
                "amount": l.amount.to_yuan_string(),
                "payee": l.payee_name,
                "account": l.bank_sealed.as_deref()
                    .and_then(|s| state.keyring.open(SensitiveKind::BankAccount, s).ok())
                    .map(|a| SensitiveKind::BankAccount.mask(&a)),
                "status": l.status,
                "fail_reason": l.fail_reason,
            })
        })
        .collect();
    let corrections = corrections::list(&state.db, id).await?;
    Ok(Json(
        json!({ "payroll": p, "lines": lines, "corrections": corrections }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StepForm {
    version: i64,
    #[serde(default)]
    note: String,
}

/// Submit, approve or send back: the rule decides, the version guards against a change
/// in between, the audit record commits with it.
async fn step(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    action: Action,
    form: StepForm,
    json: bool,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let p = payroll_in_scope(state, &user, id).await?;
    if action == Action::Return && form.note.trim().is_empty() {
        return Err(AppError::Invalid(
            "退回须写明原因（「退回原因」）。".to_string(),
        ));
    }
    let corrected_by = corrections::correctors(&state.db, id).await?;
    let to = rules::next(
        p.status,
        action,
        &user.username,
        &Makers {
            generated_by: &p.generated_by,
            submitted_by: p.submitted_by.as_deref(),
            corrected_by: &corrected_by,
        },
    )
    .map_err(AppError::Conflict)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let moved = store::set_status(
        &mut tx,
        id,
        form.version,
        to,
        (&user.username, &now.to_rfc3339()),
        form.note.trim(),
    )
    .await?;
    if !moved {
        return Err(AppError::Conflict(
            "名册已被他人修改，请刷新后再办理。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "payroll.step", "payroll", id.to_string()).with(
            json!({
                "action": action.label(),
                "from": p.status.code(),
                "to": to.code(),
                "note": form.note.trim(),
            }),
        ),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let p = payroll_in_scope(state, &user, id).await?;
    if json {
        return Ok(Json(json!({ "payroll": p })).into_response());
    }
    let notice = format!("已{}：名册现为「{}」。", action.label(), p.status.label());
    Ok(detail_view(state, &user, p, 0, Vec::new(), notice)
        .await?
        .into_response())
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value, json }: FormOrJson<StepForm>,
) -> AppResult<Response> {
    step(&state, &ctx, id, Action::Submit, value, json).await
}

async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value, json }: FormOrJson<StepForm>,
) -> AppResult<Response> {
    step(&state, &ctx, id, Action::Approve, value, json).await
}

async fn send_back(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value, json }: FormOrJson<StepForm>,
) -> AppResult<Response> {
    step(&state, &ctx, id, Action::Return, value, json).await
}

#[derive(Deserialize, Default)]
pub struct FileQuery {
    #[serde(default)]
    format: String,
}

/// The bank file with full account numbers: only after approval, only with the password
/// entered in the last minutes, and audited. The first export moves the payroll to
/// 已导出; exporting again is allowed (the bank lost it) and audited again.
async fn bank_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<FileQuery>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let p = payroll_in_scope(&state, &user, id).await?;
    // Refused before asking for the password again when there is nothing to export.
    if !matches!(p.status, Status::Approved | Status::Exported) {
        return Err(AppError::Conflict(format!(
            "名册{}，审批通过后才能导出银行文件。",
            p.status.label()
        )));
    }
    crate::auth::account::require_recent_auth(&state, &user, &format!("/payments/{id}")).await?;
    let xlsx = q.format == "xlsx";
    let format = if xlsx {
        super::service::FileFormat::Xlsx
    } else {
        super::service::FileFormat::Csv
    };
    // Written to an unnamed temporary file (gone when closed) and streamed from it, so a
    // district of 200,000 lines never sits in memory.
    let spool = |e: std::io::Error| AppError::Internal(format!("临时文件：{e}"));
    let mut out = std::io::BufWriter::new(tempfile::tempfile().map_err(spool)?);
    super::service::export(
        &state.db,
        &state.keyring,
        &p,
        format,
        &mut out,
        &ctx.actor(),
        state.clock.now_local(),
    )
    .await
    .map_err(AppError::Conflict)?;
    let mut file = out.into_inner().map_err(|e| spool(e.into_error()))?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(spool)?;
    let (mime, ext) = if xlsx {
        (crate::web::download::XLSX, "xlsx")
    } else {
        (crate::web::download::CSV, "csv")
    };
    Ok(crate::web::download::attachment_stream(
        file,
        mime,
        &format!(
            "payroll-{}-{}-{}.{ext}",
            p.month, p.program, p.district_code
        ),
    ))
}

/// The bank's return: matched to the fen, or refused with every problem and nothing
/// stored. Accepted, each line is paid or failed and the payroll is reconciled; failed
/// lines go into the next month's payroll as 重发.
async fn bank_return(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    uri: axum::http::Uri,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let p = payroll_in_scope(&state, &user, id).await?;
    // The API twin answers in JSON.
    let json = uri.path().starts_with("/api/");
    let (mut file_name, mut bytes) = (String::new(), Vec::new());
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| AppError::BadRequest("上传的内容不完整，请重新选择文件上传。".to_string()))?
    {
        if field.name() == Some("file") {
            file_name = field.file_name().unwrap_or("return.csv").to_string();
            bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::BadRequest("文件上传不完整，请重试。".to_string()))?
                .to_vec();
        }
    }
    if bytes.is_empty() {
        return Err(AppError::Invalid("请选择银行回盘文件。".to_string()));
    }
    if p.status != Status::Exported {
        return Err(AppError::Conflict(format!(
            "名册{}，导出银行文件后才能导入回盘。",
            p.status.label()
        )));
    }
    let problems: Vec<String> = match super::bank::parse_return(&file_name, &bytes) {
        Err(crate::ledger::ImportError::Rejected(rows)) => rows
            .iter()
            .map(|e| format!("第 {} 行「{}」{}：{}", e.row, e.column, e.value, e.reason))
            .collect(),
        Err(e) => vec![e.to_string()],
        Ok(returned) => {
            let lines = store::pending(&state.db, id).await?;
            match rules::reconcile(&lines, &returned) {
                Err(problems) => problems,
                Ok(outcomes) => {
                    let now = state.clock.now_local();
                    let mut tx = state.db.begin().await?;
                    store::apply_return(&mut tx, id, &outcomes).await?;
                    let moved = store::set_status(
                        &mut tx,
                        id,
                        p.version,
                        Status::Reconciled,
                        (&user.username, &now.to_rfc3339()),
                        "",
                    )
                    .await?;
                    if !moved {
                        return Err(AppError::Conflict(
                            "名册已被他人修改，请刷新后再导入。".to_string(),
                        ));
                    }
                    let failed = outcomes.iter().filter(|o| !o.paid).count();
                    record(
                        &mut tx,
                        &AuditEvent::new(
                            now,
                            &ctx.actor(),
                            "payroll.reconcile",
                            "payroll",
                            id.to_string(),
                        )
                        .with(
                            json!({ "lines": outcomes.len(), "failed": failed, "file": file_name }),
                        ),
                    )
                    .await
                    .map_err(AppError::audit)?;
                    tx.commit().await?;
                    let p = payroll_in_scope(&state, &user, id).await?;
                    if json {
                        return Ok(Json(json!({ "payroll": p, "failed": failed })).into_response());
                    }
                    let notice = format!(
                        "回盘已对账：{} 笔到账，{failed} 笔失败（下月名册自动重发）。",
                        outcomes.len() - failed
                    );
                    return Ok(detail_view(&state, &user, p, 0, Vec::new(), notice)
                        .await?
                        .into_response());
                }
            }
        }
    };
    if json {
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "errors": problems })),
        )
            .into_response());
    }
    let html = detail_view(&state, &user, p, 0, problems, String::new()).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}
