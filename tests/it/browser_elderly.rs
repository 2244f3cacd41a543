//! Headless Chromium: the district's elderly-care desk registers an institution, records
//! an inspection with two hazards, rectifies one, and after the other's deadline (the
//! injected clock moved on) finds it on the overdue list.

use fantoccini::Locator;
use minzheng::auth::Role;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};

/// Sets a field's value by script: a date input's typing order depends on the locale.
async fn set(b: &Browser, css: &str, value: &str) {
    b.client
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![css.into(), value.into()],
        )
        .await
        .unwrap_or_else(|e| panic!("cannot set {css}: {e}"));
}

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
async fn inspection_hazards_rectified_and_overdue_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let desk = t
        .create_user("yanglaoke", Role::DistrictReviewer, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&served.url("/elderly/facilities")).await;
    browser.sign_in(&desk.username, &desk.password, "").await;

    // Register the institution.
    let form = "#facility-form";
    browser
        .fill(&format!("{form} input[name=number]"), "YL-B1")
        .await;
    browser
        .fill(&format!("{form} input[name=name]"), "东湖康乐养老院")
        .await;
    choose(
        &browser,
        &format!("{form} select[name=kind]"),
        "institution",
    )
    .await;
    browser
        .fill(&format!("{form} input[name=community]"), "369902001001")
        .await;
    choose(
        &browser,
        &format!("{form} select[name=status]"),
        "operating",
    )
    .await;
    set(
        &browser,
        &format!("{form} input[name=opened_on]"),
        "2026-05-01",
    )
    .await;
    browser
        .fill(&format!("{form} input[name=beds]"), "90")
        .await;
    browser
        .fill(&format!("{form} input[name=nursing_beds]"), "50")
        .await;
    browser.click_and_wait(&format!("{form} button")).await;
    let notice = browser.text("#facility-notice").await;
    assert!(
        notice.contains("已登记") && notice.contains("90 张"),
        "{notice}"
    );

    // An inspection with two hazards.
    browser.click_link("东湖康乐养老院").await;
    let form = "#inspection-form";
    set(
        &browser,
        &format!("{form} input[name=inspected_on]"),
        "2026-11-25",
    )
    .await;
    choose(&browser, &format!("{form} select[name=item]"), "fire").await;
    browser
        .fill(&format!("{form} input[name=inspectors]"), "王五、赵六")
        .await;
    browser
        .fill(
            &format!("{form} input[name=h1_description]"),
            "疏散通道堆放杂物",
        )
        .await;
    set(
        &browser,
        &format!("{form} input[name=h1_deadline]"),
        "2026-12-05",
    )
    .await;
    browser
        .fill(&format!("{form} input[name=h2_description]"), "灭火器过期")
        .await;
    choose(
        &browser,
        &format!("{form} select[name=h2_severity]"),
        "major",
    )
    .await;
    set(
        &browser,
        &format!("{form} input[name=h2_deadline]"),
        "2026-12-10",
    )
    .await;
    browser.click_and_wait(&format!("{form} button")).await;
    let notice = browser.text("#facility-notice").await;
    assert!(notice.contains("发现隐患 2 处"), "{notice}");

    // Rectify the first: it waits for its re-check.
    set(
        &browser,
        ".rectify-form input[name=rectified_on]",
        "2026-11-28",
    )
    .await;
    browser
        .fill(".rectify-form input[name=rectification]", "杂物已清理")
        .await;
    browser.click_and_wait(".rectify-form button").await;
    let history = browser.text("#inspection-history").await;
    assert!(history.contains("已整改待复查"), "{history}");
    browser.goto(&served.url("/elderly/inspections")).await;
    assert!(
        browser
            .text("#overdue")
            .await
            .contains("没有逾期未整改的隐患")
    );

    // The day after the second deadline (the session has expired meanwhile).
    t.clock.set("2026-12-11T02:00:00Z".parse().unwrap());
    browser.goto(&served.url("/elderly/inspections")).await;
    browser.sign_in(&desk.username, &desk.password, "").await;
    browser.goto(&served.url("/elderly/inspections")).await;
    let overdue = browser.text("#overdue-list").await;
    assert!(overdue.contains("灭火器过期"), "{overdue}");
    assert!(!overdue.contains("疏散通道堆放杂物"), "{overdue}");
    assert!(
        browser
            .text("#campaign-count")
            .await
            .contains("已检查 1 家")
    );

    browser.close().await;
    t.finish().await;
}
