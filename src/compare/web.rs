//! Pages and API of data comparison: data sets (upload a department's file) and runs.
//! The findings queue and a finding's page are in `findings_web`.

use askama::Template;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::dataset::{self, LoadError, LoadRequest};
use super::service;
use super::sources::{SOURCES, Source};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

const MANAGE: Access = Access::Perm("compare:data:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/compare", MANAGE, data_page)
        .post("/compare/datasets", MANAGE, upload)
        .post("/compare/runs", MANAGE, start_run)
        .get("/api/v1/compare/datasets", MANAGE, api_data)
        .post("/api/v1/compare/datasets", MANAGE, upload)
        .post("/api/v1/compare/runs", MANAGE, start_run)
        .merge(super::findings_web::routes())
}

#[derive(serde::Serialize)]
struct DatasetRow {
    id: i64,
    source: String,
    source_label: &'static str,
    received_on: String,
    file_name: String,
    total_rows: i64,
    valid_rows: i64,
    invalid_rows: i64,
    invalid_examples: Value,
    checksum: String,
    loaded_by: String,
    loaded_at: String,
}

#[derive(serde::Serialize)]
struct RunRow {
    id: i64,
    started_at: String,
    finished_at: String,
    run_by: String,
    people: i64,
    new_findings: i64,
    counts: Value,
}

async fn datasets(state: &AppState) -> AppResult<Vec<DatasetRow>> {
    let rows = sqlx::query(
        "SELECT id, source, received_on, file_name, total_rows, valid_rows, invalid_rows, invalid_examples, \
         checksum, loaded_by, loaded_at FROM compare_datasets WHERE checksum <> '' ORDER BY id DESC LIMIT 100",
    )
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let source: String = r.try_get(1)?;
            Ok(DatasetRow {
                id: r.try_get(0)?,
                source_label: Source::parse(&source).map_or("", Source::label),
                source,
                received_on: r.try_get(2)?,
                file_name: r.try_get(3)?,
                total_rows: r.try_get(4)?,
                valid_rows: r.try_get(5)?,
                invalid_rows: r.try_get(6)?,
                invalid_examples: serde_json::from_str(&r.try_get::<String, _>(7)?)
                    .unwrap_or_default(),
                checksum: r.try_get(8)?,
                loaded_by: r.try_get(9)?,
                loaded_at: r.try_get(10)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

async fn runs(state: &AppState) -> AppResult<Vec<RunRow>> {
    let rows = sqlx::query(
        "SELECT id, started_at, finished_at, run_by, people, new_findings, counts FROM compare_runs \
         ORDER BY id DESC LIMIT 20",
    )
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RunRow {
                id: r.try_get(0)?,
                started_at: r.try_get(1)?,
                finished_at: r.try_get(2)?,
                run_by: r.try_get(3)?,
                people: r.try_get(4)?,
                new_findings: r.try_get(5)?,
                counts: serde_json::from_str(&r.try_get::<String, _>(6)?).unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A run's counts as lines for the page: source, rows matched exactly and by name, and
/// findings by rule.
fn run_lines(counts: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(sources) = counts.get("sources").and_then(Value::as_object) {
        for (code, c) in sources {
            let label = Source::parse(code).map_or_else(|| code.clone(), |s| s.label().to_string());
            let by_rule = c
                .get("findings")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(rule, n)| {
                            let rule = super::rules::Rule::parse(rule)
                                .map_or_else(|| rule.clone(), |r| r.label().to_string());
                            format!("{rule} {n}")
                        })
                        .collect::<Vec<_>>()
                        .join("，")
                })
                .unwrap_or_default();
            out.push(format!(
                "{label}：身份证号一致 {} 行，模糊匹配 {} 行；疑点 {}（新 {}）",
                c["exact_rows"],
                c["fuzzy_rows"],
                if by_rule.is_empty() {
                    "无".to_string()
                } else {
                    by_rule
                },
                c["new_findings"]
            ));
        }
    }
    if let Some(internal) = counts.get("internal").and_then(Value::as_object)
        && !internal.is_empty()
    {
        out.push(format!(
            "本系统记录：{}",
            internal
                .iter()
                .map(|(rule, n)| format!(
                    "{} {n}",
                    super::rules::Rule::parse(rule)
                        .map_or_else(|| rule.clone(), |r| r.label().to_string())
                ))
                .collect::<Vec<_>>()
                .join("，")
        ));
    }
    out
}

#[derive(Template)]
#[template(path = "compare/index.html")]
struct DataPage {
    page: PageCtx,
    datasets: Vec<DatasetRow>,
    runs: Vec<(RunRow, Vec<String>)>,
    sources: Vec<(&'static str, &'static str, String)>,
    notice: String,
    problems: Vec<String>,
    today: String,
}

async fn data_view(
    state: &AppState,
    user: &CurrentUser,
    notice: String,
    problems: Vec<String>,
) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        state,
        Some(user),
        "compare",
        "数据比对",
        vec![Crumb::here("数据比对")],
    )
    .await?;
    render(DataPage {
        page,
        datasets: datasets(state).await?,
        runs: runs(state)
            .await?
            .into_iter()
            .map(|r| {
                let lines = run_lines(&r.counts);
                (r, lines)
            })
            .collect(),
        sources: SOURCES
            .iter()
            .map(|s| (s.code(), s.label(), s.columns().join("、")))
            .collect(),
        notice,
        problems,
        today: state.clock.today().to_string(),
    })
}

async fn data_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    data_view(&state, &user, String::new(), Vec::new()).await
}

async fn api_data(State(state): State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "datasets": datasets(&state).await?, "runs": runs(&state).await? }),
    ))
}

/// A department's file: `source`, `received_on` (default today) and `file`.
async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    uri: axum::http::Uri,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let json = uri.path().starts_with("/api/");
    let (mut source, mut received, mut file_name, mut bytes) =
        (String::new(), String::new(), String::new(), Vec::new());
    let broken = || AppError::BadRequest("上传的内容不完整，请重新选择文件上传。".to_string());
    while let Some(field) = multipart.next_field().await.map_err(|_| broken())? {
        match field.name() {
            Some("source") => source = field.text().await.map_err(|_| broken())?,
            Some("received_on") => received = field.text().await.map_err(|_| broken())?,
            Some("file") => {
                file_name = field.file_name().unwrap_or("data.csv").to_string();
                bytes = field.bytes().await.map_err(|_| broken())?.to_vec();
            }
            _ => {}
        }
    }
    let source = Source::parse(&source).ok_or_else(|| {
        AppError::Invalid(format!(
            "「数据来源」「{}」无法识别，请从列表中选择。",
            source.trim()
        ))
    })?;
    let today = state.clock.today();
    let received_on = if received.trim().is_empty() {
        today
    } else {
        crate::calendar::parse_date(&received)
            .filter(|d| *d <= today)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "「接收日期」「{}」不是今天或以前的日期。",
                    received.trim()
                ))
            })?
    };
    if bytes.is_empty() {
        return Err(AppError::Invalid("请选择要导入的数据文件。".to_string()));
    }
    let now = state.clock.now_local();
    let request = LoadRequest {
        source,
        file_name,
        received_on,
        by: user.username.clone(),
        at: now.to_rfc3339(),
    };
    let event = AuditEvent::new(now, &ctx.actor(), "compare.load", "compare_dataset", "");
    let loaded = match dataset::load(
        &state.db,
        state.keyring.clone(),
        request,
        std::io::Cursor::new(bytes),
        event,
    )
    .await
    {
        Ok(loaded) => loaded,
        Err(LoadError::File(why)) => {
            if json {
                return Err(AppError::Invalid(why));
            }
            let html = data_view(&state, &user, String::new(), vec![why]).await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
        Err(LoadError::Database(e)) => return Err(e.into()),
    };
    if json {
        return Ok(Json(json!({ "dataset": loaded })).into_response());
    }
    let notice = if loaded.already {
        format!(
            "{}：与第 {} 号数据集内容相同，未重复导入。",
            source.label(),
            loaded.dataset_id
        )
    } else {
        format!(
            "已导入{}数据第 {} 号：{} 行，有效 {} 行，身份证号或字段有误另存 {} 行。",
            source.label(),
            loaded.dataset_id,
            loaded.rows,
            loaded.valid,
            loaded.invalid
        )
    };
    Ok(data_view(&state, &user, notice, Vec::new())
        .await?
        .into_response())
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct RunForm {
    /// Source codes; none or empty: all.
    #[serde(default)]
    sources: Vec<String>,
}

async fn start_run(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<RunForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let only: Vec<Source> = form
        .sources
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            Source::parse(s)
                .ok_or_else(|| AppError::Invalid(format!("「数据来源」「{s}」无法识别。")))
        })
        .collect::<Result<_, _>>()?;
    // A city-wide run can outlast a request (the server answers in 60 s at most): it runs
    // as its own task, and the answer waits for it a while. A longer run finishes in the
    // background and shows in the list of runs.
    let task = {
        let (state, actor, now) = (state.clone(), ctx.actor(), state.clock.now_local());
        tokio::spawn(async move {
            let done = service::run(&state.db, &state.keyring, &only, &actor, now).await;
            // Nobody may be waiting any more: a failure is written where the city will
            // find it (the audit log), not lost with the task.
            if let Err(e) = &done {
                let event = AuditEvent::new(now, &actor, "compare.run", "compare_run", "")
                    .failed()
                    .with(json!({ "error": e.to_string() }));
                if let Ok(mut tx) = state.db.begin().await
                    && record(&mut tx, &event).await.is_ok()
                {
                    let _ = tx.commit().await;
                }
            }
            done
        })
    };
    let summary = match tokio::time::timeout(std::time::Duration::from_secs(20), task).await {
        Ok(joined) => joined.map_err(|e| AppError::Internal(format!("比对中断：{e}")))??,
        Err(_) => {
            let message = "比对人数较多，仍在后台进行；完成后刷新本页，在「比对」列表中查看结果。";
            if json {
                return Ok((
                    axum::http::StatusCode::ACCEPTED,
                    Json(json!({ "running": true, "message": message })),
                )
                    .into_response());
            }
            return Ok(data_view(&state, &user, message.to_string(), Vec::new())
                .await?
                .into_response());
        }
    };
    if json {
        return Ok(Json(json!({ "run": summary })).into_response());
    }
    let notice = format!(
        "第 {} 次比对完成：在救助中的 {} 人，新发现疑点 {} 条，已分派到各街道的核查队列。",
        summary.run_id, summary.people, summary.new_findings
    );
    Ok(data_view(&state, &user, notice, Vec::new())
        .await?
        .into_response())
}
