//! SECURITY.md "Audit", each row a test.

use chrono::Duration;
use minzheng::audit::store::{purge, verify};
use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::auth::store as users;
use minzheng::db::Backend as DbBackend;
use sqlx::Row;

use crate::common::{Backend, TEST_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_scenario_leaves_every_required_entry,
    every_entry_has_every_field,
    editing_a_row_breaks_the_chain_at_that_entry,
    audit_failure_means_the_action_does_not_happen,
    purge_refuses_entries_younger_than_184_days,
    audit_admin_searches_and_exports_others_may_not,
);

async fn actions(t: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query("SELECT action, object_id, outcome FROM audit_log ORDER BY seq")
        .fetch_all(t.database().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("action").unwrap(),
                r.try_get("object_id").unwrap(),
                r.try_get("outcome").unwrap(),
            )
        })
        .collect()
}

async fn a_scenario_leaves_every_required_entry(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sys = t.create_user("sys", Role::SystemAdmin, "369900").await;
    let sec = t.create_user("sec", Role::SecurityAdmin, "369900").await;
    let audit = t.create_user("aud", Role::AuditAdmin, "369900").await;
    // A failed login, then a good one.
    let bad = serde_json::json!({"username": "sys", "password": "nope-Nope-123", "code": "000000"});
    t.request(
        axum::http::Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(bad.to_string()))
            .unwrap(),
    )
    .await;
    let s = t.login(&sys).await;
    // Create an account with protected data, edit it, reveal its ID number.
    let r = t
        .post_as(
            &s,
            "/admin/users",
            &[
                ("username", "newbie"),
                ("display_name", "新人"),
                ("region_code", "369902001"),
                ("phone", "13812345678"),
                ("id_number", "11010519491231002X"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let newbie = users::by_username(t.database(), "newbie")
        .await
        .unwrap()
        .unwrap();
    let r = t
        .post_as(
            &s,
            &format!("/admin/users/{}", newbie.id),
            &[
                ("display_name", "新同事"),
                ("region_code", "369902001"),
                ("version", &newbie.version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = t
        .post_as(
            &s,
            &format!("/admin/users/{}/reveal", newbie.id),
            &[("field", "id_number")],
        )
        .await;
    assert!(r.body.contains("11010519491231002X"));
    t.post_as(&s, "/logout", &[]).await;
    // Grant a role, change policy.
    let g = t.login(&sec).await;
    t.post_as(
        &g,
        &format!("/security/users/{}/role", newbie.id),
        &[("role", "street_caseworker")],
    )
    .await;
    t.post_as(&g, "/security/policy", &[("audit_retention_days", "365")])
        .await;
    // Export the log.
    let a = t.login(&audit).await;
    assert_eq!(t.get_as(&a, "/audit/export").await.status, 200);

    let all = actions(&t).await;
    let id = newbie.id.to_string();
    for (action, object, outcome) in [
        ("region.import", "test", "success"),
        ("auth.login", "sys", "failure"),
        ("auth.login", &sys.id.to_string(), "success"),
        ("user.create", &id, "success"),
        ("user.update", &id, "success"),
        ("person.reveal", &id, "success"),
        ("auth.logout", &sys.id.to_string(), "success"),
        ("role.grant", &id, "success"),
        ("config.policy_change", "policy", "success"),
        ("audit.export", "query", "success"),
    ] {
        assert!(
            all.iter()
                .any(|(a, o, r)| a == action && o == object && r == outcome),
            "missing {action} {object} {outcome} in {all:?}"
        );
    }
    // Sensitive values are masked in the entries.
    let details: Vec<String> = sqlx::query("SELECT details FROM audit_log")
        .fetch_all(t.database().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    let joined = details.join("\n");
    assert!(
        !joined.contains("11010519491231002X") && !joined.contains("13812345678"),
        "{joined}"
    );
    assert!(joined.contains("110105********002X") && joined.contains("138****5678"));
    assert_eq!(verify(t.database()).await.unwrap().broken, None);
    t.finish().await;
}

async fn every_entry_has_every_field(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::StreetCaseworker, "369902001").await;
    t.post_as(&s, "/logout", &[]).await;
    let rows = sqlx::query(
        "SELECT at, username, role, region_code, source_ip, request_id, action, object_type, object_id, outcome, details, hash FROM audit_log",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap();
    assert!(rows.len() >= 3);
    for row in rows {
        for col in [
            "at",
            "username",
            "role",
            "region_code",
            "source_ip",
            "request_id",
            "action",
            "object_type",
            "object_id",
            "outcome",
            "details",
            "hash",
        ] {
            let v: String = row.try_get(col).unwrap();
            assert!(!v.is_empty(), "{col} is empty");
        }
        let at: String = row.try_get("at").unwrap();
        assert!(at.ends_with("+08:00"), "time with zone: {at}");
    }
    // A web entry carries the caller's address and the request id of the answer.
    let web: (String, String) =
        sqlx::query("SELECT source_ip, request_id FROM audit_log WHERE action = 'auth.logout'")
            .fetch_one(t.database().pool())
            .await
            .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
            .unwrap();
    assert_eq!(web.0, "127.0.0.1");
    assert_eq!(web.1.len(), 36, "a UUID request id");
    t.finish().await;
}

async fn editing_a_row_breaks_the_chain_at_that_entry(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::StreetCaseworker, "369902001").await;
    t.post_as(&s, "/logout", &[]).await;
    t.login(&s.user).await;
    let report = verify(t.database()).await.unwrap();
    assert_eq!(report.broken, None);
    assert!(report.checked >= 4);
    // Someone with database access rewrites entry 3.
    sqlx::query("UPDATE audit_log SET username = 'someone-else' WHERE seq = 3")
        .execute(t.database().pool())
        .await
        .unwrap();
    let report = verify(t.database()).await.unwrap();
    assert_eq!(report.broken.as_ref().map(|b| b.0), Some(3), "{report:?}");
    assert_eq!(report.checked, 2);
    // The command line says the same and exits non-zero, on both engines.
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .args(["--database-url", t.db.url(), "audit", "verify"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("第 3 条"), "{err}");
    }
    // Deleting the last entry is found too.
    let t2 = TestApp::with_tree(backend).await;
    t2.signed_in(Role::StreetCaseworker, "369902001").await;
    sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
        .execute(t2.database().pool())
        .await
        .unwrap();
    assert!(verify(t2.database()).await.unwrap().broken.is_some());
    t2.finish().await;
    t.finish().await;
}

/// Makes every insert into the audit log fail, as a full disk or a broken table would.
async fn break_audit_table(t: &TestApp) {
    let statements: &[&str] = match t.database().backend() {
        DbBackend::Sqlite => &[
            "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log BEGIN SELECT RAISE(FAIL, 'audit storage unavailable'); END",
        ],
        DbBackend::Postgres => &[
            "CREATE FUNCTION audit_broken() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_broken()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(t.database().pool()).await.unwrap();
    }
}

async fn audit_failure_means_the_action_does_not_happen(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sys = t.create_user("sys", Role::SystemAdmin, "369900").await;
    let s = t.login(&sys).await;
    let before = users::count(t.database()).await.unwrap();
    break_audit_table(&t).await;
    let r = t
        .post_as(
            &s,
            "/admin/users",
            &[
                ("username", "ghost"),
                ("display_name", "不该存在"),
                ("region_code", "369902001"),
            ],
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("审计记录暂时无法写入"));
    assert_eq!(
        users::count(t.database()).await.unwrap(),
        before,
        "no account created"
    );
    assert!(
        users::by_username(t.database(), "ghost")
            .await
            .unwrap()
            .is_none()
    );
    // Logging in is an audited action too: refused while the audit log is down.
    let worker = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let body = serde_json::json!({"username": worker.username, "password": TEST_PASSWORD});
    let r = t
        .request(
            axum::http::Request::post("/api/v1/login")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 503);
    t.finish().await;
}

async fn purge_refuses_entries_younger_than_184_days(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    t.signed_in(Role::StreetCaseworker, "369902001").await;
    let today = crate::common::test_today();
    let event = AuditEvent::new(
        chrono::Utc::now().with_timezone(&minzheng::calendar::china_offset()),
        &Actor::cli(),
        "audit.purge",
        "audit_log",
        "x",
    );
    // A setting below the floor does not lower it.
    let err = purge(
        t.database(),
        today - chrono::Days::new(100),
        today,
        30,
        &event,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("184"), "{err}");
    let err = purge(
        t.database(),
        today - chrono::Days::new(183),
        today,
        184,
        &event,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("至少保留"));
    let count_before: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(count_before > 0);
    // Older entries may go; the chain still verifies from its new anchor.
    t.clock.advance(Duration::days(200));
    let later = today + chrono::Days::new(200);
    t.signed_in(Role::DistrictReviewer, "369902").await;
    let deleted = purge(
        t.database(),
        later - chrono::Days::new(190),
        later,
        184,
        &event,
    )
    .await
    .unwrap();
    assert_eq!(deleted as i64, count_before);
    assert_eq!(verify(t.database()).await.unwrap().broken, None);
    t.finish().await;
}

async fn audit_admin_searches_and_exports_others_may_not(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let worker = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let w = t.login(&worker).await;
    t.post_as(&w, "/logout", &[]).await;
    let other = t.signed_in(Role::CommunityWorker, "369921001001").await;
    let auditor = t.create_user("aud", Role::AuditAdmin, "369900").await;
    let a = t.login(&auditor).await;
    // By user.
    let r = t.get_as(&a, "/api/v1/audit?user=clerk").await.json();
    let rows = r["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{r}");
    assert!(rows.iter().all(|e| e["username"] == "clerk"));
    // By action and object.
    let r = t
        .get_as(
            &a,
            &format!("/api/v1/audit?action=auth.logout&object_id={}", worker.id),
        )
        .await
        .json();
    assert_eq!(r["total"], 1);
    // By time: nothing before today, everything today.
    assert_eq!(
        t.get_as(&a, "/api/v1/audit?to=2026-11-28").await.json()["total"],
        0
    );
    assert!(
        t.get_as(&a, "/api/v1/audit?from=2026-11-29&to=2026-11-29")
            .await
            .json()["total"]
            .as_i64()
            .unwrap()
            >= 5
    );
    let bad = t.get_as(&a, "/api/v1/audit?from=yesterday").await;
    assert_eq!(bad.status, 422);
    // The page and the export.
    let page = t.get_as(&a, "/audit?user=clerk").await;
    assert!(page.body.contains("auth.logout"));
    let x = t.get_as(&a, "/audit/export?user=clerk").await;
    assert_eq!(x.status, 200);
    assert_eq!(
        x.header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    // Other roles: no.
    for s in [&w, &other] {
        let fresh = t.login(&s.user).await;
        assert_eq!(t.get_as(&fresh, "/audit").await.status, 403);
        assert_eq!(t.get_as(&fresh, "/audit/export").await.status, 403);
    }
    let sys = t.signed_in(Role::SystemAdmin, "369900").await;
    assert_eq!(t.get_as(&sys, "/api/v1/audit").await.status, 403);
    t.finish().await;
}
