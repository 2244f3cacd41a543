//! The JSON API twins of the register, temporary-assistance and policy pages: the same
//! rules, versions and messages, answered in JSON.

use chrono::NaiveDate;
use minzheng::assistance::import::import_roster;
use minzheng::auth::Role;
use minzheng::ids::IdNumber;
use serde_json::json;
use sqlx::Row;

use crate::common::{Backend, TestApp, cli_event, test_today};
use crate::on_both_backends;

on_both_backends!(
    register_changes_through_the_api,
    temporary_grants_through_the_api,
    policy_through_the_api,
    a_surname_search_counts_up_to_the_cap,
);

const COMMUNITY: &str = "369902001001";

fn id(seq: u16, year: i32) -> String {
    IdNumber::compose("369902", NaiveDate::from_ymd_opt(year, 3, 15).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// A roster file imported as `minzheng import assistance-roster` does.
async fn import(t: &TestApp, file: &str) {
    import_roster(
        t.database(),
        &t.app.state.keyring,
        "r.csv",
        file.as_bytes(),
        test_today(),
        false,
        &cli_event("ledger.import"),
    )
    .await
    .unwrap();
}

/// One active 低保 household of two, imported; its id.
async fn household(t: &TestApp) -> i64 {
    let file = format!(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n\
         H001,低保,张伟,{},本人,是,{COMMUNITY},1200,2026-07-15,在保,,\n\
         H001,低保,李娜,{},配偶,是,{COMMUNITY},,2026-07-15,在保,,\n",
        id(11, 1981),
        id(22, 1983)
    );
    import(t, &file).await;
    sqlx::query("SELECT id FROM households WHERE number = 'H001'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn register_changes_through_the_api(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let h = household(&t).await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let r = t
        .get_as(&street, &format!("/api/v1/households/{h}/registry"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reg = r.json();
    let version = reg["version"].as_i64().unwrap();
    // Incomes and disabilities were shown: the view is audited.
    let views: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'household.view' AND object_id = $1",
    )
    .bind(h.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(views, 1);
    let spouse = reg["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "李娜")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let income = json!({
        "member_id": spouse, "kind": "wage", "item": "工资", "monthly": "1500", "months": "12",
        "version": version,
    });
    let path = format!("/api/v1/households/{h}/incomes");
    let r = t.post_json_as(&street, &path, &income).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["version"], version + 1);
    // The same body again carries the old version: refused, in JSON, nothing stored.
    let r = t.post_json_as(&street, &path, &income).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("已被他人修改"), "{}", r.body);
    // Bad input names the field.
    let mut bad = income.clone();
    bad["months"] = json!("13");
    bad["version"] = json!(version + 1);
    let r = t.post_json_as(&street, &path, &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("月数"), "{}", r.body);
    let reg = t
        .get_as(&street, &format!("/api/v1/households/{h}/registry"))
        .await
        .json();
    let incomes: Vec<&serde_json::Value> = reg["members"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["incomes"].as_array().unwrap())
        .collect();
    assert_eq!(incomes.len(), 1, "{reg}");
    assert_eq!(incomes[0]["monthly"], "1,500.00");
    // A member's facts, through the API.
    let r = t
        .post_json_as(
            &street,
            &format!("/api/v1/households/{h}/members/{spouse}"),
            &json!({
                "work_capacity": "lost", "self_care": "partial", "disability_grade": "1",
                "disability_kind": "physical", "covered": "1", "version": reg["version"],
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Without the permission: 403; outside the region: 404.
    let approver = t.signed_in(Role::DistrictApprover, "369902").await;
    assert_eq!(t.post_json_as(&approver, &path, &income).await.status, 403);
    let other = t.signed_in(Role::StreetCaseworker, "369921001").await;
    assert_eq!(t.post_json_as(&other, &path, &income).await.status, 404);
    t.finish().await;
}

async fn temporary_grants_through_the_api(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let grant = |months: &str| {
        json!({
            "name": "赵大海", "id_number": id(44, 1975), "community": COMMUNITY,
            "kind": "emergency", "household_size": "4", "months": months, "reason": "住房失火",
        })
    };
    let r = t
        .post_json_as(&street, "/api/v1/temporary-grants", &grant("3"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["amount"], "12000.00");
    assert!(r.json()["grant_id"].as_i64().is_some());
    // Above the street's level: sent up.
    let r = t
        .post_json_as(&street, "/api/v1/temporary-grants", &grant("5"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "pending");
    assert_eq!(r.json()["level"], "district");
    // Every problem listed.
    let r = t
        .post_json_as(
            &street,
            "/api/v1/temporary-grants",
            &json!({"name": "", "id_number": "123", "community": COMMUNITY, "kind": "emergency",
                    "household_size": "0", "months": "1"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let errors = r.json()["errors"].as_array().unwrap().len();
    assert_eq!(
        errors, 4,
        "name, ID number, household size, reason: {}",
        r.body
    );
    let grants: i64 = sqlx::query("SELECT COUNT(*) FROM temporary_grants")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(grants, 1);
    t.finish().await;
}

async fn policy_through_the_api(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let r = t
        .post_json_as(
            &city,
            "/api/v1/assistance-standards",
            &json!({"district_code": "369902", "area": "urban", "effective_from": "2027-01-01", "standard": "1080"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["dibao_standard"], "1080.00");
    let r = t
        .post_json_as(
            &city,
            "/api/v1/assistance-parameters",
            &json!({"key": "gradual_months", "value": "3", "effective_from": "2026-12-01"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .post_json_as(
            &city,
            "/api/v1/assistance-parameters",
            &json!({"key": "gradual_months", "value": "9", "effective_from": "2026-12-01"}),
        )
        .await;
    assert_eq!(r.status, 422, "out of range: {}", r.body);
    let r = t
        .post_json_as(
            &city,
            "/api/v1/assistance-exclusions",
            &json!({"item": "见义勇为奖金"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = t.get_as(&city, "/api/v1/assistance-standards").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let p = p.json();
    assert!(
        p["standards"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["district_code"] == "369902"
                && s["effective_from"] == "2027-01-01"
                && s["dibao_standard"] == "1080.00"),
        "{p}"
    );
    let gradual = p["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "gradual_months")
        .unwrap();
    assert_eq!(gradual["history"][0]["value"], 3, "{gradual}");
    assert!(
        p["income_exclusions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "见义勇为奖金")
    );
    // Every policy number is a parameter: the city lets streets grant up to 5 months of
    // 临时救助 from today, and a 5-month grant at the street is then granted, not sent up.
    let r = t
        .post_json_as(
            &city,
            "/api/v1/assistance-parameters",
            &json!({"key": "temp_street_months", "value": "5", "effective_from": "2026-11-29"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let r = t
        .post_json_as(
            &street,
            "/api/v1/temporary-grants",
            &json!({"name": "赵大海", "id_number": id(44, 1975), "community": COMMUNITY,
                    "kind": "emergency", "household_size": "4", "months": "5", "reason": "住房失火"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["grant_id"].as_i64().is_some(), "{}", r.body);
    assert_eq!(r.json()["amount"], "20000.00");
    // Money parameters are entered in yuan.
    let r = t
        .post_json_as(
            &city,
            "/api/v1/assistance-parameters",
            &json!({"key": "vehicle_value_limit", "value": "50000", "effective_from": "2026-12-01"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = t.get_as(&city, "/api/v1/assistance-standards").await.json();
    let vehicle = p["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "vehicle_value_limit")
        .unwrap();
    assert_eq!(vehicle["history"][0]["value"], 50000, "{vehicle}");
    // A street caseworker may read the policy but not set it.
    let r = t
        .post_json_as(
            &street,
            "/api/v1/assistance-exclusions",
            &json!({"item": "x"}),
        )
        .await;
    assert_eq!(r.status, 403);
    t.finish().await;
}

/// A surname shared by more households than the cap: the count stops at the cap and says
/// so, the pages still come in community and household-number order; a full name is
/// counted exactly.
async fn a_surname_search_counts_up_to_the_cap(backend: Backend) {
    use minzheng::assistance::web::SEARCH_COUNT_CAP;
    let t = TestApp::with_tree(backend).await;
    let many = SEARCH_COUNT_CAP + 5;
    let mut roster = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n",
    );
    for n in 0..many {
        // Two communities, numbered so that number order and community order differ.
        let community = if n % 2 == 0 {
            COMMUNITY
        } else {
            "369902001002"
        };
        roster.push_str(&format!(
            "H{:04},低保,王{},{},本人,是,{community},500,2026-07-01,在保,,\n",
            many - n,
            ["一", "二", "三", "四", "五"][(n % 5) as usize],
            id((n + 1) as u16, 1960 + (n % 40) as i32)
        ));
    }
    import(&t, &roster).await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let search = |body: serde_json::Value| {
        let (t, street) = (&t, &street);
        async move {
            let r = t
                .post_json_as(street, "/api/v1/households/search", &body)
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.json()
        }
    };
    let found = search(json!({ "name": "王" })).await;
    assert_eq!(found["total"], SEARCH_COUNT_CAP);
    assert_eq!(found["total_is_lower_bound"], true);
    let keys: Vec<(String, String)> = found["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["region_code"].as_str().unwrap().to_string(),
                h["number"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(keys.len(), 50, "a full page");
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "community, then household number");
    assert!(
        keys.iter().all(|(c, _)| c == COMMUNITY),
        "first community first"
    );
    // Pages past the cap are still served.
    let last = search(json!({ "name": "王", "page": 5 })).await;
    assert_eq!(
        last["households"].as_array().unwrap().len() as i64,
        many - 200
    );
    // A rarer name: exact.
    let exact = search(json!({ "name": "王三" })).await;
    assert_eq!(exact["total"], many / 5);
    assert_eq!(exact["total_is_lower_bound"], false);
    // The page says it stopped counting.
    let page = t
        .request(
            axum::http::Request::post("/assistance/households/search")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &street.cookie)
                .body(axum::body::Body::from(format!(
                    "_csrf={}&name=%E7%8E%8B",
                    street.csrf
                )))
                .unwrap(),
        )
        .await;
    let to = page.header("location").to_string();
    assert!(!to.is_empty(), "redirects to the list: {}", page.status);
    let list = t.get_as(&street, &to).await;
    assert!(
        list.body
            .contains(&format!("找到 {SEARCH_COUNT_CAP} 户以上")),
        "{}",
        list.body
    );
    t.finish().await;
}
