//! Headless Chromium opens the home page of a running server and follows the navigation.

use minzheng::audit::Actor;
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::demo::{self, DemoOptions};

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_title_and_navigation_in_a_real_browser() {
    let t = TestApp::start(Backend::Sqlite).await;
    demo::build(
        t.database(),
        &t.app.state.keyring,
        DemoOptions::default(),
        t.clock.now(),
        &Actor::cli(),
    )
    .await
    .unwrap();
    let user = t.create_user("smoke", Role::CityAdmin, "369900").await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };

    browser.goto(&served.url("/")).await;
    // Not signed in: the login page, then the home page.
    assert_eq!(browser.title().await, "登录 · 民政业务平台");
    browser.sign_in(&user.username, &user.password, "").await;
    assert_eq!(browser.title().await, "首页 · 示范市民政业务平台");
    let nav = browser.text("nav.sidenav").await;
    assert!(
        nav.contains("行政区划") && nav.contains("工作日历"),
        "{nav}"
    );
    assert!(browser.text(".brand-text").await.contains("示范市"));

    browser.click_link("行政区划").await;
    assert_eq!(browser.title().await, "行政区划 · 示范市民政业务平台");
    assert!(browser.text("#region-tree").await.contains("青山县"));

    // The live filter (our only script so far) narrows the tree as one types.
    let input = browser
        .client
        .find(fantoccini::Locator::Css("#tree-filter"))
        .await
        .unwrap();
    input.send_keys("青山县").await.unwrap();
    let visible = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#region-tree tbody tr')).filter(r => !r.hidden).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(visible.as_u64(), Some(1), "only 青山县 stays visible");

    browser.close().await;
    t.finish().await;
}
