//! SECURITY.md "Access control", each row a test.

use minzheng::auth::roles::ALL_ROLES;
use minzheng::auth::store as users;
use minzheng::auth::{Access, Role};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    role_by_route_matrix,
    a_user_without_grants_reaches_only_sign_in_pages,
    anonymous_requests_reach_only_public_routes,
    region_scope_on_lists_records_and_api,
    state_changing_forms_need_the_csrf_token_and_our_origin,
    no_mass_assignment_of_role_status_or_region,
);

/// A concrete path for a route pattern (parameters filled with values that exist).
fn concrete(path: &str, user_id: i64) -> String {
    path.replace("{code}", "369902001")
        .replace("{id}", &user_id.to_string())
        .replace("{file}", "app.css")
}

fn region_for(role: Role) -> &'static str {
    match role {
        Role::CommunityWorker => "369902001001",
        Role::StreetCaseworker => "369902001",
        Role::DistrictReviewer | Role::DistrictApprover => "369902",
        _ => "369900",
    }
}

async fn role_by_route_matrix(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let target = t
        .create_user("target", Role::StreetCaseworker, "369902001")
        .await;
    let routes: Vec<_> = t
        .app
        .routes
        .iter()
        .filter(|r| r.method == "GET")
        .cloned()
        .collect();
    assert!(routes.len() > 10, "the table lists the routes");
    for role in ALL_ROLES.into_iter().filter(|r| *r != Role::None) {
        let s = t.signed_in(role, region_for(role)).await;
        for route in &routes {
            let path = concrete(route.path, target.id);
            // Skip pages that need a fresh password (they would redirect to /reauth).
            let r = t.get_as(&s, &path).await;
            let allowed = match route.access {
                Access::Public | Access::Session | Access::SignedIn => true,
                Access::Perm(p) => role.has(p),
            };
            if allowed {
                assert!(
                    r.status != 403 && r.status != 401,
                    "{role:?} should reach {path}: {}",
                    r.status
                );
            } else {
                assert_eq!(r.status, 403, "{role:?} must not reach {path}");
            }
        }
        // The three administrators never reach business data pages.
        if role.is_admin() {
            for path in ["/regions/369902001", "/calendar"] {
                let allowed = role.has("region:tree:read") && path.starts_with("/regions");
                assert_eq!(
                    t.get_as(&s, path).await.status == 200,
                    allowed,
                    "{role:?} {path}"
                );
            }
        }
    }
    t.finish().await;
}

async fn a_user_without_grants_reaches_only_sign_in_pages(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::None, "369902001").await;
    for route in t.app.routes.iter().filter(|r| r.method == "GET") {
        let path = concrete(route.path, s.user.id);
        let r = t.get_as(&s, &path).await;
        match route.access {
            Access::Public | Access::Session => assert_ne!(r.status, 403, "{path}"),
            _ => assert_eq!(
                r.status, 403,
                "{path} must refuse an account without a role"
            ),
        }
    }
    let home = t.get_as(&s, "/").await;
    assert!(
        home.body.contains("尚未授权"),
        "the refusal says what to do"
    );
    t.finish().await;
}

async fn anonymous_requests_reach_only_public_routes(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    for route in &t.app.routes {
        let path = concrete(route.path, 1);
        let r = if route.method == "GET" {
            t.get(&path).await
        } else {
            t.post_form(&path, &[], None).await
        };
        if route.access == Access::Public {
            assert!(
                r.status != 401 && !(r.status == 303 && r.header("location").starts_with("/login")),
                "{path}"
            );
        } else if path.starts_with("/api/") {
            assert_eq!(r.status, 401, "{} {path}", route.method);
        } else {
            assert_eq!(r.status, 303, "{} {path}", route.method);
            assert!(r.header("location").starts_with("/login"), "{path}");
        }
    }
    t.finish().await;
}

async fn region_scope_on_lists_records_and_api(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let more = "369902002,人民街道,\n369902002001,阳光社区,城镇\n";
    minzheng::region::import::import_regions(
        t.database(),
        more.as_bytes(),
        &crate::common::cli_event("region.import"),
    )
    .await
    .unwrap();
    let a = t.signed_in(Role::StreetCaseworker, "369902001").await;
    // List: only street A's subtree.
    let list = t.get_as(&a, "/regions").await;
    assert!(list.body.contains("幸福社区"));
    assert!(!list.body.contains("阳光社区") && !list.body.contains("人民街道"));
    let api = t.get_as(&a, "/api/v1/regions").await.json();
    let codes: Vec<&str> = api
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["369902001", "369902001001", "369902001002"]);
    // Single record of street B by URL and by API: 404, like a missing one.
    assert_eq!(t.get_as(&a, "/regions/369902002").await.status, 404);
    assert_eq!(t.get_as(&a, "/regions/369902002001").await.status, 404);
    assert_eq!(
        t.get_as(&a, "/api/v1/regions/369902002001").await.status,
        404
    );
    assert_eq!(
        t.get_as(&a, "/regions/369902").await.status,
        404,
        "not even the district above"
    );
    assert_eq!(t.get_as(&a, "/regions/369902001001").await.status, 200);
    // A system admin of one district cannot manage accounts of another.
    let other = t
        .create_user("far", Role::StreetCaseworker, "369921001")
        .await;
    let admin = t.create_user("dadmin", Role::SystemAdmin, "369902").await;
    let s = t.login(&admin).await;
    assert_eq!(
        t.get_as(&s, &format!("/admin/users/{}", other.id))
            .await
            .status,
        404
    );
    let r = t
        .post_as(
            &s,
            &format!("/admin/users/{}/status", other.id),
            &[("active", "0")],
        )
        .await;
    assert_eq!(r.status, 404, "cannot change another district's record");
    assert!(
        users::by_id(t.database(), other.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    t.finish().await;
}

async fn state_changing_forms_need_the_csrf_token_and_our_origin(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let admin = t.create_user("sys", Role::SystemAdmin, "369900").await;
    let victim = t
        .create_user("victim", Role::StreetCaseworker, "369902001")
        .await;
    let s = t.login(&admin).await;
    let path = format!("/admin/users/{}/status", victim.id);
    let r = t
        .post_form(&path, &[("active", "0")], Some(&s.cookie))
        .await;
    assert_eq!(r.status, 403, "no token");
    assert!(r.body.contains("CSRF"));
    let r = t
        .post_form(
            &path,
            &[("_csrf", "forged"), ("active", "0")],
            Some(&s.cookie),
        )
        .await;
    assert_eq!(r.status, 403, "wrong token");
    // A foreign Origin is refused even with the right token.
    let body = serde_urlencoded::to_string([("_csrf", s.csrf.as_str()), ("active", "0")]).unwrap();
    let r = t
        .request(
            axum::http::Request::post(&path)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &s.cookie)
                .header("host", "minzheng.local")
                .header("origin", "https://evil.example")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 403, "foreign origin");
    assert!(
        users::by_id(t.database(), victim.id)
            .await
            .unwrap()
            .unwrap()
            .active,
        "nothing changed"
    );
    // With the token, from our own pages, it works.
    let r = t.post_as(&s, &path, &[("active", "0")]).await;
    assert_eq!(r.status, 200);
    assert!(
        !users::by_id(t.database(), victim.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    // The API takes the token as a header.
    let r = t
        .request(
            axum::http::Request::post("/api/v1/logout")
                .header("cookie", &s.cookie)
                .header("x-csrf-token", &s.csrf)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 200);
    t.finish().await;
}

async fn no_mass_assignment_of_role_status_or_region(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let admin = t.create_user("sys", Role::SystemAdmin, "369900").await;
    let target = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let s = t.login(&admin).await;
    let path = format!("/admin/users/{}", target.id);
    let version = users::by_id(t.database(), target.id)
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string();
    for (field, value) in [
        ("role", "system_admin"),
        ("status", "disabled"),
        ("username", "root"),
        ("approver", "1"),
    ] {
        let r = t
            .post_as(
                &s,
                &path,
                &[
                    ("display_name", "改名"),
                    ("region_code", "369902001"),
                    ("version", &version),
                    (field, value),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{field} must be refused");
    }
    let after = users::by_id(t.database(), target.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.role, Role::StreetCaseworker);
    assert!(after.active);
    assert_eq!(after.display_name, "clerk", "row unchanged");
    // The allowed fields alone are accepted.
    let r = t
        .post_as(
            &s,
            &path,
            &[
                ("display_name", "王经办"),
                ("region_code", "369902001"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A stale version is a conflict, not a silent overwrite.
    let r = t
        .post_as(
            &s,
            &path,
            &[
                ("display_name", "又改名"),
                ("region_code", "369902001"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status, 409);
    t.finish().await;
}

on_both_backends!(
    hand_written_page_matrix,
    post_routes_refuse_roles_without_the_permission,
    csrf_multipart_cross_site_and_null_origin,
    bodies_over_the_limit_answer_413,
);

/// The expected matrix written out by hand (not derived from `roles.rs`), for the pages
/// that separate the roles.
async fn hand_written_page_matrix(backend: Backend) {
    use Role::*;
    let t = TestApp::with_tree(backend).await;
    let business = [
        CommunityWorker,
        StreetCaseworker,
        DistrictReviewer,
        DistrictApprover,
        CityAdmin,
        Auditor,
    ];
    let expected: [(&str, &[Role]); 8] = [
        (
            "/ledgers",
            &[
                StreetCaseworker,
                DistrictReviewer,
                DistrictApprover,
                CityAdmin,
            ],
        ),
        ("/admin/users", &[SystemAdmin]),
        ("/api/v1/users", &[SystemAdmin]),
        ("/security/users", &[SecurityAdmin]),
        ("/security/policy", &[SecurityAdmin]),
        ("/audit", &[AuditAdmin, Auditor]),
        ("/audit/export", &[AuditAdmin]),
        ("/calendar", &business),
    ];
    for role in ALL_ROLES.into_iter().filter(|r| *r != Role::None) {
        let s = t.signed_in(role, region_for(role)).await;
        for (path, allowed) in &expected {
            let status = t.get_as(&s, path).await.status;
            if allowed.contains(&role) {
                assert_eq!(status, 200, "{role:?} {path}");
            } else {
                assert_eq!(status, 403, "{role:?} {path}");
            }
        }
        // The region tree: business roles and the system admin (to place accounts).
        let tree = t.get_as(&s, "/regions").await.status;
        assert_eq!(
            tree == 200,
            business.contains(&role) || role == SystemAdmin,
            "{role:?} /regions"
        );
    }
    t.finish().await;
}

async fn post_routes_refuse_roles_without_the_permission(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let target = t
        .create_user("target", Role::StreetCaseworker, "369902001")
        .await;
    let posts: Vec<_> = t
        .app
        .routes
        .iter()
        .filter(|r| r.method == "POST")
        .cloned()
        .collect();
    assert!(posts.len() >= 10);
    for role in ALL_ROLES {
        let s = t.signed_in(role, region_for(role)).await;
        for route in &posts {
            let Access::Perm(p) = route.access else {
                continue;
            };
            if role != Role::None && role.has(p) {
                continue;
            }
            let path = concrete(route.path, target.id);
            let r = t.post_as(&s, &path, &[]).await;
            assert_eq!(r.status, 403, "{role:?} POST {path}");
        }
    }
    // Nothing was changed by any of those attempts.
    let after = users::by_id(t.database(), target.id)
        .await
        .unwrap()
        .unwrap();
    assert!(after.active && after.role == Role::StreetCaseworker && !after.must_change_password);
    t.finish().await;
}

async fn csrf_multipart_cross_site_and_null_origin(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let admin = t.create_user("sys", Role::SystemAdmin, "369900").await;
    let victim = t
        .create_user("victim", Role::StreetCaseworker, "369902001")
        .await;
    let s = t.login(&admin).await;
    let path = format!("/admin/users/{}/status", victim.id);
    let post = |extra: Vec<(&'static str, String)>, body: String, content_type: &'static str| {
        let mut req = axum::http::Request::post(&path)
            .header("content-type", content_type)
            .header("cookie", &s.cookie);
        for (k, v) in extra {
            req = req.header(k, v);
        }
        req.body(axum::body::Body::from(body)).unwrap()
    };
    let form = serde_urlencoded::to_string([("_csrf", s.csrf.as_str()), ("active", "0")]).unwrap();
    let r = t
        .request(post(
            vec![("sec-fetch-site", "cross-site".into())],
            form.clone(),
            "application/x-www-form-urlencoded",
        ))
        .await;
    assert_eq!(r.status, 403, "Sec-Fetch-Site: cross-site");
    let r = t
        .request(post(
            vec![("origin", "null".into())],
            form.clone(),
            "application/x-www-form-urlencoded",
        ))
        .await;
    assert_eq!(r.status, 403, "Origin: null");
    // Multipart: the token must be in the body's _csrf part.
    let multipart = |token: &str| {
        format!(
            "--XX\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--XX\r\nContent-Disposition: form-data; name=\"active\"\r\n\r\n0\r\n--XX--\r\n"
        )
    };
    let r = t
        .request(post(
            vec![],
            multipart("forged"),
            "multipart/form-data; boundary=XX",
        ))
        .await;
    assert_eq!(r.status, 403, "multipart with a wrong token");
    assert!(
        users::by_id(t.database(), victim.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    // A JSON body without the header is refused too.
    let r = t
        .request(post(vec![], "{}".into(), "application/json"))
        .await;
    assert_eq!(r.status, 403);
    t.finish().await;
}

/// Forms and JSON are held to MAX_FORM_BYTES, files (multipart) to MAX_BODY_BYTES: one
/// byte over either answers 413, a file between the two is read.
async fn bodies_over_the_limit_answer_413(backend: Backend) {
    use minzheng::auth::guard::{MAX_BODY_BYTES, MAX_FORM_BYTES};
    let t = TestApp::with_tree(backend).await;
    let post = |path: &str, content_type: &str, cookie: Option<&str>, body: Vec<u8>| {
        let mut req = axum::http::Request::post(path)
            .header("content-type", content_type)
            .header("content-length", body.len());
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.body(axum::body::Body::from(body)).unwrap()
    };
    let form = "application/x-www-form-urlencoded";
    // A form one byte over: refused before the login reads it.
    let r = t
        .request(post("/login", form, None, vec![b'a'; MAX_FORM_BYTES + 1]))
        .await;
    assert_eq!(r.status, 413);
    assert!(r.body.contains("提交的内容过大"));
    // At the limit, the form is read (and refused for what it says, not its size).
    let r = t
        .request(post("/login", form, None, vec![b'a'; MAX_FORM_BYTES]))
        .await;
    assert_ne!(r.status, 413);
    // JSON of a signed-in user, one byte over.
    let worker = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let mut json = br#"{"name":""#.to_vec();
    json.resize(MAX_FORM_BYTES + 1 - 2, b'x');
    json.extend_from_slice(br#""}"#);
    assert_eq!(json.len(), MAX_FORM_BYTES + 1);
    let mut req = post(
        "/api/v1/households/search",
        "application/json",
        Some(&worker.cookie),
        json,
    );
    req.headers_mut()
        .insert("x-csrf-token", worker.csrf.parse().unwrap());
    let r = t.request(req).await;
    assert_eq!(r.status, 413, "{}", r.body);
    // The same limits when the body comes in chunks without a declared length: the form
    // of a signed-in user (buffered to find its `_csrf` field) one byte over is cut off and
    // answered 413, like a declared length; at the limit it is read.
    let chunked = |body: Vec<u8>| {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
        axum::http::Request::post("/assistance/households/search")
            .header("content-type", form)
            .header("cookie", &worker.cookie)
            .body(axum::body::Body::from_stream(futures_util::stream::iter(
                chunks,
            )))
            .unwrap()
    };
    let r = t.request(chunked(vec![b'a'; MAX_FORM_BYTES + 1])).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("提交的内容过大"), "{}", r.body);
    let r = t.request(chunked(vec![b'a'; MAX_FORM_BYTES])).await;
    assert_eq!(
        r.status, 403,
        "read, and refused for lacking a token: {}",
        r.body
    );
    // A file of twice the form limit is an upload like any other: read and answered.
    let boundary = "XlimitX";
    let upload = |file_bytes: usize| {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"ledger\"\r\n\r\nassistance-roster\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n",
            worker.csrf
        )
        .into_bytes();
        body.resize(body.len() + file_bytes, b'a');
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    };
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let r = t
        .request(post(
            "/ledgers",
            &content_type,
            Some(&worker.cookie),
            upload(2 * MAX_FORM_BYTES),
        ))
        .await;
    assert_ne!(r.status, 413);
    assert!(r.status.as_u16() < 500, "{}: {}", r.status, r.body);
    // A file past the upload limit.
    let r = t
        .request(post(
            "/ledgers",
            &content_type,
            Some(&worker.cookie),
            upload(MAX_BODY_BYTES),
        ))
        .await;
    assert_eq!(r.status, 413);
    assert!(r.body.contains("提交的内容过大"));
    t.finish().await;
}
