//! Browser journeys of signing in: the role's home, the lockout message, signing out.

use minzheng::auth::Role;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_see_the_home_of_the_role_and_sign_out() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let worker = t
        .create_user("wangjb", Role::StreetCaseworker, "369902001")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&served.url("/regions")).await;
    assert_eq!(browser.title().await, "登录 · 民政业务平台");
    browser
        .sign_in(&worker.username, &worker.password, "")
        .await;
    // Back where they were going, with their name and role in the header.
    assert_eq!(browser.title().await, "行政区划 · 示范市民政业务平台");
    assert!(browser.text("#user-slot").await.contains("街道经办人员"));
    let tree = browser.text("#region-tree").await;
    assert!(
        tree.contains("幸福社区") && !tree.contains("青山县"),
        "only their street: {tree}"
    );
    let nav = browser.text("nav.sidenav").await;
    assert!(
        !nav.contains("账号管理") && !nav.contains("审计日志"),
        "no admin entries: {nav}"
    );
    browser.click_and_wait("nav.sidenav a[href='/']").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("街道经办人员 · 解放街道（369902001）")
    );
    // Sign out: back to the login page; the old session is gone.
    browser.click_and_wait(".logout-form button").await;
    assert!(browser.page_text().await.contains("您已安全退出"));
    browser.goto(&served.url("/")).await;
    assert_eq!(browser.title().await, "登录 · 民政业务平台");
    browser.close().await;
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_passwords_show_the_lock_message() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let worker = t
        .create_user("zhaojb", Role::StreetCaseworker, "369902001")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&served.url("/login")).await;
    for attempt in 1..=5 {
        browser
            .sign_in(&worker.username, "Wrong-Password-1", "")
            .await;
        let message = browser.text("#login-error").await;
        if attempt < 5 {
            assert!(
                message.contains("用户名、密码或动态验证码不正确"),
                "{attempt}: {message}"
            );
        } else {
            assert!(
                message.contains("已被锁定") && message.contains("15 分钟"),
                "{message}"
            );
        }
    }
    // Even the right password is refused now.
    browser
        .sign_in(&worker.username, &worker.password, "")
        .await;
    assert!(browser.text("#login-error").await.contains("已被锁定"));
    browser.close().await;
    t.finish().await;
}
