//! 网上办理: the public application page (no login), the progress check by 受理编号 and
//! ID number, and the same form at the street office counter for staff.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::application::{self, Application, FieldError, INCOMES_PER_MEMBER, MAX_MEMBERS};
use super::cases::{self, Created};
use super::model::{DISABILITY_KINDS, INCOME_KINDS, RELATIONS, VEHICLE_KINDS};
use super::workflow::Status;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ids::IdNumber;
use crate::protect::SensitiveKind;
use crate::region::{Level, RegionCode};
use crate::web::layout::{Crumb, PageCtx, render};

/// Online applications a minute from one address: a family office sharing one address
/// files a few; a script filing fake applications is slowed down.
const APPLICATIONS_PER_MINUTE: i64 = 10;
/// Progress checks a minute from one address: enough for a family, too few to guess.
const STATUS_CHECKS_PER_MINUTE: i64 = 10;

pub fn routes() -> Routes {
    Routes::new()
        .get("/apply", Access::Public, public_form)
        .post("/apply", Access::Public, public_submit)
        .get("/apply/status", Access::Public, status_form)
        .post("/apply/status", Access::Public, status_submit)
        .get(
            "/assistance/applications/new",
            Access::Perm("assistance:case:create"),
            counter_form,
        )
        .post(
            "/assistance/applications",
            Access::Perm("assistance:case:create"),
            counter_submit,
        )
        .post(
            "/api/v1/applications",
            Access::Perm("assistance:case:create"),
            api_submit,
        )
}

/// A community to choose, under its street.
pub struct CommunityOption {
    pub code: String,
    pub label: String,
}

/// The form's values and problems, so a failed submission comes back filled in.
pub struct FormView {
    pub values: HashMap<String, String>,
    pub errors: Vec<FieldError>,
    pub communities: Vec<CommunityOption>,
    pub members: Vec<usize>,
    pub incomes: Vec<usize>,
    pub relations: Vec<&'static str>,
    pub income_kinds: Vec<(&'static str, &'static str)>,
    pub disability_kinds: Vec<(&'static str, &'static str)>,
    pub vehicle_kinds: Vec<(&'static str, &'static str)>,
}

impl FormView {
    fn new(
        values: HashMap<String, String>,
        errors: Vec<FieldError>,
        communities: Vec<CommunityOption>,
    ) -> FormView {
        FormView {
            values,
            errors,
            communities,
            members: (0..MAX_MEMBERS).collect(),
            incomes: (0..INCOMES_PER_MEMBER).collect(),
            relations: RELATIONS.iter().map(|r| r.label()).collect(),
            income_kinds: INCOME_KINDS.iter().map(|k| (k.code(), k.label())).collect(),
            disability_kinds: DISABILITY_KINDS
                .iter()
                .map(|k| (k.code(), k.label()))
                .collect(),
            vehicle_kinds: VEHICLE_KINDS
                .iter()
                .map(|k| (k.code(), k.label()))
                .collect(),
        }
    }
    pub fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }
    pub fn m(&self, i: &usize, field: &str) -> &str {
        self.v(&format!("m{i}_{field}"))
    }
    pub fn inc(&self, i: &usize, j: &usize, field: &str) -> &str {
        self.v(&format!("m{i}_inc{j}_{field}"))
    }
    pub fn is(&self, key: &str, value: &str) -> bool {
        self.v(key) == value
    }
    pub fn m_is(&self, i: &usize, field: &str, value: &str) -> bool {
        self.m(i, field) == value
    }
    pub fn inc_is(&self, i: &usize, j: &usize, field: &str, value: &str) -> bool {
        self.inc(i, j, field) == value
    }
    /// `aria-invalid` marker of a field with a problem.
    pub fn bad(&self, key: &str) -> bool {
        self.errors.iter().any(|e| e.field == key)
    }
    pub fn m_bad(&self, i: &usize, field: &str) -> bool {
        self.bad(&format!("m{i}_{field}"))
    }
}

async fn communities(state: &AppState, root: &RegionCode) -> AppResult<Vec<CommunityOption>> {
    let nodes = crate::region::store::subtree(&state.db, root).await?;
    let streets: HashMap<String, String> = nodes
        .iter()
        .filter(|n| n.level == Level::Street)
        .map(|n| (n.code.to_string(), n.name.clone()))
        .collect();
    Ok(nodes
        .iter()
        .filter(|n| n.level == Level::Community && n.enabled)
        .map(|n| {
            let street = n
                .code
                .parent()
                .and_then(|p| streets.get(p.as_str()).cloned())
                .unwrap_or_default();
            CommunityOption {
                code: n.code.to_string(),
                label: format!("{street} · {}", n.name),
            }
        })
        .collect())
}

async fn city_communities(state: &AppState) -> AppResult<Vec<CommunityOption>> {
    match crate::region::store::city(&state.db).await? {
        Some(city) => communities(state, &city.code).await,
        None => Ok(Vec::new()),
    }
}

#[derive(Template)]
#[template(path = "assistance/apply_public.html")]
struct PublicForm {
    f: FormView,
    city_name: String,
    /// A signed-in visitor's form token (the guard checks it on every POST of a session).
    csrf: String,
}

#[derive(Template)]
#[template(path = "assistance/apply_done.html")]
struct PublicDone {
    reference: String,
    city_name: String,
}

async fn city_name(state: &AppState) -> AppResult<String> {
    Ok(crate::region::store::city(&state.db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default())
}

fn csrf_of(ctx: &Ctx) -> String {
    ctx.user
        .as_ref()
        .map(|u| u.csrf_token.clone())
        .unwrap_or_default()
}

async fn public_form(State(state): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let f = FormView::new(HashMap::new(), Vec::new(), city_communities(&state).await?);
    render(PublicForm {
        f,
        city_name: city_name(&state).await?,
        csrf: csrf_of(&ctx),
    })
}

/// Why an application cannot be stored now.
enum Refused {
    Form(Vec<FieldError>),
    Other(AppError),
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Refused {
        Refused::Other(e)
    }
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Refused {
        Refused::Other(e.into())
    }
}

/// Stores a parsed application after the one-household check; the audit entry goes in
/// the same transaction. `name_holders`: staff see the other household's number, a
/// resident does not (it would disclose someone else's assistance).
async fn submit(
    state: &AppState,
    ctx: &Ctx,
    app: &Application,
    source: &str,
    name_holders: bool,
) -> Result<Created, Refused> {
    let today = state.clock.today();
    let indexes: Vec<(String, String)> = app
        .members
        .iter()
        .map(|m| {
            (
                state.keyring.index(SensitiveKind::IdNumber, m.id.as_str()),
                m.name.clone(),
            )
        })
        .collect();
    let mut tx = state.db.begin().await?;
    // At the counter, a person already in an active case, or in an application the street
    // has accepted, is refused with the household named. Online the check is not made:
    // any distinct answer would tell a stranger whether someone receives assistance, and
    // an unverified application must not block a real one. The street sees the conflict
    // on the case page and decides at acceptance.
    if name_holders {
        let keys: Vec<String> = indexes.iter().map(|(i, _)| i.clone()).collect();
        state.db.lock_keys(&mut tx, &keys).await?;
        let holders: Vec<_> = cases::holders(&mut tx, &indexes, 0)
            .await?
            .into_iter()
            .filter(|h| h.status != Status::Submitted)
            .collect();
        if !holders.is_empty() {
            let errors = holders
                .iter()
                .map(|h| {
                    let i = app
                        .members
                        .iter()
                        .position(|m| m.name == h.member_name)
                        .unwrap_or(0);
                    FieldError {
                        field: format!("m{i}_id"),
                        message: format!(
                            "{}已在救助家庭 {} 中（状态：{}），一人只能在一个救助家庭中；请先核实并办理该家庭的停保或不予受理。",
                            h.member_name,
                            h.household_number,
                            h.status.label()
                        ),
                    }
                })
                .collect();
            return Err(Refused::Form(errors));
        }
    }
    let reference = cases::new_reference(&mut tx, today).await?;
    let now = state.clock.now_local();
    let username = ctx
        .user
        .as_ref()
        .map(|u| u.username.clone())
        .unwrap_or_else(|| "网上申请".to_string());
    let now_text = now.to_rfc3339();
    let filing = cases::Filing {
        source,
        username: &username,
        reference: &reference,
        today,
        now: &now_text,
    };
    let created = cases::create(&mut tx, &state.keyring, app, &filing).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "case.apply",
            "assistance_case",
            created.case_id.to_string(),
        )
        .with(json!({
            "reference": reference,
            "source": source,
            "program": app.program.code(),
            "community": app.community.as_str(),
            "members": app.members.len(),
            "close_relative": app.close_relative,
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(created)
}

async fn public_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    if let Err(wait) = state.throttle.check(
        &format!("apply:{}", ctx.ip),
        state.clock.now(),
        APPLICATIONS_PER_MINUTE,
    ) {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let values: HashMap<String, String> =
        fields.into_iter().filter(|(k, _)| k != "_csrf").collect();
    let options = city_communities(&state).await?;
    let known: std::collections::HashSet<String> = options.iter().map(|c| c.code.clone()).collect();
    let parsed = application::parse(&values, &|c| known.contains(c), state.clock.today());
    let errors = match parsed {
        Ok(app) => match submit(&state, &ctx, &app, "online", false).await {
            Ok(created) => {
                return Ok(render(PublicDone {
                    reference: created.reference,
                    city_name: city_name(&state).await?,
                })?
                .into_response());
            }
            Err(Refused::Form(e)) => e,
            Err(Refused::Other(e)) => return Err(e),
        },
        Err(e) => e,
    };
    let html = render(PublicForm {
        f: FormView::new(values, errors, options),
        city_name: city_name(&state).await?,
        csrf: csrf_of(&ctx),
    })?;
    // The form comes back with its problems: not a success.
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

#[derive(Template)]
#[template(path = "assistance/apply_counter.html")]
struct CounterForm {
    page: PageCtx,
    f: FormView,
}

async fn counter_page(
    state: &AppState,
    user: &CurrentUser,
    f: FormView,
) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        state,
        Some(user),
        "workbench",
        "窗口受理申请",
        vec![
            Crumb::link("工作台", "/assistance/workbench"),
            Crumb::here("窗口受理申请"),
        ],
    )
    .await?;
    render(CounterForm { page, f })
}

async fn counter_form(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let options = communities(&state, &user.region).await?;
    counter_page(
        &state,
        &user,
        FormView::new(HashMap::new(), Vec::new(), options),
    )
    .await
}

async fn counter_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let values: HashMap<String, String> =
        fields.into_iter().filter(|(k, _)| k != "_csrf").collect();
    let options = communities(&state, &user.region).await?;
    let parsed = application::parse(&values, &|c| user.scope().contains(c), state.clock.today());
    let errors = match parsed {
        Ok(app) => match submit(&state, &ctx, &app, "counter", true).await {
            Ok(created) => {
                return Ok(Redirect::to(&format!(
                    "/assistance/cases/{}?created=1",
                    created.case_id
                ))
                .into_response());
            }
            Err(Refused::Form(e)) => e,
            Err(Refused::Other(e)) => return Err(e),
        },
        Err(e) => e,
    };
    let html = counter_page(&state, &user, FormView::new(values, errors, options)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

#[derive(Template)]
#[template(path = "assistance/apply_status.html")]
struct StatusPage {
    city_name: String,
    csrf: String,
    reference: String,
    error: String,
    result: Option<StatusAnswer>,
}

pub struct StatusAnswer {
    pub status: &'static str,
    pub applied_on: String,
    pub since: String,
    pub step: &'static str,
}

#[derive(Deserialize, Default)]
pub struct StatusPrefill {
    #[serde(default)]
    reference: String,
}

async fn status_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StatusPrefill>,
) -> AppResult<Html<String>> {
    // Only a 受理编号 is taken from the address: never an ID number.
    let reference: String = q
        .reference
        .chars()
        .filter(char::is_ascii_digit)
        .take(20)
        .collect();
    render(StatusPage {
        city_name: city_name(&state).await?,
        csrf: csrf_of(&ctx),
        reference,
        error: String::new(),
        result: None,
    })
}

#[derive(Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    id_number: String,
}

/// What a resident is told at each state: where the application is, nothing else.
fn step_of(status: Status) -> &'static str {
    match status {
        Status::Submitted => "等待街道（乡镇）受理。",
        Status::Accepted | Status::Investigating => "街道（乡镇）正在调查核实家庭经济状况。",
        Status::Reviewed => "街道（乡镇）已提出审核意见，等待公示或区县审批。",
        Status::Notice => "正在社区（村）公示。",
        Status::Active => "已批准，保障金从批准次月起发放。",
        Status::Rejected => "未获批准，书面决定和理由由街道（乡镇）送达，可依法申请复议。",
        Status::Refused => "不予受理，理由由街道（乡镇）告知。",
        Status::Exited => "已停止救助。",
    }
}

async fn status_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(q): Form<StatusQuery>,
) -> AppResult<Html<String>> {
    if let Err(wait) = state.throttle.check(
        &format!("apply-status:{}", ctx.ip),
        state.clock.now(),
        STATUS_CHECKS_PER_MINUTE,
    ) {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let reference = q.reference.trim().to_string();
    let mut page = StatusPage {
        city_name: city_name(&state).await?,
        csrf: csrf_of(&ctx),
        reference: reference.clone(),
        error: String::new(),
        result: None,
    };
    // One answer for "no such number", "wrong ID number" and "bad input": the page must
    // not tell which numbers exist.
    let not_found = "没有查到与该受理编号和身份证号相符的申请，请核对后重试。".to_string();
    let id = IdNumber::parse(&q.id_number, state.clock.today()).ok();
    let case = match (reference.is_empty(), id) {
        (false, Some(id)) => {
            let index = state.keyring.index(SensitiveKind::IdNumber, id.as_str());
            cases::query(
                &state.db,
                "c.reference = $1 AND EXISTS (SELECT 1 FROM members m WHERE m.household_id = c.household_id \
                 AND m.id_number_index = $2 AND m.relation = '本人')",
                &[reference, index],
                1,
            )
            .await?
            .pop()
        }
        _ => None,
    };
    match case {
        Some(c) => {
            let since: Option<String> = sqlx::query_scalar(
                "SELECT at FROM case_transitions WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(c.id)
            .fetch_optional(state.db.pool())
            .await?;
            page.result = Some(StatusAnswer {
                status: c.status.label(),
                applied_on: c.applied_on.clone(),
                since: since
                    .map(|s| s.chars().take(10).collect())
                    .unwrap_or_default(),
                step: step_of(c.status),
            });
        }
        None => page.error = not_found,
    }
    render(page)
}

/// The counter application through the API: the same fields as the form, as a JSON
/// object of strings. Problems come back as a 422 with every field's message.
async fn api_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Json(values): axum::Json<HashMap<String, String>>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let parsed = application::parse(&values, &|c| user.scope().contains(c), state.clock.today());
    let errors = match parsed {
        Ok(app) => match submit(&state, &ctx, &app, "counter", true).await {
            Ok(created) => {
                return Ok(axum::Json(serde_json::json!({
                    "case_id": created.case_id,
                    "reference": created.reference,
                }))
                .into_response());
            }
            Err(Refused::Form(e)) => e,
            Err(Refused::Other(e)) => return Err(e),
        },
        Err(e) => e,
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(serde_json::json!({ "errors": errors })),
    )
        .into_response())
}
