//! Payrolls against hand-worked months: who is paid for which month and how much, 补发,
//! re-issue of failed payments, the maker–checker steps, the bank file and the bank's
//! return reconciled to the fen.

use chrono::NaiveDate;
use minzheng::auth::Role;
use minzheng::money::Fen;
use minzheng::payments::rules::{self, Month, PayableCase};
use minzheng::protect::SensitiveKind;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    payroll_lines_follow_the_rules,
    arrears_and_reissue_across_months,
    lifecycle_bank_file_and_return,
);

const URBAN: &str = "369902001001";
const RURAL: &str = "369921001001";

/// A household with its 本人 (and a bank account unless `bank` is empty) and one case.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn case(
    t: &TestApp,
    n: &str,
    community: &str,
    program: &str,
    approved: &str,
    exited: Option<&str>,
    yuan: i64,
    bank: &str,
) -> i64 {
    let pool = t.database().pool();
    let household: i64 = sqlx::query(
        "INSERT INTO households (number, region_code, created_at) VALUES ($1, $2, '2026-01-01') RETURNING id",
    )
    .bind(n)
    .bind(community)
    .fetch_one(pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    if !bank.is_empty() {
        let keyring = &t.app.state.keyring;
        let id = keyring.seal(SensitiveKind::IdNumber, &format!("id-{n}"));
        let account = keyring.seal(SensitiveKind::BankAccount, bank);
        sqlx::query(
            "INSERT INTO members (household_id, name, relation, id_number_sealed, id_number_index, birth_date, sex, \
             bank_sealed, bank_index) VALUES ($1, $2, '本人', $3, $4, '1960-01-01', 'male', $5, $6)",
        )
        .bind(household)
        .bind(format!("户主{n}"))
        .bind(id.sealed)
        .bind(id.index)
        .bind(account.sealed)
        .bind(account.index)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO cases (household_id, program, status, region_code, applied_on, approved_on, exited_on, \
         exit_reason, monthly_amount, covered_persons, source, approved_persons) \
         VALUES ($1, $2, $3, $4, '2025-01-05', $5, $6, $7, $8, 1, 'counter', 1) RETURNING id",
    )
    .bind(household)
    .bind(program)
    .bind(if exited.is_some() { "exited" } else { "active" })
    .bind(community)
    .bind(approved)
    .bind(exited)
    .bind(exited.map(|_| "income_above"))
    .bind(yuan * 100)
    .fetch_one(pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap()
}

async fn review(t: &TestApp, case_id: i64, on: &str, old: i64, new: i64) {
    sqlx::query(
        "INSERT INTO case_reviews (case_id, reviewed_on, outcome, old_amount, new_amount, explanation, username) \
         VALUES ($1, $2, 'raise', $3, $4, '复核', 'test')",
    )
    .bind(case_id)
    .bind(on)
    .bind(old * 100)
    .bind(new * 100)
    .execute(t.database().pool())
    .await
    .unwrap();
    sqlx::query("UPDATE cases SET monthly_amount = $1 WHERE id = $2")
        .bind(new * 100)
        .bind(case_id)
        .execute(t.database().pool())
        .await
        .unwrap();
}

async fn ok(r: crate::common::TestResponse) -> Value {
    if r.status == 500 {
        let logs = crate::common::log_capture().0.lock().unwrap().clone();
        let logs = String::from_utf8_lossy(&logs);
        let errors: Vec<&str> = logs.lines().filter(|l| l.contains("ERROR")).collect();
        panic!("500: {}", errors.join("\n"));
    }
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// The lines of a payroll: case id → (kind, month paid, yuan).
async fn lines(t: &TestApp, payroll: i64) -> Vec<(i64, String, String, i64)> {
    let mut out: Vec<(i64, String, String, i64)> = sqlx::query(
        "SELECT case_id, kind, month_paid, amount FROM payroll_lines WHERE payroll_id = $1",
    )
    .bind(payroll)
    .fetch_all(t.database().pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get(0).unwrap(),
            r.try_get(1).unwrap(),
            r.try_get(2).unwrap(),
            r.try_get::<i64, _>(3).unwrap() / 100,
        )
    })
    .collect();
    out.sort();
    out
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// November 2026 for 东湖区 低保, case by case, and the same decided by the pure rules.
async fn payroll_lines_follow_the_rules(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let acct = "6222020200112233445";
    let c1 = case(&t, "C1", URBAN, "dibao", "2026-10-15", None, 900, acct).await;
    let c2 = case(&t, "C2", URBAN, "dibao", "2026-11-02", None, 900, acct).await;
    let c3 = case(
        &t,
        "C3",
        URBAN,
        "dibao",
        "2025-05-01",
        Some("2026-11-10"),
        700,
        acct,
    )
    .await;
    let c4 = case(
        &t,
        "C4",
        URBAN,
        "dibao",
        "2025-05-01",
        Some("2026-10-31"),
        700,
        acct,
    )
    .await;
    let c5 = case(&t, "C5", URBAN, "dibao", "2025-05-01", None, 800, acct).await;
    // Raised on 2026-10-20 (paid from November) and again on 2026-11-05 (from December).
    review(&t, c5, "2026-10-20", 800, 1000).await;
    review(&t, c5, "2026-11-05", 1000, 1100).await;
    case(&t, "C6", URBAN, "tekun", "2025-05-01", None, 1200, acct).await;
    case(&t, "C7", RURAL, "dibao", "2025-05-01", None, 600, acct).await;
    // No 本人 recorded: not on the payroll, counted.
    case(&t, "C8", URBAN, "dibao", "2025-05-01", None, 600, "").await;

    let maker = t.signed_in(Role::DistrictReviewer, "369902").await;
    let body = json!({"month": "2026-11", "program": "dibao", "district_code": "369902"});
    let made = ok(t.post_json_as(&maker, "/api/v1/payrolls", &body).await).await;
    let id = made["payroll"]["id"].as_i64().unwrap();
    assert_eq!(made["generated"]["without_payee"], 1);
    // C1 from the month after its approval; C3 in the month it stops; C5 at the amount
    // in force in November (the raise of 11-05 waits for December).
    let expected = vec![
        (c1, "regular".to_string(), "2026-11".to_string(), 900),
        (c3, "regular".to_string(), "2026-11".to_string(), 700),
        (c5, "regular".to_string(), "2026-11".to_string(), 1000),
    ];
    assert_eq!(lines(&t, id).await, expected);
    assert_eq!(made["payroll"]["total"], "2,600.00");
    // The same from the pure rules.
    let m: Month = "2026-11".parse().unwrap();
    let c5_rules = PayableCase {
        approved_on: day("2025-05-01"),
        exited_on: None,
        monthly_amount: Fen::from_yuan(1100),
        amount_changes: vec![
            (day("2026-10-20"), Fen::from_yuan(800), Fen::from_yuan(1000)),
            (
                day("2026-11-05"),
                Fen::from_yuan(1000),
                Fen::from_yuan(1100),
            ),
        ],
    };
    assert_eq!(rules::amount_for(&c5_rules, m), Fen::from_yuan(1000));
    for (approved, exited, paid) in [
        ("2026-10-15", None, true),
        ("2026-11-02", None, false),
        ("2025-05-01", Some("2026-11-10"), true),
        ("2025-05-01", Some("2026-10-31"), false),
    ] {
        let c = PayableCase {
            approved_on: day(approved),
            exited_on: exited.map(day),
            monthly_amount: Fen::from_yuan(1),
            amount_changes: Vec::new(),
        };
        assert_eq!(rules::payable(&c, m), paid, "{approved} {exited:?}");
    }
    let _ = (c2, c4);
    // Generating again gives the same payroll.
    let again = ok(t.post_json_as(&maker, "/api/v1/payrolls", &body).await).await;
    assert_eq!(again["payroll"]["id"], id);
    assert_eq!(lines(&t, id).await, expected);
    // The page masks the account.
    let page = t.get_as(&maker, &format!("/payments/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains(acct) && page.body.contains("3445"),
        "{}",
        page.body
    );
    // Another district's payroll is not found; a bad month names the field.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/payments/{id}")).await.status,
        404
    );
    let bad = t
        .post_json_as(
            &maker,
            "/api/v1/payrolls",
            &json!({"month": "2026-13", "program": "dibao", "district_code": "369902"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("发放月份"), "{}", bad.body);
    t.finish().await;
}

/// Walks a payroll through its steps as `maker` and `checker`; answers its id.
async fn through_to_export(
    t: &TestApp,
    maker: &crate::common::Session,
    checker: &crate::common::Session,
    month: &str,
) -> (i64, String) {
    let made = ok(t
        .post_json_as(
            maker,
            "/api/v1/payrolls",
            &json!({"month": month, "program": "dibao", "district_code": "369902"}),
        )
        .await)
    .await;
    let id = made["payroll"]["id"].as_i64().unwrap();
    let v = made["payroll"]["version"].as_i64().unwrap();
    let s = ok(t
        .post_json_as(
            maker,
            &format!("/api/v1/payrolls/{id}/submit"),
            &json!({"version": v}),
        )
        .await)
    .await;
    let v = s["payroll"]["version"].as_i64().unwrap();
    ok(t.post_json_as(
        checker,
        &format!("/api/v1/payrolls/{id}/approve"),
        &json!({"version": v}),
    )
    .await)
    .await;
    let file = t
        .get_as(maker, &format!("/api/v1/payrolls/{id}/export?format=csv"))
        .await;
    assert_eq!(file.status, 200, "{}", file.body);
    (id, file.body)
}

/// A multipart upload of a return file.
async fn upload_return(
    t: &TestApp,
    s: &crate::common::Session,
    path: &str,
    csv: &str,
) -> crate::common::TestResponse {
    let boundary = "XBOUNDARYX";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"return.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    t.request(
        axum::http::Request::post(path)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

/// The bank's answer to a bank file: every line paid except those named, which fail.
fn return_for(bank_file: &str, fail: &[&str], fen_off: i64) -> String {
    let mut out = String::from("参考号,金额,结果,失败原因\n");
    for (i, line) in bank_file.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let (reference, amount) = (f[1], f[4]);
        let amount: f64 = amount.parse().unwrap();
        let amount = if i == 0 {
            amount + fen_off as f64 / 100.0
        } else {
            amount
        };
        if fail.contains(&reference) {
            out.push_str(&format!("{reference},{amount:.2},失败,账户已冻结\n"));
        } else {
            out.push_str(&format!("{reference},{amount:.2},成功,\n"));
        }
    }
    out
}

/// October is paid without a case approved late; November pays it for October too (补发)
/// and pays again the October line the bank failed (重发).
async fn arrears_and_reissue_across_months(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let a = case(
        &t,
        "A",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        900,
        "6222000011112222",
    )
    .await;
    let b = case(
        &t,
        "B",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        800,
        "6222000033334444",
    )
    .await;
    let maker = t.signed_in(Role::DistrictReviewer, "369902").await;
    let checker = t.signed_in(Role::DistrictApprover, "369902").await;
    let (october, file) = through_to_export(&t, &maker, &checker, "2026-10").await;
    assert_eq!(lines(&t, october).await.len(), 2);
    // The bank fails B's payment.
    let b_ref = file
        .lines()
        .find(|l| l.contains("户主B"))
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_string();
    let r = upload_return(
        &t,
        &maker,
        &format!("/api/v1/payrolls/{october}/reconcile"),
        &return_for(&file, &[&b_ref], 0),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["failed"], 1);
    // A case approved on 2026-09-20 but entered only now: October missed it.
    let late = case(
        &t,
        "L",
        URBAN,
        "dibao",
        "2026-09-20",
        None,
        650,
        "6222000055556666",
    )
    .await;
    let made = ok(t
        .post_json_as(
            &maker,
            "/api/v1/payrolls",
            &json!({"month": "2026-11", "program": "dibao", "district_code": "369902"}),
        )
        .await)
    .await;
    assert_eq!(made["generated"]["arrears"], 1);
    assert_eq!(made["generated"]["reissued"], 1);
    let november = made["payroll"]["id"].as_i64().unwrap();
    let mut expected = vec![
        (a, "regular".to_string(), "2026-11".to_string(), 900),
        (b, "regular".to_string(), "2026-11".to_string(), 800),
        (b, "reissue".to_string(), "2026-10".to_string(), 800),
        (late, "arrears".to_string(), "2026-10".to_string(), 650),
        (late, "regular".to_string(), "2026-11".to_string(), 650),
    ];
    expected.sort();
    assert_eq!(lines(&t, november).await, expected);
    // Generating November again re-issues once, not twice.
    ok(t.post_json_as(
        &maker,
        "/api/v1/payrolls",
        &json!({"month": "2026-11", "program": "dibao", "district_code": "369902"}),
    )
    .await)
    .await;
    assert_eq!(lines(&t, november).await, expected);
    t.finish().await;
}

/// Submit, approve by another person, export (full account in the file, audited), a
/// return one fen off refused with nothing stored, the right one reconciled.
async fn lifecycle_bank_file_and_return(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let acct = "6222020200112233445";
    case(&t, "A", URBAN, "dibao", "2026-08-10", None, 900, acct).await;
    case(
        &t,
        "B",
        URBAN_2,
        "dibao",
        "2026-08-10",
        None,
        1234,
        "6222000033334444",
    )
    .await;
    let maker = t.signed_in(Role::DistrictReviewer, "369902").await;
    let checker = t.signed_in(Role::DistrictApprover, "369902").await;
    let made = ok(t
        .post_json_as(
            &maker,
            "/api/v1/payrolls",
            &json!({"month": "2026-11", "program": "dibao", "district_code": "369902"}),
        )
        .await)
    .await;
    let id = made["payroll"]["id"].as_i64().unwrap();
    let v = made["payroll"]["version"].as_i64().unwrap();
    // Not before it is approved.
    let early = t
        .get_as(&maker, &format!("/api/v1/payrolls/{id}/export"))
        .await;
    assert_eq!(early.status, 409, "{}", early.body);
    // The maker cannot approve; a stale version is refused.
    assert_eq!(
        t.post_json_as(
            &maker,
            &format!("/api/v1/payrolls/{id}/approve"),
            &json!({"version": v})
        )
        .await
        .status,
        403
    );
    let s = ok(t
        .post_json_as(
            &maker,
            &format!("/api/v1/payrolls/{id}/submit"),
            &json!({"version": v}),
        )
        .await)
    .await;
    let v2 = s["payroll"]["version"].as_i64().unwrap();
    let stale = t
        .post_json_as(
            &checker,
            &format!("/api/v1/payrolls/{id}/approve"),
            &json!({"version": v}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    // Sent back with a reason, submitted again, approved.
    let no_reason = t
        .post_json_as(
            &checker,
            &format!("/api/v1/payrolls/{id}/return"),
            &json!({"version": v2}),
        )
        .await;
    assert_eq!(no_reason.status, 422);
    let back = ok(t
        .post_json_as(
            &checker,
            &format!("/api/v1/payrolls/{id}/return"),
            &json!({"version": v2, "note": "核对账号"}),
        )
        .await)
    .await;
    assert_eq!(back["payroll"]["status"], "generated");
    assert_eq!(back["payroll"]["return_note"], "核对账号");
    let v3 = back["payroll"]["version"].as_i64().unwrap();
    let s = ok(t
        .post_json_as(
            &maker,
            &format!("/api/v1/payrolls/{id}/submit"),
            &json!({"version": v3}),
        )
        .await)
    .await;
    let v4 = s["payroll"]["version"].as_i64().unwrap();
    let a = ok(t
        .post_json_as(
            &checker,
            &format!("/api/v1/payrolls/{id}/approve"),
            &json!({"version": v4}),
        )
        .await)
    .await;
    assert_eq!(a["payroll"]["status"], "approved");
    assert_eq!(
        a["payroll"]["approved_by"],
        checker_name(&t, &checker).await
    );
    // Once submitted it cannot be generated again.
    let regen = t
        .post_json_as(
            &maker,
            "/api/v1/payrolls",
            &json!({"month": "2026-11", "program": "dibao", "district_code": "369902"}),
        )
        .await;
    assert_eq!(regen.status, 409, "{}", regen.body);
    // The bank file: full accounts, the total, audited; the payroll is now exported.
    let file = t
        .get_as(&maker, &format!("/api/v1/payrolls/{id}/export?format=csv"))
        .await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(file.body.contains(acct), "{}", file.body);
    assert!(file.body.contains("1234.00") && file.body.contains("900.00"));
    let xlsx = t
        .get_as(&maker, &format!("/api/v1/payrolls/{id}/export?format=xlsx"))
        .await;
    assert!(xlsx.bytes.starts_with(b"PK"));
    let exports: i64 =
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'payroll.export'")
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(exports, 2);
    // Past the re-authentication window: sent to enter the password again.
    t.clock.advance(chrono::Duration::minutes(11));
    let stale_auth = t
        .get_as(&maker, &format!("/payments/{id}/export?format=csv"))
        .await;
    assert_eq!(stale_auth.status, 303, "{}", stale_auth.body);
    assert!(stale_auth.header("location").starts_with("/reauth"));
    t.clock.advance(chrono::Duration::minutes(-11));
    // One fen off: refused with the difference, nothing stored.
    let path = format!("/api/v1/payrolls/{id}/reconcile");
    let off = upload_return(&t, &maker, &path, &return_for(&file.body, &[], 1)).await;
    assert_eq!(off.status, 422, "{}", off.body);
    assert!(off.body.contains("相差 0.01 元"), "{}", off.body);
    let status = ok(t.get_as(&maker, &format!("/api/v1/payrolls/{id}")).await).await;
    assert_eq!(status["payroll"]["status"], "exported");
    assert_eq!(status["payroll"]["paid"], 0);
    // The right one: reconciled.
    let r = upload_return(&t, &maker, &path, &return_for(&file.body, &[], 0)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let done = ok(t.get_as(&maker, &format!("/api/v1/payrolls/{id}")).await).await;
    assert_eq!(done["payroll"]["status"], "reconciled");
    assert_eq!(done["payroll"]["paid"], 2);
    t.finish().await;
}

const URBAN_2: &str = "369902001002";

async fn checker_name(t: &TestApp, s: &crate::common::Session) -> String {
    ok(t.get_as(s, "/api/v1/me").await).await["username"]
        .as_str()
        .unwrap()
        .to_string()
}

on_both_backends!(each_anomaly_rule_and_the_recovery);

/// Every rule on a hand-built November: the tasks raised, once; a dismissal that stays
/// dismissed; a confirmed payment after death recovered in two instalments.
async fn each_anomaly_rule_and_the_recovery(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let pool = t.database().pool();
    let d = case(
        &t,
        "D",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        900,
        "6222000000000001",
    )
    .await;
    let e = case(
        &t,
        "E",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        700,
        "6222000000000002",
    )
    .await;
    let x = case(
        &t,
        "X",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        600,
        "6222000000000003",
    )
    .await;
    let tk = case(
        &t,
        "T",
        URBAN,
        "tekun",
        "2026-08-10",
        None,
        1500,
        "6222000000000004",
    )
    .await;
    let f = case(
        &t,
        "F",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        800,
        "6222000000000005",
    )
    .await;
    let g = case(
        &t,
        "G",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        500,
        "6222000000009999",
    )
    .await;
    let h = case(
        &t,
        "H",
        URBAN_2,
        "dibao",
        "2026-08-10",
        None,
        500,
        "6222000000009999",
    )
    .await;
    // The 特困 household's payee is X's payee: one person, two programs.
    sqlx::query(
        "UPDATE members SET id_number_index = (SELECT m.id_number_index FROM members m JOIN households hh \
         ON hh.id = m.household_id WHERE hh.number = 'X') \
         WHERE household_id = (SELECT id FROM households WHERE number = 'T')",
    )
    .execute(pool)
    .await
    .unwrap();
    let maker = t.signed_in(Role::DistrictReviewer, "369902").await;
    let generate = |program: &'static str| {
        let (t, maker) = (&t, &maker);
        async move {
            ok(t.post_json_as(
                maker,
                "/api/v1/payrolls",
                &json!({"month": "2026-11", "program": program, "district_code": "369902"}),
            )
            .await)
            .await
        }
    };
    generate("dibao").await;
    let tekun = generate("tekun").await;
    // Generation ran the checks: X and T paid twice, G and H share an account.
    assert_eq!(tekun["anomalies"], 2, "{tekun}");
    // After November was made: D died in October, E was stopped in October, F's review
    // of 10-25 raised November to 1,000.
    for (id, day, reason) in [
        (d, "2026-10-05", "death"),
        (e, "2026-10-20", "income_above"),
    ] {
        sqlx::query(
            "UPDATE cases SET status = 'exited', exited_on = $1, exit_reason = $2 WHERE id = $3",
        )
        .bind(day)
        .bind(reason)
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    }
    review(&t, f, "2026-10-25", 800, 1000).await;
    let checked = ok(t
        .post_json_as(&maker, "/api/v1/payment-anomalies/check", &json!({}))
        .await)
    .await;
    assert_eq!(checked["raised"], 3, "{checked}");
    let queue = ok(t.get_as(&maker, "/api/v1/payment-anomalies").await).await;
    let mut found: Vec<(String, i64)> = queue["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["case_id"].as_i64().unwrap(),
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![
        ("amount_differs".to_string(), f),
        ("paid_after_death".to_string(), d),
        ("paid_after_exit".to_string(), e),
        ("paid_twice".to_string(), x),
        ("paid_twice".to_string(), tk),
        ("shared_account".to_string(), g),
        ("shared_account".to_string(), h),
    ];
    expected.sort();
    assert_eq!(found, expected);
    let amount = queue["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "amount_differs")
        .unwrap();
    assert_eq!(amount["evidence"], "当月核定金额 1,000.00 元");
    // Checking again raises nothing new.
    let again = ok(t
        .post_json_as(&maker, "/api/v1/payment-anomalies/check", &json!({}))
        .await)
    .await;
    assert_eq!(again["raised"], 0);
    let task = |rule: &str, case_id: i64| {
        queue["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == rule && a["case_id"] == case_id)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    // A result is required; a dismissal stays dismissed.
    let path = |id: i64| format!("/api/v1/payment-anomalies/{id}/resolve");
    let bare = t
        .post_json_as(
            &maker,
            &path(task("shared_account", g)),
            &json!({"outcome": "dismiss"}),
        )
        .await;
    assert_eq!(bare.status, 422);
    ok(t.post_json_as(
        &maker,
        &path(task("shared_account", g)),
        &json!({"outcome": "dismiss", "result": "夫妻分户，经核实为配偶账户"}),
    )
    .await)
    .await;
    let again = ok(t
        .post_json_as(&maker, "/api/v1/payment-anomalies/check", &json!({}))
        .await)
    .await;
    assert_eq!(again["raised"], 0);
    // Paid after death, confirmed: November (900) is to be recovered.
    let done = ok(t
        .post_json_as(
            &maker,
            &path(task("paid_after_death", d)),
            &json!({"outcome": "confirm", "result": "火化记录核实 10 月 5 日死亡"}),
        )
        .await)
    .await;
    let recovery = done["recovery_id"].as_i64().unwrap();
    let queue = ok(t.get_as(&maker, "/api/v1/payment-anomalies").await).await;
    let r = &queue["recoveries"][0];
    assert_eq!(
        (r["months"].as_str(), r["amount"].as_str()),
        (Some("2026-11"), Some("900.00"))
    );
    let rpath = format!("/api/v1/payment-recoveries/{recovery}");
    let over = t
        .post_json_as(
            &maker,
            &rpath,
            &json!({"status": "recovering", "amount": "901", "note": "退回"}),
        )
        .await;
    assert_eq!(over.status, 422, "{}", over.body);
    let part = ok(t
        .post_json_as(
            &maker,
            &rpath,
            &json!({"status": "recovering", "amount": "500", "note": "家属退回"}),
        )
        .await)
    .await;
    assert_eq!(part["status"], "recovering");
    let all = ok(t
        .post_json_as(
            &maker,
            &rpath,
            &json!({"status": "recovering", "amount": "400", "note": "家属退回余款"}),
        )
        .await)
    .await;
    assert_eq!(all["status"], "recovered");
    let queue = ok(t.get_as(&maker, "/api/v1/payment-anomalies").await).await;
    let history = queue["recoveries"][0]["history"].as_array().unwrap();
    assert_eq!(history.len(), 3, "opened, 500 received, 400 received");
    // Another district sees none of it.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    let theirs = ok(t.get_as(&other, "/api/v1/payment-anomalies").await).await;
    assert!(theirs["anomalies"].as_array().unwrap().is_empty());
    t.finish().await;
}
