//! Marriage registration at the registry counter, on the pages and the API: the
//! registrations of a quarter with their compliance marks, registering a marriage or a
//! reissue (every refusal names the rule and is audited), and one person's registrations
//! and status history (found by ID number: a POST). IDs are sealed and shown masked.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::divorce_web::{self, ApplicationView};
use super::marriage::{self, Kind, Record, Refusal, Rule};
use super::marriage_store::{self as store, HistoryLine, NewRegistration, Stored};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ids::IdNumber;
use crate::protect::{Keyring, SensitiveKind};
use crate::report::Quarter;
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("marriage:registry:read");
pub const REGISTER: Access = Access::Perm("marriage:registry:register");

pub fn routes() -> Routes {
    Routes::new()
        .get("/affairs/marriage", READ, page)
        .post("/affairs/marriage/registrations", REGISTER, register)
        .post("/affairs/marriage/find", READ, find)
        .get("/api/v1/affairs/marriage/registrations", READ, api_list)
        .post("/api/v1/affairs/marriage/registrations", REGISTER, register)
        .post("/api/v1/affairs/marriage/find", READ, find)
        .merge(divorce_web::routes())
        .merge(super::counselling::routes())
}

/// A registration as pages and the API show it (IDs masked).
#[derive(Clone, Debug, Serialize)]
pub struct RegistrationView {
    pub id: i64,
    pub kind: Kind,
    pub kind_label: &'static str,
    pub registered_on: String,
    pub certificate_no: String,
    pub man_name: String,
    pub man_id: String,
    pub woman_name: String,
    pub woman_id: String,
    pub office_code: String,
    pub applied_on: Option<String>,
    /// 合格 or 不合格.
    pub compliance: &'static str,
    pub failed_rule: Option<String>,
    pub imported: bool,
}

pub fn masked(keyring: &Keyring, sealed: &str) -> String {
    keyring
        .open(SensitiveKind::IdNumber, sealed)
        .map(|v| SensitiveKind::IdNumber.mask(&v))
        .unwrap_or_else(|_| "（无法解密）".to_string())
}

fn view_of(s: &Stored, keyring: &Keyring) -> RegistrationView {
    RegistrationView {
        id: s.id,
        kind: s.kind,
        kind_label: s.kind.label(),
        registered_on: s.registered_on.clone(),
        certificate_no: s.certificate_no.clone(),
        man_name: s.man_name.clone(),
        man_id: masked(keyring, &s.man_id_sealed),
        woman_name: s.woman_name.clone(),
        woman_id: masked(keyring, &s.woman_id_sealed),
        office_code: s.office_code.clone(),
        applied_on: s.applied_on.clone(),
        compliance: if s.compliant { "合格" } else { "不合格" },
        failed_rule: s.failed_rule.clone(),
        imported: s.imported,
    }
}

/// A quarter's registrations with their counts.
#[derive(Serialize)]
pub struct QuarterList {
    pub quarter: String,
    pub marriages: usize,
    pub divorces: usize,
    pub reissues: usize,
    /// Of the marriages and divorces, the percentage 合格 (1 decimal); none without any.
    pub compliance_rate: Option<f64>,
    pub registrations: Vec<RegistrationView>,
}

async fn quarter_list(state: &AppState, user: &CurrentUser, q: Quarter) -> AppResult<QuarterList> {
    let rows = store::list(
        &state.db,
        &user.scope_bounds(),
        (q.first_day(), q.last_day()),
        None,
    )
    .await?;
    let of = |k: Kind| rows.iter().filter(|r| r.kind == k).count();
    let counted: Vec<&Stored> = rows.iter().filter(|r| r.kind != Kind::Reissue).collect();
    let compliant = counted.iter().filter(|r| r.compliant).count();
    Ok(QuarterList {
        quarter: q.to_string(),
        marriages: of(Kind::Marriage),
        divorces: of(Kind::Divorce),
        reissues: of(Kind::Reissue),
        compliance_rate: (!counted.is_empty())
            .then(|| (compliant as f64 * 1000.0 / counted.len() as f64).round() / 10.0),
        registrations: rows.iter().map(|r| view_of(r, &state.keyring)).collect(),
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct QuarterQuery {
    #[serde(default)]
    quarter: String,
}

impl QuarterQuery {
    pub fn quarter(&self) -> &str {
        self.quarter.trim()
    }
}

fn quarter(q: &QuarterQuery, today: NaiveDate) -> AppResult<Quarter> {
    match q.quarter.trim() {
        "" => Ok(Quarter::of(today)),
        s => s.parse::<Quarter>().map_err(AppError::Invalid),
    }
}

/// One person's registrations in the user's scope and status history.
#[derive(Serialize)]
pub struct Person {
    pub id_number: String,
    pub registrations: Vec<RegistrationView>,
    pub history: Vec<HistoryLine>,
}

#[derive(Template)]
#[template(path = "affairs/marriage.html")]
struct MarriagePage {
    page: PageCtx,
    q: QuarterList,
    quarter_label: String,
    applications: Vec<ApplicationView>,
    withdrawn_in_quarter: usize,
    withdrawn_after_counselling: usize,
    counselling: Vec<super::counselling::Session>,
    counselled: i64,
    person: Option<Person>,
    offices: Vec<(String, String)>,
    can_register: bool,
    notice: String,
}

pub async fn page_view(
    state: &AppState,
    user: &CurrentUser,
    q: Quarter,
    person: Option<Person>,
    notice: String,
) -> AppResult<Html<String>> {
    let list = quarter_list(state, user, q).await?;
    let applications = divorce_web::views(state, user, q).await?;
    let withdrawn_in_quarter = divorce_web::withdrawn_in_quarter(&applications, q);
    let withdrawn_after_counselling = divorce_web::withdrawn_after_counselling(&applications, q);
    let counselling = super::counselling::list(state, user, q).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "affairs_marriage",
        "婚姻登记",
        vec![Crumb::here("婚姻登记")],
    )
    .await?;
    render(MarriagePage {
        page,
        quarter_label: q.label(),
        q: list,
        applications,
        withdrawn_in_quarter,
        withdrawn_after_counselling,
        counselled: counselling.iter().map(|s| s.participants).sum(),
        counselling,
        person,
        offices: offices(state, user).await?,
        can_register: user.can("marriage:registry:register"),
        notice,
    })
}

/// The registries (districts) in the user's scope, code and name.
async fn offices(state: &AppState, user: &CurrentUser) -> AppResult<Vec<(String, String)>> {
    Ok(crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level == crate::region::Level::District)
        .map(|r| (r.code.to_string(), r.name))
        .collect())
}

/// The registry a form names (empty: the user's own district), within the user's scope.
pub async fn office(state: &AppState, user: &CurrentUser, given: &str) -> AppResult<String> {
    let code = match given.trim() {
        "" => user.region.to_string(),
        s => s.to_string(),
    };
    let ok = marriage::is_office(&code)
        && user.scope().contains(&code)
        && crate::region::store::get(&state.db, &code)
            .await?
            .is_some_and(|r| r.level == crate::region::Level::District);
    if !ok {
        return Err(AppError::Invalid(format!(
            "「登记机关」「{code}」不是您辖区内的区县婚姻登记机关代码（6 位）。"
        )));
    }
    Ok(code)
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> AppResult<Html<String>> {
    let q = quarter(&query, state.clock.today())?;
    page_view(&state, &user, q, None, String::new()).await
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> AppResult<Json<Value>> {
    let q = quarter(&query, state.clock.today())?;
    Ok(Json(json!(quarter_list(&state, &user, q).await?)))
}

/// A name as typed: required, at most 50 characters.
pub fn name(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 50 {
        return Err(AppError::Invalid(format!(
            "请填写「{field}」，不超过 50 字。"
        )));
    }
    Ok(v.to_string())
}

/// An ID number as typed, or the refusal naming the field.
pub fn id_number(field: &str, value: &str, today: NaiveDate) -> AppResult<IdNumber> {
    IdNumber::parse(value, today).map_err(|e| AppError::Invalid(format!("「{field}」{e}。")))
}

/// 是/否 (or true/false) of a form; none when not given.
pub fn yes_no(v: &Value) -> Option<bool> {
    match typed(v).trim() {
        "是" | "true" | "1" | "yes" => Some(true),
        "否" | "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// A refusal: audited as a failed attempt, then answered with the rule named.
pub async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    action: &str,
    details: Value,
    why: Refusal,
) -> AppResult<Response> {
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), action, "marriage_registration", "-")
            .with(json!({"request": details, "rule": why.rule.code(), "refused": why.to_string()}))
            .failed(),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Err(AppError::Invalid(format!("{why}。")))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterForm {
    /// 结婚 or 补领 (a divorce is completed from its application).
    #[serde(default)]
    kind: String,
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
    #[serde(default)]
    both_present: Value,
    /// Whether the two declare a prohibited kinship (是/否).
    #[serde(default)]
    kinship: Value,
}

async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<RegisterForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let kind = match Kind::parse(&form.kind) {
        Some(k @ (Kind::Marriage | Kind::Reissue)) => k,
        _ => {
            return Err(AppError::Invalid(
                "「登记类型」应为「结婚」或「补领」；离婚登记请在离婚申请冷静期届满后办理。"
                    .to_string(),
            ));
        }
    };
    let office = office(&state, &user, &form.office).await?;
    let man_name = name("男方姓名", &form.man_name)?;
    let woman_name = name("女方姓名", &form.woman_name)?;
    let man = id_number("男方身份证号", &form.man_id, today)?;
    let woman = id_number("女方身份证号", &form.woman_id, today)?;
    let action = format!("marriage.{}", kind.code());
    let asked = json!({"kind": kind.code(), "office": office, "man_name": man_name, "man_id": man.masked(),
                       "woman_name": woman_name, "woman_id": woman.masked()});
    // Both in person for a marriage (DOMAIN.md §6); a reissue may be asked by either.
    if kind == Kind::Marriage && yes_no(&form.both_present) != Some(true) {
        let why = Refusal::new(Rule::Present, "婚姻登记须男女双方亲自到场办理");
        return refuse(&state, &ctx, &action, asked, why).await;
    }
    if kind == Kind::Marriage
        && let Err(why) = marriage::kinship_rule(yes_no(&form.kinship))
    {
        return refuse(&state, &ctx, &action, asked, why).await;
    }
    let sealed = |id: &IdNumber| state.keyring.seal(SensitiveKind::IdNumber, id.as_str());
    let (man_sealed, woman_sealed) = (sealed(&man), sealed(&woman));
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    // Both people and the office's numbering, locked for the transaction: two counters
    // registering the same person at once (PostgreSQL reads committed data) must see each
    // other, and two registrations must not take the same certificate number.
    state
        .db
        .lock_keys(
            &mut tx,
            &[
                super::marriage_store::REGISTRY_LOCK.to_string(),
                format!("certificate:{office}:{}", chrono::Datelike::year(&today)),
            ],
        )
        .await?;
    let reg = store::registry(
        &mut tx,
        (&man_sealed.index, &woman_sealed.index),
        (today, i64::MAX),
    )
    .await?;
    let letter = match (kind, reg.between) {
        (Kind::Reissue, Some(marriage::MaritalStatus::Divorced)) => 'L',
        _ => 'J',
    };
    let year = chrono::Datelike::year(&today);
    let certificate = match store::next_certificate(&mut tx, letter, &office, year).await? {
        Ok(c) => c,
        Err(why) => {
            drop(tx);
            return refuse(&state, &ctx, &action, asked, why).await;
        }
    };
    let rec = Record {
        kind,
        day: today,
        certificate: &certificate,
        man_name: &man_name,
        man_id: man.as_str(),
        woman_name: &woman_name,
        woman_id: woman.as_str(),
        office: &office,
        applied_on: None,
    };
    let audit = marriage::audit(&rec, &reg, (&man_sealed.index, &woman_sealed.index));
    if let Err(why) = &audit {
        let why = with_standing(
            &user,
            &mut tx,
            why.clone(),
            &reg,
            &(man_sealed.index.clone(), woman_sealed.index.clone()),
            today,
        )
        .await?;
        drop(tx);
        return refuse(&state, &ctx, &action, asked, why).await;
    }
    let new = NewRegistration {
        record: rec,
        man: &man_sealed,
        woman: &woman_sealed,
        application: None,
        imported: false,
    };
    let id = store::insert(&mut tx, &new, &audit, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            &action,
            "marriage_registration",
            id.to_string(),
        )
        .with(json!({"request": asked, "certificate_no": certificate})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已办理{}登记：{man_name}、{woman_name}，证书编号 {certificate}。",
        kind.label()
    );
    if json {
        return Ok(
            Json(json!({"id": id, "certificate_no": certificate, "message": message}))
                .into_response(),
        );
    }
    Ok(page_view(&state, &user, Quarter::of(today), None, message)
        .await?
        .into_response())
}

/// A refusal for a party already married, with the registration that makes it so: its
/// certificate number when it is of the user's registries, else only that it was
/// registered elsewhere (another district's record is not the user's to read).
async fn with_standing(
    user: &CurrentUser,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    why: Refusal,
    reg: &marriage::Registry,
    (man, woman): &(String, String),
    today: NaiveDate,
) -> AppResult<Refusal> {
    let (person, spouses) = match why.rule {
        Rule::ManMarried => (man, &reg.man_spouses),
        Rule::WomanMarried => (woman, &reg.woman_spouses),
        _ => return Ok(why),
    };
    let mut found = Vec::new();
    for spouse in spouses {
        if let Some((certificate, office)) =
            store::marriage_with(tx, person, spouse, (today, i64::MAX)).await?
        {
            found.push(if user.scope().contains(&office) {
                format!("结婚证号 {certificate}")
            } else {
                "辖区外登记机关的结婚登记".to_string()
            });
        }
    }
    if found.is_empty() {
        return Ok(why);
    }
    Ok(Refusal::new(
        why.rule,
        format!("{}（现有登记：{}）", why.detail, found.join("、")),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FindForm {
    #[serde(default)]
    id_number: String,
}

/// One person's registrations in the user's scope and status history, by ID number.
async fn find(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<FindForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let id = id_number("身份证号", &form.id_number, today)?;
    let index = state.keyring.index(SensitiveKind::IdNumber, id.as_str());
    let rows = store::list(
        &state.db,
        &user.scope_bounds(),
        (today, today),
        Some(&index),
    )
    .await?;
    // The history is the registry's; shown only when the person has a registration here.
    let history = if rows.is_empty() {
        Vec::new()
    } else {
        store::history(&state.db, &index, &user.scope_bounds()).await?
    };
    let person = Person {
        id_number: id.masked(),
        registrations: rows.iter().map(|r| view_of(r, &state.keyring)).collect(),
        history,
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "marriage.find", "person", id.masked())
            .with(json!({"found": person.registrations.len()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    if json {
        return Ok(Json(json!(person)).into_response());
    }
    let notice = format!(
        "{} 在本辖区有 {} 条婚姻登记记录。",
        person.id_number,
        person.registrations.len()
    );
    Ok(
        page_view(&state, &user, Quarter::of(today), Some(person), notice)
            .await?
            .into_response(),
    )
}
