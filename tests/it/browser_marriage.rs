//! Headless Chromium at the registry counter: a marriage registered (an under-age bride
//! refused with the rule first), then the couple's divorce application received and
//! withdrawn by the wife during the cooling-off, counted in the quarter.

use fantoccini::Locator;
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::ids::IdNumber;

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

fn id(birth: &str, seq: u16) -> String {
    IdNumber::compose("369902", birth.parse().unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

async fn couple(b: &Browser, form: &str, man: &str, woman: &str) {
    b.fill(&format!("{form} input[name=man_name]"), "张伟")
        .await;
    b.fill(&format!("{form} input[name=man_id]"), man).await;
    b.fill(&format!("{form} input[name=woman_name]"), "李娜")
        .await;
    b.fill(&format!("{form} input[name=woman_id]"), woman).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marry_then_withdraw_a_divorce_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let desk = t
        .create_user("hunyin", Role::DistrictReviewer, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.goto(&served.url("/affairs/marriage")).await;
    b.sign_in(&desk.username, &desk.password, "").await;
    b.goto(&served.url("/affairs/marriage")).await;
    let man = id("1995-04-01", 11);
    // Born a day after 2006-11-29: 19 today.
    couple(&b, "#marriage-form", &man, &id("2006-11-30", 22)).await;
    choose(&b, "#marriage-form select[name=kinship]", "否").await;
    b.click_and_wait("#marriage-form button").await;
    let refused = b.page_text().await;
    assert!(refused.contains("女方年满20周岁"), "{refused}");

    let woman = id("2006-11-29", 22);
    b.goto(&served.url("/affairs/marriage")).await;
    couple(&b, "#marriage-form", &man, &woman).await;
    choose(&b, "#marriage-form select[name=kinship]", "否").await;
    b.click_and_wait("#marriage-form button").await;
    let notice = b.text("#marriage-notice").await;
    assert!(
        notice.contains("已办理结婚登记") && notice.contains("J369902-2026-000001"),
        "{notice}"
    );
    assert_eq!(b.text("#count-marriages").await, "1");
    assert_eq!(b.text("#compliance-rate").await, "100%");
    // The list shows the IDs masked.
    let table = b.text("#registrations").await;
    assert!(!table.contains(&man), "{table}");

    couple(&b, "#divorce-form", &man, &woman).await;
    b.click_and_wait("#divorce-form button").await;
    let notice = b.text("#marriage-notice").await;
    assert!(notice.contains("已受理离婚申请"), "{notice}");

    // Ten days later (the jump ends the session) the wife withdraws.
    t.clock.set(t.clock.now() + chrono::Duration::days(10));
    b.goto(&served.url("/affairs/marriage")).await;
    b.sign_in(&desk.username, &desk.password, "").await;
    b.goto(&served.url("/affairs/marriage")).await;
    let row = "#divorce-applications tbody tr";
    assert!(
        b.text(row).await.contains("冷静期"),
        "{}",
        b.text(row).await
    );
    choose(&b, &format!("{row} select[name=party]"), "女方").await;
    b.click_and_wait(&format!("{row} form[action$='/withdraw'] button"))
        .await;
    let notice = b.text("#marriage-notice").await;
    assert!(notice.contains("女方已于冷静期内撤回"), "{notice}");
    assert!(b.text(row).await.contains("已撤回"));
    assert_eq!(b.text("#count-withdrawn").await, "1");
    b.close().await;
    t.finish().await;
}
