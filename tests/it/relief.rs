//! Help for people living rough: patrols, a station case from intake through care and
//! family search to its departure, stays over ten days flagged (injected clock), and the
//! quarter's figures at its boundaries, on both backends.

use minzheng::auth::Role;
use minzheng::ids::IdNumber;
use serde_json::json;
use sqlx::Row;

use crate::common::{Backend, Session, TestApp};
use crate::on_both_backends;

on_both_backends!(station_cases_patrols_and_figures);
on_both_backends!(figures_at_the_quarter_boundaries);
on_both_backends!(identity_found_later_and_one_open_case_per_person);
on_both_backends!(the_list_shows_ids_masked_and_case_views_are_audited);
on_both_backends!(missing_fields_are_named_and_nothing_is_stored);
on_both_backends!(pages_offer_regions_make_the_outcome_chosen_and_flag_long_stays);

fn ok(r: crate::common::TestResponse) -> serde_json::Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn intake(t: &TestApp, s: &Session, day: &str, name: &str, id_number: &str) -> i64 {
    ok(t.post_json_as(
        s,
        "/api/v1/relief/cases",
        &json!({"region_code": "369902", "intake_on": day, "name": name, "id_number": id_number,
                "sex": "unknown", "group": "老年人"}),
    )
    .await)["id"]
        .as_i64()
        .unwrap()
}

async fn depart(
    t: &TestApp,
    s: &Session,
    id: i64,
    day: &str,
    outcome: &str,
) -> crate::common::TestResponse {
    let case = ok(t.get_as(s, &format!("/api/v1/relief/cases/{id}")).await);
    t.post_json_as(
        s,
        &format!("/api/v1/relief/cases/{id}/departure"),
        &json!({"version": case["case"]["version"], "left_on": day, "outcome": outcome}),
    )
    .await
}

async fn station_cases_patrols_and_figures(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let station = t.signed_in(Role::DistrictReviewer, "369902").await;
    // A patrol: more brought in than met is refused.
    let bad = t
        .post_json_as(
            &station,
            "/api/v1/relief/patrols",
            &json!({"patrolled_on": "2026-09-30", "region_code": "369902001", "area": "火车站广场", "staff": "王五",
                    "people_met": "2", "brought_in": "3"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    ok(t.post_json_as(
        &station,
        "/api/v1/relief/patrols",
        &json!({"patrolled_on": "2026-09-30", "region_code": "369902001", "area": "火车站广场", "staff": "王五",
                "people_met": "3", "brought_in": "2"}),
    )
    .await);
    // Q3: in on 06-30 and left 07-02 (returned: Q3's return, Q2's intake); in on 07-01,
    // unknown, family found, reunited on 09-30 (91 days: a long stay); in on 09-20, 10
    // days at 09-30 (not long) and left 10-05 (15 days: a long stay, but Q4's).
    let june = intake(&t, &station, "2026-06-30", "张某", "").await;
    let july = intake(&t, &station, "2026-07-01", "无名氏（男，约 70 岁）", "").await;
    let sept = intake(&t, &station, "2026-09-20", "李某", "").await;
    ok(depart(&t, &station, june, "2026-07-02", "returned").await);
    // Reunited needs the family found first.
    let early = depart(&t, &station, july, "2026-09-30", "reunited").await;
    assert_eq!(early.status, 422, "{}", early.body);
    assert!(early.body.contains("已找到亲属"), "{}", early.body);
    let case = ok(t
        .get_as(&station, &format!("/api/v1/relief/cases/{july}"))
        .await);
    ok(t.post_json_as(
        &station,
        &format!("/api/v1/relief/cases/{july}/care"),
        &json!({"version": case["case"]["version"], "services": "food,lodging,family_search,medical", "family_search": "found"}),
    )
    .await);
    ok(depart(&t, &station, july, "2026-09-30", "reunited").await);
    ok(depart(&t, &station, sept, "2026-10-05", "returned").await);
    let q3 = ok(t.get_as(&station, "/api/v1/relief?quarter=2026Q3").await);
    let f = &q3["figures"];
    assert_eq!(
        (
            f["helped"].as_i64(),
            f["returned"].as_i64(),
            f["reunited"].as_i64(),
            f["long_stays"].as_i64()
        ),
        (Some(2), Some(1), Some(1), Some(1)),
        "{f}"
    );
    assert_eq!(
        (f["patrols"].as_i64(), f["brought_in"].as_i64()),
        (Some(1), Some(2))
    );
    let q4 = ok(t.get_as(&station, "/api/v1/relief?quarter=2026Q4").await);
    assert_eq!(q4["figures"]["returned"], 1);
    assert_eq!(q4["figures"]["long_stays"], 1, "{}", q4["figures"]);

    // Still at the station: flagged the day its stay passes ten days.
    let now = intake(&t, &station, "2026-11-20", "王某", "11010519491231002X").await;
    let case = ok(t
        .get_as(&station, &format!("/api/v1/relief/cases/{now}"))
        .await);
    assert_eq!(
        (
            case["case"]["stay_days"].as_i64(),
            case["case"]["long_stay"].as_bool()
        ),
        (Some(9), Some(false))
    );
    assert!(case["id_masked"].as_str().unwrap().contains('*'));
    assert!(case["case"]["id_sealed"].is_null());
    t.clock.set("2026-12-02T02:00:00Z".parse().unwrap());
    let station = t.signed_in(Role::DistrictApprover, "369902").await;
    let case = ok(t
        .get_as(&station, &format!("/api/v1/relief/cases/{now}"))
        .await);
    assert_eq!(
        (
            case["case"]["stay_days"].as_i64(),
            case["case"]["long_stay"].as_bool()
        ),
        (Some(12), Some(true))
    );
    // Another district sees nothing of it.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/api/v1/relief/cases/{now}"))
            .await
            .status,
        404
    );
    t.finish().await;
}

async fn case_of(t: &TestApp, s: &Session, id: i64) -> serde_json::Value {
    ok(t.get_as(s, &format!("/api/v1/relief/cases/{id}")).await)["case"].clone()
}

async fn found(t: &TestApp, s: &Session, id: i64) {
    let version = case_of(t, s, id).await["version"].clone();
    ok(t.post_json_as(
        s,
        &format!("/api/v1/relief/cases/{id}/care"),
        &json!({"version": version, "services": "food,lodging", "family_search": "found"}),
    )
    .await);
}

async fn figures(t: &TestApp, s: &Session, quarter: &str) -> (i64, i64, i64, i64) {
    let f = ok(t
        .get_as(s, &format!("/api/v1/relief?quarter={quarter}"))
        .await)["figures"]
        .clone();
    let n = |k: &str| f[k].as_i64().unwrap();
    (n("helped"), n("returned"), n("reunited"), n("long_stays"))
}

/// Worked example (people helped, returned home, reunited, long stays per quarter):
/// a  in 06-30 (Q2's last day), returned 07-01     → Q2 helped; Q3 returned
/// b  in 07-01, returned 09-30 (Q3's last day)      → Q3 helped, returned, long (91 days)
/// c  in 09-19, reunited 10-01                      → Q3 helped, long (11 days on 09-30);
///                                                    Q4 reunited, long (12 days)
/// d  in 09-20, returned 10-01                      → Q3 helped (10 days on 09-30: not long);
///                                                    Q4 returned, long (11 days)
/// e  in 09-30, left by themself 09-30              → Q3 helped
/// f  in 10-01 (Q4's first day), reunited 10-03     → Q4 helped, reunited
async fn figures_at_the_quarter_boundaries(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::DistrictReviewer, "369902").await;
    let a = intake(&t, &s, "2026-06-30", "甲", "").await;
    let b = intake(&t, &s, "2026-07-01", "乙", "").await;
    let c = intake(&t, &s, "2026-09-19", "丙", "").await;
    let d = intake(&t, &s, "2026-09-20", "丁", "").await;
    let e = intake(&t, &s, "2026-09-30", "戊", "").await;
    let f = intake(&t, &s, "2026-10-01", "己", "").await;
    ok(depart(&t, &s, a, "2026-07-01", "returned").await);
    ok(depart(&t, &s, b, "2026-09-30", "returned").await);
    found(&t, &s, c).await;
    ok(depart(&t, &s, c, "2026-10-01", "reunited").await);
    ok(depart(&t, &s, d, "2026-10-01", "returned").await);
    ok(depart(&t, &s, e, "2026-09-30", "self_left").await);
    found(&t, &s, f).await;
    ok(depart(&t, &s, f, "2026-10-03", "reunited").await);
    assert_eq!(figures(&t, &s, "2026Q2").await, (1, 0, 0, 0));
    assert_eq!(figures(&t, &s, "2026Q3").await, (4, 2, 0, 2));
    assert_eq!(figures(&t, &s, "2026Q4").await, (1, 1, 2, 2));
    // The stays as the case pages show them, flagged over ten days.
    let c = case_of(&t, &s, c).await;
    assert_eq!(
        (c["stay_days"].as_i64(), c["long_stay"].as_bool()),
        (Some(12), Some(true))
    );
    let e = case_of(&t, &s, e).await;
    assert_eq!(
        (e["stay_days"].as_i64(), e["long_stay"].as_bool()),
        (Some(0), Some(false))
    );
    // A found family marks the 寻亲 service given even when the box was not ticked.
    assert_eq!(
        c["services"],
        json!(["food", "lodging", "family_search"]),
        "{c}"
    );
    t.finish().await;
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn add_identity(
    t: &TestApp,
    s: &Session,
    id: i64,
    name: &str,
    id_number: &str,
) -> crate::common::TestResponse {
    let version = case_of(t, s, id).await["version"].clone();
    t.post_json_as(
        s,
        &format!("/api/v1/relief/cases/{id}/identity"),
        &json!({"version": version, "name": name, "id_number": id_number}),
    )
    .await
}

async fn identity_found_later_and_one_open_case_per_person(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::DistrictReviewer, "369902").await;
    // Born 1950-03-01, sequence 022 (even: a woman): 76 at intake.
    let liu = IdNumber::compose("110105", "1950-03-01".parse().unwrap(), 22).unwrap();
    let liu = liu.as_str().to_string();
    let last = liu.chars().last().unwrap();
    let wrong_check = format!("{}{}", &liu[..17], if last == '0' { '1' } else { '0' });
    let unknown = intake(&t, &s, "2026-11-20", "无名氏（女，约 70 岁）", "").await;

    // Bad input is named and changes nothing.
    let r = add_identity(&t, &s, unknown, "刘桂兰", &wrong_check).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("身份证号") && r.body.contains("校验"),
        "{}",
        r.body
    );
    let r = add_identity(&t, &s, unknown, " ", &liu).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("「姓名」"), "{}", r.body);
    let r = add_identity(&t, &s, unknown, "刘桂兰", "").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("「身份证号」"), "{}", r.body);
    let c = case_of(&t, &s, unknown).await;
    assert_eq!(
        (
            c["identity_known"].as_bool(),
            c["version"].as_i64(),
            c["name"].as_str()
        ),
        (Some(false), Some(1), Some("无名氏（女，约 70 岁）"))
    );

    // 补录身份: the name, the sealed ID (masked on the page), the sex from the card; audited
    // without the number itself.
    let r = add_identity(&t, &s, unknown, "刘桂兰", &liu).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = ok(t
        .get_as(&s, &format!("/api/v1/relief/cases/{unknown}"))
        .await);
    assert_eq!(
        (
            v["case"]["identity_known"].as_bool(),
            v["case"]["name"].as_str(),
            v["case"]["sex_label"].as_str(),
            v["case"]["version"].as_i64()
        ),
        (Some(true), Some("刘桂兰"), Some("女"), Some(2))
    );
    assert_eq!(v["id_masked"].as_str().unwrap().len(), 18);
    assert!(v["id_masked"].as_str().unwrap().contains('*'));
    assert!(!v.to_string().contains(&liu));
    let sealed: String = sqlx::query("SELECT id_number_sealed FROM relief_cases WHERE id = $1")
        .bind(unknown)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(!sealed.contains(&liu[6..14]), "stored in clear: {sealed}");
    let details: String = sqlx::query(
        "SELECT details FROM audit_log WHERE action = 'relief.case.identity' AND object_id = $1",
    )
    .bind(unknown.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert!(
        details.contains("刘桂兰") && !details.contains(&liu),
        "{details}"
    );

    // The same person again while she is at the station: refused, the case named for
    // whoever may see it, nothing named for another district.
    let cases_before = count(&t, "SELECT COUNT(*) FROM relief_cases").await;
    let again = t
        .post_json_as(
            &s,
            "/api/v1/relief/cases",
            &json!({"region_code": "369902001", "intake_on": "2026-11-29", "name": "刘桂兰", "id_number": liu,
                    "sex": "female", "group": "elderly"}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again
            .body
            .contains(&format!("救助对象 {unknown}「刘桂兰」"))
            && again.body.contains("2026-11-20"),
        "{}",
        again.body
    );
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    let elsewhere = t
        .post_json_as(
            &other,
            "/api/v1/relief/cases",
            &json!({"region_code": "369921", "intake_on": "2026-11-29", "name": "刘桂兰", "id_number": liu,
                    "sex": "unknown", "group": "elderly"}),
        )
        .await;
    assert_eq!(elsewhere.status, 409, "{}", elsewhere.body);
    assert!(elsewhere.body.contains("其他救助站"), "{}", elsewhere.body);
    assert!(
        !elsewhere.body.contains("刘桂兰")
            && !elsewhere.body.contains(&format!("救助对象 {unknown}"))
    );
    // Nor may 补录身份 give another open case the same person.
    let second = intake(&t, &s, "2026-11-25", "无名氏（女，约 75 岁）", "").await;
    let twice = add_identity(&t, &s, second, "刘桂兰", &liu).await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert!(
        twice.body.contains("不能补录身份") && twice.body.contains(&format!("救助对象 {unknown}")),
        "{}",
        twice.body
    );
    assert_eq!(case_of(&t, &s, second).await["identity_known"], false);
    // A known identity must agree with the group and the sex.
    let boy = IdNumber::compose("369902", "2010-05-01".parse().unwrap(), 11).unwrap();
    let wrong_group = t
        .post_json_as(
            &s,
            "/api/v1/relief/cases",
            &json!({"region_code": "369902", "intake_on": "2026-11-29", "name": "小明", "id_number": boy.as_str(),
                    "sex": "male", "group": "other"}),
        )
        .await;
    assert_eq!(wrong_group.status, 422, "{}", wrong_group.body);
    assert!(
        wrong_group.body.contains("未成年人"),
        "{}",
        wrong_group.body
    );
    let wrong_sex = t
        .post_json_as(
            &s,
            "/api/v1/relief/cases",
            &json!({"region_code": "369902", "intake_on": "2026-11-29", "name": "小明", "id_number": boy.as_str(),
                    "sex": "female", "group": "minor"}),
        )
        .await;
    assert_eq!(wrong_sex.status, 422, "{}", wrong_sex.body);
    assert!(wrong_sex.body.contains("「性别」"), "{}", wrong_sex.body);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM relief_cases").await,
        cases_before + 1
    );

    // Once she has left, her case is closed to 补录身份, and she may come again.
    ok(depart(&t, &s, unknown, "2026-11-28", "returned").await);
    let closed = add_identity(&t, &s, unknown, "刘桂兰", &liu).await;
    assert_eq!(closed.status, 409, "{}", closed.body);
    assert!(closed.body.contains("2026-11-28 离站"), "{}", closed.body);
    ok(add_identity(&t, &s, second, "刘桂兰", &liu).await);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'relief.case.identity'"
        )
        .await,
        2
    );
    t.finish().await;
}

async fn views(t: &TestApp, id: i64) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'relief.case.view' AND object_type = 'relief_case' \
         AND object_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap()
}

async fn the_list_shows_ids_masked_and_case_views_are_audited(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::DistrictReviewer, "369902").await;
    let number = "11010519491231002X";
    let known = intake(&t, &s, "2026-11-20", "王某", number).await;
    let unknown = intake(&t, &s, "2026-11-21", "无名氏（男，约 50 岁）", "").await;
    let sealed: String = sqlx::query("SELECT id_number_sealed FROM relief_cases WHERE id = $1")
        .bind(known)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();

    // The list (API and page): no sealed value, no clear number, the ID masked.
    let list = t.get_as(&s, "/api/v1/relief").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(!list.body.contains(&sealed), "sealed ID in the list");
    assert!(!list.body.contains("id_sealed"), "{}", list.body);
    assert!(!list.body.contains(number), "clear ID in the list");
    let cases = list.json()["cases"].as_array().unwrap().clone();
    let row = |id: i64| cases.iter().find(|c| c["id"] == id).unwrap().clone();
    let masked = row(known)["id_masked"].as_str().unwrap().to_string();
    assert_eq!(masked.chars().count(), 18, "{masked}");
    assert!(
        masked.contains('*') && masked.starts_with("1101"),
        "{masked}"
    );
    assert_eq!(row(unknown)["id_masked"], "");
    let page = t.get_as(&s, "/relief").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&masked) && !page.body.contains(number));
    assert!(!page.body.contains(&sealed));

    // Viewing a case, on the API and the page, is audited; a list is not a case view,
    // and a case refused to another district is not a view either.
    assert_eq!(views(&t, known).await, 0);
    let v = t.get_as(&s, &format!("/api/v1/relief/cases/{known}")).await;
    assert_eq!(v.status, 200);
    assert!(!v.body.contains(&sealed) && !v.body.contains("id_sealed"));
    assert_eq!(views(&t, known).await, 1);
    let p = t.get_as(&s, &format!("/relief/cases/{known}")).await;
    assert_eq!(p.status, 200);
    assert_eq!(views(&t, known).await, 2);
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/relief/cases/{known}"))
            .await
            .status,
        404
    );
    assert_eq!(views(&t, known).await, 2);
    assert_eq!(views(&t, unknown).await, 0);
    let who: String = sqlx::query(
        "SELECT username FROM audit_log WHERE action = 'relief.case.view' ORDER BY seq DESC",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(who, "districtreviewer369902");
    t.finish().await;
}

/// Posts `full` without `field` (JSON): refused with the field named in Chinese.
async fn refused_without(
    t: &TestApp,
    s: &Session,
    path: &str,
    full: &serde_json::Value,
    field: &str,
    label: &str,
) {
    let mut body = full.clone();
    body.as_object_mut().unwrap().remove(field);
    let r = t.post_json_as(s, path, &body).await;
    assert_eq!(r.status, 422, "{field}: {}", r.body);
    assert!(
        r.body.contains(&format!("「{label}」")),
        "{field}: {}",
        r.body
    );
    assert!(!r.body.contains("deserialize"), "{field}: {}", r.body);
}

async fn missing_fields_are_named_and_nothing_is_stored(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::DistrictReviewer, "369902").await;
    let patrol = json!({"patrolled_on": "2026-11-28", "region_code": "369902001", "area": "火车站广场",
                        "staff": "王五", "people_met": 3, "brought_in": 1});
    for (field, label) in [
        ("patrolled_on", "巡查日期"),
        ("region_code", "巡查区划"),
        ("area", "巡查区域"),
        ("staff", "巡查人员"),
        ("people_met", "发现人数"),
        ("brought_in", "护送入站人数"),
    ] {
        refused_without(&t, &s, "/api/v1/relief/patrols", &patrol, field, label).await;
    }
    // The page's form is read the same way.
    let form = t
        .post_as(
            &s,
            "/relief/patrols",
            &[("patrolled_on", "2026-11-28"), ("region_code", "369902001")],
        )
        .await;
    assert_eq!(form.status, 422, "{}", form.body);
    assert!(form.body.contains("「巡查区域」"), "{}", form.body);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM relief_patrols").await, 0);

    let person = json!({"region_code": "369902", "intake_on": "2026-11-28", "name": "张某",
                        "sex": "male", "group": "other"});
    for (field, label) in [
        ("region_code", "救助站所在区划"),
        ("intake_on", "入站日期"),
        ("name", "姓名"),
        ("sex", "性别"),
        ("group", "类别"),
    ] {
        refused_without(&t, &s, "/api/v1/relief/cases", &person, field, label).await;
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM relief_cases").await, 0);

    let id = ok(t.post_json_as(&s, "/api/v1/relief/cases", &person).await)["id"]
        .as_i64()
        .unwrap();
    let care = json!({"version": 1, "services": "food,medical", "family_search": "searching"});
    let path = format!("/api/v1/relief/cases/{id}/care");
    refused_without(&t, &s, &path, &care, "version", "version").await;
    refused_without(&t, &s, &path, &care, "family_search", "寻亲情况").await;
    let leave = json!({"version": 1, "left_on": "2026-11-29", "outcome": "returned"});
    let path = format!("/api/v1/relief/cases/{id}/departure");
    refused_without(&t, &s, &path, &leave, "version", "version").await;
    refused_without(&t, &s, &path, &leave, "left_on", "离站日期").await;
    refused_without(&t, &s, &path, &leave, "outcome", "结果").await;
    // An empty outcome (the page's 「请选择」) is refused, naming the choices.
    let empty = t
        .post_json_as(
            &s,
            &path,
            &json!({"version": 1, "left_on": "2026-11-29", "outcome": ""}),
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert!(
        empty.body.contains("「结果」") && empty.body.contains("自行离站"),
        "{}",
        empty.body
    );
    // 长期滞留 is not a way of leaving.
    let long = t
        .post_json_as(
            &s,
            &path,
            &json!({"version": 1, "left_on": "2026-11-29", "outcome": "long_stay"}),
        )
        .await;
    assert_eq!(long.status, 422, "{}", long.body);
    let who = json!({"version": 1, "name": "张三", "id_number": "11010519491231002X"});
    let path = format!("/api/v1/relief/cases/{id}/identity");
    refused_without(&t, &s, &path, &who, "version", "version").await;
    // Nothing changed on the case.
    let c = case_of(&t, &s, id).await;
    assert_eq!(
        (
            c["version"].as_i64(),
            c["left_on"].is_null(),
            c["identity_known"].as_bool(),
            c["family_search"].as_str()
        ),
        (Some(1), true, Some(false), Some("none")),
        "{c}"
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('relief.patrol.record', 'relief.case.care', \
             'relief.case.depart', 'relief.case.identity')"
        )
        .await,
        0
    );
    t.finish().await;
}

async fn pages_offer_regions_make_the_outcome_chosen_and_flag_long_stays(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = t.signed_in(Role::DistrictReviewer, "369902").await;
    // Regions to choose from, the user's own only, named by their path.
    let page = t.get_as(&s, "/relief").await;
    assert_eq!(page.status, 200);
    for form in ["intake-form", "patrol-form"] {
        let at = page.body.find(&format!("id=\"{form}\"")).unwrap();
        let rest = &page.body[at..];
        let form_html = &rest[..rest.find("</form>").unwrap()];
        assert!(
            form_html.contains(
                "<select name=\"region_code\" required><option value=\"\">请选择</option>"
            ),
            "{form_html}"
        );
        assert!(
            form_html
                .contains("<option value=\"369902001001\">东湖区 / 解放街道 / 幸福社区</option>"),
            "{form_html}"
        );
        assert!(form_html.contains("value=\"369902\""), "{form_html}");
        assert!(!form_html.contains("369921"), "{form_html}");
        assert!(!form_html.contains("369900"), "{form_html}");
    }

    // a: in 11-10, still there on 11-29 (19 days): 长期滞留. b: in 11-25 (4 days).
    // c: in 11-01, returned 11-20 (19 days, over the normal stay, but left).
    let a = intake(&t, &s, "2026-11-10", "甲", "").await;
    let b = intake(&t, &s, "2026-11-25", "乙", "").await;
    let c = intake(&t, &s, "2026-11-01", "丙", "").await;
    ok(depart(&t, &s, c, "2026-11-20", "returned").await);
    let flags = |v: serde_json::Value| {
        (
            v["stay_days"].as_i64().unwrap(),
            v["long_stay"].as_bool().unwrap(),
            v["long_stay_open"].as_bool().unwrap(),
        )
    };
    assert_eq!(flags(case_of(&t, &s, a).await), (19, true, true));
    assert_eq!(flags(case_of(&t, &s, b).await), (4, false, false));
    assert_eq!(flags(case_of(&t, &s, c).await), (19, true, false));
    let list = t.get_as(&s, "/relief").await.body;
    assert_eq!(
        list.matches("<span class=\"tag rest\">长期滞留</span>")
            .count(),
        1,
        "{list}"
    );
    let row_of = |name: &str| {
        let at = list.find(&format!(">{name}</a>")).unwrap();
        list[at..at + list[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(row_of("甲").contains("长期滞留"));
    assert!(!row_of("乙").contains("长期滞留"));
    assert!(!row_of("丙").contains("长期滞留") && row_of("丙").contains("返乡"));
    let page_a = t.get_as(&s, &format!("/relief/cases/{a}")).await.body;
    assert!(page_a.contains("长期滞留：在站超过 10 天"), "{page_a}");
    // The departure form makes the caseworker choose the outcome, 长期滞留 not offered.
    let at = page_a.find("id=\"departure-form\"").unwrap();
    let departure = &page_a[at..at + page_a[at..].find("</form>").unwrap()];
    assert!(
        departure.contains(
            "<select name=\"outcome\" required><option value=\"\" selected>请选择</option>"
        ),
        "{departure}"
    );
    assert!(!departure.contains("long_stay") && !departure.contains(" selected>返乡"));
    let page_b = t.get_as(&s, &format!("/relief/cases/{b}")).await.body;
    assert!(!page_b.contains("长期滞留"), "{page_b}");
    let page_c = t.get_as(&s, &format!("/relief/cases/{c}")).await.body;
    assert!(!page_c.contains("长期滞留") && page_c.contains("返乡"));
    t.finish().await;
}
