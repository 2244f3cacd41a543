//! Divorce by agreement (协议离婚) at the registry counter: the application of two
//! spouses of the registry, the 30-day cooling-off during which either may withdraw, and
//! the completion (certificate `L…`) only from day 31 to day 60 after receipt; after that
//! the application has lapsed (shown so on reading with the injected clock, and stored so
//! when completion is tried). Every change and every refusal is audited.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::counselling::Session;
use super::divorce_store::{self as store, Application, NewApplication};
use super::marriage::{self, ApplicationStatus, Kind, Record, Refusal, Rule, divorce_window};
use super::marriage_store::{self as registrations, NewRegistration};
use super::marriage_web::{
    QuarterQuery, READ, REGISTER, id_number, masked, name, office, page_view, refuse,
};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::{Sealed, SensitiveKind};
use crate::report::Quarter;
use crate::web::extract::FormOrJson;

pub fn routes() -> Routes {
    Routes::new()
        .post("/affairs/marriage/divorce-applications", REGISTER, apply)
        .post(
            "/affairs/marriage/divorce-applications/{id}/withdraw",
            REGISTER,
            withdraw,
        )
        .post(
            "/affairs/marriage/divorce-applications/{id}/complete",
            REGISTER,
            complete,
        )
        .get(
            "/api/v1/affairs/marriage/divorce-applications",
            READ,
            api_list,
        )
        .post(
            "/api/v1/affairs/marriage/divorce-applications",
            REGISTER,
            apply,
        )
        .post(
            "/api/v1/affairs/marriage/divorce-applications/{id}/withdraw",
            REGISTER,
            withdraw,
        )
        .post(
            "/api/v1/affairs/marriage/divorce-applications/{id}/complete",
            REGISTER,
            complete,
        )
}

/// An application as shown on `today` (a received one past its last day is lapsed).
#[derive(Clone, Debug, Serialize)]
pub struct ApplicationView {
    pub id: i64,
    pub office_code: String,
    pub received_on: String,
    pub man_name: String,
    pub man_id: String,
    pub woman_name: String,
    pub woman_id: String,
    pub status: ApplicationStatus,
    pub status_label: &'static str,
    /// The last day of the cooling-off, and the days it may be completed.
    pub cooling_off_until: String,
    pub complete_from: String,
    pub complete_until: String,
    pub withdrawn_on: Option<String>,
    pub withdrawn_by: Option<String>,
    pub completed_on: Option<String>,
    pub version: i64,
    /// What the desk may do today (the injected clock): withdraw during the cooling-off,
    /// complete from day 31 to day 60. The page offers only these buttons.
    pub can_withdraw: bool,
    pub can_complete: bool,
    /// The counselling sessions held with the couple on this application, oldest first.
    pub counselling: Vec<Session>,
}

fn view_of(
    state: &AppState,
    a: &Application,
    today: NaiveDate,
    counselling: Vec<Session>,
) -> ApplicationView {
    let received = a.received().unwrap_or(today);
    let status = marriage::status_on(a.status, received, today);
    let (until, from, last) = divorce_window(received);
    let (can_withdraw, can_complete) = marriage::actions_on(a.status, received, today);
    ApplicationView {
        id: a.id,
        office_code: a.office_code.clone(),
        received_on: a.received_on.clone(),
        man_name: a.man_name.clone(),
        man_id: masked(&state.keyring, &a.man_id_sealed),
        woman_name: a.woman_name.clone(),
        woman_id: masked(&state.keyring, &a.woman_id_sealed),
        status,
        status_label: status.label(),
        cooling_off_until: until.to_string(),
        complete_from: from.to_string(),
        complete_until: last.to_string(),
        withdrawn_on: a.withdrawn_on.clone(),
        withdrawn_by: a
            .withdrawn_by
            .as_deref()
            .map(|p| party_label(p).to_string()),
        completed_on: a.completed_on.clone(),
        version: a.version,
        can_withdraw,
        can_complete,
        counselling,
    }
}

fn party_label(code: &str) -> &'static str {
    if code == "man" { "男方" } else { "女方" }
}

/// The applications received since 60 days before the quarter began (any still open in
/// it), as shown today.
pub async fn views(
    state: &AppState,
    user: &CurrentUser,
    q: Quarter,
) -> AppResult<Vec<ApplicationView>> {
    let since = q.first_day() - chrono::Duration::days(60);
    let today = state.clock.today();
    let bounds = user.scope_bounds();
    let mut sessions = super::counselling::by_application(state, &bounds).await?;
    Ok(store::list(&state.db, &bounds, since)
        .await?
        .iter()
        .map(|a| view_of(state, a, today, sessions.remove(&a.id).unwrap_or_default()))
        .collect())
}

/// The day an application was withdrawn, when in the quarter.
fn withdrawn_in(a: &ApplicationView, q: Quarter) -> Option<NaiveDate> {
    a.withdrawn_on
        .as_deref()
        .and_then(|d| d.parse().ok())
        .filter(|d| Quarter::of(*d) == q)
}

/// The applications withdrawn during the cooling-off in the quarter.
pub fn withdrawn_in_quarter(applications: &[ApplicationView], q: Quarter) -> usize {
    applications
        .iter()
        .filter(|a| withdrawn_in(a, q).is_some())
        .count()
}

/// Of those, the ones withdrawn after counselling: a session with the couple held on or
/// before the day of withdrawal.
pub fn withdrawn_after_counselling(applications: &[ApplicationView], q: Quarter) -> usize {
    applications
        .iter()
        .filter(|a| {
            withdrawn_in(a, q).is_some_and(|w| {
                a.counselling
                    .iter()
                    .any(|s| s.held_on.as_str() <= w.to_string().as_str())
            })
        })
        .count()
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> AppResult<Json<Value>> {
    let today = state.clock.today();
    let q = match query.quarter() {
        "" => Quarter::of(today),
        s => s.parse::<Quarter>().map_err(AppError::Invalid)?,
    };
    let all = views(&state, &user, q).await?;
    Ok(Json(json!({
        "quarter": q.to_string(),
        "withdrawn_in_quarter": withdrawn_in_quarter(&all, q),
        "withdrawn_after_counselling": withdrawn_after_counselling(&all, q),
        "applications": all,
    })))
}

/// After a change: the page with the message, or JSON.
async fn finish(
    state: &AppState,
    user: &CurrentUser,
    json: bool,
    body: Value,
    message: String,
) -> AppResult<Response> {
    if json {
        let mut body = body;
        body["message"] = json!(message);
        return Ok(Json(body).into_response());
    }
    let q = Quarter::of(state.clock.today());
    Ok(page_view(state, user, q, None, message)
        .await?
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApplyForm {
    #[serde(default)]
    man_name: String,
    #[serde(default)]
    man_id: String,
    #[serde(default)]
    woman_name: String,
    #[serde(default)]
    woman_id: String,
    #[serde(default)]
    office: String,
}

async fn apply(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<ApplyForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let office = office(&state, &user, &form.office).await?;
    let man_name = name("男方姓名", &form.man_name)?;
    let woman_name = name("女方姓名", &form.woman_name)?;
    let man = id_number("男方身份证号", &form.man_id, today)?;
    let woman = id_number("女方身份证号", &form.woman_id, today)?;
    let sealed =
        |id: &crate::ids::IdNumber| state.keyring.seal(SensitiveKind::IdNumber, id.as_str());
    let (m, w): (Sealed, Sealed) = (sealed(&man), sealed(&woman));
    let asked = json!({"office": office, "man_name": man_name, "man_id": man.masked(),
                       "woman_name": woman_name, "woman_id": woman.masked()});
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    // The couple locked for the transaction, as a registration locks them.
    state
        .db
        .lock_keys(&mut tx, &[super::marriage_store::REGISTRY_LOCK.to_string()])
        .await?;
    let reg = registrations::registry(&mut tx, (&m.index, &w.index), (today, i64::MAX)).await?;
    if !reg.man_spouses.contains(&w.index) || !reg.woman_spouses.contains(&m.index) {
        drop(tx);
        let why = Refusal::new(
            Rule::NotSpouses,
            "本登记机关的记录中二人不是夫妻：请核对身份证号，或先补录原结婚登记",
        );
        return refuse(&state, &ctx, "marriage.divorce.apply", asked, why).await;
    }
    let open = store::open_of(&mut tx, &m.index, &w.index).await?;
    if let Some(a) = open.iter().find(|a| {
        a.received()
            .is_some_and(|r| marriage::status_on(a.status, r, today) == ApplicationStatus::Received)
    }) {
        // Another district's application is not the user's to read: said without its
        // number or day.
        let message = if user.scope().contains(&a.office_code) {
            format!(
                "二人已有 {} 受理的离婚申请（编号 {}），请在该申请上撤回或办理。",
                a.received_on, a.id
            )
        } else {
            "二人已有一份在其他登记机关受理、尚未办结的离婚申请，请到受理该申请的登记机关撤回或办理。"
                .to_string()
        };
        return Err(AppError::Conflict(message));
    }
    let new = NewApplication {
        office: &office,
        received: today,
        man_name: &man_name,
        man: &m,
        woman_name: &woman_name,
        woman: &w,
    };
    let id = store::insert(&mut tx, &new, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "marriage.divorce.apply",
            "divorce_application",
            id.to_string(),
        )
        .with(json!({"request": asked, "received_on": today.to_string()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let (until, from, last) = divorce_window(today);
    let message = format!(
        "已受理离婚申请（编号 {id}）：冷静期至 {until}，期间任一方可撤回；双方须在 {from} 至 {last} 共同到场办理离婚登记，逾期申请失效。"
    );
    finish(&state, &user, json, json!({"id": id}), message).await
}

/// The application in the user's scope, or 404.
async fn application(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Application> {
    let a = store::get(state.db.pool(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("离婚申请 {id}")))?;
    user.ensure_in_scope(&a.office_code, || format!("离婚申请 {id}"))?;
    Ok(a)
}

fn not_open(a: &Application, status: ApplicationStatus) -> AppError {
    AppError::Conflict(format!(
        "离婚申请 {} 已是「{}」，不能再撤回或办理。",
        a.id,
        status.label()
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct WithdrawForm {
    #[serde(default)]
    version: Value,
    /// 男方 or 女方.
    #[serde(default)]
    party: String,
}

async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<WithdrawForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let a = application(&state, &user, id).await?;
    let party = match form.party.trim() {
        "男方" | "man" => "man",
        "女方" | "woman" => "woman",
        _ => {
            return Err(AppError::Invalid(
                "「撤回方」应为「男方」或「女方」。".to_string(),
            ));
        }
    };
    let received = a.received().unwrap_or(today);
    let shown = marriage::status_on(a.status, received, today);
    if shown != ApplicationStatus::Received {
        return Err(not_open(&a, shown));
    }
    if let Err(why) = marriage::may_withdraw(received, today) {
        return refuse(
            &state,
            &ctx,
            "marriage.divorce.withdraw",
            json!({"application": id}),
            why,
        )
        .await;
    }
    let version = version_of(&form.version, &a)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if !store::settle(
        &mut tx,
        (id, version),
        ApplicationStatus::Withdrawn,
        today,
        Some(party),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "该申请已被他人处理，请刷新后重试。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "marriage.divorce.withdraw",
            "divorce_application",
            id.to_string(),
        )
        .with(json!({"party": party, "on": today.to_string()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "{}已于冷静期内撤回离婚申请（编号 {id}），申请终止。",
        party_label(party)
    );
    finish(&state, &user, json, json!({"id": id}), message).await
}

fn version_of(v: &Value, a: &Application) -> AppResult<i64> {
    match crate::web::extract::typed(v).trim() {
        "" => Ok(a.version),
        s => s
            .parse()
            .map_err(|_| AppError::Invalid("「version」应为整数。".to_string())),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CompleteForm {
    #[serde(default)]
    version: Value,
}

async fn complete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<CompleteForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let a = application(&state, &user, id).await?;
    let version = version_of(&form.version, &a)?;
    let received = a.received().unwrap_or(today);
    if a.status != ApplicationStatus::Received {
        return Err(not_open(&a, a.status));
    }
    let asked = json!({"application": id});
    if let Err(why) = marriage::may_complete(received, today) {
        if why.rule == Rule::Lapsed {
            // Lapsed by itself on the day after its last day: stored so now.
            let lapsed_on = divorce_window(received).2 + chrono::Duration::days(1);
            let now = state.clock.now_local();
            let mut tx = state.db.begin().await?;
            if store::settle(
                &mut tx,
                (id, version),
                ApplicationStatus::Lapsed,
                lapsed_on,
                None,
            )
            .await?
            {
                record(
                    &mut tx,
                    &AuditEvent::new(
                        now,
                        &ctx.actor(),
                        "marriage.divorce.lapse",
                        "divorce_application",
                        id.to_string(),
                    )
                    .with(json!({"lapsed_on": lapsed_on.to_string()})),
                )
                .await
                .map_err(AppError::audit)?;
                tx.commit().await?;
            }
        }
        return refuse(&state, &ctx, "marriage.divorce.complete", asked, why).await;
    }
    let open = |s: &str| {
        state
            .keyring
            .open(SensitiveKind::IdNumber, s)
            .unwrap_or_default()
    };
    let (man_id, woman_id) = (open(&a.man_id_sealed), open(&a.woman_id_sealed));
    let seal = |v: &str| state.keyring.seal(SensitiveKind::IdNumber, v);
    let (m, w) = (seal(&man_id), seal(&woman_id));
    let now = state.clock.now_local();
    let year = chrono::Datelike::year(&today);
    let mut tx = state.db.begin().await?;
    // The couple and the office's numbering locked in one sorted call, as a registration
    // locks them: taken one after the other in another order, two transactions could
    // each hold what the other waits for.
    state
        .db
        .lock_keys(
            &mut tx,
            &[
                super::marriage_store::REGISTRY_LOCK.to_string(),
                format!("certificate:{}:{year}", a.office_code),
            ],
        )
        .await?;
    let reg = registrations::registry(&mut tx, (&m.index, &w.index), (today, i64::MAX)).await?;
    let certificate =
        match registrations::next_certificate(&mut tx, 'L', &a.office_code, year).await? {
            Ok(c) => c,
            Err(why) => {
                drop(tx);
                return refuse(&state, &ctx, "marriage.divorce.complete", asked, why).await;
            }
        };
    let rec = Record {
        kind: Kind::Divorce,
        day: today,
        certificate: &certificate,
        man_name: &a.man_name,
        man_id: &man_id,
        woman_name: &a.woman_name,
        woman_id: &woman_id,
        office: &a.office_code,
        applied_on: Some(received),
    };
    let audit = marriage::audit(&rec, &reg, (&m.index, &w.index));
    if let Err(why) = &audit {
        drop(tx);
        return refuse(
            &state,
            &ctx,
            "marriage.divorce.complete",
            asked,
            why.clone(),
        )
        .await;
    }
    if !store::settle(
        &mut tx,
        (id, version),
        ApplicationStatus::Completed,
        today,
        None,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "该申请已被他人处理，请刷新后重试。".to_string(),
        ));
    }
    let new = NewRegistration {
        record: rec,
        man: &m,
        woman: &w,
        application: Some(id),
        imported: false,
    };
    let rid =
        registrations::insert(&mut tx, &new, &audit, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "marriage.divorce",
            "marriage_registration",
            rid.to_string(),
        )
        .with(json!({"application": id, "certificate_no": certificate})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已办理离婚登记：{}、{}，证书编号 {certificate}。",
        a.man_name, a.woman_name
    );
    finish(
        &state,
        &user,
        json,
        json!({"id": rid, "certificate_no": certificate}),
        message,
    )
    .await
}
