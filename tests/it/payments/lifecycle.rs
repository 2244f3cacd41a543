//! The maker–checker steps, the bank file and the bank's return to the fen.

use minzheng::auth::Role;
use serde_json::json;
use sqlx::Row;

use super::*;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(lifecycle_bank_file_and_return);

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
    // The length is declared, so a download cut short shows as broken.
    for f in [&file, &xlsx] {
        assert_eq!(f.header("content-length"), f.bytes.len().to_string());
    }
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
