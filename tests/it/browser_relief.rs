//! Headless Chromium: a street patrol recorded, then a person brought to the station,
//! their identity found and recorded (补录身份), their family found and their return
//! home recorded.

use fantoccini::Locator;
use minzheng::auth::Role;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};

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
async fn patrol_and_a_station_case_through_to_return_home_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let station = t
        .create_user("jiuzhuzhan", Role::DistrictReviewer, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&served.url("/relief")).await;
    browser
        .sign_in(&station.username, &station.password, "")
        .await;

    choose(
        &browser,
        "#patrol-form select[name=region_code]",
        "369902001",
    )
    .await;
    browser
        .fill("#patrol-form input[name=area]", "火车站广场")
        .await;
    browser
        .fill("#patrol-form input[name=staff]", "王五、赵六")
        .await;
    browser
        .fill("#patrol-form input[name=people_met]", "2")
        .await;
    browser
        .fill("#patrol-form input[name=brought_in]", "1")
        .await;
    browser.click_and_wait("#patrol-form button").await;
    assert!(
        browser
            .text("#relief-notice")
            .await
            .contains("护送入站 1 人")
    );

    choose(&browser, "#intake-form select[name=region_code]", "369902").await;
    browser
        .fill("#intake-form input[name=name]", "无名氏（男，约 65 岁）")
        .await;
    choose(&browser, "#intake-form select[name=group]", "elderly").await;
    browser.click_and_wait("#intake-form button").await;
    assert!(browser.text("#relief-notice").await.contains("已登记入站"));

    // The family search finds who he is: 补录身份 with his real name and ID number.
    let id = minzheng::ids::IdNumber::compose("369921", "1960-04-02".parse().unwrap(), 15).unwrap();
    browser
        .fill("#identity-form input[name=name]", "陈德明")
        .await;
    browser
        .fill("#identity-form input[name=id_number]", id.as_str())
        .await;
    browser.click_and_wait("#identity-form button").await;
    assert!(
        browser
            .text("#relief-notice")
            .await
            .contains("已补录身份：陈德明")
    );
    let facts = browser.text("#case-facts").await;
    assert!(facts.contains("已查明") && facts.contains("男"), "{facts}");
    assert!(!facts.contains(id.as_str()), "{facts}");

    browser
        .click("#care-form input[name=s_family_search]")
        .await;
    choose(&browser, "#care-form select[name=family_search]", "found").await;
    browser.click_and_wait("#care-form button").await;
    assert!(browser.text("#case-facts").await.contains("已找到亲属"));
    choose(&browser, "#departure-form select[name=outcome]", "returned").await;
    browser.click_and_wait("#departure-form button").await;
    assert!(browser.text("#case-outcome").await.contains("返乡"));

    browser.goto(&served.url("/relief")).await;
    let figures = browser.text("#relief-figures").await;
    assert!(figures.contains("救助 1 人次，返乡 1 人"), "{figures}");
    browser.close().await;
    t.finish().await;
}
