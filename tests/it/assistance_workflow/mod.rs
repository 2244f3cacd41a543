//! The application workflow end to end through the router: online application, status
//! check, acceptance, investigation, opinion with the rules' explanation, public notice
//! with objections, approval; rejection and refusal; one household per person; close
//! relatives; deadlines; optimistic locking; reviews and exits.

use chrono::{Days, NaiveDate};
use minzheng::auth::Role;
use minzheng::ids::IdNumber;
use sqlx::Row;

use minzheng::calendar::Clock;

use crate::common::{Backend, Session, TestApp};

mod applications;
mod decisions;
mod register;
mod temporary_and_policy;

const COMMUNITY: &str = "369902001001";

fn id(birth: &str, seq: u16) -> String {
    IdNumber::compose("369902", birth.parse().unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// The worked example of the issue: applicant 45 with wage 1,500 × 12, spouse 43, child
/// 10, urban, standard 1,000 → 1,900 元/月.
fn family_form() -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("community", COMMUNITY),
        ("program", "dibao"),
        ("m0_name", "王建国"),
        ("m0_relation", "本人"),
        ("m0_hukou", "urban"),
        ("m0_work", "full"),
        ("m0_inc0_kind", "wage"),
        ("m0_inc0_item", "工资"),
        ("m0_inc0_monthly", "1500"),
        ("m0_inc0_months", "12"),
        ("m1_name", "李秀英"),
        ("m1_relation", "配偶"),
        ("m1_hukou", "urban"),
        ("m1_work", "full"),
        ("m2_name", "王小明"),
        ("m2_relation", "子女"),
        ("m2_hukou", "urban"),
        ("m2_work", "full"),
        ("m2_student", "1"),
        ("phone", "13800138000"),
        ("reason", "家庭收入低，孩子上学"),
        ("declaration", "1"),
        ("consent", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    f.push(("m0_id".into(), id("1981-03-02", 11)));
    f.push(("m1_id".into(), id("1983-05-06", 22)));
    f.push(("m2_id".into(), id("2016-01-01", 33)));
    f
}

fn set(form: &mut Vec<(String, String)>, key: &str, value: &str) {
    form.retain(|(k, _)| k != key);
    form.push((key.to_string(), value.to_string()));
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn reference_in(body: &str) -> String {
    let start =
        body.find("id=\"reference\">").expect("reference shown") + "id=\"reference\">".len();
    body[start..start + 14].to_string()
}

async fn case_by_reference(t: &TestApp, reference: &str) -> i64 {
    sqlx::query("SELECT id FROM cases WHERE reference = $1")
        .bind(reference)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn case_field(t: &TestApp, id: i64, column: &str) -> Option<String> {
    let sql = format!("SELECT CAST({column} AS TEXT) FROM cases WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn version(t: &TestApp, id: i64) -> String {
    case_field(t, id, "version").await.unwrap()
}

/// Takes an action with the case's current version; returns the response status.
async fn act(t: &TestApp, s: &Session, case: i64, action: &str, extra: &[(&str, &str)]) -> u16 {
    let v = version(t, case).await;
    let mut form = vec![("action", action), ("version", v.as_str())];
    form.extend_from_slice(extra);
    let r = t
        .post_as(s, &format!("/assistance/cases/{case}/act"), &form)
        .await;
    assert!(
        r.status == 303 || r.status.is_client_error(),
        "{action}: {} {}",
        r.status,
        r.body
    );
    r.status.as_u16()
}

async fn apply_online(t: &TestApp, form: &[(String, String)]) -> i64 {
    let r = t.post_form("/apply", &pairs(form), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    case_by_reference(t, &reference_in(&r.body)).await
}

struct Staff {
    community: Session,
    street: Session,
    reviewer: Session,
    approver: Session,
}

async fn staff(t: &TestApp) -> Staff {
    Staff {
        community: t.signed_in(Role::CommunityWorker, COMMUNITY).await,
        street: t.signed_in(Role::StreetCaseworker, "369902001").await,
        reviewer: t.signed_in(Role::DistrictReviewer, "369902").await,
        approver: t.signed_in(Role::DistrictApprover, "369902").await,
    }
}

impl Staff {
    /// Sessions expire when the test clock jumps days ahead: sign everyone in again.
    async fn relogin(&self, t: &TestApp) -> Staff {
        Staff {
            community: t.login(&self.community.user).await,
            street: t.login(&self.street.user).await,
            reviewer: t.login(&self.reviewer.user).await,
            approver: t.login(&self.approver.user).await,
        }
    }
}

/// From 受理 to 公示 (the case already accepted).
async fn to_notice_from_accepted(t: &TestApp, s: &Staff, case: i64) {
    assert_eq!(
        act(
            t,
            &s.community,
            case,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "核对无异常")
            ],
        )
        .await,
        303
    );
    assert_eq!(
        act(t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(act(t, &s.street, case, "publish", &[]).await, 303);
}

/// Drives a case from 申请 to 公示 with the street's "agree" opinion.
async fn to_notice(t: &TestApp, s: &Staff, case: i64) {
    assert_eq!(act(t, &s.street, case, "accept", &[]).await, 303);
    assert_eq!(
        act(
            t,
            &s.community,
            case,
            "investigate",
            &[
                ("visit_record", "2026-11-30 入户，家中无贵重物品"),
                ("verification_record", "核对无异常")
            ],
        )
        .await,
        303
    );
    assert_eq!(
        act(t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(act(t, &s.street, case, "publish", &[]).await, 303);
}

/// An approved case; returns it with fresh sessions (the clock moved past the notice).
async fn active_case(t: &TestApp, s: &Staff, form: &[(String, String)]) -> (i64, Staff) {
    let case = apply_online(t, form).await;
    to_notice(t, s, case).await;
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let s = s.relogin(t).await;
    assert_eq!(act(t, &s.approver, case, "approve", &[]).await, 303);
    (case, s)
}

async fn set_wage(t: &TestApp, case: i64, monthly_fen: i64) {
    sqlx::query(
        "UPDATE member_incomes SET monthly = $1 WHERE member_id IN \
         (SELECT m.id FROM members m JOIN cases c ON c.household_id = m.household_id WHERE c.id = $2)",
    )
    .bind(monthly_fen)
    .bind(case)
    .execute(t.database().pool())
    .await
    .unwrap();
}

async fn review(t: &TestApp, s: &Session, case: i64, extra: &[(&str, &str)]) -> u16 {
    let v = version(t, case).await;
    let mut form = vec![("version", v.as_str())];
    if !extra.iter().any(|(k, _)| *k == "note") {
        form.push(("note", "入户复核，收入和财产已核对"));
    }
    form.extend_from_slice(extra);
    let r = t
        .post_as(s, &format!("/assistance/cases/{case}/review"), &form)
        .await;
    assert!(
        r.status == 303 || r.status.is_client_error(),
        "{} {}",
        r.status,
        r.body
    );
    r.status.as_u16()
}

async fn household_of(t: &TestApp, case: i64) -> i64 {
    case_field(t, case, "household_id")
        .await
        .unwrap()
        .parse()
        .unwrap()
}

async fn member_id(t: &TestApp, household: i64, name: &str) -> String {
    sqlx::query("SELECT CAST(id AS TEXT) FROM members WHERE household_id = $1 AND name = $2")
        .bind(household)
        .bind(name)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// A register edit, sent with the household's current version as the page's forms do.
async fn register_post(
    t: &TestApp,
    s: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> crate::common::TestResponse {
    let h: i64 = path.split('/').nth(3).unwrap().parse().unwrap();
    let version: String = sqlx::query("SELECT CAST(version AS TEXT) FROM households WHERE id = $1")
        .bind(h)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let mut with: Vec<(&str, &str)> = fields.to_vec();
    with.push(("version", &version));
    t.post_as(s, path, &with).await
}

async fn add_income(
    t: &TestApp,
    s: &Session,
    h: i64,
    member: &str,
    item: &str,
    monthly: &str,
) -> crate::common::TestResponse {
    register_post(
        t,
        s,
        &format!("/assistance/households/{h}/incomes"),
        &[
            ("member_id", member),
            ("kind", "transfer"),
            ("item", item),
            ("monthly", monthly),
            ("months", "12"),
        ],
    )
    .await
}

/// The explanation the case page previews before the street's opinion.
async fn preview(t: &TestApp, s: &Session, case: i64) -> String {
    let page = t.get_as(s, &format!("/api/v1/cases/{case}")).await.json();
    page["explanation"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn grant(
    t: &TestApp,
    s: &Session,
    months: &str,
    advance: bool,
) -> crate::common::TestResponse {
    let id = id("1975-04-04", 44);
    let mut form = vec![
        ("name", "赵大海"),
        ("id_number", id.as_str()),
        ("community", COMMUNITY),
        ("kind", "emergency"),
        ("household_size", "4"),
        ("months", months),
        ("reason", "住房失火"),
    ];
    if advance {
        form.push(("advance", "1"));
    }
    t.post_as(s, "/assistance/temporary", &form).await
}

async fn income_count(t: &TestApp, h: i64) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) FROM member_incomes WHERE member_id IN (SELECT id FROM members WHERE household_id = $1)",
    )
    .bind(h)
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap()
}
