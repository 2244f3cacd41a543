//! Headless Chromium: a district leader's home page with its figures and charts, the
//! capacity register (a typo refused with the field named, then the population saved)
//! and the balance analysis moving with it.

use minzheng::audit::Actor;
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::demo::{self, DemoOptions};

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};

/// The text of the balance table's row for one indicator.
async fn indicator_row(browser: &Browser, label: &str) -> String {
    browser
        .text("#balance-indicators")
        .await
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no row {label}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_home_capacity_and_balance_in_a_real_browser() {
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
    let user = t
        .create_user("leader", Role::DistrictApprover, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&served.url("/")).await;
    browser.sign_in(&user.username, &user.password, "").await;

    // Home: the queue, this quarter against the same days before, the charts.
    assert!(browser.text("#home-queue").await.contains("待我办理"));
    let figures = browser.text("#home-figures").await;
    assert!(
        figures.contains("东湖区")
            && figures.contains("上年同期")
            && figures.contains("新增低保户数"),
        "{figures}"
    );
    let charts = browser
        .client
        .execute(
            "return document.querySelectorAll('#home-trend svg, #home-bars svg').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        charts.as_u64(),
        Some(6),
        "three trend and three district charts"
    );

    // The balance of 2026Q3 before the population changes.
    browser.click_link("均衡分析").await;
    assert!(browser.page_text().await.contains("2026Q3"));
    let before = indicator_row(&browser, "低保对象每千常住人口（人）").await;

    // The capacity page: a typo is refused with the field named, nothing stored.
    browser.click_link("人口与队伍").await;
    let form = "form[action='/capacity/residents']";
    browser
        .fill(&format!("{form} input[name=year]"), "2026")
        .await;
    browser
        .fill(&format!("{form} input[name=urban]"), "二十万")
        .await;
    browser
        .fill(&format!("{form} input[name=rural]"), "0")
        .await;
    browser.click_and_wait(&format!("{form} button")).await;
    let refused = browser.page_text().await;
    assert!(
        refused.contains("城镇常住人口") && refused.contains("整数"),
        "{refused}"
    );
    browser.goto(&served.url("/capacity")).await;
    browser
        .fill(&format!("{form} input[name=year]"), "2026")
        .await;
    browser
        .fill(&format!("{form} input[name=urban]"), "1,000,000")
        .await;
    browser
        .fill(&format!("{form} input[name=rural]"), "0")
        .await;
    browser.click_and_wait(&format!("{form} button")).await;
    assert!(
        browser
            .page_text()
            .await
            .contains("已保存：东湖区 2026 年末常住人口 1000000 人"),
    );

    // The balance now divides by the new population.
    browser.click_link("均衡分析").await;
    let after = indicator_row(&browser, "低保对象每千常住人口（人）").await;
    assert_ne!(before, after, "the per-1,000 figures follow the population");
    // Another quarter through the picker.
    browser
        .client
        .find(fantoccini::Locator::Css(
            "#balance-pick select[name=quarter]",
        ))
        .await
        .unwrap()
        .select_by_value("2026Q2")
        .await
        .unwrap();
    browser
        .click_and_wait("#balance-pick button[type=submit]")
        .await;
    assert!(
        browser
            .page_text()
            .await
            .contains("2026Q2，存量指标截至 2026-06-30")
    );

    browser.close().await;
    t.finish().await;
}
