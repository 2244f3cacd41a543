//! SECURITY.md "Identity and sessions", each row a test.

use axum::body::Body;
use axum::http::Request;
use chrono::Duration;
use minzheng::auth::Role;
use minzheng::auth::store as users;
use sqlx::Row;

use crate::common::{Backend, TEST_PASSWORD, TestApp, TestUser};
use crate::on_both_backends;

on_both_backends!(
    a_fresh_account_reaches_only_the_change_password_page,
    each_bad_password_is_refused_with_the_rule_it_broke,
    admin_passwords_expire_after_90_days,
    five_failures_lock_the_account_for_15_minutes,
    unknown_user_answers_exactly_like_a_wrong_password,
    login_is_throttled_per_address,
    administrators_need_a_second_factor_that_works_once,
    same_password_gives_different_hashes,
    sessions_are_new_hashed_and_time_out,
    logout_and_password_change_end_sessions,
    cookie_attributes,
    sensitive_actions_need_a_recent_password,
);

async fn api_login(
    t: &TestApp,
    username: &str,
    password: &str,
    code: &str,
) -> crate::common::TestResponse {
    let body = serde_json::json!({"username": username, "password": password, "code": code});
    t.request(
        Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn a_fresh_account_reaches_only_the_change_password_page(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let user = t
        .create_user("fresh", Role::StreetCaseworker, "369902001")
        .await;
    let mut tx = t.database().begin().await.unwrap();
    sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let s = t.login(&user).await;
    for path in ["/", "/regions", "/calendar", "/regions/369902001"] {
        let r = t.get_as(&s, path).await;
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.header("location"), "/account/password", "{path}");
    }
    assert_eq!(t.get_as(&s, "/api/v1/regions").await.status, 403);
    assert_eq!(t.get_as(&s, "/account/password").await.status, 200);
    // Changing it frees the account (after signing in again).
    let r = t
        .post_as(
            &s,
            "/account/password",
            &[
                ("current", TEST_PASSWORD),
                ("new", "Street-Office-42"),
                ("confirm", "Street-Office-42"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/login?changed=1");
    let again = t
        .login(&TestUser {
            password: "Street-Office-42".into(),
            ..user
        })
        .await;
    assert_eq!(t.get_as(&again, "/").await.status, 200);
    t.finish().await;
}

async fn each_bad_password_is_refused_with_the_rule_it_broke(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let username = s.user.username.clone();
    let with_name = format!("X-{username}-2026");
    let too_long = format!("Aa1!{}", "b".repeat(125));
    let cases: [(&str, &str); 6] = [
        ("Ab1!short", "至少需要 12 个字符"),
        ("onlylowercaseletters", "至少三类"),
        (&with_name, "不能包含用户名"),
        ("P@ssw0rd1234", "常见密码"),
        (&too_long, "最多 128 个字符"),
        (TEST_PASSWORD, "不能与当前密码相同"),
    ];
    for (password, rule) in cases {
        let r = t
            .post_as(
                &s,
                "/account/password",
                &[
                    ("current", TEST_PASSWORD),
                    ("new", password),
                    ("confirm", password),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{password}");
        assert!(
            r.body.contains(rule),
            "{password}: expected «{rule}» in {}",
            r.body
        );
    }
    // Nothing changed: the old password still signs in.
    t.login(&s.user).await;
    t.finish().await;
}

async fn admin_passwords_expire_after_90_days(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let admin = t.create_user("sec", Role::SecurityAdmin, "369900").await;
    let worker = t
        .create_user("worker", Role::StreetCaseworker, "369902001")
        .await;
    t.clock.advance(Duration::days(91));
    let s = t.login(&admin).await;
    let r = t.get_as(&s, "/security/users").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), "/account/password");
    // Business roles do not expire by default (configurable).
    let w = t.login(&worker).await;
    assert_eq!(t.get_as(&w, "/").await.status, 200);
    t.finish().await;
}

async fn audit_count(t: &TestApp, action: &str, object_id: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND object_id = $2")
        .bind(action)
        .bind(object_id)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn five_failures_lock_the_account_for_15_minutes(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let user = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    for i in 1..=5 {
        let r = api_login(&t, "clerk", "wrong-password-1A!", "").await;
        assert_eq!(r.status, 403, "attempt {i}");
        let locked = r.body.contains("锁定");
        assert_eq!(locked, i == 5, "attempt {i}: {}", r.body);
    }
    // The sixth, with the right password, is still refused: locked.
    let r = api_login(&t, "clerk", TEST_PASSWORD, "").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("锁定"));
    let id = user.id.to_string();
    assert_eq!(audit_count(&t, "auth.lock", &id).await, 1);
    t.clock.advance(Duration::minutes(14));
    assert!(
        api_login(&t, "clerk", TEST_PASSWORD, "")
            .await
            .body
            .contains("锁定")
    );
    t.clock.advance(Duration::minutes(1) + Duration::seconds(1));
    assert_eq!(api_login(&t, "clerk", TEST_PASSWORD, "").await.status, 200);
    assert_eq!(audit_count(&t, "auth.unlock", &id).await, 1);
    t.finish().await;
}

/// The login page minus its random form token.
fn comparable(body: &str) -> String {
    body.lines()
        .filter(|l| !l.contains("name=\"_pre\""))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn unknown_user_answers_exactly_like_a_wrong_password(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    t.create_user("known", Role::StreetCaseworker, "369902001")
        .await;
    let attempt = |username: &'static str| {
        let t = &t;
        async move {
            let page = t.get("/login").await;
            let pre = page
                .body
                .split("name=\"_pre\" value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string();
            let cookie = format!("mz_pre={pre}");
            t.post_form(
                "/login",
                &[
                    ("_pre", &pre),
                    ("username", username),
                    ("password", "Wrong-Password-9"),
                    ("next", "/"),
                ],
                Some(&cookie),
            )
            .await
        }
    };
    let known = attempt("known").await;
    let unknown = attempt("nobody").await;
    assert_eq!(known.status, unknown.status);
    assert!(known.body.contains("用户名、密码或动态验证码不正确"));
    assert_eq!(
        comparable(&known.body).replace("known", "USER"),
        comparable(&unknown.body).replace("nobody", "USER")
    );
    // Both are audited as failures.
    assert_eq!(audit_count(&t, "auth.login", "known").await, 1);
    assert_eq!(audit_count(&t, "auth.login", "nobody").await, 1);
    t.finish().await;
}

async fn login_is_throttled_per_address(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    for i in 0..30 {
        let r = api_login(&t, &format!("user{i}"), "Whatever-Pass-1", "").await;
        assert_eq!(r.status, 403, "attempt {i}");
    }
    let r = api_login(&t, "user30", "Whatever-Pass-1", "").await;
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another address is not affected.
    let mut req = Request::post("/api/v1/login")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"username":"x","password":"y"}"#))
        .unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [10, 1, 2, 3],
            5000,
        ))));
    assert_eq!(t.request(req).await.status, 403);
    t.clock.advance(Duration::seconds(61));
    assert_eq!(
        api_login(&t, "user31", "Whatever-Pass-1", "").await.status,
        403
    );
    t.finish().await;
}

async fn administrators_need_a_second_factor_that_works_once(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let admin = t.create_user("sys", Role::SystemAdmin, "369900").await;
    assert_eq!(
        api_login(&t, "sys", TEST_PASSWORD, "").await.status,
        403,
        "no code, no access"
    );
    assert_eq!(
        api_login(&t, "sys", TEST_PASSWORD, "000000").await.status,
        403
    );
    let code = t.totp_code(&admin);
    let r = api_login(&t, "sys", TEST_PASSWORD, &code).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The same code again (same 30-second step) is refused.
    assert_eq!(
        api_login(&t, "sys", TEST_PASSWORD, &code).await.status,
        403,
        "replayed code"
    );
    t.clock.advance(Duration::seconds(30));
    assert_eq!(
        api_login(&t, "sys", TEST_PASSWORD, &t.totp_code(&admin))
            .await
            .status,
        200
    );
    // Optional for business roles: a caseworker without a second factor signs in with none.
    let worker = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    assert_eq!(
        api_login(&t, &worker.username, TEST_PASSWORD, "")
            .await
            .status,
        200
    );
    t.finish().await;
}

async fn same_password_gives_different_hashes(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let a = t
        .create_user("aaa", Role::StreetCaseworker, "369902001")
        .await;
    let b = t
        .create_user("bbb", Role::StreetCaseworker, "369902001")
        .await;
    let ha = users::by_id(t.database(), a.id)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    let hb = users::by_id(t.database(), b.id)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(ha, hb);
    assert!(ha.starts_with("$argon2id$") && hb.starts_with("$argon2id$"));
    t.finish().await;
}

async fn sessions_are_new_hashed_and_time_out(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let user = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let s1 = t.login(&user).await;
    let s2 = t.login(&user).await;
    assert_ne!(s1.cookie, s2.cookie, "a new token at every login");
    let token = s1.cookie.trim_start_matches("mz_session=");
    assert_eq!(token.len(), 43, "256 bits, base64url");
    let stored: Vec<String> = sqlx::query("SELECT token_hash FROM sessions")
        .fetch_all(t.database().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .collect();
    assert!(
        !stored.iter().any(|h| h == token),
        "only the hash is stored"
    );
    assert_eq!(stored.len(), 2);

    // Idle: 30 minutes for business roles.
    t.clock.advance(Duration::minutes(29));
    assert_eq!(t.get_as(&s1, "/api/v1/me").await.status, 200);
    t.clock.advance(Duration::minutes(31));
    assert_eq!(t.get_as(&s1, "/api/v1/me").await.status, 401, "idle 31 min");

    // Absolute: 12 hours even when active.
    let s3 = t.login(&user).await;
    for _ in 0..35 {
        t.clock.advance(Duration::minutes(20));
        assert_eq!(t.get_as(&s3, "/api/v1/me").await.status, 200);
    }
    t.clock.advance(Duration::minutes(21));
    assert_eq!(
        t.get_as(&s3, "/api/v1/me").await.status,
        401,
        "past 12 hours"
    );

    // Administrators: 15 minutes idle.
    let admin = t.create_user("sys", Role::SystemAdmin, "369900").await;
    let a = t.login(&admin).await;
    t.clock.advance(Duration::minutes(14));
    assert_eq!(t.get_as(&a, "/api/v1/me").await.status, 200);
    t.clock.advance(Duration::minutes(16));
    assert_eq!(t.get_as(&a, "/api/v1/me").await.status, 401);
    t.finish().await;
}

async fn logout_and_password_change_end_sessions(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let user = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let s = t.login(&user).await;
    let r = t.post_as(&s, "/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert!(r.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(
        t.get_as(&s, "/api/v1/me").await.status,
        401,
        "replayed cookie after logout"
    );

    let a = t.login(&user).await;
    let b = t.login(&user).await;
    let r = t
        .post_as(
            &a,
            "/account/password",
            &[
                ("current", TEST_PASSWORD),
                ("new", "Brand-New-Pass-7"),
                ("confirm", "Brand-New-Pass-7"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(t.get_as(&a, "/api/v1/me").await.status, 401);
    assert_eq!(
        t.get_as(&b, "/api/v1/me").await.status,
        401,
        "other sessions end too"
    );
    t.finish().await;
}

async fn cookie_attributes(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    t.create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let r = api_login(&t, "clerk", TEST_PASSWORD, "").await;
    let cookie = r.header("set-cookie").to_string();
    assert!(cookie.starts_with("mz_session="));
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    // Over TLS: Secure and the __Host- prefix.
    let secure = minzheng::App::with_db(
        t.database().clone(),
        minzheng::protect::Keyring::ephemeral(),
        minzheng::config::Settings {
            secure_cookies: true,
            trust_proxy: false,
        },
        t.clock.clone(),
    );
    let mut req = Request::post("/api/v1/login")
        .header("content-type", "application/json")
        .body(Body::from(format!(
            r#"{{"username":"clerk","password":"{TEST_PASSWORD}"}}"#
        )))
        .unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            1,
        ))));
    use tower::ServiceExt;
    let response = secure.router.clone().oneshot(req).await.unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("__Host-mz_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    t.finish().await;
}

async fn sensitive_actions_need_a_recent_password(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sec = t.create_user("sec", Role::SecurityAdmin, "369900").await;
    let target = t.create_user("clerk", Role::None, "369902001").await;
    let s = t.login(&sec).await;
    let path = format!("/security/users/{}/role", target.id);
    // Just signed in: the password is fresh.
    let r = t.post_as(&s, &path, &[("role", "street_caseworker")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Eleven minutes later (still within the 15-minute idle limit if active).
    t.clock.advance(Duration::minutes(8));
    assert_eq!(t.get_as(&s, "/security/users").await.status, 200);
    t.clock.advance(Duration::minutes(3));
    let r = t.post_as(&s, &path, &[("role", "community_worker")]).await;
    assert_eq!(r.status, 303);
    assert!(
        r.header("location").starts_with("/reauth?next="),
        "{}",
        r.header("location")
    );
    let role = users::by_id(t.database(), target.id)
        .await
        .unwrap()
        .unwrap()
        .role;
    assert_eq!(
        role,
        Role::StreetCaseworker,
        "unchanged without re-authentication"
    );
    // Re-enter the password, then it works.
    let r = t
        .post_as(
            &s,
            "/reauth",
            &[("password", TEST_PASSWORD), ("next", "/security/users")],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = t.post_as(&s, &path, &[("role", "community_worker")]).await;
    assert_eq!(r.status, 200);
    let role = users::by_id(t.database(), target.id)
        .await
        .unwrap()
        .unwrap()
        .role;
    assert_eq!(role, Role::CommunityWorker);
    t.finish().await;
}

on_both_backends!(an_administrator_without_a_second_factor_must_enrol_first);

async fn an_administrator_without_a_second_factor_must_enrol_first(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let mut admin = t.create_user("aud", Role::AuditAdmin, "369900").await;
    sqlx::query("UPDATE users SET totp_secret = NULL WHERE id = $1")
        .bind(admin.id)
        .execute(t.database().pool())
        .await
        .unwrap();
    admin.totp = None;
    let s = t.login(&admin).await;
    let r = t.get_as(&s, "/audit").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), "/account/totp");
    let page = t.get_as(&s, "/account/totp").await;
    assert!(page.body.contains("<svg"), "a QR code drawn on the server");
    let secret = page
        .body
        .split("id=\"totp-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let now = minzheng::calendar::Clock::now(t.clock.as_ref()).timestamp() as u64;
    let wrong = t
        .post_as(
            &s,
            "/account/totp",
            &[("secret", &secret), ("code", "123456")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let code = minzheng::auth::totp::code_at(&secret, now).unwrap();
    let r = t
        .post_as(&s, "/account/totp", &[("secret", &secret), ("code", &code)])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        t.get_as(&s, "/audit").await.status,
        200,
        "enrolled: full access"
    );
    // From now on the code is required, and the enrolment code cannot be replayed.
    assert_eq!(api_login(&t, "aud", TEST_PASSWORD, "").await.status, 403);
    assert_eq!(api_login(&t, "aud", TEST_PASSWORD, &code).await.status, 403);
    t.clock.advance(Duration::seconds(30));
    let next = minzheng::auth::totp::code_at(&secret, now + 30).unwrap();
    assert_eq!(api_login(&t, "aud", TEST_PASSWORD, &next).await.status, 200);
    t.finish().await;
}

on_both_backends!(
    six_attempts_for_an_unknown_user_answer_like_six_for_a_real_one,
    system_admin_resets_business_accounts_but_not_administrators,
    usernames_are_unique,
    business_passwords_expire_when_the_policy_says_so,
    wrong_passwords_at_reauthentication_count_towards_the_lock,
    a_granted_role_ends_the_old_sessions,
    reveal_needs_a_recent_password,
);

async fn six_attempts_for_an_unknown_user_answer_like_six_for_a_real_one(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    t.create_user("known", Role::StreetCaseworker, "369902001")
        .await;
    let mut answers = Vec::new();
    for name in ["known", "ghost"] {
        let mut seq = Vec::new();
        for _ in 0..6 {
            let r = api_login(&t, name, "Wrong-Password-9", "").await;
            seq.push((r.status, r.json()["detail"].as_str().unwrap().to_string()));
        }
        answers.push(seq);
    }
    assert_eq!(
        answers[0], answers[1],
        "an unknown name locks exactly like a real one"
    );
    assert!(answers[0][5].1.contains("锁定"));
    t.finish().await;
}

async fn system_admin_resets_business_accounts_but_not_administrators(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sys = t.signed_in(Role::SystemAdmin, "369900").await;
    let worker = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let sec = t.create_user("sec", Role::SecurityAdmin, "369900").await;
    let r = t
        .post_as(
            &sys,
            &format!("/admin/users/{}/reset-password", worker.id),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    let temp = r
        .body
        .split("id=\"temp-password\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    // The page shows it HTML-escaped (askama writes `&` as `&#38;`).
    let temp = unescape_html(&temp);
    assert_eq!(
        api_login(&t, "clerk", TEST_PASSWORD, "").await.status,
        403,
        "old password gone"
    );
    let s = t
        .login(&TestUser {
            password: temp,
            ..worker
        })
        .await;
    let r = t.get_as(&s, "/").await;
    assert_eq!(
        r.header("location"),
        "/account/password",
        "a reset account must change its password first"
    );
    // The security administrator cannot be reset, disabled, unlocked or stripped of the
    // second factor from the web.
    for action in ["reset-password", "reset-totp", "unlock"] {
        let r = t
            .post_as(&sys, &format!("/admin/users/{}/{action}", sec.id), &[])
            .await;
        assert_eq!(r.status, 403, "{action}");
        assert!(r.body.contains("minzheng accounts reset"));
    }
    let r = t
        .post_as(
            &sys,
            &format!("/admin/users/{}/status", sec.id),
            &[("active", "0")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        t.login(&sec).await.user.username,
        "sec",
        "still signs in with its own password"
    );
    t.finish().await;
}

async fn usernames_are_unique(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sys = t.signed_in(Role::SystemAdmin, "369900").await;
    let form = [
        ("username", "zhangsan"),
        ("display_name", "张三"),
        ("region_code", "369902001"),
    ];
    assert_eq!(t.post_as(&sys, "/admin/users", &form).await.status, 200);
    let again = t.post_as(&sys, "/admin/users", &form).await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("已被使用"));
    t.finish().await;
}

async fn business_passwords_expire_when_the_policy_says_so(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sec = t.create_user("sec", Role::SecurityAdmin, "369900").await;
    let worker = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let s = t.login(&sec).await;
    let r = t
        .post_as(
            &s,
            "/security/policy",
            &[("user_password_max_age_days", "30")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A value below the floor is refused with the range.
    let r = t
        .post_as(&s, "/security/policy", &[("min_password_length", "8")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("12 到 64"));
    t.clock.advance(Duration::days(31));
    let w = t.login(&worker).await;
    assert_eq!(
        t.get_as(&w, "/").await.header("location"),
        "/account/password"
    );
    t.finish().await;
}

async fn wrong_passwords_at_reauthentication_count_towards_the_lock(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let worker = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let s = t.login(&worker).await;
    for _ in 0..4 {
        let r = t
            .post_as(
                &s,
                "/reauth",
                &[("password", "Guess-Guess-123"), ("next", "/")],
            )
            .await;
        assert_eq!(r.status, 422);
    }
    let r = t
        .post_as(
            &s,
            "/reauth",
            &[("password", "Guess-Guess-123"), ("next", "/")],
        )
        .await;
    assert_eq!(r.status, 303, "the fifth wrong password locks the account");
    assert_eq!(
        t.get_as(&s, "/api/v1/me").await.status,
        401,
        "and ends the session"
    );
    assert!(
        api_login(&t, "clerk", TEST_PASSWORD, "")
            .await
            .body
            .contains("锁定")
    );
    t.finish().await;
}

async fn a_granted_role_ends_the_old_sessions(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sec = t.signed_in(Role::SecurityAdmin, "369900").await;
    let worker = t
        .create_user("clerk", Role::StreetCaseworker, "369902001")
        .await;
    let w = t.login(&worker).await;
    let r = t
        .post_as(
            &sec,
            &format!("/security/users/{}/role", worker.id),
            &[("role", "district_reviewer")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(t.get_as(&w, "/api/v1/me").await.status, 401);
    let audited: (String,) =
        sqlx::query_as("SELECT details FROM audit_log WHERE action = 'role.grant'")
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    let details: serde_json::Value = serde_json::from_str(&audited.0).unwrap();
    assert_eq!(details["before"]["role"], "street_caseworker");
    assert_eq!(details["after"]["role"], "district_reviewer");
    t.finish().await;
}

async fn reveal_needs_a_recent_password(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let sys = t.signed_in(Role::SystemAdmin, "369900").await;
    let r = t
        .post_as(
            &sys,
            "/admin/users",
            &[
                ("username", "lihua"),
                ("display_name", "李华"),
                ("region_code", "369902001"),
                ("phone", "13812345678"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let id = users::by_username(t.database(), "lihua")
        .await
        .unwrap()
        .unwrap()
        .id;
    t.clock.advance(Duration::minutes(11));
    // Keep the session alive within the 15-minute admin idle limit.
    let r = t
        .post_as(
            &sys,
            &format!("/admin/users/{id}/reveal"),
            &[("field", "phone")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").starts_with("/reauth"));
    t.post_as(
        &sys,
        "/reauth",
        &[("password", TEST_PASSWORD), ("next", "/")],
    )
    .await;
    let r = t
        .post_as(
            &sys,
            &format!("/admin/users/{id}/reveal"),
            &[("field", "phone")],
        )
        .await;
    assert!(r.body.contains("13812345678"));
    // Editing the account without touching the phone keeps it.
    let version = users::by_id(t.database(), id)
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string();
    let r = t
        .post_as(
            &sys,
            &format!("/admin/users/{id}"),
            &[
                ("display_name", "李华华"),
                ("region_code", "369902001"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("138****5678"), "phone kept");
    let details: (String,) =
        sqlx::query_as("SELECT details FROM audit_log WHERE action = 'user.update'")
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    let d: serde_json::Value = serde_json::from_str(&details.0).unwrap();
    assert_eq!(d["before"]["display_name"], "李华");
    assert_eq!(d["after"]["display_name"], "李华华");
    t.finish().await;
}

/// Undoes askama's escaping (`&#NN;` numeric entities).
fn unescape_html(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after
            .find(';')
            .and_then(|j| after[..j].parse::<u32>().ok().map(|n| (j, n)))
        {
            Some((j, n)) => {
                out.push(char::from_u32(n).unwrap_or('?'));
                rest = &after[j + 1..];
            }
            None => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
