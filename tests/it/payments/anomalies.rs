//! The five supervision rules, their queue and the recovery.

use minzheng::auth::Role;
use serde_json::json;

use super::*;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

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
    // Paid after exit, confirmed while November is still with the bank (not paid):
    // nothing to recover yet.
    let stopped = ok(t
        .post_json_as(
            &maker,
            &path(task("paid_after_exit", e)),
            &json!({"outcome": "confirm", "result": "10 月 20 日已停保"}),
        )
        .await)
    .await;
    assert!(stopped["recovery_id"].is_null(), "{stopped}");
    // The bank paid November; paid after death, confirmed: November (900) is recovered.
    sqlx::query("UPDATE payroll_lines SET status = 'paid' WHERE month_paid = '2026-11'")
        .execute(pool)
        .await
        .unwrap();
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
    assert_eq!(history[1][3], "500.00");
    assert_eq!(history[1][4], "家属退回");
    assert_eq!(history[2][2], "已追回");
    // A stale receipt (entered against what was read before) is refused.
    let late = t
        .post_json_as(
            &maker,
            &rpath,
            &json!({"status": "recovering", "amount": "0", "note": "补记"}),
        )
        .await;
    assert_eq!(late.status, 409, "already recovered: {}", late.body);
    // Another district sees none of it.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    let theirs = ok(t.get_as(&other, "/api/v1/payment-anomalies").await).await;
    assert!(theirs["anomalies"].as_array().unwrap().is_empty());
    t.finish().await;
}
