//! Headless Chromium: a month's payroll from generation to reconciliation by two people —
//! generate and submit, approval by another user, the bank file, a return with one
//! failure, and the failed payment paid again in the next month's payroll.

use minzheng::auth::Role;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};
use crate::payments::case;

const URBAN: &str = "369902001001";

async fn sign_in(browser: &Browser, served: &Served, user: &crate::common::TestUser) {
    browser.goto(&served.url("/payments")).await;
    browser.sign_in(&user.username, &user.password, "").await;
}

async fn generate(browser: &Browser, month: &str) {
    browser
        .fill("#generate-form input[name=month]", month)
        .await;
    browser.click_and_wait("#generate-form button").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payroll_from_generation_to_reissue_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    case(
        &t,
        "A",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        900,
        "6222000011112222",
    )
    .await;
    case(
        &t,
        "B",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        800,
        "6222000033334444",
    )
    .await;
    let maker = t
        .create_user("zhidan", Role::DistrictReviewer, "369902")
        .await;
    let checker = t
        .create_user("shenpi2", Role::DistrictApprover, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(browser) = Browser::start().await else {
        return;
    };

    // The maker generates October and submits it.
    sign_in(&browser, &served, &maker).await;
    generate(&browser, "2026-10").await;
    let facts = browser.text("#payroll-facts").await;
    assert!(
        facts.contains("已生成") && facts.contains("2 笔，1,700.00 元"),
        "{facts}"
    );
    let path = browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .to_string();
    assert!(
        browser.text("#payroll-lines").await.contains("2222"),
        "masked account shown"
    );
    browser.click_and_wait("#submit-payroll").await;
    assert!(
        browser
            .text("#payroll-status")
            .await
            .contains("已提交待审批")
    );
    browser.click_and_wait(".logout-form button").await;

    // Another person approves it.
    sign_in(&browser, &served, &checker).await;
    browser.goto(&served.url(&path)).await;
    browser.click_and_wait("#approve-payroll").await;
    assert!(browser.text("#payroll-status").await.contains("已审批"));
    browser.click_and_wait(".logout-form button").await;

    // The maker downloads the bank file (the browser session fetches it).
    sign_in(&browser, &served, &maker).await;
    browser.goto(&served.url(&path)).await;
    let file = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             fetch(document.querySelector('#bank-csv').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    let file = file.as_str().unwrap().to_string();
    assert!(
        file.contains("6222000011112222") && file.contains("6222000033334444"),
        "{file}"
    );
    // The bank returns B's payment as failed.
    let mut answer = String::from("参考号,金额,结果,失败原因\n");
    for line in file.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let failed = f[2] == "户主B";
        answer.push_str(&format!(
            "{},{},{},{}\n",
            f[1],
            f[4],
            if failed { "失败" } else { "成功" },
            if failed { "账户已冻结" } else { "" }
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let upload = dir.path().join("回盘.csv");
    std::fs::write(&upload, answer).unwrap();
    browser.goto(&served.url(&path)).await;
    assert!(
        browser
            .text("#payroll-status")
            .await
            .contains("已导出银行文件")
    );
    browser
        .client
        .find(fantoccini::Locator::Css("#return-form input[type=file]"))
        .await
        .unwrap()
        .send_keys(upload.to_str().unwrap())
        .await
        .unwrap();
    browser.click_and_wait("#return-form button").await;
    let page = browser.page_text().await;
    assert!(page.contains("1 笔到账，1 笔失败"), "{page}");
    assert!(browser.text("#payroll-status").await.contains("已对账"));
    assert!(
        browser
            .text("#payroll-lines")
            .await
            .contains("失败：账户已冻结")
    );

    // November pays B's October again.
    browser.goto(&served.url("/payments")).await;
    generate(&browser, "2026-11").await;
    let lines = browser.text("#payroll-lines").await;
    let reissue = lines
        .lines()
        .find(|l| l.contains("重发"))
        .unwrap_or_else(|| panic!("no 重发 line: {lines}"));
    assert!(
        reissue.contains("2026-10") && reissue.contains("800.00"),
        "{reissue}"
    );
    assert!(
        browser
            .text("#payroll-facts")
            .await
            .contains("3 笔，2,500.00 元")
    );

    browser.close().await;
    t.finish().await;
}
