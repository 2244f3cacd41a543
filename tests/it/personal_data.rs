//! SECURITY.md "Personal information", and the rule that logs never hold secrets.

use minzheng::auth::store as users;
use minzheng::auth::{Access, Role};
use sqlx::{Column, Row};

use crate::common::{Backend, Session, TEST_PASSWORD, TestApp};
use crate::on_both_backends;

on_both_backends!(
    lists_and_api_mask_and_reveal_is_gated_and_audited,
    raw_tables_hold_no_plaintext_and_lookup_uses_the_blind_index,
    signed_in_answers_are_not_cached,
);

const ID: &str = "11010519491231002X";
const PHONE: &str = "13812345678";

async fn with_protected_user(t: &TestApp) -> (Session, i64) {
    let s = t.signed_in(Role::SystemAdmin, "369900").await;
    let r = t
        .post_as(
            &s,
            "/admin/users",
            &[
                ("username", "lihua"),
                ("display_name", "李"),
                ("region_code", "369902001"),
                ("phone", PHONE),
                ("id_number", ID),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = users::by_username(t.database(), "lihua")
        .await
        .unwrap()
        .unwrap()
        .id;
    (s, id)
}

fn has_full_id(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(18).any(|w| {
        w[..17].iter().all(|c| c.is_ascii_digit()) && (w[17].is_ascii_digit() || w[17] == 'X')
    })
}

async fn lists_and_api_mask_and_reveal_is_gated_and_audited(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (s, id) = with_protected_user(&t).await;
    let api = t.get_as(&s, "/api/v1/users").await;
    assert!(
        !has_full_id(&api.body) && !api.body.contains(PHONE),
        "{}",
        api.body
    );
    assert!(api.body.contains("110105********002X") && api.body.contains("138****5678"));
    for page in ["/admin/users", &format!("/admin/users/{id}")] {
        let r = t.get_as(&s, page).await;
        assert!(!has_full_id(&r.body) && !r.body.contains(PHONE), "{page}");
    }
    // Reveal: permission-gated, fresh password, audited.
    let worker = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let r = t
        .post_as(
            &worker,
            &format!("/admin/users/{id}/reveal"),
            &[("field", "phone")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = t
        .post_as(
            &s,
            &format!("/admin/users/{id}/reveal"),
            &[("field", "phone")],
        )
        .await;
    assert!(r.body.contains(PHONE));
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'person.reveal' AND object_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 1);
    t.finish().await;
}

async fn raw_tables_hold_no_plaintext_and_lookup_uses_the_blind_index(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (s, id) = with_protected_user(&t).await;
    let rows = sqlx::query("SELECT * FROM users")
        .fetch_all(t.database().pool())
        .await
        .unwrap();
    for row in &rows {
        for (i, col) in row.columns().iter().enumerate() {
            if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                assert!(
                    !text.contains(ID) && !text.contains(PHONE),
                    "plaintext in users.{}",
                    col.name()
                );
                assert!(
                    !text.contains("19491231"),
                    "birth date part in users.{}",
                    col.name()
                );
            }
        }
    }
    // Exact search by ID number (a POST) finds the account through the blind index.
    let r = t
        .post_as(
            &s,
            "/admin/users-find",
            &[("id_number", "11010519491231002x")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains(&format!("/admin/users/{id}")));
    let r = t
        .post_as(
            &s,
            "/admin/users-find",
            &[("id_number", "110105194912310021")],
        )
        .await;
    assert_eq!(
        r.status, 422,
        "a mistyped number is refused with its reason"
    );
    assert!(r.body.contains("校验位"));
    t.finish().await;
}

async fn signed_in_answers_are_not_cached(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (s, id) = with_protected_user(&t).await;
    for path in [
        "/",
        "/admin/users",
        &format!("/admin/users/{id}"),
        "/api/v1/users",
        "/api/v1/me",
    ] {
        let r = t.get_as(&s, path).await;
        assert_eq!(r.header("cache-control"), "no-store", "{path}");
    }
    t.finish().await;
}

#[tokio::test]
async fn no_personal_data_in_urls() {
    let t = TestApp::start(Backend::Sqlite).await;
    for route in &t.app.routes {
        let path = route.path.to_lowercase();
        for word in ["id_number", "idcard", "phone", "bank", "account_no", "name"] {
            assert!(
                !path.contains(word),
                "{} {} carries {word}",
                route.method,
                route.path
            );
        }
        // Lookups by a protected value are POSTs ("findings", a list, is not a lookup).
        let lookup = path.split('/').any(|segment| {
            segment.contains("search")
                || segment == "find"
                || segment.ends_with("-find")
                || segment.starts_with("find-")
        });
        if lookup {
            assert_eq!(route.method, "POST", "{}", route.path);
        }
        // Every route declared an access; only these are public.
        if route.access == Access::Public {
            assert!(
                [
                    "/login",
                    "/healthz",
                    "/static/{file}",
                    "/api/v1/login",
                    // 网上办理: the resident's application and progress check, no login.
                    "/apply",
                    "/apply/status",
                    // The API description holds no data.
                    "/api/v1/openapi.json",
                ]
                .contains(&route.path),
                "unexpected public route {}",
                route.path
            );
        }
    }
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_secrets_or_full_numbers() {
    let capture = crate::common::log_capture();
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let admin = t.create_user("sys", Role::SystemAdmin, "369900").await;
    let s = t.login(&admin).await;
    let r = t
        .post_as(
            &s,
            "/admin/users",
            &[
                ("username", "lihua"),
                ("display_name", "李"),
                ("region_code", "369902001"),
                ("phone", PHONE),
                ("id_number", ID),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let id = users::by_username(t.database(), "lihua")
        .await
        .unwrap()
        .unwrap()
        .id;
    t.post_as(
        &s,
        &format!("/admin/users/{id}/reveal"),
        &[("field", "id_number")],
    )
    .await;
    t.post_as(&s, "/admin/users-find", &[("id_number", ID)])
        .await;
    // A failing request, so error paths log too.
    t.post_form("/admin/users", &[("username", "x")], Some(&s.cookie))
        .await;
    t.post_as(&s, "/logout", &[]).await;
    t.finish().await;

    // The whole run's log so far: this scenario and every test that ran beside it.
    let logged = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(
        logged.len() > 1000,
        "the scenario was logged ({} bytes)",
        logged.len()
    );
    let token = s.cookie.trim_start_matches("mz_session=");
    let secret = admin.totp.clone().unwrap();
    for (what, value) in [
        ("password", TEST_PASSWORD),
        ("session token", token),
        ("csrf token", s.csrf.as_str()),
        ("TOTP secret", secret.as_str()),
        ("ID number", ID),
        ("phone", PHONE),
    ] {
        assert!(!logged.contains(value), "the log contains the {what}");
    }
}
