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
use crate::on_both_backends;

on_both_backends!(
    online_application_to_active_case,
    counter_application_rejected_and_refused,
    one_household_per_person_for_applications,
    close_relatives_need_district_review,
    deadlines_overdue_and_extension,
    reviews_keep_change_gradual_and_stop,
    bad_application_is_listed_and_nothing_stored,
    status_check_is_rate_limited_and_reveals_nothing,
    json_api_acts_with_the_same_rules,
    register_edits_feed_the_rules,
    temporary_grants_levels_and_advance_completion,
    city_sets_policy_parameters_and_exclusions,
    marginal_and_close_relative_lists,
    concurrent_approvals_keep_one_household_per_person,
    register_locked_in_notice_until_sent_back,
    tekun_support_mode_recorded_at_investigation,
);

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

async fn online_application_to_active_case(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // The public page needs no login and lists the communities.
    let page = t.get("/apply").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("幸福社区"), "{}", page.body);
    let r = t.post_form("/apply", &pairs(&family_form()), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reference = reference_in(&r.body);
    assert!(reference.starts_with("20261129"), "{reference}");
    let case = case_by_reference(&t, &reference).await;

    // Progress check: 编号 + the applicant's ID number.
    let applicant_id = id("1981-03-02", 11);
    let r = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &applicant_id)],
            None,
        )
        .await;
    assert!(r.body.contains("已申请"), "{}", r.body);
    assert!(
        !r.body.contains("王建国"),
        "the status page shows no personal data"
    );

    // Staff find it by the number the resident quotes (a POST: no names in addresses).
    let found = t
        .request(
            axum::http::Request::post("/api/v1/workbench/search")
                .header("content-type", "application/json")
                .header("cookie", &s.street.cookie)
                .header("x-csrf-token", &s.street.csrf)
                .body(axum::body::Body::from(
                    serde_json::json!({ "q": reference }).to_string(),
                ))
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(found["found"][0]["id"], case, "{found}");
    let page = t
        .post_as(
            &s.street,
            "/assistance/workbench/search",
            &[("q", "王建国")],
        )
        .await;
    assert!(page.body.contains(&reference), "{}", page.body);
    // A signed-in visitor can use the public pages too (the form carries their token).
    let r = t
        .post_as(
            &s.street,
            "/apply/status",
            &[("reference", &reference), ("id_number", &applicant_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // It lands in the street's queue.
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["queue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );

    // Accept on Sunday 2026-11-29: 30 working days (no holidays loaded) → Friday 2027-01-08.
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "due_on").await.as_deref(),
        Some("2027-01-08")
    );

    // Optimistic locking: an action on the old version is refused and changes nothing.
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/cases/{case}/act"),
            &[
                ("action", "investigate"),
                ("version", "1"),
                ("visit_record", "x"),
                ("verification_record", "y"),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("旧版本"), "{}", r.body);
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("accepted")
    );

    // An illegal transition is refused, naming the state.
    let r = act(&t, &s.approver, case, "approve", &[]).await;
    assert_eq!(r, 409);

    assert_eq!(
        act(
            &t,
            &s.community,
            case,
            "investigate",
            &[
                ("visit_record", "入户调查：三口之家"),
                ("verification_record", "无车无房")
            ]
        )
        .await,
        303
    );
    // The community worker cannot give the street's opinion.
    assert_eq!(
        act(&t, &s.community, case, "opinion", &[("recommend", "yes")]).await,
        403
    );
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("190000")
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("家庭人均月收入 400.00 元 &#60; 城市低保标准 1,000.00 元 ✓"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1,900.00"), "{}", page.body);

    // Notice: 7 days from today; the printable sheet shows only the allowed fields.
    assert_eq!(act(&t, &s.street, case, "publish", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "notice_until").await.as_deref(),
        Some("2026-12-05")
    );
    let sheet = t
        .get_as(
            &s.community,
            &format!("/assistance/notices?community={COMMUNITY}"),
        )
        .await;
    assert_eq!(sheet.status, 200);
    assert!(
        sheet.body.contains("王建国") && sheet.body.contains("1,900.00"),
        "{}",
        sheet.body
    );
    assert!(!sheet.body.contains(&applicant_id[..10]) && !sheet.body.contains("1981-03-02"));
    assert!(
        !sheet.body.contains("李秀英"),
        "only the applicant is named"
    );

    // An objection during the notice blocks approval until resolved.
    let r = t
        .post_as(
            &s.community,
            &format!("/assistance/cases/{case}/objections"),
            &[("content", "邻居反映其有营运车辆")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        act(&t, &s.approver, case, "approve", &[]).await,
        409,
        "notice not over"
    );
    t.clock.set(t.clock.now() + chrono::Duration::days(7));
    let s = s.relogin(&t).await;
    let page = t
        .get_as(&s.approver, &format!("/assistance/cases/{case}"))
        .await;
    assert!(page.body.contains("1 条公示异议未处理"), "{}", page.body);
    assert_eq!(
        act(&t, &s.approver, case, "approve", &[]).await,
        409,
        "open objection"
    );
    let oid: i64 = sqlx::query("SELECT id FROM case_objections WHERE case_id = $1")
        .bind(case)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/cases/{case}/objections/{oid}/resolve"),
            &[("resolution", "经核实车辆已于 2025 年转让，异议不成立")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("active")
    );
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("190000")
    );
    assert_eq!(
        case_field(&t, case, "approved_on").await.as_deref(),
        Some("2026-12-06")
    );
    // Ordinary 低保 household: reviewed every 6 months.
    assert_eq!(
        case_field(&t, case, "next_review_on").await.as_deref(),
        Some("2027-06-06")
    );

    // Every step is a transition and an audit entry.
    let steps: Vec<String> =
        sqlx::query("SELECT action FROM case_transitions WHERE case_id = $1 ORDER BY id")
            .bind(case)
            .fetch_all(t.database().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect();
    assert_eq!(
        steps,
        [
            "apply",
            "accept",
            "investigate",
            "opinion",
            "publish",
            "approve"
        ]
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'assistance_case' AND object_id = $1 \
         AND action IN ('case.apply', 'case.accept', 'case.investigate', 'case.opinion', 'case.publish', 'case.approve')",
    )
    .bind(case.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 6);
    let r = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &applicant_id)],
            None,
        )
        .await;
    assert!(r.body.contains("在保"), "{}", r.body);

    // Outside the scope the case does not exist.
    let other = t.signed_in(Role::DistrictApprover, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/assistance/cases/{case}"))
            .await
            .status,
        404
    );
    t.finish().await;
}

async fn counter_application_rejected_and_refused(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // Two persons, no income, deposits 60,000 → assets per person 30,000 > 24,000.
    let mut form = family_form();
    form.retain(|(k, _)| !k.starts_with("m2_") && !k.starts_with("m0_inc"));
    set(&mut form, "financial", "60000");
    let r = t
        .post_as(&s.street, "/assistance/applications", &pairs(&form))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let case: i64 = r
        .header("location")
        .trim_start_matches("/assistance/cases/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        case_field(&t, case, "source").await.as_deref(),
        Some("counter")
    );
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "银行存款 60,000 元")
            ]
        )
        .await,
        303
    );
    // The rules say no: an "agree" opinion is refused with the reason.
    let v = version(&t, case).await;
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/cases/{case}/act"),
            &[("action", "opinion"), ("version", &v), ("recommend", "yes")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("不符合低保条件"), "{}", r.body);
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "opinion",
            &[("recommend", "no"), ("reason", "存款超标")]
        )
        .await,
        303
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(
        page.body.contains("30,000.00") && page.body.contains("24,000.00"),
        "{}",
        page.body
    );
    assert_eq!(
        act(&t, &s.street, case, "publish", &[]).await,
        409,
        "no notice for a refusal"
    );
    // Rejection needs a reason; then the record stays, rejected.
    assert_eq!(act(&t, &s.approver, case, "reject", &[]).await, 422);
    assert_eq!(
        act(
            &t,
            &s.approver,
            case,
            "reject",
            &[("reason", "人均金融资产超过规定")]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("rejected")
    );
    let last: String = sqlx::query(
        "SELECT reason FROM case_transitions WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(case)
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert!(last.contains("人均金融资产超过规定"), "{last}");

    // Refused at acceptance, with reason.
    let mut other = family_form();
    for (k, v) in other.iter_mut() {
        if k == "m0_id" {
            *v = id("1960-01-01", 1);
        } else if k == "m1_id" {
            *v = id("1960-01-01", 2);
        } else if k == "m2_id" {
            *v = id("1990-01-01", 3);
        }
    }
    let case2 = apply_online(&t, &other).await;
    assert_eq!(
        act(&t, &s.street, case2, "refuse", &[]).await,
        422,
        "reason required"
    );
    assert_eq!(
        act(
            &t,
            &s.street,
            case2,
            "refuse",
            &[("reason", "户籍不在本街道")]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, case2, "status").await.as_deref(),
        Some("refused")
    );
    t.finish().await;
}

async fn one_household_per_person_for_applications(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let first = apply_online(&t, &family_form()).await;
    // The same family again online: accepted like any application (the public page must
    // not tell whether someone receives assistance), and flagged to the street.
    let second = apply_online(&t, &family_form()).await;
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{second}"))
        .await;
    let number = format!("SQ{}", case_field(&t, first, "reference").await.unwrap());
    assert!(page.body.contains("id=\"case-conflicts\""), "{}", page.body);
    assert!(page.body.contains(&number), "{}", page.body);
    assert_eq!(
        act(&t, &s.street, second, "refuse", &[("reason", "重复申请")]).await,
        303
    );
    // Once the street has accepted the first, the counter refuses the same persons and
    // names the household that holds them.
    assert_eq!(act(&t, &s.street, first, "accept", &[]).await, 303);
    let r = t
        .post_as(
            &s.street,
            "/assistance/applications",
            &pairs(&family_form()),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains(&number), "{}", r.body);
    let cases: i64 = sqlx::query("SELECT COUNT(*) FROM cases")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(cases, 2);
    t.finish().await;
}

async fn close_relatives_need_district_review(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let mut form = family_form();
    set(&mut form, "close_relative", "1");
    set(
        &mut form,
        "close_relative_note",
        "申请人之妻为幸福社区居委会委员",
    );
    let case = apply_online(&t, &form).await;
    to_notice(&t, &s, case).await;
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.reviewer, "/api/v1/workbench").await.json();
    assert!(
        w["queue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case && c["close_relative"] == true),
        "{w}"
    );
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 409);
    // Found by the investigation on another application: flagged and filed too.
    let mut other = family_form();
    set(&mut other, "m0_id", &id("1960-06-06", 61));
    set(&mut other, "m1_id", &id("1962-06-06", 62));
    set(&mut other, "m2_id", &id("1999-06-06", 63));
    let found = apply_online(&t, &other).await;
    assert_eq!(act(&t, &s.street, found, "accept", &[]).await, 303);
    assert_eq!(
        act(
            &t,
            &s.community,
            found,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "无异常"),
                ("close_relative", "1")
            ]
        )
        .await,
        422,
        "the relationship must be described"
    );
    assert_eq!(
        act(
            &t,
            &s.community,
            found,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "无异常"),
                ("close_relative", "1"),
                ("close_relative_note", "其女为社区居委会委员")
            ]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, found, "close_relative").await.as_deref(),
        Some("1")
    );
    // The street cannot do the district's review.
    assert_eq!(act(&t, &s.street, case, "district_review", &[]).await, 403);
    assert_eq!(
        act(&t, &s.reviewer, case, "district_review", &[]).await,
        303
    );
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 303);
    // The 备案 list: close-relative cases stay flagged.
    let flagged: i64 = sqlx::query(
        "SELECT COUNT(*) FROM cases WHERE close_relative = 1 AND district_reviewed = 1",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(flagged, 1);
    t.finish().await;
}

async fn deadlines_overdue_and_extension(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // A holiday on a weekday inside the period pushes the deadline by a day.
    sqlx::query("INSERT INTO holidays (day, kind) VALUES ('2026-12-31', 'rest')")
        .execute(t.database().pool())
        .await
        .unwrap();
    let case = apply_online(&t, &family_form()).await;
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    // Sunday 2026-11-29 + 30 working days = Friday 2027-01-08, + the holiday = Monday 01-11.
    let due = case_field(&t, case, "due_on").await.unwrap();
    assert_eq!(due, "2027-01-11");
    // The day after the deadline it is overdue on the workbench and the case page.
    let due_date: NaiveDate = due.parse().unwrap();
    t.clock
        .set(minzheng::calendar::ManualClock::at_date(due_date + Days::new(1)).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(page.body.contains("已逾期"), "{}", page.body);
    // One extension with reason: 45 working days from acceptance.
    assert_eq!(
        act(&t, &s.street, case, "extend", &[]).await,
        422,
        "reason required"
    );
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "extend",
            &[("reason", "需补充异地存款核对")]
        )
        .await,
        303
    );
    let extended: NaiveDate = case_field(&t, case, "due_on")
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(extended > due_date + Days::new(14), "{extended}");
    assert_eq!(
        act(&t, &s.street, case, "extend", &[("reason", "再延")]).await,
        409
    );
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        !w["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    t.finish().await;
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

async fn reviews_keep_change_gradual_and_stop(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let (case, s) = active_case(&t, &s, &family_form()).await;
    // Reviews due within 30 days appear on the workbench.
    t.clock
        .set(minzheng::calendar::ManualClock::at_date("2027-05-20".parse().unwrap()).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["reviews_due"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    // A review records what was verified: without it, refused and nothing changes.
    let before = version(&t, case).await;
    assert_eq!(review(&t, &s.street, case, &[("note", " ")]).await, 422);
    assert_eq!(version(&t, case).await, before);
    // Same facts: kept.
    assert_eq!(review(&t, &s.street, case, &[]).await, 303);
    // Wage 2,000 → counted 1,600, per-capita 533.33, (1,000 − 533.33) × 3 = 1,400.01, + 100 → 1,501.
    set_wage(&t, case, 200_000).await;
    assert_eq!(review(&t, &s.street, case, &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("150100")
    );
    // Wage 4,000 → counted 3,200, per-capita 1,066.66 ≥ 1,000: above the line because of
    // work → gradual exit for 6 months, amount kept.
    set_wage(&t, case, 400_000).await;
    assert_eq!(
        review(&t, &s.street, case, &[("found_work", "1")]).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("active")
    );
    assert_eq!(
        case_field(&t, case, "gradual_until").await.as_deref(),
        Some("2027-11-20")
    );
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("150100")
    );
    // After the gradual exit the workbench lists it, and the review stops it (收入超标).
    t.clock
        .set(minzheng::calendar::ManualClock::at_date("2027-11-21".parse().unwrap()).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["gradual_ended"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    assert_eq!(
        review(&t, &s.street, case, &[("found_work", "1")]).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("exited")
    );
    // The end of a gradual exit is an exit, not a removal (清退).
    assert_eq!(
        case_field(&t, case, "exit_reason").await.as_deref(),
        Some("gradual_end")
    );
    let outcomes: Vec<String> =
        sqlx::query("SELECT outcome FROM case_reviews WHERE case_id = $1 ORDER BY id")
            .bind(case)
            .fetch_all(t.database().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect();
    assert_eq!(outcomes, ["keep", "lower", "gradual", "stop"]);
    let explanation: String = sqlx::query(
        "SELECT explanation FROM case_reviews WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(case)
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert!(explanation.contains("≥ 城市低保标准"), "{explanation}");
    // A stopped case takes no review.
    assert_eq!(review(&t, &s.street, case, &[]).await, 409);
    t.finish().await;
}

async fn bad_application_is_listed_and_nothing_stored(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let mut form = family_form();
    set(&mut form, "m1_id", "369902198305060221");
    set(&mut form, "m0_inc0_months", "14");
    form.retain(|(k, _)| k != "consent");
    let r = t.post_form("/apply", &pairs(&form), None).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("申请表有 3 处需要修改"), "{}", r.body);
    assert!(r.body.contains("第 2 位成员的身份证号"), "{}", r.body);
    assert!(
        r.body.contains("近 12 个月中取得的月数应为 0 到 12"),
        "{}",
        r.body
    );
    assert!(r.body.contains("授权核对"), "{}", r.body);
    // The form comes back filled in.
    assert!(r.body.contains("value=\"王建国\""), "{}", r.body);
    for table in ["households", "members", "cases", "member_incomes"] {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    t.finish().await;
}

async fn status_check_is_rate_limited_and_reveals_nothing(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let case = apply_online(&t, &family_form()).await;
    let reference = case_field(&t, case, "reference").await.unwrap();
    // The spouse's ID number is not the applicant's: same answer as an unknown number.
    let spouse = id("1983-05-06", 22);
    let wrong = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &spouse)],
            None,
        )
        .await;
    let unknown = t
        .post_form(
            "/apply/status",
            &[("reference", "20261129999999"), ("id_number", &spouse)],
            None,
        )
        .await;
    assert!(wrong.body.contains("没有查到"), "{}", wrong.body);
    assert_eq!(wrong.status, unknown.status);
    assert!(unknown.body.contains("没有查到"));
    for _ in 0..8 {
        t.post_form(
            "/apply/status",
            &[("reference", "x"), ("id_number", "y")],
            None,
        )
        .await;
    }
    let r = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &spouse)],
            None,
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
    t.finish().await;
}

async fn json_api_acts_with_the_same_rules(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let case = apply_online(&t, &family_form()).await;
    let post = |session: &Session, body: serde_json::Value| {
        axum::http::Request::post(format!("/api/v1/cases/{case}/actions"))
            .header("content-type", "application/json")
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let r = t
        .request(post(
            &s.street,
            serde_json::json!({"action": "accept", "version": 1}),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "已受理");
    let r = t
        .request(post(
            &s.street,
            serde_json::json!({"action": "accept", "version": 1}),
        ))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let v = t
        .get_as(&s.street, &format!("/api/v1/cases/{case}"))
        .await
        .json();
    assert_eq!(v["case"]["status"], "accepted");
    assert_eq!(v["case"]["version"], 2);
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "investigate"),
        "{v}"
    );
    // A counter application through the API: the form's fields as a JSON object.
    let post_json = |session: &Session, path: &str, body: serde_json::Value| {
        axum::http::Request::post(path.to_string())
            .header("content-type", "application/json")
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let mut fields: serde_json::Map<String, serde_json::Value> = family_form()
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect();
    fields.insert("m0_id".into(), id("1955-05-05", 91).into());
    fields.insert("m1_id".into(), id("1956-05-05", 92).into());
    fields.insert("m2_id".into(), "123".into());
    let r = t
        .request(post_json(
            &s.street,
            "/api/v1/applications",
            serde_json::Value::Object(fields.clone()),
        ))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["field"], "m2_id", "{}", r.body);
    fields.insert("m2_id".into(), id("1990-05-05", 93).into());
    let r = t
        .request(post_json(
            &s.street,
            "/api/v1/applications",
            serde_json::Value::Object(fields),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["reference"].as_str().unwrap().len(), 14);
    // Objections during the notice, through the API.
    to_notice_from_accepted(&t, &s, case).await;
    let r = t
        .request(post_json(
            &s.community,
            &format!("/api/v1/cases/{case}/objections"),
            serde_json::json!({"content": "反映有营运车辆"}),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.finish().await;
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

async fn register_edits_feed_the_rules(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let case = apply_online(&t, &family_form()).await;
    let h = household_of(&t, case).await;
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let spouse = member_id(&t, h, "李秀英").await;
    // The register finds the household by the start of a member's name.
    let l = t
        .post_json_as(
            &s.street,
            "/api/v1/households/search",
            &serde_json::json!({"name": "李秀"}),
        )
        .await
        .json();
    assert_eq!(l["total"], 1, "{l}");
    assert_eq!(l["households"][0]["status"], "已申请", "{l}");
    let l = t
        .post_json_as(
            &s.street,
            "/api/v1/households/search",
            &serde_json::json!({"name": "张"}),
        )
        .await
        .json();
    assert_eq!(l["total"], 0, "{l}");
    // The page's search answers with the list's address: the name sealed, not in clear.
    let r = t
        .post_as(
            &s.street,
            "/assistance/households/search",
            &[("name", "李秀"), ("program", "dibao")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").to_string();
    assert!(
        location.contains("nt=") && location.contains("program=dibao"),
        "{location}"
    );
    let encoded: String = serde_urlencoded::to_string([("n", "李秀")]).unwrap();
    assert!(
        !location.contains(&encoded[2..]) && !location.contains("李秀"),
        "{location}"
    );
    let page = t.get_as(&s.street, &location).await;
    assert!(page.body.contains("共 1 户"), "{}", page.body);
    assert!(
        page.body.contains("value=\"李秀\""),
        "the form shows what was searched"
    );
    // A not-counted item changes nothing; a counted pension does.
    assert_eq!(
        add_income(&t, &s.street, h, &spouse, "高龄津贴", "300")
            .await
            .status,
        303
    );
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    assert_eq!(
        add_income(&t, &s.street, h, &spouse, "养老金", "300")
            .await
            .status,
        303
    );
    // Counted 1,200 + 300 = 1,500 → per-capita 500 → (1,000 − 500) × 3 + 100 = 1,600.
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,600.00 元"
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/households/{h}"))
        .await;
    assert!(
        page.body
            .contains("高龄津贴 <span class=\"tag\">不计入</span>"),
        "{}",
        page.body
    );
    // Bad input: a clear message naming the field, nothing stored.
    let r = add_income(&t, &s.street, h, &spouse, "工资", "abc").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("月金额"), "{}", r.body);
    let incomes: i64 = sqlx::query("SELECT COUNT(*) FROM member_incomes WHERE member_id = $1")
        .bind(spouse.parse::<i64>().unwrap())
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(incomes, 2);
    // Deposits of 100,000 for 3 persons: 33,333.33 each > 24,000 → ineligible.
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/assets"),
        &[("kind", "financial"), ("value", "100000")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(preview(&t, &s.street, case).await, "不符合低保条件");
    let asset: String =
        sqlx::query("SELECT CAST(id AS TEXT) FROM household_assets WHERE household_id = $1")
            .bind(h)
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/assets/{asset}/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,600.00 元"
    );
    // Member facts: the spouse turns 1st-grade disabled → +30% add-on (300 > child's 100).
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{spouse}"),
        &[
            ("work_capacity", "lost"),
            ("self_care", "partial"),
            ("disability_grade", "1"),
            ("disability_kind", "physical"),
            ("covered", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'household' AND object_id = $1 AND action LIKE 'household.%' \
         AND action <> 'household.view'",
    )
    .bind(h.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 5);
    // The audit keeps the facts before and after a change.
    let details: String = sqlx::query(
        "SELECT details FROM audit_log WHERE action = 'household.member_update' AND object_id = $1",
    )
    .bind(h.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["before"]["work_capacity"], "full", "{details}");
    assert_eq!(details["after"]["work_capacity"], "lost", "{details}");
    // A newborn is added, then moves out with the mother's family: members change.
    let baby = id("2026-10-01", 55);
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members"),
        &[
            ("name", "王小宝"),
            ("id_number", &baby),
            ("relation", "子女"),
            ("hukou", "urban"),
            ("work_capacity", "full"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // 4 persons now: (1,000 − 1,500 / 4) × 4 = 2,500, + 300 (spouse, grade 1) + 100 (child)
    // + 100 (baby) → 3,000.
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 3,000.00 元"
    );
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members"),
        &[
            ("name", "王小宝"),
            ("id_number", &baby),
            ("relation", "子女"),
            ("hukou", "urban"),
            ("work_capacity", "full"),
        ],
    )
    .await;
    assert_eq!(r.status, 409, "already a member");
    let applicant = member_id(&t, h, "王建国").await;
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{applicant}/remove"),
        &[("reason", "迁出")],
    )
    .await;
    assert_eq!(r.status, 409, "the applicant stays");
    let baby_id = member_id(&t, h, "王小宝").await;
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{baby_id}/remove"),
        &[("reason", "")],
    )
    .await;
    assert_eq!(r.status, 422, "a reason is required");
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{baby_id}/remove"),
        &[("reason", "随母迁出")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    // Outside the scope: 404; without the permission: 403.
    let other = t.signed_in(Role::StreetCaseworker, "369921001").await;
    let r = register_post(
        &t,
        &other,
        &format!("/assistance/households/{h}/incomes"),
        &[
            ("member_id", &spouse),
            ("kind", "wage"),
            ("item", "工资"),
            ("monthly", "1"),
            ("months", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 404);
    let r = register_post(
        &t,
        &s.approver,
        &format!("/assistance/households/{h}/incomes"),
        &[
            ("member_id", &spouse),
            ("kind", "wage"),
            ("item", "工资"),
            ("monthly", "1"),
            ("months", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
    t.finish().await;
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

async fn temporary_grants_levels_and_advance_completion(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let amounts = async || -> Vec<(i64, i64, Option<String>)> {
        sqlx::query("SELECT amount, advance, due_on FROM temporary_grants ORDER BY id")
            .fetch_all(t.database().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get(0).unwrap(),
                    r.try_get(1).unwrap(),
                    r.try_get(2).unwrap(),
                )
            })
            .collect()
    };
    // Urban household of 4, fire: 3 months → 12,000 元 on the street's approval.
    let r = grant(&t, &s.street, "3", false).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.header("location").contains("12%2C000.00") || r.header("location").contains("12,000.00"),
        "{}",
        r.header("location")
    );
    // 5 months → 20,000 元 needs the district: the street's entry is sent up (报批), no
    // grant yet; the district approver sees it on the workbench and approves it.
    let r = grant(&t, &s.street, "5", false).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = r.header("location");
    assert!(
        done.contains("20%2C000.00") || done.contains("20,000.00"),
        "{done}"
    );
    assert_eq!(amounts().await.len(), 1, "sent up, not granted");
    // Submitted again while the first waits: refused, or the family would be paid twice.
    let again = grant(&t, &s.street, "5", false).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("重复报批"), "{}", again.body);
    let requests = t
        .get_as(&s.street, "/api/v1/temporary-requests")
        .await
        .json();
    assert_eq!(requests[0]["status"], "pending", "{requests}");
    assert_eq!(requests[0]["level"], "district");
    assert_eq!(
        requests[0]["can_decide"], false,
        "the street cannot approve it"
    );
    let request = requests[0]["id"].as_i64().unwrap();
    let w = t.get_as(&s.approver, "/api/v1/workbench").await.json();
    assert_eq!(w["temporary_requests"], 1, "{w}");
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/temporary/requests/{request}/decide"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let page = t
        .get_as(&s.approver, "/assistance/temporary/requests")
        .await;
    assert!(
        page.body.contains("赵大海")
            && page.body.contains("住房失火")
            && page.body.contains("幸福社区"),
        "the approver sees who, why and where: {}",
        page.body
    );
    let r = t
        .post_as(
            &s.approver,
            &format!("/assistance/temporary/requests/{request}/decide"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Deciding twice is refused.
    let r = t
        .post_as(
            &s.approver,
            &format!("/assistance/temporary/requests/{request}/decide"),
            &[("decision", "reject"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    // The district grants 6 months itself; 7 months (28,000 元) is the city's, case by
    // case: sent up again, and the city rejects it through the API with a reason.
    assert_eq!(grant(&t, &s.approver, "6", false).await.status, 303);
    assert_eq!(grant(&t, &s.approver, "7", false).await.status, 303);
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let requests = t.get_as(&city, "/api/v1/temporary-requests").await.json();
    let pending = &requests[0];
    assert_eq!(
        (pending["level"].as_str(), pending["can_decide"].as_bool()),
        (Some("city"), Some(true)),
        "{requests}"
    );
    let city_request = pending["id"].as_i64().unwrap();
    let r = t
        .post_json_as(
            &city,
            &format!("/api/v1/temporary-requests/{city_request}/decision"),
            &serde_json::json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(r.status, 422, "a rejection needs its reason: {}", r.body);
    let r = t
        .post_json_as(
            &city,
            &format!("/api/v1/temporary-requests/{city_request}/decision"),
            &serde_json::json!({"decision": "reject", "reason": "已由医疗救助解决大部分费用"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "rejected");
    // 先行救助: at most 1 month → 4,000 元 at once, file due in 5 working days.
    let r = grant(&t, &s.street, "2", true).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("4,000.00"), "{}", r.body);
    let r = grant(&t, &s.street, "1", true).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        amounts().await,
        vec![
            (1_200_000, 0, None),
            (2_000_000, 0, None),
            (2_400_000, 0, None),
            // Granted Sunday 2026-11-29: 5 working days → Friday 2026-12-04.
            (400_000, 1, Some("2026-12-04".to_string())),
        ]
    );
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    let advances = w["advances"].as_array().unwrap();
    assert_eq!(advances.len(), 1, "{w}");
    assert_eq!(advances[0]["overdue"], false);
    // The next Saturday it is overdue; completing the file takes it off the list.
    t.clock
        .set(minzheng::calendar::ManualClock::at_date("2026-12-05".parse().unwrap()).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert_eq!(w["advances"][0]["overdue"], true, "{w}");
    let grant_id = w["advances"][0]["id"].as_i64().unwrap();
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/temporary/{grant_id}/complete"),
            &[],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(w["advances"].as_array().unwrap().is_empty(), "{w}");
    // Bad input names the field and stores nothing.
    let r = t
        .post_as(
            &s.street,
            "/assistance/temporary",
            &[
                ("name", "钱"),
                ("id_number", "123"),
                ("community", COMMUNITY),
                ("kind", "emergency"),
                ("household_size", "0"),
                ("months", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("身份证号长度错误") && r.body.contains("家庭人口"),
        "{}",
        r.body
    );
    assert_eq!(amounts().await.len(), 4);
    t.finish().await;
}

async fn city_sets_policy_parameters_and_exclusions(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    // The notice lasts 10 days from today on.
    let r = t
        .post_as(
            &city,
            "/assistance/parameters",
            &[
                ("key", "notice_days"),
                ("value", "10"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = t.get_as(&city, "/assistance/standards").await;
    assert!(
        page.body.contains("id=\"param-notice_days\">10<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2026-11-01 起 10"), "{}", page.body);
    // Out of range: refused naming the parameter and the range; nothing stored.
    let r = t
        .post_as(
            &city,
            "/assistance/parameters",
            &[
                ("key", "wage_deduction_pct"),
                ("value", "80"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("工资性收入扣减就业成本比例（%）：应为 0 到 50 之间的整数"),
        "{}",
        r.body
    );
    // Street staff may read the page but not set policy.
    let r = t
        .post_as(
            &s.street,
            "/assistance/parameters",
            &[
                ("key", "notice_days"),
                ("value", "3"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let case = apply_online(&t, &family_form()).await;
    to_notice(&t, &s, case).await;
    assert_eq!(
        case_field(&t, case, "notice_until").await.as_deref(),
        Some("2026-12-08")
    );
    // A minimum wage of 2,500 元 raises the 特困 care subsidy; kept in fen.
    let r = t
        .post_as(
            &city,
            "/assistance/parameters",
            &[
                ("key", "minimum_wage"),
                ("value", "2500"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let stored: i64 =
        sqlx::query("SELECT value FROM assistance_parameters WHERE key = 'minimum_wage'")
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(stored, 250_000);
    // Wages made not-counted: the household's income is now zero for the rules.
    let second = {
        let mut f = family_form();
        set(&mut f, "m0_id", &id("1981-03-03", 11));
        set(&mut f, "m1_id", &id("1983-05-07", 22));
        set(&mut f, "m2_id", &id("2016-01-02", 33));
        f
    };
    let case2 = apply_online(&t, &second).await;
    assert_eq!(
        preview(&t, &s.street, case2).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let r = t
        .post_as(&city, "/assistance/exclusions", &[("item", "工资")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // (1,000 − 0) × 3 + 100 = 3,100.
    assert_eq!(
        preview(&t, &s.street, case2).await,
        "符合低保条件，月保障金 3,100.00 元"
    );
    assert_eq!(
        t.post_as(&city, "/assistance/exclusions", &[("item", "工资")])
            .await
            .status,
        409
    );
    let r = t
        .post_as(&city, "/assistance/exclusions/delete", &[("item", "工资")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        preview(&t, &s.street, case2).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let audited: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'policy.%'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(audited, 4);
    t.finish().await;
}

async fn marginal_and_close_relative_lists(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // Wage 4,000 → counted 3,200 → per-capita 1,066.66: above 1,000, below 1,500.
    let mut form = family_form();
    set(&mut form, "m0_inc0_monthly", "4000");
    set(&mut form, "close_relative", "1");
    set(
        &mut form,
        "close_relative_note",
        "申请人之兄为解放街道民政干部",
    );
    let case = apply_online(&t, &form).await;
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "工资 4,000 元")
            ]
        )
        .await,
        303
    );
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "no")]).await,
        303
    );
    let l = t
        .get_as(&s.street, "/api/v1/assistance-lists?list=marginal")
        .await
        .json();
    assert_eq!(l["lines"][0]["id"], case, "{l}");
    assert_eq!(l["lines"][0]["summary"], "不符合低保条件，属低保边缘家庭");
    let l = t
        .get_as(&s.reviewer, "/api/v1/assistance-lists?list=close_relative")
        .await
        .json();
    assert_eq!(l["lines"][0]["id"], case, "{l}");
    assert_eq!(l["lines"][0]["note"], "申请人之兄为解放街道民政干部");
    assert_eq!(l["lines"][0]["district_reviewed"], false);
    // Another district sees neither.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    let l = t
        .get_as(&other, "/api/v1/assistance-lists?list=close_relative")
        .await
        .json();
    assert!(l["lines"].as_array().unwrap().is_empty(), "{l}");
    let page = t.get_as(&s.street, "/assistance/lists?list=marginal").await;
    assert!(page.body.contains("属低保边缘家庭"), "{}", page.body);
    t.finish().await;
}

async fn concurrent_approvals_keep_one_household_per_person(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // Two online applications naming the same spouse (online does not refuse them).
    let first = apply_online(&t, &family_form()).await;
    let mut other = family_form();
    set(&mut other, "m0_id", &id("1970-07-07", 77));
    set(&mut other, "m2_id", &id("2012-02-02", 88));
    let second = apply_online(&t, &other).await;
    to_notice(&t, &s, first).await;
    to_notice(&t, &s, second).await;
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let s = s.relogin(&t).await;
    let (a, b) = tokio::join!(
        act(&t, &s.approver, first, "approve", &[]),
        act(&t, &s.approver, second, "approve", &[])
    );
    let mut outcomes = [a, b];
    outcomes.sort();
    assert_eq!(outcomes, [303, 409], "exactly one approval wins");
    let active: i64 = sqlx::query("SELECT COUNT(*) FROM cases WHERE status = 'active'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(active, 1);
    t.finish().await;
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

/// Once the street has given its opinion the register is what was put to the public: it
/// stays as it is until the case is sent back to investigation (with reason); a form filled
/// from an older version of the household is refused, and nothing of it is stored.
async fn register_locked_in_notice_until_sent_back(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let case = apply_online(&t, &family_form()).await;
    to_notice(&t, &s, case).await;
    let h = household_of(&t, case).await;
    let spouse = member_id(&t, h, "李秀英").await;
    let before = income_count(&t, h).await;
    let r = add_income(&t, &s.street, h, &spouse, "零工", "800").await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("退回重新调查"), "{}", r.body);
    assert_eq!(income_count(&t, h).await, before, "nothing stored");
    // The community cannot send a case back; a reason is required.
    assert_eq!(
        act(&t, &s.community, case, "return", &[("reason", "x")]).await,
        403
    );
    assert_eq!(act(&t, &s.reviewer, case, "return", &[]).await, 422);
    assert_eq!(
        act(
            &t,
            &s.reviewer,
            case,
            "return",
            &[("reason", "公示期间群众反映配偶有零工收入")]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("investigating")
    );
    assert_eq!(case_field(&t, case, "recommend").await, None);
    assert_eq!(case_field(&t, case, "notice_until").await, None);
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("0"),
        "the opinion's result no longer stands"
    );
    // The new investigation starts from the last one's records, not from blank.
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(
        page.body
            .contains(">2026-11-30 入户，家中无贵重物品</textarea>"),
        "{}",
        page.body
    );
    // Now the register can be corrected.
    let r = add_income(&t, &s.street, h, &spouse, "零工", "800").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(income_count(&t, h).await, before + 1);
    // A form from before that change carries the old version: refused, nothing stored.
    let version: i64 = sqlx::query("SELECT version FROM households WHERE id = $1")
        .bind(h)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let old = (version - 1).to_string();
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/households/{h}/incomes"),
            &[
                ("member_id", spouse.as_str()),
                ("kind", "wage"),
                ("item", "工资"),
                ("monthly", "100"),
                ("months", "12"),
                ("version", old.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("已被他人修改"), "{}", r.body);
    assert_eq!(income_count(&t, h).await, before + 1);
    // Without a version at all: told what is missing.
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/households/{h}/incomes"),
            &[
                ("member_id", spouse.as_str()),
                ("kind", "wage"),
                ("item", "工资"),
                ("monthly", "100"),
                ("months", "12"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("版本号"), "{}", r.body);
    // The opinion is given again on the corrected facts, and published again.
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(act(&t, &s.street, case, "publish", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("notice")
    );
    t.finish().await;
}

/// 特困: the investigation records how the person is supported — at home or in a named
/// institution — and the approved amount follows the 特困 rules (urban standard 1,000:
/// 1.3 × 1,000 + 30% × 2,000 for 半失能 = 1,900 元).
async fn tekun_support_mode_recorded_at_investigation(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let mut form: Vec<(String, String)> = [
        ("community", COMMUNITY),
        ("program", "tekun"),
        ("m0_name", "孙德胜"),
        ("m0_relation", "本人"),
        ("m0_hukou", "urban"),
        ("m0_work", "lost"),
        ("m0_self_care", "partial"),
        ("reason", "独居老人，无收入，无赡养人"),
        ("declaration", "1"),
        ("consent", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    form.push(("m0_id".into(), id("1955-02-02", 71)));
    let case = apply_online(&t, &form).await;
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    let visit = [
        ("visit_record", "入户：独居"),
        ("verification_record", "核对无异常"),
    ];
    assert_eq!(
        act(&t, &s.community, case, "investigate", &visit).await,
        422,
        "the support mode is required for 特困"
    );
    let mut with_mode = visit.to_vec();
    with_mode.push(("support_mode", "institution"));
    assert_eq!(
        act(&t, &s.community, case, "investigate", &with_mode).await,
        422,
        "集中供养 names the institution"
    );
    with_mode.push(("support_facility", "幸福街道敬老院"));
    assert_eq!(
        act(&t, &s.community, case, "investigate", &with_mode).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "support_mode").await.as_deref(),
        Some("institution")
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(
        page.body.contains("集中供养：幸福街道敬老院"),
        "{}",
        page.body
    );
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(act(&t, &s.street, case, "publish", &[]).await, 303);
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let s = s.relogin(&t).await;
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("190000")
    );
    t.finish().await;
}
