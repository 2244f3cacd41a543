use minzheng::auth::Role;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    home_page_is_chinese_with_navigation,
    empty_database_home_tells_how_to_start,
    security_headers_on_every_answer,
    not_found_page_shows_the_request_id,
    database_failure_answers_generically,
    health_check_reports_the_database,
    assets_are_embedded,
);

async fn home_page_is_chinese_with_navigation(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let home = t.get_as(&city, "/").await;
    assert_eq!(home.status, 200);
    assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
    assert!(home.body.contains("<html lang=\"zh-CN\">"));
    assert!(
        home.body
            .contains("<title>首页 · 示范市民政业务平台</title>")
    );
    for nav in ["href=\"/regions\"", "行政区划", "工作日历"] {
        assert!(home.body.contains(nav), "navigation lacks {nav}");
    }
    // District, street and community counts of SMALL_TREE.
    assert!(home.body.contains("城镇 2 · 农村 1"));
    // The header shows the injected clock's date, and follows it.
    assert!(home.body.contains("2026年11月29日"));
    t.clock.advance(chrono::Duration::days(3));
    let again = t.login(&city.user).await;
    assert!(t.get_as(&again, "/").await.body.contains("2026年12月2日"));
    t.finish().await;
}

async fn empty_database_home_tells_how_to_start(backend: Backend) {
    let t = TestApp::start(backend).await;
    // Nobody can sign in yet: "/" sends to the login page, which says how to set up.
    let home = t.get("/").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.header("location"), "/login?next=/");
    let login = t.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("minzheng regions import"));
    assert!(login.body.contains("minzheng accounts bootstrap"));
    t.finish().await;
}

async fn security_headers_on_every_answer(backend: Backend) {
    let t = TestApp::start(backend).await;
    for path in [
        "/",
        "/regions",
        "/does-not-exist",
        "/api/v1/regions",
        "/healthz",
    ] {
        let r = t.get(path).await;
        let csp = r.header("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("referrer-policy"), "same-origin", "{path}");
        assert!(!r.header("x-request-id").is_empty(), "{path}");
    }
    // No inline script in any page: every <script> loads a file.
    let t2 = TestApp::with_tree(backend).await;
    let city = t2.signed_in(Role::CityAdmin, "369900").await;
    let home = t2.get_as(&city, "/").await;
    assert_eq!(home.status, 200);
    t2.finish().await;
    for (i, _) in home.body.match_indices("<script") {
        let tag_end = home.body[i..].find('>').unwrap() + i;
        assert!(
            home.body[i..tag_end].contains("src="),
            "inline script in home page"
        );
    }
    t.finish().await;
}

async fn not_found_page_shows_the_request_id(backend: Backend) {
    let t = TestApp::start(backend).await;
    let r = t.get("/no/such/page").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("页面不存在"));
    let id = r.header("x-request-id").to_string();
    assert!(r.body.contains(&id), "the page quotes request id {id}");
    let api = t.get("/api/v1/nothing").await;
    assert_eq!(api.status, 404);
    let v = api.json();
    assert_eq!(v["status"], 404);
    assert_eq!(v["request_id"], api.header("x-request-id"));
    // Framework errors are rendered in Chinese too (405 from the router).
    let post = t
        .request(
            axum::http::Request::post("/regions")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(post.status, 405);
    assert!(post.body.contains("不支持这种请求方式"));
    t.finish().await;
}

async fn database_failure_answers_generically(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    // A query that fails inside the database (its table gone): a program fault, 500.
    sqlx::query("ALTER TABLE regions RENAME TO regions_gone")
        .execute(t.database().pool())
        .await
        .unwrap();
    let r = t.get_as(&city, "/regions").await;
    assert_eq!(r.status, 500);
    assert!(r.body.contains("系统处理您的请求时出错"));
    assert!(r.body.contains(r.header("x-request-id")));
    for leak in [
        "SELECT",
        "sqlx",
        "pool",
        "regions WHERE",
        "regions_gone",
        ".rs",
    ] {
        assert!(!r.body.contains(leak), "error page leaks {leak}");
    }
    let api = t.get_as(&city, "/api/v1/regions").await;
    assert_eq!(api.status, 500);
    assert!(!api.body.contains("SELECT"));
    // A closed pool makes every query fail, as an unreachable database would: that is
    // not the request's fault nor the program's, so 503 and a sentence saying to retry.
    t.database().close().await;
    let r = t.get_as(&city, "/api/v1/regions").await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("数据库暂时无法连接"), "{}", r.body);
    assert!(r.body.contains(r.header("x-request-id")));
    for leak in ["sqlx", "pool", "PoolClosed"] {
        assert!(!r.body.contains(leak), "error answer leaks {leak}");
    }
    let health = t.get("/healthz").await;
    assert_eq!(health.status, 503);
    t.db.drop_db().await;
}

async fn health_check_reports_the_database(backend: Backend) {
    let t = TestApp::start(backend).await;
    let r = t.get("/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["database"], "ok");
    t.finish().await;
}

async fn assets_are_embedded(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let css = t.get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains("--brand"));
    let js = t.get("/static/app.js").await;
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert_eq!(t.get("/static/nothing.js").await.status, 404);
    // Pages reference only local assets: nothing from a CDN.
    let home = t.get_as(&city, "/").await;
    assert!(!home.body.contains("http://") && !home.body.contains("https://"));
    t.finish().await;
}
