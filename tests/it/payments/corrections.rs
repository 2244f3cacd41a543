//! Corrections before the bank file: an amount changed and a line taken off, each with its
//! reason and the line as it was; an approved payroll goes back to be approved again;
//! nothing after export; bad input stores nothing.

use minzheng::auth::Role;
use serde_json::json;
use sqlx::Row;

use super::*;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(corrections_before_the_bank_file);

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn corrections_before_the_bank_file(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let a = case(
        &t,
        "A",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        900,
        "6222020200112233445",
    )
    .await;
    let b = case(
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
    let path = format!("/api/v1/payrolls/{id}/corrections");
    let detail = ok(t.get_as(&maker, &format!("/api/v1/payrolls/{id}")).await).await;
    let reference_of = |case_id: i64| {
        detail["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["case_id"] == case_id)
            .unwrap()["reference"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ref_a, ref_b) = (reference_of(a), reference_of(b));
    let v = made["payroll"]["version"].as_i64().unwrap();

    // Bad input: named field, nothing stored, the payroll unchanged.
    for (body, field) in [
        (
            json!({"version": v, "line": ref_b, "action": "remove", "reason": " "}),
            "「更正原因」",
        ),
        (
            json!({"version": v, "line": "MZ9999999999", "action": "remove", "reason": "x"}),
            "不是这份名册的明细",
        ),
        (
            json!({"version": v, "line": "第一笔", "action": "remove", "reason": "x"}),
            "「参考号」",
        ),
        (
            json!({"version": v, "line": ref_a, "action": "amount", "amount": "900", "reason": "x"}),
            "无需更正",
        ),
    ] {
        let r = t.post_json_as(&maker, &path, &body).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(field), "{field}: {}", r.body);
    }
    let stale = t
        .post_json_as(
            &maker,
            &path,
            &json!({"version": v + 5, "line": ref_b, "action": "remove", "reason": "x"}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM payroll_corrections").await,
        0
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM payroll_lines").await, 2);

    // While generated: B taken off (it stays generated).
    let removed = ok(t
        .post_json_as(
            &maker,
            &path,
            &json!({"version": v, "line": ref_b, "action": "remove", "reason": "户主已于 10 月去世，待办理停保"}),
        )
        .await)
    .await;
    assert_eq!(removed["payroll"]["status"], "generated");
    assert_eq!(removed["payroll"]["lines"], 1);
    let v = removed["payroll"]["version"].as_i64().unwrap();
    // And A's amount (still generated), then the payroll made again: both corrections hold.
    let lowered = ok(t
        .post_json_as(
            &maker,
            &path,
            &json!({"version": v, "line": ref_a, "action": "amount", "amount": "880", "reason": "扣除重复计发的 20 元"}),
        )
        .await)
    .await;
    assert_eq!(lowered["payroll"]["total"], "880.00");
    let remade = ok(t
        .post_json_as(
            &maker,
            "/api/v1/payrolls",
            &json!({"month": "2026-11", "program": "dibao", "district_code": "369902"}),
        )
        .await)
    .await;
    assert_eq!(remade["payroll"]["lines"], 1);
    assert_eq!(remade["payroll"]["total"], "880.00");
    let v = remade["payroll"]["version"].as_i64().unwrap();
    // Regenerated lines have new ids: A's reference as the page now shows it.
    let detail = ok(t.get_as(&maker, &format!("/api/v1/payrolls/{id}")).await).await;
    let ref_a = detail["lines"][0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let s = ok(t
        .post_json_as(
            &maker,
            &format!("/api/v1/payrolls/{id}/submit"),
            &json!({"version": v}),
        )
        .await)
    .await;
    let v = s["payroll"]["version"].as_i64().unwrap();
    let approved = ok(t
        .post_json_as(
            &checker,
            &format!("/api/v1/payrolls/{id}/approve"),
            &json!({"version": v}),
        )
        .await)
    .await;
    assert_eq!(approved["payroll"]["status"], "approved");
    let v = approved["payroll"]["version"].as_i64().unwrap();

    // After approval: A's amount corrected sends it back to be approved again.
    let corrected = ok(t
        .post_json_as(
            &maker,
            &path,
            &json!({"version": v, "line": ref_a, "action": "amount", "amount": "820.00", "reason": "复核后 11 月起调整为 820 元"}),
        )
        .await)
    .await;
    assert_eq!(corrected["payroll"]["status"], "submitted");
    assert_eq!(corrected["payroll"]["total"], "820.00");
    assert!(corrected["payroll"]["approved_by"].is_null());
    // Not exportable until approved again.
    let early = t
        .get_as(&maker, &format!("/api/v1/payrolls/{id}/export"))
        .await;
    assert_eq!(early.status, 409);
    let v = corrected["payroll"]["version"].as_i64().unwrap();
    ok(t.post_json_as(
        &checker,
        &format!("/api/v1/payrolls/{id}/approve"),
        &json!({"version": v}),
    )
    .await)
    .await;
    let file = t
        .get_as(&maker, &format!("/api/v1/payrolls/{id}/export?format=csv"))
        .await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(file.body.contains(",820.00,"), "{}", file.body);
    assert!(!file.body.contains(&ref_b));

    // The record: both corrections with the line as it was, and the audit.
    let detail = ok(t.get_as(&checker, &format!("/api/v1/payrolls/{id}")).await).await;
    let list = detail["corrections"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(
        (
            list[0]["action"].as_str(),
            list[0]["amount_before"].as_str(),
            list[0]["status_before"].as_str()
        ),
        (Some("remove"), Some("1234.00"), Some("generated"))
    );
    assert!(list[0]["amount_after"].is_null());
    assert_eq!(list[1]["amount_after"], "880.00");
    assert_eq!(list[2]["amount_before"], "880.00");
    assert_eq!(list[2]["amount_after"], "820.00");
    assert_eq!(list[2]["status_before"], "approved");
    let kept: String = sqlx::query("SELECT line FROM payroll_corrections WHERE action = 'remove'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(kept.contains("\"amount\":\"1234.00\""), "{kept}");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'payroll.correct'"
        )
        .await,
        3
    );

    // Exported: no more corrections.
    let v =
        ok(t.get_as(&maker, &format!("/api/v1/payrolls/{id}")).await).await["payroll"]["version"]
            .as_i64()
            .unwrap();
    let late = t
        .post_json_as(
            &maker,
            &path,
            &json!({"version": v, "line": ref_a, "action": "remove", "reason": "x"}),
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(late.body.contains("追回"));
    // A line taken off stays off: December does not pay B's November as 补发.
    let next = ok(t
        .post_json_as(
            &maker,
            "/api/v1/payrolls",
            &json!({"month": "2026-12", "program": "dibao", "district_code": "369902"}),
        )
        .await)
    .await;
    let lines = lines(&t, next["payroll"]["id"].as_i64().unwrap()).await;
    assert!(
        !lines.iter().any(|l| l.0 == b && l.2 == "2026-11"),
        "{lines:?}"
    );
    assert!(lines.contains(&(b, "regular".to_string(), "2026-12".to_string(), 1234)));

    // The page shows the record; a reviewer's form is gone once exported.
    let page = t.get_as(&maker, &format!("/payments/{id}")).await;
    assert!(page.body.contains("id=\"correction-list\""));
    assert!(page.body.contains("复核后 11 月起调整为 820 元"));
    assert!(!page.body.contains("id=\"correction-form\""));
}
