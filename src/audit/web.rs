//! The audit admin's search page, its XLSX export, and the JSON API.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::Entry;
use super::store::{AuditFilter, record_alone, search};
use crate::AppState;
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::calendar::parse_date;
use crate::error::{AppError, AppResult};
use crate::web::layout::{Crumb, PageCtx, render};
use crate::web::paging;

pub fn routes() -> Routes {
    Routes::new()
        .get("/audit", Access::Perm("audit:log:read"), page)
        .get("/audit/export", Access::Perm("audit:log:export"), export)
        .get("/api/v1/audit", Access::Perm("audit:log:read"), api)
}

const PAGE_SIZE: i64 = 50;
/// An export larger than this is refused with a request to narrow the filters.
const EXPORT_LIMIT: i64 = 100_000;

#[derive(Deserialize, Default, Clone, Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub object_type: String,
    #[serde(default)]
    pub object_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<i64>,
}

impl AuditQuery {
    /// The filter, restricted to the user's region unless they may read everything.
    fn filter(&self, user: &CurrentUser) -> AppResult<AuditFilter> {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let date = |s: &str, label: &str| -> AppResult<Option<chrono::NaiveDate>> {
            match s.trim() {
                "" => Ok(None),
                t => parse_date(t).map(Some).ok_or_else(|| {
                    AppError::Invalid(format!(
                        "{label}「{t}」不是有效日期，请写成 2026-11-29 的形式。"
                    ))
                }),
            }
        };
        Ok(AuditFilter {
            username: opt(&self.user),
            action: opt(&self.action),
            object_type: opt(&self.object_type),
            object_id: opt(&self.object_id),
            from: date(&self.from, "开始日期")?,
            to: date(&self.to, "结束日期")?,
            region_bounds: (!user.role.has("audit:log:read_all"))
                .then(|| user.scope().sql_bounds()),
        })
    }

    fn export_link(&self) -> String {
        let mut q = self.clone();
        q.page = None;
        format!(
            "/audit/export?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    }
}

pub struct Row {
    pub e: Entry,
    pub outcome_label: &'static str,
}

#[derive(Template)]
#[template(path = "audit/index.html")]
struct AuditPage {
    page: PageCtx,
    q: AuditQuery,
    rows: Vec<Row>,
    total: i64,
    page_no: i64,
    pages: i64,
    can_export: bool,
    export_link: String,
    prev_link: String,
    next_link: String,
}

fn page_link(q: &AuditQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page);
    format!(
        "/audit?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<Html<String>> {
    let filter = q.filter(&user)?;
    let page_no = paging::page(q.page);
    let (entries, total) = search(
        &state.db,
        &filter,
        PAGE_SIZE,
        paging::offset(q.page, PAGE_SIZE),
    )
    .await?;
    let rows = entries
        .into_iter()
        .map(|e| Row {
            outcome_label: if e.outcome == "success" {
                "成功"
            } else {
                "失败"
            },
            e,
        })
        .collect();
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = PageCtx::load(
        &state,
        Some(&user),
        "audit",
        "审计日志",
        vec![Crumb::here("审计日志")],
    )
    .await?;
    render(AuditPage {
        page,
        export_link: q.export_link(),
        prev_link: page_link(&q, page_no - 1),
        next_link: page_link(&q, page_no + 1),
        q,
        rows,
        total,
        page_no,
        pages,
        can_export: user.can("audit:log:export"),
    })
}

#[derive(Serialize)]
struct ApiAnswer {
    total: i64,
    page: i64,
    entries: Vec<Entry>,
}

async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<ApiAnswer>> {
    let filter = q.filter(&user)?;
    let page_no = paging::page(q.page);
    let (entries, total) = search(
        &state.db,
        &filter,
        PAGE_SIZE,
        paging::offset(q.page, PAGE_SIZE),
    )
    .await?;
    Ok(Json(ApiAnswer {
        total,
        page: page_no,
        entries,
    }))
}

/// The filtered entries as an XLSX workbook. The export is itself audited.
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let filter = q.filter(&user)?;
    let (entries, total) = search(&state.db, &filter, EXPORT_LIMIT, 0).await?;
    if total > EXPORT_LIMIT {
        return Err(AppError::Invalid(format!(
            "符合条件的记录有 {total} 条，超过单次导出上限 {EXPORT_LIMIT} 条，请缩小时间范围后再导出。"
        )));
    }
    let bytes = workbook(&entries).map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    record_alone(
        &state.db,
        &super::AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "audit.export",
            "audit_log",
            "query",
        )
        .with(json!({"filters": q, "rows": entries.len()})),
    )
    .await
    .map_err(AppError::audit)?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX,
        "audit-log.xlsx",
    ))
}

pub const EXPORT_HEADERS: [&str; 14] = [
    "序号",
    "时间",
    "用户",
    "角色",
    "所属区划",
    "来源地址",
    "请求编号",
    "操作",
    "对象类型",
    "对象编号",
    "结果",
    "详情",
    "前一哈希",
    "本条哈希",
];

fn workbook(entries: &[Entry]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("审计日志")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, h) in EXPORT_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *h, &bold)?;
    }
    for (i, e) in entries.iter().enumerate() {
        let r = (i + 1) as u32;
        sheet.write_number(r, 0, e.seq as f64)?;
        let cells = [
            &e.at,
            &e.username,
            &e.role,
            &e.region_code,
            &e.source_ip,
            &e.request_id,
            &e.action,
            &e.object_type,
            &e.object_id,
        ];
        for (c, v) in cells.iter().enumerate() {
            sheet.write_string(r, (c + 1) as u16, v.as_str())?;
        }
        sheet.write_string(
            r,
            10,
            if e.outcome == "success" {
                "成功"
            } else {
                "失败"
            },
        )?;
        sheet.write_string(r, 11, &e.details)?;
        sheet.write_string(r, 12, &e.prev_hash)?;
        sheet.write_string(r, 13, &e.hash)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
