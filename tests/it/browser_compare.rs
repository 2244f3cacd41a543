//! Headless Chromium: data comparison from a department's file to verified findings — the
//! city loads a vehicle file and runs the comparison; the street's caseworker confirms one
//! finding (the case goes to review) and dismisses another with a reason.

use fantoccini::Locator;
use minzheng::auth::Role;
use sqlx::Row;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};
use crate::compare::{URBAN, household, id};

async fn choose(b: &Browser, css: &str, value: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no select {css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("no option {value} in {css}: {e}"));
}

/// Opens the finding of `name` from the queue (the name links to it).
async fn open_finding(b: &Browser, served: &Served, name: &str) {
    b.goto(&served.url("/compare/findings")).await;
    b.click_link(name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_run_confirm_and_dismiss_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let (zhang, li) = (id("19600101", 11), id("19700202", 22));
    let (_, zhang_case) = household(&t, "H1", URBAN, "dibao", "active", &[("张伟", &zhang)]).await;
    household(&t, "H2", URBAN, "dibao", "active", &[("李娜", &li)]).await;
    let city = t.create_user("shiju2", Role::CityAdmin, "369900").await;
    let worker = t
        .create_user("jiedao2", Role::StreetCaseworker, "369902001")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };

    // The city loads the vehicle office's file and runs the comparison.
    browser.goto(&served.url("/compare")).await;
    browser.sign_in(&city.username, &city.password, "").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("车辆.csv");
    std::fs::write(
        &file,
        format!(
            "身份证号,姓名,号牌号码,车辆类型,车辆价值\n{zhang},张伟,赣A12345,小型汽车,50000\n{li},李娜,赣A67890,小型汽车,30000\n123,某某,赣A0,小型汽车,1\n"
        ),
    )
    .unwrap();
    choose(&browser, "#upload-form select[name=source]", "vehicle").await;
    browser
        .client
        .find(Locator::Css("#upload-form input[type=file]"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    browser.click_and_wait("#upload-form button").await;
    let notice = browser.text("#compare-notice").await;
    assert!(
        notice.contains("3 行，有效 2 行") && notice.contains("另存 1 行"),
        "{notice}"
    );
    assert!(
        browser
            .text("#dataset-list")
            .await
            .contains("长度不是 18 位")
    );
    browser.click_and_wait("#run-compare").await;
    let notice = browser.text("#compare-notice").await;
    assert!(notice.contains("新发现疑点 2 条"), "{notice}");
    browser.click_and_wait(".logout-form button").await;

    // The street's caseworker confirms 张伟's car: the case is due for review.
    browser.goto(&served.url("/compare/findings")).await;
    browser
        .sign_in(&worker.username, &worker.password, "")
        .await;
    open_finding(&browser, &served, "张伟").await;
    assert!(browser.text("#evidence").await.contains("赣A12345"));
    browser.click_and_wait("#take-finding").await;
    assert!(browser.text("#finding-status").await.contains("核查中"));
    choose(&browser, "#resolve-form select[name=outcome]", "confirm").await;
    browser
        .fill(
            "#resolve-form input[name=result]",
            "入户核实，车辆登记在本人名下",
        )
        .await;
    browser.click_and_wait("#resolve-form button").await;
    let notice = browser.text("#finding-notice").await;
    assert!(
        notice.contains("已认定属实") && notice.contains("列入复核"),
        "{notice}"
    );
    assert!(browser.text("#finding-status").await.contains("属实"));
    let due: Option<String> = sqlx::query("SELECT next_review_on FROM cases WHERE id = $1")
        .bind(zhang_case)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(due.as_deref(), Some("2026-11-29"));

    // 李娜's: dismissed with the reason.
    open_finding(&browser, &served, "李娜").await;
    choose(&browser, "#resolve-form select[name=outcome]", "dismiss").await;
    browser
        .fill(
            "#resolve-form input[name=result]",
            "车辆已于 2025 年过户，有过户凭证",
        )
        .await;
    browser.click_and_wait("#resolve-form button").await;
    let notice = browser.text("#finding-notice").await;
    assert!(notice.contains("不属实"), "{notice}");
    let facts = browser.text("#finding-facts").await;
    assert!(facts.contains("车辆已于 2025 年过户"), "{facts}");
    browser
        .goto(&served.url("/compare/findings?status=pending"))
        .await;
    assert!(browser.page_text().await.contains("没有符合条件的疑点"));

    browser.close().await;
    t.finish().await;
}
