//! Two people at once (SECURITY.md, Durability: concurrent edits): two approvers on one
//! case, the same roster uploaded twice at the same moment, and a payroll generated while
//! a case of its month is stopped. One wins, the other is told clearly, nothing is
//! duplicated and nothing is half-done.
//!
//! Already covered elsewhere: a stale version refused (assistance_workflow/applications),
//! two approvals of different cases naming the same person (assistance_workflow/decisions),
//! a stale payroll regeneration (payments/lifecycle).

use chrono::NaiveDate;
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::ids::IdNumber;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Backend, Session, TestApp, TestResponse};
use crate::on_both_backends;

on_both_backends!(
    two_approvers_on_one_case_one_wins,
    the_same_roster_uploaded_twice_at_once_is_stored_once,
    payroll_generation_racing_a_case_exit_stays_consistent,
    two_applications_drawing_the_same_reference_get_two,
);

const COMMUNITY: &str = "369902001001";

fn id(birth: &str, seq: u16) -> String {
    IdNumber::compose("369902", birth.parse::<NaiveDate>().unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

async fn count(t: &TestApp, sql: &str, bind: i64) -> i64 {
    let q = sqlx::query(sql);
    let q = if sql.contains("$1") { q.bind(bind) } else { q };
    q.fetch_one(t.database().pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get(0)
        .unwrap()
}

/// Audit entries of `action` on one object.
async fn audited(t: &TestApp, action: &str, object: i64) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND object_id = $2")
        .bind(action)
        .bind(object.to_string())
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn version(t: &TestApp, case: i64) -> i64 {
    count(t, "SELECT version FROM cases WHERE id = $1", case).await
}

/// A workflow action through the API with the case's current version.
async fn act(t: &TestApp, s: &Session, case: i64, action: &str, extra: Value) -> TestResponse {
    let mut body = json!({ "action": action, "version": version(t, case).await });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    t.post_json_as(s, &format!("/api/v1/cases/{case}/actions"), &body)
        .await
}

/// The worked example of the workflow tests (three persons, 1,900 元/月), at the counter.
fn application() -> Value {
    json!({
        "community": COMMUNITY, "program": "dibao",
        "m0_name": "王建国", "m0_relation": "本人", "m0_hukou": "urban", "m0_work": "full",
        "m0_id": id("1981-03-02", 11),
        "m0_inc0_kind": "wage", "m0_inc0_item": "工资", "m0_inc0_monthly": "1500", "m0_inc0_months": "12",
        "m1_name": "李秀英", "m1_relation": "配偶", "m1_hukou": "urban", "m1_work": "full",
        "m1_id": id("1983-05-06", 22),
        "m2_name": "王小明", "m2_relation": "子女", "m2_hukou": "urban", "m2_work": "full",
        "m2_student": "1", "m2_id": id("2016-01-01", 33),
        "phone": "13800138000", "reason": "家庭收入低，孩子上学", "declaration": "1", "consent": "1",
    })
}

async fn two_approvers_on_one_case_one_wins(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let community = t.signed_in(Role::CommunityWorker, COMMUNITY).await;
    let r = t
        .post_json_as(&street, "/api/v1/applications", &application())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let case = r.json()["case_id"].as_i64().unwrap();
    for (who, action, extra) in [
        (&street, "accept", json!({})),
        (
            &community,
            "investigate",
            json!({"visit_record": "入户调查：三口之家", "verification_record": "核对无异常"}),
        ),
        (&street, "opinion", json!({"recommend": "yes"})),
        (&street, "publish", json!({})),
    ] {
        let r = act(&t, who, case, action, extra).await;
        assert_eq!(r.status, 200, "{action}: {}", r.body);
    }
    // The notice is over; two approvers of the district open the case at the same version.
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let first = t
        .create_user("shenpi_a", Role::DistrictApprover, "369902")
        .await;
    let second = t
        .create_user("shenpi_b", Role::DistrictApprover, "369902")
        .await;
    let (a, b) = (t.login(&first).await, t.login(&second).await);
    let v = version(&t, case).await;
    let body = json!({ "action": "approve", "version": v });
    let path = format!("/api/v1/cases/{case}/actions");
    let (ra, rb) = tokio::join!(
        t.post_json_as(&a, &path, &body),
        t.post_json_as(&b, &path, &body)
    );
    let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", ra.body, rb.body);
    let loser = if ra.status == 409 { &ra } else { &rb };
    // The loser is told in Chinese that someone else acted and to reload.
    assert!(
        loser.body.contains("已被其他人处理") && loser.body.contains("请刷新页面"),
        "{}",
        loser.body
    );
    assert_eq!(version(&t, case).await, v + 1, "one update");
    let status: String = sqlx::query("SELECT status FROM cases WHERE id = $1")
        .bind(case)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(status, "active");
    let transitions = count(
        &t,
        "SELECT COUNT(*) FROM case_transitions WHERE case_id = $1 AND action = 'approve'",
        case,
    )
    .await;
    assert_eq!(transitions, 1);
    assert_eq!(audited(&t, "case.approve", case).await, 1);
    // The approval was the winner's, in both the history and the audit log.
    let winner = if ra.status == 200 { &a } else { &b };
    let by: String = sqlx::query(
        "SELECT username FROM case_transitions WHERE case_id = $1 AND action = 'approve'",
    )
    .bind(case)
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(by, winner.user.username);
    t.finish().await;
}

/// A roster of `households` one-person active households (plus a spouse in every third).
fn roster(households: usize) -> String {
    let mut file = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n",
    );
    for h in 0..households {
        let head = id("1960-01-01", 100 + h as u16);
        file.push_str(&format!(
            "R{h:04},低保,户主{h},{head},本人,是,{COMMUNITY},800,2026-07-15,在保,,\n"
        ));
        if h % 3 == 0 {
            let spouse = id("1962-02-02", 100 + h as u16);
            file.push_str(&format!(
                "R{h:04},低保,配偶{h},{spouse},配偶,是,{COMMUNITY},,2026-07-15,在保,,\n"
            ));
        }
    }
    file
}

fn multipart(csrf: &str, file: &str) -> (String, String) {
    let boundary = "XXminzhengXX";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"ledger\"\r\n\r\nassistance-roster\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(t: &TestApp, s: &Session, file: &str) -> TestResponse {
    let (content_type, body) = multipart(&s.csrf, file);
    t.request(
        axum::http::Request::post("/ledgers")
            .header("content-type", content_type)
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

async fn the_same_roster_uploaded_twice_at_once_is_stored_once(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let a = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let other = t
        .create_user("jiedao_b", Role::StreetCaseworker, "369902001")
        .await;
    let b = t.login(&other).await;
    // 300 households, 400 persons.
    let file = roster(300);
    let (ra, rb) = tokio::join!(upload(&t, &a, &file), upload(&t, &b, &file));
    eprintln!(
        "two uploads of one roster at once: {} and {}",
        ra.status, rb.status
    );
    // Neither fails with a server error: both stored it (the second found it already
    // there and changed nothing), or one was refused with a message.
    for r in [&ra, &rb] {
        assert!(
            r.status == 200 || r.status == 409 || r.status == 422,
            "{} {}",
            r.status,
            r.body
        );
    }
    assert!(
        ra.status == 200 || rb.status == 200,
        "at least one import is stored: {} / {}",
        ra.body,
        rb.body
    );
    for (table, expected) in [("households", 300), ("members", 400), ("cases", 300)] {
        let n = count(&t, &format!("SELECT COUNT(*) FROM {table}"), 0).await;
        assert_eq!(n, expected, "{table}: nothing duplicated");
    }
    // One history entry per case, as one import records it.
    let transitions = count(&t, "SELECT COUNT(*) FROM case_transitions", 0).await;
    assert_eq!(transitions, 300);
    // Every import stored is audited; one refused is not.
    let stored = [&ra, &rb].iter().filter(|r| r.status == 200).count() as i64;
    let imports = count(
        &t,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.import'",
        0,
    )
    .await;
    assert_eq!(imports, stored);
    // A third import of the same file afterwards changes nothing either.
    let again = upload(&t, &a, &file).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM members", 0).await, 400);
    t.finish().await;
}

async fn payroll_generation_racing_a_case_exit_stays_consistent(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    // Three households in force since July; the second is stopped while December's
    // payroll is being generated (today is 2026-11-29: stopped before December).
    let cases = [
        crate::payments::case(
            &t,
            "P1",
            COMMUNITY,
            "dibao",
            "2026-07-15",
            None,
            900,
            "6222001",
        )
        .await,
        crate::payments::case(
            &t,
            "P2",
            COMMUNITY,
            "dibao",
            "2026-07-15",
            None,
            700,
            "6222002",
        )
        .await,
        crate::payments::case(
            &t,
            "P3",
            COMMUNITY,
            "dibao",
            "2026-07-15",
            None,
            500,
            "6222003",
        )
        .await,
    ];
    let stopped = cases[1];
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    let generate = json!({"month": "2026-12", "program": "dibao", "district_code": "369902"});
    let (made, exit) = tokio::join!(
        t.post_json_as(&reviewer, "/api/v1/payrolls", &generate),
        act(
            &t,
            &street,
            stopped,
            "exit",
            json!({"exit_reason": "income_above", "reason": "复核发现收入超标"})
        )
    );
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(exit.status, 200, "{}", exit.body);
    let payroll = made.json()["payroll"]["id"].as_i64().unwrap();
    // The exit is whole: status, date, one history entry, one audit entry.
    let exited = count(
        &t,
        "SELECT COUNT(*) FROM cases WHERE id = $1 AND status = 'exited' AND exited_on = '2026-11-29'",
        stopped,
    )
    .await;
    assert_eq!(exited, 1);
    let history = count(
        &t,
        "SELECT COUNT(*) FROM case_transitions WHERE case_id = $1 AND action = 'exit'",
        stopped,
    )
    .await;
    assert_eq!((history, audited(&t, "case.exit", stopped).await), (1, 1));
    // The payroll is whole: one line per case at most, every other household paid, its
    // audit entry there.
    let lines = |case: i64| {
        let t = &t;
        async move {
            count(
                t,
                &format!(
                    "SELECT COUNT(*) FROM payroll_lines WHERE payroll_id = {payroll} AND case_id = $1"
                ),
                case,
            )
            .await
        }
    };
    assert_eq!(lines(cases[0]).await, 1);
    assert_eq!(lines(cases[2]).await, 1);
    let raced = lines(stopped).await;
    eprintln!("payroll and exit at once: the stopped household has {raced} line(s)");
    assert!(raced <= 1, "no duplicate line");
    let total = count(
        &t,
        "SELECT CAST(SUM(amount) AS BIGINT) FROM payroll_lines WHERE payroll_id = $1",
        payroll,
    )
    .await;
    // Either the exit came first (the household is not on December's payroll) or the
    // payroll did (it is, at its amount) — as if one had waited for the other.
    assert_eq!(total, 140_000 + raced * 70_000, "lines: {raced}");
    assert_eq!(audited(&t, "payroll.generate", payroll).await, 1);
    // If the payroll came first it is still only generated: made again, it leaves the
    // stopped household out, without duplicating anyone.
    let again = t
        .post_json_as(&reviewer, "/api/v1/payrolls", &generate)
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(lines(stopped).await, 0);
    assert_eq!(lines(cases[0]).await, 1);
    assert_eq!(
        count(
            &t,
            "SELECT CAST(SUM(amount) AS BIGINT) FROM payroll_lines WHERE payroll_id = $1",
            payroll
        )
        .await,
        140_000
    );
    t.finish().await;
}

/// Two applications at once that draw the same 受理编号: the second draws again and gets
/// another, instead of failing on the household number (on PostgreSQL both would find the
/// number unused, neither having committed; SQLite lets one writer at a time, so there
/// the second transaction starts after the first and finds it taken).
async fn two_applications_drawing_the_same_reference_get_two(backend: Backend) {
    use minzheng::assistance::cases::new_reference_drawn;
    let t = TestApp::with_tree(backend).await;
    let today = t.clock.today();
    let db = t.database();
    let draws = |first: u32| {
        let mut next = first;
        move || {
            let n = next;
            next += 1;
            n
        }
    };
    let mut first = db.begin().await.unwrap();
    let a = new_reference_drawn(&mut first, today, draws(5))
        .await
        .unwrap();
    let number = format!("SQ{a}");
    sqlx::query(
        "INSERT INTO households (number, region_code, created_at) VALUES ($1, $2, '2026-11-29')",
    )
    .bind(&number)
    .bind(COMMUNITY)
    .execute(&mut *first)
    .await
    .unwrap();
    let second = match backend {
        // Still uncommitted when the second draws the same digits.
        Backend::Postgres => {
            let mut second = db.begin().await.unwrap();
            let b = new_reference_drawn(&mut second, today, draws(5))
                .await
                .unwrap();
            first.commit().await.unwrap();
            second.rollback().await.unwrap();
            b
        }
        // One writer at a time: the second starts once the first has committed, and finds
        // the number taken by the first one's household.
        Backend::Sqlite => {
            first.commit().await.unwrap();
            let mut second = db.begin().await.unwrap();
            let b = new_reference_drawn(&mut second, today, draws(5))
                .await
                .unwrap();
            second.rollback().await.unwrap();
            b
        }
    };
    assert!(a.ends_with("000005"), "{a}");
    assert_ne!(a, second, "the same number twice");
    assert!(second.ends_with("000006"), "drawn again: {second}");
    t.finish().await;
}
