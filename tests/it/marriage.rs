//! Marriage registration through the API: every rule of DOMAIN.md §6 (ages on the 22nd
//! and 20th birthday, bigamy after a marriage, a divorce and a remarriage, the kinship
//! declaration, presence, sexes, reissue), the divorce cooling-off window on the injected
//! clock (day 30 refused, days 31 and 60 accepted, day 61 lapsed, withdrawal), and the
//! report's figures at the quarter's boundaries with imported records failing the audit.

use chrono::NaiveDate;
use minzheng::affairs::marriage_ledger;
use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::ids::IdNumber;
use minzheng::protect::SensitiveKind;
use serde_json::{Value, json};

use crate::common::{Backend, Session, TestApp, TestResponse};
use crate::on_both_backends;

on_both_backends!(
    marriage_rules_through_the_api,
    divorce_cooling_off_window,
    figures_at_quarter_boundaries_with_imported_failing_records,
    the_ledger_page_keeps_to_the_district,
);

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A valid ID: odd sequence = man, even = woman.
pub(crate) fn id(birth: &str, seq: u16) -> String {
    IdNumber::compose("369902", d(birth), seq)
        .unwrap()
        .as_str()
        .to_string()
}

pub(crate) fn couple(man: &str, woman: &str) -> Value {
    json!({"kind": "结婚", "man_name": "张伟", "man_id": man, "woman_name": "李娜", "woman_id": woman,
           "office": "369902", "both_present": "是", "kinship": "否"})
}

pub(crate) fn ok(r: TestResponse) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Refused with 422 naming the rule.
pub(crate) fn refused(r: TestResponse, rule: &str) {
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains(rule), "{rule}: {}", r.body);
}

pub(crate) const REGISTER: &str = "/api/v1/affairs/marriage/registrations";
pub(crate) const APPLY: &str = "/api/v1/affairs/marriage/divorce-applications";

async fn marriage_rules_through_the_api(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    // Today is 2026-11-29: born 2004-11-29 he is 22 today, born 2006-11-29 she is 20.
    let (man, woman) = (id("2004-11-29", 11), id("2006-11-29", 22));
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&id("2004-11-30", 13), &woman))
            .await,
        "男方年满22周岁",
    );
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&man, &id("2006-11-30", 24)))
            .await,
        "女方年满20周岁",
    );
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&man, &id("2000-01-01", 15)))
            .await,
        "一男一女",
    );
    let mut kin = couple(&man, &woman);
    kin["kinship"] = json!("是");
    refused(
        t.post_json_as(&desk, REGISTER, &kin).await,
        "无禁止结婚的亲属关系",
    );
    kin["kinship"] = json!("");
    refused(t.post_json_as(&desk, REGISTER, &kin).await, "亲属关系声明");
    let mut absent = couple(&man, &woman);
    absent["both_present"] = json!("否");
    refused(
        t.post_json_as(&desk, REGISTER, &absent).await,
        "双方亲自到场",
    );
    let mut bad = couple(&man, &woman);
    bad["man_id"] = json!("36990220041129001");
    refused(t.post_json_as(&desk, REGISTER, &bad).await, "男方身份证号");
    // A reissue without an original.
    let mut reissue = couple(&man, &woman);
    reissue["kind"] = json!("补领");
    refused(
        t.post_json_as(&desk, REGISTER, &reissue).await,
        "补领须有原登记",
    );
    // On the birthdays: registered.
    let made = ok(t.post_json_as(&desk, REGISTER, &couple(&man, &woman)).await);
    assert_eq!(made["certificate_no"], "J369902-2026-000001", "{made}");
    // Bigamy: either one with somebody else.
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&man, &id("1995-03-01", 26)))
            .await,
        "男方无配偶",
    );
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&id("1990-03-01", 17), &woman))
            .await,
        "女方无配偶",
    );
    // A marriage ends by death too: once the wife of another man is recorded cremated
    // (died yesterday), he may marry again.
    let (widower, late) = (id("1980-05-05", 31), id("1982-06-06", 32));
    ok(t.post_json_as(&desk, REGISTER, &couple(&widower, &late))
        .await);
    let other = id("1985-07-07", 34);
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&widower, &other))
            .await,
        "男方无配偶",
    );
    let sealed = t.app.state.keyring.seal(SensitiveKind::IdNumber, &late);
    sqlx::query(
        "INSERT INTO cremations (id_number_sealed, id_number_index, name, died_on, cremated_on, region_code, \
         created_by, created_at) VALUES ($1, $2, '李梅', '2026-11-28', '2026-11-29', '369902', 'test', '2026-11-29')",
    )
    .bind(&sealed.sealed)
    .bind(&sealed.index)
    .execute(t.database().pool())
    .await
    .unwrap();
    ok(t.post_json_as(&desk, REGISTER, &couple(&widower, &other))
        .await);
    // The reissue of their certificate, asked by one of them alone (presence is a rule of
    // the marriage only): a new J number.
    reissue["both_present"] = json!("否");
    let again = ok(t.post_json_as(&desk, REGISTER, &reissue).await);
    assert_eq!(again["certificate_no"], "J369902-2026-000004", "{again}");
    // A divorce application of two who are not spouses.
    refused(
        t.post_json_as(
            &desk,
            APPLY,
            &json!({"man_name": "张伟", "man_id": man, "woman_name": "王芳", "woman_id": id("1995-03-01", 26)}),
        )
        .await,
        "双方为登记在册的夫妻",
    );
    // The quarter's list: IDs masked, both 合格; the person found by a POST.
    let list = ok(t.get_as(&desk, REGISTER).await);
    assert_eq!(list["marriages"], 3, "{list}");
    assert_eq!(list["reissues"], 1, "{list}");
    assert_eq!(list["compliance_rate"], 100.0, "{list}");
    assert!(!list.to_string().contains(&man), "{list}");
    let person = ok(t
        .post_json_as(
            &desk,
            "/api/v1/affairs/marriage/find",
            &json!({"id_number": man}),
        )
        .await);
    assert_eq!(person["history"][0]["status_label"], "已婚", "{person}");
    assert_eq!(person["registrations"].as_array().unwrap().len(), 2);
    // The tables hold the IDs sealed: no plaintext, no birth date.
    for table in ["marriage_registrations", "marital_statuses"] {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(t.database().pool())
            .await
            .unwrap();
        for row in &rows {
            for i in 0..sqlx::Row::len(row) {
                if let Ok(Some(text)) = sqlx::Row::try_get::<Option<String>, _>(row, i) {
                    assert!(!text.contains(&man[..14]), "plaintext in {table}");
                }
            }
        }
    }
    // Refusals are audited.
    let failed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'marriage.marriage' AND outcome = 'failure'",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap();
    assert!(failed >= 6, "{failed}");
    // A counselling session, counted in the quarter.
    ok(t.post_json_as(
        &desk,
        "/api/v1/affairs/marriage/counselling",
        &json!({"topic": "离婚冷静期调解", "participants": "4", "held_on": "2026-11-20"}),
    )
    .await);
    let c = ok(t
        .get_as(&desk, "/api/v1/affairs/marriage/counselling")
        .await);
    assert_eq!(c["participants"], 4, "{c}");
    let late = t
        .post_json_as(
            &desk,
            "/api/v1/affairs/marriage/counselling",
            &json!({"topic": "x", "participants": "4", "held_on": "2026-12-01"}),
        )
        .await;
    refused(late, "辅导日期");
    // The city reads, but does not register; another district's desk does not see them.
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    assert_eq!(ok(t.get_as(&city, REGISTER).await)["marriages"], 3);
    let r = t.post_json_as(&city, REGISTER, &couple(&man, &woman)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(ok(t.get_as(&other, REGISTER).await)["marriages"], 0);
    t.finish().await;
}

/// Moves the clock to a day (noon, China time) and signs the desk in again.
pub(crate) async fn on(t: &TestApp, user: &crate::common::TestUser, day: &str) -> Session {
    t.clock.set(format!("{day}T04:00:00Z").parse().unwrap());
    t.login(user).await
}

async fn divorce_cooling_off_window(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let user = t
        .create_user("registry", Role::DistrictReviewer, "369902")
        .await;
    let desk = t.login(&user).await;
    // Five couples married today (2026-11-29); each applies for a divorce today.
    let couples: Vec<(String, String)> = (0..5u16)
        .map(|i| (id("1990-01-01", 101 + 2 * i), id("1992-01-01", 102 + 2 * i)))
        .collect();
    let mut apps = Vec::new();
    for (m, w) in &couples {
        ok(t.post_json_as(&desk, REGISTER, &couple(m, w)).await);
        let a = ok(t
            .post_json_as(
                &desk,
                APPLY,
                &json!({"man_name": "张伟", "man_id": m, "woman_name": "李娜", "woman_id": w}),
            )
            .await);
        apps.push(a["id"].as_i64().unwrap());
    }
    // A second application of the same couple while one is open.
    let (m0, w0) = &couples[0];
    let twice = t
        .post_json_as(
            &desk,
            APPLY,
            &json!({"man_name": "张伟", "man_id": m0, "woman_name": "李娜", "woman_id": w0}),
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    let complete = |i: usize| format!("{APPLY}/{}/complete", apps[i]);
    let withdraw = |i: usize| format!("{APPLY}/{}/withdraw", apps[i]);
    // Day 30 (2026-12-29): still cooling off; the fourth couple's wife withdraws. The page
    // offers 撤回 and not yet 办理离婚登记.
    let desk = on(&t, &user, "2026-12-29").await;
    assert_eq!(buttons(&t, &desk, apps[4]).await, (true, false), "day 30");
    refused(
        t.post_json_as(&desk, &complete(0), &json!({})).await,
        "离婚冷静期届满后方可办理",
    );
    ok(
        t.post_json_as(&desk, &withdraw(3), &json!({"party": "女方"}))
            .await,
    );
    // Day 31: the first couple divorces; the fifth may no longer withdraw (the page offers
    // only 办理离婚登记).
    let desk = on(&t, &user, "2026-12-30").await;
    assert_eq!(buttons(&t, &desk, apps[4]).await, (false, true), "day 31");
    let done = ok(t.post_json_as(&desk, &complete(0), &json!({})).await);
    assert_eq!(done["certificate_no"], "L369902-2026-000001", "{done}");
    refused(
        t.post_json_as(&desk, &withdraw(4), &json!({"party": "男方"}))
            .await,
        "冷静期内方可撤回",
    );
    // A withdrawn application cannot be completed.
    let r = t.post_json_as(&desk, &complete(3), &json!({})).await;
    assert_eq!(r.status, 409, "{}", r.body);
    // Divorced, he remarries; then he is married again and a third marriage is bigamy.
    let new_wife = id("1993-05-05", 202);
    let mut remarry = couple(m0, &new_wife);
    remarry["man_name"] = json!("张伟");
    ok(t.post_json_as(&desk, REGISTER, &remarry).await);
    refused(
        t.post_json_as(&desk, REGISTER, &couple(m0, &id("1994-06-06", 204)))
            .await,
        "男方无配偶",
    );
    // His former wife is free again too.
    ok(
        t.post_json_as(&desk, REGISTER, &couple(&id("1988-02-02", 301), w0))
            .await,
    );
    // Day 60 (2027-01-28): the second couple divorces; a 2027 number.
    let desk = on(&t, &user, "2027-01-28").await;
    let done = ok(t.post_json_as(&desk, &complete(1), &json!({})).await);
    assert_eq!(done["certificate_no"], "L369902-2027-000001", "{done}");
    // Day 61: the third has lapsed by itself (shown so), and completion is refused.
    let desk = on(&t, &user, "2027-01-29").await;
    let list = ok(t.get_as(&desk, &format!("{APPLY}?quarter=2026Q4")).await);
    let status = |id: i64| {
        list["applications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["status_label"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status(apps[2]), "已失效", "{list}");
    assert_eq!(status(apps[3]), "已撤回", "{list}");
    assert_eq!(status(apps[1]), "已办结", "{list}");
    assert_eq!(list["withdrawn_in_quarter"], 1, "{list}");
    refused(
        t.post_json_as(&desk, &complete(2), &json!({})).await,
        "冷静期届满后30日内办理",
    );
    let stored: String =
        sqlx::query_scalar("SELECT status FROM divorce_applications WHERE id = $1")
            .bind(apps[2])
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    assert_eq!(stored, "lapsed");
    // The third couple is still married: a new application is possible.
    let (m2, w2) = &couples[2];
    ok(t.post_json_as(
        &desk,
        APPLY,
        &json!({"man_name": "张伟", "man_id": m2, "woman_name": "李娜", "woman_id": w2}),
    )
    .await);
    t.finish().await;
}

/// Whether the page's row of an application offers 撤回 and 办理离婚登记.
async fn buttons(t: &TestApp, s: &Session, application: i64) -> (bool, bool) {
    let page = t.get_as(s, "/affairs/marriage?quarter=2026Q4").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page
        .body
        .find(&format!(r#"<tr id="application-{application}">"#))
        .unwrap_or_else(|| panic!("no row {application}: {}", page.body));
    let row = &page.body[start..];
    let row = &row[..row.find("</tr>").unwrap()];
    (
        row.contains(">撤回</button>"),
        row.contains(">办理离婚登记</button>"),
    )
}

pub(crate) const HEAD: &str = "登记类型,登记日期,证书编号,男方姓名,男方身份证号,女方姓名,女方身份证号,登记机关代码,离婚申请日期\n";

pub(crate) async fn import(
    t: &TestApp,
    csv: &str,
) -> Result<minzheng::ledger::checks::Imported, minzheng::ledger::ImportError> {
    let event = AuditEvent::new(
        t.clock.now_local(),
        &Actor::cli(),
        "ledger.import",
        "ledger",
        marriage_ledger::NAME,
    );
    marriage_ledger::import(
        t.database(),
        &t.app.state.keyring,
        "marriage-registrations.csv",
        csv.as_bytes(),
        t.clock.today(),
        &|_| true,
        false,
        &event,
    )
    .await
}

async fn report(t: &TestApp, s: &Session, quarter: &str, region: &str) -> Value {
    let r = t
        .get_as(
            s,
            &format!("/api/v1/reports/quarterly?quarter={quarter}&region={region}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["report"]["figures"].clone()
}

/// Historical records on 06-30, 07-01, 09-30 and 10-01: only the middle two are Q3's. Of
/// Q3's marriages and divorces one is under age, one bigamous, one divorce completed on
/// day 30 of its cooling-off: kept, marked 不合格, and counted in the rate. A 不合格 mark
/// does not undo a registration: the woman of the two failing marriages is, for the
/// registry, married (twice), so her third marriage is bigamous too.
async fn figures_at_quarter_boundaries_with_imported_failing_records(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (a, b) = (id("1990-01-01", 11), id("1992-01-01", 22));
    let (c, e) = (id("1991-01-01", 13), id("1993-01-01", 24));
    let young = id("2005-01-01", 15);
    let (f, g) = (id("1989-01-01", 17), id("1990-06-01", 26));
    let csv = format!(
        "{HEAD}结婚,2026-06-30,J369902-2026-000001,甲,{a},乙,{b},369902,\n\
         结婚,2026-07-01,J369902-2026-000002,丙,{c},丁,{e},369902,\n\
         结婚,2026-07-15,J369902-2026-000003,戊,{young},己,{g},369902,\n\
         结婚,2026-08-01,J369902-2026-000004,甲,{a},庚,{g},369902,\n\
         离婚,2026-09-30,L369902-2026-000001,丙,{c},丁,{e},369902,2026-08-31\n\
         结婚,2026-09-30,J369921-2026-000001,辛,{f},壬,{g},369921,\n\
         离婚,2026-10-01,L369902-2026-000002,甲,{a},乙,{b},369902,2026-08-20\n"
    );
    // A row that cannot be read (an unknown type, a registry not in the tree): nothing kept.
    let broken = format!(
        "{HEAD}复婚,2026-07-01,J369902-2026-000009,丙,{c},丁,{e},369902,\n\
         结婚,2026-07-01,J369999-2026-000001,丙,{c},丁,{e},369999,\n"
    );
    match import(&t, &broken).await {
        Err(minzheng::ledger::ImportError::Rejected(errors)) => {
            let cols: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
            assert_eq!(cols, ["登记类型", "登记机关代码"], "{errors:?}");
        }
        other => panic!("not refused: {other:?}"),
    }
    let done = import(&t, &csv).await.unwrap();
    assert_eq!(done.created, 7);
    // The same file again changes nothing.
    let again = import(&t, &csv).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 7));
    let marks: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT certificate_no, compliant, failed_rule FROM marriage_registrations ORDER BY certificate_no",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap();
    let mark = |cert: &str| {
        marks
            .iter()
            .find(|m| m.0 == cert)
            .map(|m| (m.1, m.2.clone().unwrap_or_default()))
            .unwrap()
    };
    assert_eq!(mark("J369902-2026-000001").0, 1, "{marks:?}");
    assert_eq!(mark("J369902-2026-000002").0, 1, "{marks:?}");
    assert!(
        mark("J369902-2026-000003").1.contains("男方年满22周岁"),
        "{marks:?}"
    );
    // 甲 was married to 乙 since 06-30: bigamy. 己/庚 (g) had married the under-age man.
    assert!(
        mark("J369902-2026-000004").1.contains("男方无配偶"),
        "{marks:?}"
    );
    // Applied 08-31, completed 09-30: day 30 of the cooling-off.
    assert!(
        mark("L369902-2026-000001").1.contains("离婚冷静期"),
        "{marks:?}"
    );
    // g's two earlier marriages (to the under-age man, then to 甲 who was married) both
    // failed the audit but stand until voided: g was married on 09-30.
    assert!(
        mark("J369921-2026-000001").1.contains("女方无配偶"),
        "{marks:?}"
    );
    assert_eq!(mark("L369902-2026-000002").0, 1, "{marks:?}");
    let admin = t.signed_in(Role::CityAdmin, "369900").await;
    let q3 = report(&t, &admin, "2026Q3", "369900").await;
    assert_eq!(q3["marriages"], 4, "{q3}");
    assert_eq!(q3["divorces"], 1, "{q3}");
    // 1 of 5 合格 (07-01's marriage); 甲/乙's divorce on 10-01 is Q4's and 合格 (applied
    // 08-20, day 42; 甲 is married to 乙 — and to g).
    assert_eq!(q3["registration_compliance_rate"], 20.0, "{q3}");
    let east = report(&t, &admin, "2026Q3", "369902").await;
    assert_eq!(east["marriages"], 3, "{east}");
    assert_eq!(east["registration_compliance_rate"], 25.0, "{east}");
    let q4 = report(&t, &admin, "2026Q4", "369900").await;
    assert_eq!(
        (q4["marriages"].clone(), q4["divorces"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(q4["registration_compliance_rate"], 100.0, "{q4}");
    let q2 = report(&t, &admin, "2026Q2", "369900").await;
    assert_eq!(q2["registration_compliance_rate"], 100.0, "{q2}");
    let q1 = report(&t, &admin, "2026Q1", "369900").await;
    assert!(q1["registration_compliance_rate"].is_null(), "{q1}");
    assert_eq!(q1["marriages"], 0);
    // Below a district there is no registry: no figure.
    let street = report(&t, &admin, "2026Q3", "369902001").await;
    assert!(street["marriages"].is_null(), "{street}");
    // The export imports back unchanged.
    let rows = marriage_ledger::export(
        t.database(),
        &t.app.state.keyring,
        &("3699".into(), "3699:".into()),
    )
    .await
    .unwrap();
    let mut back = marriage_ledger::headers().join(",");
    for r in &rows {
        back.push('\n');
        back.push_str(&r.join(","));
    }
    let again = import(&t, &back).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 7));
    t.finish().await;
}

async fn upload(t: &TestApp, s: &Session, file: &str) -> TestResponse {
    let (content_type, body) =
        crate::assistance_pages::multipart(&s.csrf, marriage_ledger::NAME, file, false);
    t.request(
        axum::http::Request::post("/affairs/marriage/ledgers")
            .header("content-type", content_type)
            .header("cookie", &s.cookie)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

/// The upload page: another district's registry refused; a failing record kept and
/// marked; the city, which only reads, may not import.
async fn the_ledger_page_keeps_to_the_district(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let (young, w) = (id("2006-01-01", 11), id("1999-01-01", 22));
    let page = t.get_as(&desk, "/affairs/marriage/ledgers").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("婚姻登记记录"), "{}", page.body);
    let theirs = format!("{HEAD}结婚,2026-08-01,J369921-2026-000001,甲,{young},乙,{w},369921,\n");
    let r = upload(&t, &desk, &theirs).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("不在您的管辖范围内"), "{}", r.body);
    let ours = format!("{HEAD}结婚,2026-08-01,J369902-2026-000001,甲,{young},乙,{w},369902,\n");
    let r = upload(&t, &desk, &ours).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list = ok(t
        .get_as(
            &desk,
            "/api/v1/affairs/marriage/registrations?quarter=2026Q3",
        )
        .await);
    let reg = &list["registrations"][0];
    assert_eq!(reg["compliance"], "不合格", "{list}");
    assert_eq!(reg["imported"], true, "{list}");
    assert!(
        reg["failed_rule"]
            .as_str()
            .unwrap()
            .contains("男方年满22周岁"),
        "{list}"
    );
    assert_eq!(list["compliance_rate"], 0.0, "{list}");
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    assert_eq!(upload(&t, &city, &ours).await.status, 403);
    t.finish().await;
}
