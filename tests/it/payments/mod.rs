//! Payrolls against hand-worked months: who is paid for which month and how much, 补发,
//! re-issue of failed payments, the maker–checker steps, the bank file and the bank's
//! return reconciled to the fen, and the supervision rules. Shared helpers here; the
//! tests by topic in the submodules.

mod anomalies;
mod corrections;
mod lifecycle;
mod lines;

use chrono::NaiveDate;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::TestApp;
use minzheng::protect::SensitiveKind;

pub(crate) const URBAN: &str = "369902001001";
pub(crate) const RURAL: &str = "369921001001";

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

pub(crate) async fn review(t: &TestApp, case_id: i64, on: &str, old: i64, new: i64) {
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

pub(crate) async fn ok(r: crate::common::TestResponse) -> Value {
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
pub(crate) async fn lines(t: &TestApp, payroll: i64) -> Vec<(i64, String, String, i64)> {
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

pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Walks a payroll through its steps as `maker` and `checker`; answers its id.
pub(crate) async fn through_to_export(
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
pub(crate) async fn upload_return(
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
pub(crate) fn return_for(bank_file: &str, fail: &[&str], fen_off: i64) -> String {
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

pub(crate) const URBAN_2: &str = "369902001002";

pub(crate) async fn checker_name(t: &TestApp, s: &crate::common::Session) -> String {
    ok(t.get_as(s, "/api/v1/me").await).await["username"]
        .as_str()
        .unwrap()
        .to_string()
}
