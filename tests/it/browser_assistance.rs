//! Browser journeys of the social-assistance workflow (DOMAIN.md §2) in headless Chromium:
//! a resident applies online and checks progress; the street caseworker accepts,
//! investigates, gives the opinion and publishes the notice; after the notice the district
//! approver approves (the worked example: 1,900.00 元/月). And a counter application that
//! fails the asset test, refused an "agree" opinion and rejected by the district with a
//! reason. `tests/it/assistance_workflow.rs` drives the same steps through the router.

use fantoccini::Locator;
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::ids::IdNumber;

use crate::common::browser::{Browser, Served};
use crate::common::{Backend, TestApp};

const COMMUNITY: &str = "369902001001";

/// A valid ID number of 东湖区 for someone born on `birth` (the test date is 2026-11-29).
fn id(birth: &str, seq: u16) -> String {
    IdNumber::compose("369902", birth.parse().unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// One row of the application form's member table.
struct Member {
    name: &'static str,
    id: String,
    relation: &'static str,
    student: bool,
    /// Wage: (元 a month, months of the last 12).
    wage: Option<(&'static str, &'static str)>,
}

/// The worked example: applicant 45 earning 1,500 × 12, spouse 43 without income, child 10
/// at school; all urban.
fn worked_example() -> Vec<Member> {
    vec![
        Member {
            name: "王建国",
            id: id("1981-03-02", 11),
            relation: "本人",
            student: false,
            wage: Some(("1500", "12")),
        },
        Member {
            name: "李秀英",
            id: id("1983-05-06", 22),
            relation: "配偶",
            student: false,
            wage: None,
        },
        Member {
            name: "王小明",
            id: id("2016-01-01", 33),
            relation: "子女",
            student: true,
            wage: None,
        },
    ]
}

async fn choose_value(b: &Browser, css: &str, value: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no select {css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("no option {value} in {css}: {e}"));
}

async fn choose_label(b: &Browser, css: &str, label: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no select {css}: {e}"))
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("no option {label} in {css}: {e}"));
}

/// Ticks a checkbox (and checks that it is ticked now).
async fn tick(b: &Browser, css: &str) {
    let field = b
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no checkbox {css}: {e}"));
    if !field.is_selected().await.expect("checkbox state") {
        field.click().await.expect("tick");
    }
    assert!(field.is_selected().await.expect("checkbox state"), "{css}");
}

/// The text shown in a select (its chosen option's label).
async fn chosen(b: &Browser, css: &str) -> String {
    b.text(&format!("{css} option:checked")).await
}

/// Fills the application form (public or counter, the same include) on the current page.
async fn fill_application(b: &Browser, members: &[Member], financial: &str, reason: &str) {
    choose_value(b, "select[name=program]", "dibao").await;
    choose_value(b, "select[name=community]", COMMUNITY).await;
    assert_eq!(
        chosen(b, "select[name=community]").await,
        "解放街道 · 幸福社区"
    );
    b.fill("input[name=phone]", "13800138000").await;
    b.fill("textarea[name=reason]", reason).await;
    for (i, m) in members.iter().enumerate() {
        b.fill(&format!("input[name=m{i}_name]"), m.name).await;
        b.fill(&format!("input[name=m{i}_id]"), &m.id).await;
        choose_label(b, &format!("select[name=m{i}_relation]"), m.relation).await;
        choose_value(b, &format!("select[name=m{i}_hukou]"), "urban").await;
        choose_value(b, &format!("select[name=m{i}_work]"), "full").await;
        if m.student {
            tick(b, &format!("input[name=m{i}_student]")).await;
        }
        if let Some((monthly, months)) = m.wage {
            choose_value(b, &format!("select[name=m{i}_inc0_kind]"), "wage").await;
            b.fill(&format!("input[name=m{i}_inc0_item]"), "工资").await;
            b.fill(&format!("input[name=m{i}_inc0_monthly]"), monthly)
                .await;
            b.fill(&format!("input[name=m{i}_inc0_months]"), months)
                .await;
        }
    }
    // What was typed is what the form holds (CJK through the driver included).
    let typed = b
        .client
        .find(Locator::Css("input[name=m0_name]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(typed.as_deref(), Some(members[0].name));
    for (i, m) in members.iter().enumerate() {
        let relation = chosen(b, &format!("select[name=m{i}_relation]")).await;
        assert_eq!(relation, m.relation, "member {i}");
    }
    if !financial.is_empty() {
        b.fill("input[name=financial]", financial).await;
    }
    tick(b, "input[name=declaration]").await;
    tick(b, "input[name=consent]").await;
}

/// Takes the action of a form on the case page and checks the page confirms it.
async fn act(b: &Browser, code: &str, label: &str) {
    b.click_and_wait(&format!("#act-{code} button[type=submit]"))
        .await;
    let page = b.page_text().await;
    assert!(
        page.contains(&format!("已完成「{label}」")),
        "{code} was not confirmed: {page}"
    );
}

/// Opens the only case of the workbench queue, checking the queue row first.
async fn open_only_queued_case(b: &Browser, step: &str) {
    let queue = b.text("#queue").await;
    assert!(queue.contains(step), "queue row says {step:?}: {queue}");
    let links = b
        .client
        .find_all(Locator::Css("#queue tbody a"))
        .await
        .unwrap();
    assert_eq!(links.len(), 1, "one case waiting: {queue}");
    b.click_and_wait("#queue tbody a").await;
}

/// Asks the public progress page about a case; returns the result panel's text.
async fn check_progress(b: &Browser, served: &Served, reference: &str, id_number: &str) -> String {
    b.goto(&served.url("/apply/status")).await;
    b.fill("#status-form input[name=reference]", reference)
        .await;
    b.fill("#status-form input[name=id_number]", id_number)
        .await;
    b.click_and_wait("#status-form button[type=submit]").await;
    let page = b.page_text().await;
    assert!(
        !page.contains("王建国") && !page.contains("李秀英"),
        "the status page names nobody: {page}"
    );
    assert!(
        b.client.find(Locator::Css("#status-result")).await.is_ok(),
        "no answer for {reference}: {page}"
    );
    b.text("#status-result").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_application_to_approved_case_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let street = t
        .create_user("wangjb", Role::StreetCaseworker, "369902001")
        .await;
    let approver = t
        .create_user("zhousp", Role::DistrictApprover, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let family = worked_example();
    let applicant_id = family[0].id.clone();

    // The resident, not signed in, applies online.
    b.goto(&served.url("/apply")).await;
    assert!(
        b.title().await.starts_with("申请社会救助"),
        "{}",
        b.page_text().await
    );
    fill_application(&b, &family, "", "家庭收入低，孩子上学").await;
    b.click_and_wait("#apply-form button[type=submit]").await;
    let page = b.page_text().await;
    assert!(page.contains("申请已提交"), "{page}");
    let reference = b.text("#reference").await;
    assert!(
        reference.len() == 14 && reference.starts_with("20261129"),
        "{reference}"
    );

    // Progress by 受理编号 and the applicant's ID number.
    let status = check_progress(&b, &served, &reference, &applicant_id).await;
    assert!(
        status.contains("已申请")
            && status.contains("等待街道（乡镇）受理")
            && status.contains("2026-11-29"),
        "{status}"
    );

    // The street caseworker finds it on the workbench.
    b.goto(&served.url("/assistance/workbench")).await;
    assert_eq!(b.title().await, "登录 · 民政业务平台");
    b.sign_in(&street.username, &street.password, "").await;
    assert!(b.text("h1.page-title").await.contains("救助工作台"));
    assert_eq!(b.text("#count-queue").await, "1");
    open_only_queued_case(&b, "受理或不予受理").await;
    assert_eq!(b.text("#case-reference").await, reference);
    assert_eq!(b.text("#case-status").await, "已申请");
    let members = b.text("#case-members").await;
    assert!(
        members.contains("王建国") && members.contains("李秀英") && members.contains("王小明"),
        "{members}"
    );
    // Before the opinion the rules only preview.
    assert!(b.text("#explanation h2").await.contains("试算"));

    act(&b, "accept", "受理").await;
    assert_eq!(b.text("#case-status").await, "已受理");
    assert!(
        b.page_text().await.contains("2027-01-08"),
        "30 working days"
    );

    b.fill(
        "#act-investigate textarea[name=visit_record]",
        "2026-11-29 入户调查：三口之家，家中无贵重物品",
    )
    .await;
    b.fill(
        "#act-investigate textarea[name=verification_record]",
        "无车无房，存款核对无异常",
    )
    .await;
    act(&b, "investigate", "登记调查结果").await;
    assert_eq!(b.text("#case-status").await, "调查中");
    assert!(b.page_text().await.contains("无车无房，存款核对无异常"));

    choose_value(&b, "#act-opinion select[name=recommend]", "yes").await;
    act(&b, "opinion", "街道审核意见").await;
    assert_eq!(b.text("#case-status").await, "街道已审核");
    let explanation = b.text("#explanation").await;
    assert!(
        explanation.contains("核算结果")
            && explanation.contains("家庭人均月收入 400.00 元 < 城市低保标准 1,000.00 元 ✓"),
        "{explanation}"
    );
    assert_eq!(b.text("#case-amount").await, "1,900.00");

    act(&b, "publish", "发布公示").await;
    assert_eq!(b.text("#case-status").await, "公示中");
    assert!(
        b.page_text().await.contains("2026-11-29 至 2026-12-05"),
        "7-day notice"
    );

    // The printable notice of 幸福社区, reached through the navigation.
    b.click_and_wait("nav.sidenav a[href='/assistance/notices']")
        .await;
    b.click_and_wait(&format!(
        "#notice-communities a[href='/assistance/notices?community={COMMUNITY}']"
    ))
    .await;
    let url = b.client.current_url().await.unwrap();
    assert!(
        url.as_str()
            .ends_with(&format!("/assistance/notices?community={COMMUNITY}")),
        "{url}"
    );
    let sheet = b.text("#notice-sheet").await;
    assert!(
        sheet.contains("幸福社区社会救助公示")
            && sheet.contains("王建国")
            && sheet.contains("1,900.00"),
        "{sheet}"
    );
    assert!(
        !sheet.contains(&applicant_id)
            && !sheet.contains(&applicant_id[..10])
            && !sheet.contains("1981-03-02")
            && !sheet.contains("李秀英")
            && !sheet.contains("王小明"),
        "the notice shows no ID number and only the applicant: {sheet}"
    );

    // The notice runs 7 days; on the 8th the district approver decides. The jump ends the
    // caseworker's session.
    t.clock.set(t.clock.now() + chrono::Duration::days(7));
    b.goto(&served.url("/assistance/workbench")).await;
    assert_eq!(b.title().await, "登录 · 民政业务平台");
    b.sign_in(&approver.username, &approver.password, "").await;
    assert!(b.text("#user-slot").await.contains("区县审批人员"));
    open_only_queued_case(&b, "公示期满，审批").await;
    assert_eq!(b.text("#case-reference").await, reference);
    assert_eq!(b.text("#case-status").await, "公示中");
    let approve = b
        .client
        .find(Locator::Css("#act-approve button[type=submit]"))
        .await
        .unwrap();
    assert!(
        approve.is_enabled().await.unwrap(),
        "notice over: approvable"
    );
    act(&b, "approve", "审批确认").await;
    assert_eq!(b.text("#case-status").await, "在保");
    assert_eq!(b.text("#case-amount").await, "1,900.00");
    let page = b.page_text().await;
    assert!(
        page.contains("2026-12-06") && page.contains("2027-06-06"),
        "approved today, review in 6 months: {page}"
    );
    let timeline = b.text("#case-timeline").await;
    for step in [
        "申请",
        "受理",
        "登记调查结果",
        "街道审核意见",
        "发布公示",
        "审批确认",
    ] {
        assert!(timeline.contains(step), "{step}: {timeline}");
    }
    assert!(
        b.client.find(Locator::Css("#act-approve")).await.is_err(),
        "approved once"
    );

    // The resident, on their own device (no staff session here), sees the decision.
    b.click_and_wait(".logout-form button").await;
    let status = check_progress(&b, &served, &reference, &applicant_id).await;
    assert!(
        status.contains("在保") && status.contains("已批准"),
        "{status}"
    );

    b.close().await;
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_application_over_the_asset_limit_is_rejected_in_a_real_browser() {
    let t = TestApp::with_tree(Backend::Sqlite).await;
    let street = t
        .create_user("wangjb", Role::StreetCaseworker, "369902001")
        .await;
    let approver = t
        .create_user("zhousp", Role::DistrictApprover, "369902")
        .await;
    let served = Served::start(&t).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    // Two persons, no income, deposits 60,000 元: 30,000 per person > 24,000.
    let couple: Vec<Member> = worked_example()
        .into_iter()
        .take(2)
        .map(|m| Member { wage: None, ..m })
        .collect();
    let applicant_id = couple[0].id.clone();

    b.goto(&served.url("/assistance/workbench")).await;
    b.sign_in(&street.username, &street.password, "").await;
    b.click_link("窗口受理申请").await;
    assert!(b.text("h1.page-title").await.contains("窗口受理申请"));
    fill_application(&b, &couple, "60000", "夫妻二人均无收入").await;
    b.click_and_wait("#apply-form button[type=submit]").await;
    let message = b.text("#case-message").await;
    assert!(message.contains("申请已登记，受理编号"), "{message}");
    let reference = b.text("#case-reference").await;
    assert!(message.contains(&reference), "{message}");
    assert_eq!(b.text("#case-status").await, "已申请");
    assert!(b.page_text().await.contains("窗口申请"));
    assert!(b.page_text().await.contains("存款及有价证券 60,000.00 元"));

    act(&b, "accept", "受理").await;
    b.fill("#act-investigate textarea[name=visit_record]", "入户")
        .await;
    b.fill(
        "#act-investigate textarea[name=verification_record]",
        "银行存款 60,000 元",
    )
    .await;
    act(&b, "investigate", "登记调查结果").await;

    // "Agree" is refused: the rules say the household does not qualify.
    choose_value(&b, "#act-opinion select[name=recommend]", "yes").await;
    b.click_and_wait("#act-opinion button[type=submit]").await;
    let refused = b.page_text().await;
    assert!(refused.contains("不符合低保条件"), "{refused}");
    b.client.back().await.unwrap();
    assert_eq!(b.text("#case-status").await, "调查中");

    choose_value(&b, "#act-opinion select[name=recommend]", "no").await;
    b.fill("#act-opinion input[name=reason]", "存款超标").await;
    act(&b, "opinion", "街道审核意见").await;
    assert_eq!(b.text("#case-status").await, "街道已审核");
    let explanation = b.text("#explanation").await;
    assert!(
        explanation.contains("30,000.00") && explanation.contains("24,000.00"),
        "{explanation}"
    );
    assert_eq!(b.text("#case-amount").await, "0.00");
    // No notice for a refusal: the button is there but disabled, with the reason.
    let publish = b.text("#act-publish").await;
    assert!(publish.contains("无需公示"), "{publish}");
    let button = b
        .client
        .find(Locator::Css("#act-publish button[type=submit]"))
        .await
        .unwrap();
    assert!(!button.is_enabled().await.unwrap());

    // The district approver, at another desk: the caseworker signs out first.
    b.click_and_wait(".logout-form button").await;
    b.goto(&served.url("/assistance/workbench")).await;
    b.sign_in(&approver.username, &approver.password, "").await;
    open_only_queued_case(&b, "作出不予批准决定").await;
    assert_eq!(b.text("#case-reference").await, reference);
    // A rejection needs a reason: the browser does not send the form without one.
    let valid = b
        .client
        .execute(
            "return document.querySelector('#act-reject').checkValidity()",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(valid.as_bool(), Some(false), "reason is required");
    b.fill("#act-reject input[name=reason]", "人均金融资产超过规定")
        .await;
    act(&b, "reject", "不予批准").await;
    assert_eq!(b.text("#case-status").await, "不予批准");
    let timeline = b.text("#case-timeline").await;
    assert!(
        timeline.contains("不予批准") && timeline.contains("人均金融资产超过规定"),
        "{timeline}"
    );
    assert!(
        b.client.find(Locator::Css("#case-actions")).await.is_err(),
        "nothing left to do on a rejected case"
    );

    // The applicant asking about the case (no staff session) learns it was not
    // approved, not why.
    b.click_and_wait(".logout-form button").await;
    let status = check_progress(&b, &served, &reference, &applicant_id).await;
    assert!(
        status.contains("不予批准") && !status.contains("人均金融资产"),
        "{status}"
    );

    b.close().await;
    t.finish().await;
}
