//! Who is paid for which month and how much; 补发 and re-issue across months.

use minzheng::auth::Role;
use minzheng::money::Fen;
use minzheng::payments::rules::{self, Month, PayableCase};
use serde_json::json;

use super::*;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    payroll_lines_follow_the_rules,
    arrears_and_reissue_across_months
);

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
    // Had B died before October (recorded late), October's failed payment was never
    // owed: it is not re-issued.
    sqlx::query(
        "UPDATE cases SET status = 'exited', exited_on = '2026-09-28', exit_reason = 'death' WHERE id = $1",
    )
    .bind(b)
    .execute(t.database().pool())
    .await
    .unwrap();
    let again = ok(t
        .post_json_as(
            &maker,
            "/api/v1/payrolls",
            &json!({"month": "2026-11", "program": "dibao", "district_code": "369902"}),
        )
        .await)
    .await;
    assert_eq!(again["generated"]["reissued"], 0);
    assert!(!lines(&t, november).await.iter().any(|l| l.0 == b));
    t.finish().await;
}
