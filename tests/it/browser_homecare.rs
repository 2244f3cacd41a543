//! Headless Chromium: a home-care order for an eligible older person, placed by the
//! street's caseworker from the person's page after reading the month's remaining
//! allowance, then dispatched, served and rated; the remaining allowance shown afterwards
//! is reduced by the order's subsidy.

use fantoccini::Locator;
use minzheng::auth::Role;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};
use crate::compare::{URBAN, household, id};
use crate::elderly_people::register;

async fn choose(b: &Browser, css: &str, value: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no select {css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("no option {value} in {css}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_dispatch_serve_rate_and_the_allowance_goes_down() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let ((meal, _, _), (ankang, _)) = crate::homecare::set_up(&t, &city).await;
    // 王秀英, 80, in a 低保 household: 200 a month (低保 200, 高龄 100: the higher).
    let wang = id("19460308", 22);
    household(&t, "H1", URBAN, "dibao", "active", &[("王秀英", &wang)]).await;
    let user = t
        .create_user("jiedao9", Role::StreetCaseworker, "369902001")
        .await;
    let api = t.login(&user).await;
    register(&t, &api, &wang, "王秀英", URBAN, "alone", Some("2")).await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };

    browser.goto(&served.url("/elderly/people")).await;
    browser.sign_in(&user.username, &user.password, "").await;
    browser.click_link("王秀英").await;
    let programs = browser.text("#person-programs").await;
    assert!(programs.contains("低保"), "{programs}");
    assert_eq!(
        browser.text("#allowance-remaining").await.trim(),
        "200.00 元"
    );

    // Ten lunches at 15.00, paid by the allowance (the default for an eligible person).
    choose(
        &browser,
        "#order-form select[name=service_id]",
        &meal.to_string(),
    )
    .await;
    browser.fill("#order-form input[name=quantity]", "10").await;
    choose(&browser, "#order-form select[name=requested_by]", "family").await;
    browser
        .fill("#order-form input[name=requester]", "李明（儿子）")
        .await;
    browser.click_and_wait("#order-form button").await;
    let notice = browser.text("#order-notice").await;
    assert!(
        notice.contains("150.00 元") && notice.contains("本月剩余补贴 50.00 元"),
        "{notice}"
    );
    assert!(browser.text("#order-status").await.contains("待派单"));
    assert!(
        browser
            .text("#order-payment")
            .await
            .contains("补贴 150.00 元")
    );

    choose(
        &browser,
        "#dispatch-form select[name=provider_id]",
        &ankang.to_string(),
    )
    .await;
    browser.click_and_wait("#dispatch-form button").await;
    assert!(browser.text("#order-status").await.contains("已派单"));
    assert!(
        browser
            .text("#order-notice")
            .await
            .contains("安康居家养老服务中心")
    );

    browser
        .fill("#serve-form input[name=server_name]", "刘阿姨")
        .await;
    browser.click_and_wait("#serve-form button").await;
    assert!(browser.text("#order-status").await.contains("已服务"));
    assert!(browser.text("#order-timeline").await.contains("刘阿姨"));

    choose(&browser, "#rate-form select[name=rating]", "5").await;
    browser
        .fill("#rate-form input[name=comment]", "送餐准时，饭菜热乎")
        .await;
    browser.click_and_wait("#rate-form button").await;
    assert!(browser.text("#order-status").await.contains("已评价"));
    assert!(browser.text("#order-rating").await.contains("5 分"));

    // Back on the person's page: 200.00 − 150.00.
    browser.click_link("王秀英").await;
    assert_eq!(
        browser.text("#allowance-remaining").await.trim(),
        "50.00 元"
    );
    assert_eq!(browser.text("#allowance-used").await.trim(), "150.00 元");
    assert!(browser.text("#person-orders").await.contains("已评价"));

    browser.close().await;
    t.finish().await;
}
