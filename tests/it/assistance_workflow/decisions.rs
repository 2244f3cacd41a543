//! Close relatives, deadlines, reviews and exits, concurrent approvals, sending a case
//! back to investigation, and 特困 support modes.

use super::*;
use crate::on_both_backends;

on_both_backends!(
    close_relatives_need_district_review,
    deadlines_overdue_and_extension,
    reviews_keep_change_gradual_and_stop,
    reviews_due_come_fifty_to_a_page,
    concurrent_approvals_keep_one_household_per_person,
    register_locked_in_notice_until_sent_back,
    tekun_support_mode_recorded_at_investigation,
);

async fn close_relatives_need_district_review(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let mut form = family_form();
    set(&mut form, "close_relative", "1");
    set(
        &mut form,
        "close_relative_note",
        "申请人之妻为幸福社区居委会委员",
    );
    let case = apply_online(&t, &form).await;
    to_notice(&t, &s, case).await;
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.reviewer, "/api/v1/workbench").await.json();
    assert!(
        w["queue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case && c["close_relative"] == true),
        "{w}"
    );
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 409);
    // Found by the investigation on another application: flagged and filed too.
    let mut other = family_form();
    set(&mut other, "m0_id", &id("1960-06-06", 61));
    set(&mut other, "m1_id", &id("1962-06-06", 62));
    set(&mut other, "m2_id", &id("1999-06-06", 63));
    let found = apply_online(&t, &other).await;
    assert_eq!(act(&t, &s.street, found, "accept", &[]).await, 303);
    assert_eq!(
        act(
            &t,
            &s.community,
            found,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "无异常"),
                ("close_relative", "1")
            ]
        )
        .await,
        422,
        "the relationship must be described"
    );
    assert_eq!(
        act(
            &t,
            &s.community,
            found,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "无异常"),
                ("close_relative", "1"),
                ("close_relative_note", "其女为社区居委会委员")
            ]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, found, "close_relative").await.as_deref(),
        Some("1")
    );
    // The street cannot do the district's review.
    assert_eq!(act(&t, &s.street, case, "district_review", &[]).await, 403);
    assert_eq!(
        act(&t, &s.reviewer, case, "district_review", &[]).await,
        303
    );
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 303);
    // The 备案 list: close-relative cases stay flagged.
    let flagged: i64 = sqlx::query(
        "SELECT COUNT(*) FROM cases WHERE close_relative = 1 AND district_reviewed = 1",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(flagged, 1);
    t.finish().await;
}

async fn deadlines_overdue_and_extension(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // A holiday on a weekday inside the period pushes the deadline by a day.
    sqlx::query("INSERT INTO holidays (day, kind) VALUES ('2026-12-31', 'rest')")
        .execute(t.database().pool())
        .await
        .unwrap();
    let case = apply_online(&t, &family_form()).await;
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    // Sunday 2026-11-29 + 30 working days = Friday 2027-01-08, + the holiday = Monday 01-11.
    let due = case_field(&t, case, "due_on").await.unwrap();
    assert_eq!(due, "2027-01-11");
    // The day after the deadline it is overdue on the workbench and the case page.
    let due_date: NaiveDate = due.parse().unwrap();
    t.clock
        .set(minzheng::calendar::ManualClock::at_date(due_date + Days::new(1)).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(page.body.contains("已逾期"), "{}", page.body);
    // One extension with reason: 45 working days from acceptance.
    assert_eq!(
        act(&t, &s.street, case, "extend", &[]).await,
        422,
        "reason required"
    );
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "extend",
            &[("reason", "需补充异地存款核对")]
        )
        .await,
        303
    );
    let extended: NaiveDate = case_field(&t, case, "due_on")
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(extended > due_date + Days::new(14), "{extended}");
    assert_eq!(
        act(&t, &s.street, case, "extend", &[("reason", "再延")]).await,
        409
    );
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        !w["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    t.finish().await;
}

async fn reviews_keep_change_gradual_and_stop(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let (case, s) = active_case(&t, &s, &family_form()).await;
    // Reviews due within 30 days appear on the workbench.
    t.clock
        .set(minzheng::calendar::ManualClock::at_date("2027-05-20".parse().unwrap()).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["reviews_due"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    // A review records what was verified: without it, refused and nothing changes.
    let before = version(&t, case).await;
    assert_eq!(review(&t, &s.street, case, &[("note", " ")]).await, 422);
    assert_eq!(version(&t, case).await, before);
    // Same facts: kept.
    assert_eq!(review(&t, &s.street, case, &[]).await, 303);
    // Wage 2,000 → counted 1,600, per-capita 533.33, (1,000 − 533.33) × 3 = 1,400.01, + 100 → 1,501.
    set_wage(&t, case, 200_000).await;
    assert_eq!(review(&t, &s.street, case, &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("150100")
    );
    // Wage 4,000 → counted 3,200, per-capita 1,066.66 ≥ 1,000: above the line because of
    // work → gradual exit for 6 months, amount kept.
    set_wage(&t, case, 400_000).await;
    assert_eq!(
        review(&t, &s.street, case, &[("found_work", "1")]).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("active")
    );
    assert_eq!(
        case_field(&t, case, "gradual_until").await.as_deref(),
        Some("2027-11-20")
    );
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("150100")
    );
    // After the gradual exit the workbench lists it, and the review stops it (收入超标).
    t.clock
        .set(minzheng::calendar::ManualClock::at_date("2027-11-21".parse().unwrap()).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["gradual_ended"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );
    assert_eq!(
        review(&t, &s.street, case, &[("found_work", "1")]).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("exited")
    );
    // The end of a gradual exit is an exit, not a removal (清退).
    assert_eq!(
        case_field(&t, case, "exit_reason").await.as_deref(),
        Some("gradual_end")
    );
    let outcomes: Vec<String> =
        sqlx::query("SELECT outcome FROM case_reviews WHERE case_id = $1 ORDER BY id")
            .bind(case)
            .fetch_all(t.database().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect();
    assert_eq!(outcomes, ["keep", "lower", "gradual", "stop"]);
    let explanation: String = sqlx::query(
        "SELECT explanation FROM case_reviews WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(case)
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert!(explanation.contains("≥ 城市低保标准"), "{explanation}");
    // A stopped case takes no review.
    assert_eq!(review(&t, &s.street, case, &[]).await, 409);
    t.finish().await;
}

async fn concurrent_approvals_keep_one_household_per_person(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // Two online applications naming the same spouse (online does not refuse them).
    let first = apply_online(&t, &family_form()).await;
    let mut other = family_form();
    set(&mut other, "m0_id", &id("1970-07-07", 77));
    set(&mut other, "m2_id", &id("2012-02-02", 88));
    let second = apply_online(&t, &other).await;
    to_notice(&t, &s, first).await;
    to_notice(&t, &s, second).await;
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let s = s.relogin(&t).await;
    let (a, b) = tokio::join!(
        act(&t, &s.approver, first, "approve", &[]),
        act(&t, &s.approver, second, "approve", &[])
    );
    let mut outcomes = [a, b];
    outcomes.sort();
    assert_eq!(outcomes, [303, 409], "exactly one approval wins");
    let active: i64 = sqlx::query("SELECT COUNT(*) FROM cases WHERE status = 'active'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(active, 1);
    t.finish().await;
}

/// Once the street has given its opinion the register is what was put to the public: it
/// stays as it is until the case is sent back to investigation (with reason); a form filled
/// from an older version of the household is refused, and nothing of it is stored.
async fn register_locked_in_notice_until_sent_back(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let case = apply_online(&t, &family_form()).await;
    to_notice(&t, &s, case).await;
    let h = household_of(&t, case).await;
    let spouse = member_id(&t, h, "李秀英").await;
    let before = income_count(&t, h).await;
    let r = add_income(&t, &s.street, h, &spouse, "零工", "800").await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("退回重新调查"), "{}", r.body);
    assert_eq!(income_count(&t, h).await, before, "nothing stored");
    // The community cannot send a case back; a reason is required.
    assert_eq!(
        act(&t, &s.community, case, "return", &[("reason", "x")]).await,
        403
    );
    assert_eq!(act(&t, &s.reviewer, case, "return", &[]).await, 422);
    assert_eq!(
        act(
            &t,
            &s.reviewer,
            case,
            "return",
            &[("reason", "公示期间群众反映配偶有零工收入")]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("investigating")
    );
    assert_eq!(case_field(&t, case, "recommend").await, None);
    assert_eq!(case_field(&t, case, "notice_until").await, None);
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("0"),
        "the opinion's result no longer stands"
    );
    // The new investigation starts from the last one's records, not from blank.
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(
        page.body
            .contains(">2026-11-30 入户，家中无贵重物品</textarea>"),
        "{}",
        page.body
    );
    // Now the register can be corrected.
    let r = add_income(&t, &s.street, h, &spouse, "零工", "800").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(income_count(&t, h).await, before + 1);
    // A form from before that change carries the old version: refused, nothing stored.
    let version: i64 = sqlx::query("SELECT version FROM households WHERE id = $1")
        .bind(h)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let old = (version - 1).to_string();
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/households/{h}/incomes"),
            &[
                ("member_id", spouse.as_str()),
                ("kind", "wage"),
                ("item", "工资"),
                ("monthly", "100"),
                ("months", "12"),
                ("version", old.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("已被他人修改"), "{}", r.body);
    assert_eq!(income_count(&t, h).await, before + 1);
    // Without a version at all: told what is missing.
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/households/{h}/incomes"),
            &[
                ("member_id", spouse.as_str()),
                ("kind", "wage"),
                ("item", "工资"),
                ("monthly", "100"),
                ("months", "12"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("版本号"), "{}", r.body);
    // The opinion is given again on the corrected facts, and published again.
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(act(&t, &s.street, case, "publish", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("notice")
    );
    t.finish().await;
}

/// 特困: the investigation records how the person is supported — at home or in a named
/// institution — and the approved amount follows the 特困 rules (urban standard 1,000:
/// 1.3 × 1,000 + 30% × 2,000 for 半失能 = 1,900 元).
async fn tekun_support_mode_recorded_at_investigation(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let mut form: Vec<(String, String)> = [
        ("community", COMMUNITY),
        ("program", "tekun"),
        ("m0_name", "孙德胜"),
        ("m0_relation", "本人"),
        ("m0_hukou", "urban"),
        ("m0_work", "lost"),
        ("m0_self_care", "partial"),
        ("reason", "独居老人，无收入，无赡养人"),
        ("declaration", "1"),
        ("consent", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    form.push(("m0_id".into(), id("1955-02-02", 71)));
    let case = apply_online(&t, &form).await;
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    let visit = [
        ("visit_record", "入户：独居"),
        ("verification_record", "核对无异常"),
    ];
    assert_eq!(
        act(&t, &s.community, case, "investigate", &visit).await,
        422,
        "the support mode is required for 特困"
    );
    let mut with_mode = visit.to_vec();
    with_mode.push(("support_mode", "institution"));
    assert_eq!(
        act(&t, &s.community, case, "investigate", &with_mode).await,
        422,
        "集中供养 names the institution"
    );
    with_mode.push(("support_facility", "幸福街道敬老院"));
    assert_eq!(
        act(&t, &s.community, case, "investigate", &with_mode).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "support_mode").await.as_deref(),
        Some("institution")
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(
        page.body.contains("集中供养：幸福街道敬老院"),
        "{}",
        page.body
    );
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(act(&t, &s.street, case, "publish", &[]).await, 303);
    t.clock.set(t.clock.now() + chrono::Duration::days(8));
    let s = s.relogin(&t).await;
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("190000")
    );
    t.finish().await;
}

/// A street with more reviews due than a page holds: the card counts them all, the list
/// shows fifty at a time, most urgent first, and the pages join up without a gap.
async fn reviews_due_come_fifty_to_a_page(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let mut roster = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n",
    );
    for h in 0..61u16 {
        roster.push_str(&format!(
            "P{h:03},低保,复核户{h},{},本人,是,{COMMUNITY},700,2026-07-15,在保,,\n",
            id("1958-03-03", 200 + h)
        ));
    }
    t.import_roster(&roster).await;
    // Due over the coming days, one a day (the import's own review dates lie further on).
    for h in 0..61i64 {
        sqlx::query(
            "UPDATE cases SET next_review_on = $1 WHERE household_id = \
             (SELECT id FROM households WHERE number = $2)",
        )
        .bind((crate::common::test_today() + Days::new(h as u64 % 29)).to_string())
        .bind(format!("P{h:03}"))
        .execute(t.database().pool())
        .await
        .unwrap();
    }
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let first = t.get_as(&street, "/api/v1/workbench").await.json();
    assert_eq!(first["reviews_due_total"], 61, "{first}");
    assert_eq!(first["reviews_pages"], 2);
    let second = t
        .get_as(&street, "/api/v1/workbench?reviews_page=2")
        .await
        .json();
    let ids = |w: &serde_json::Value| -> Vec<(String, i64)> {
        w["reviews_due"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["next_review_on"].as_str().unwrap().to_string(),
                    c["id"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!((a.len(), b.len()), (50, 11));
    let all: Vec<_> = a.iter().chain(b.iter()).cloned().collect();
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(all, sorted, "most urgent first, no case twice");
    // A page past the last shows the last; the page says where it is and links on.
    let past = t
        .get_as(&street, "/api/v1/workbench?reviews_page=99")
        .await
        .json();
    assert_eq!(ids(&past), b);
    let page = t.get_as(&street, "/assistance/workbench").await;
    assert!(page.body.contains("第 1 / 2 页"), "{}", page.body);
    assert!(page.body.contains("reviews_page=2"));
    t.finish().await;
}
