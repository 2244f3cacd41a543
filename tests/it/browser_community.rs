//! Headless Chromium: the district's social-organisation desk registers an organisation
//! (a mistyped USCC is refused with the reason), records its yearly inspection and a
//! welfare activity, and sees the quarter's figures change.

use fantoccini::Locator;
use minzheng::auth::Role;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};
use crate::community::uscc;

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

async fn speech(b: &Browser, served: &Served) -> String {
    b.goto(&served.url("/reports/quarterly?quarter=2026Q3&region=369902"))
        .await;
    b.text("#report-speech").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_inspect_and_count_an_activity_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let desk = t
        .create_user("shezuke", Role::DistrictReviewer, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&served.url("/community/orgs")).await;
    browser.sign_in(&desk.username, &desk.password, "").await;
    assert!(
        speech(&browser, &served)
            .await
            .contains("公益活动0次,受益群众达到0人次")
    );

    // A code with its last character mistyped: refused, saying why.
    let code = uscc('1', 31);
    let mut typo = code.clone().into_bytes();
    typo[17] = if typo[17] == b'0' { b'1' } else { b'0' };
    let register = |code: String| {
        let b = &browser;
        let served = &served;
        async move {
            b.goto(&served.url("/community/orgs")).await;
            b.fill("#org-form input[name=uscc]", &code).await;
            b.fill("#org-form input[name=name]", "东湖区志愿者协会")
                .await;
            choose(b, "#org-form select[name=kind]", "association").await;
            choose(b, "#org-form select[name=region_code]", "369902").await;
            set(b, "#org-form input[name=registered_on]", "2020-04-01").await;
            b.click_and_wait("#org-form button").await;
        }
    };
    register(String::from_utf8(typo).unwrap()).await;
    let refused = browser.page_text().await;
    assert!(refused.contains("校验位"), "{refused}");
    register(code).await;
    let notice = browser.text("#org-notice").await;
    assert!(notice.contains("已登记：东湖区志愿者协会"), "{notice}");

    // The 2025 inspection and an activity in the third quarter.
    choose(
        &browser,
        "#inspection-form select[name=result]",
        "qualified",
    )
    .await;
    browser.click_and_wait("#inspection-form button").await;
    assert!(browser.text("#org-inspections").await.contains("合格"));
    set(&browser, "#activity-form input[name=held_on]", "2026-09-15").await;
    browser
        .fill("#activity-form input[name=name]", "社区助老志愿服务")
        .await;
    choose(
        &browser,
        "#activity-form select[name=field]",
        "elderly_disabled",
    )
    .await;
    browser
        .fill("#activity-form input[name=beneficiaries]", "80")
        .await;
    browser.click_and_wait("#activity-form button").await;
    assert!(
        browser
            .text("#org-activities")
            .await
            .contains("社区助老志愿服务")
    );

    let text = speech(&browser, &served).await;
    assert!(text.contains("公益活动1次,受益群众达到80人次"), "{text}");
    browser.close().await;
    t.finish().await;
}
