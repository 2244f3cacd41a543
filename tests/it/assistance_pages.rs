//! Households register pages and API (scoped), and the standards page.

use chrono::NaiveDate;
use minzheng::assistance::import::import_roster;
use minzheng::assistance::standards::policy_on;
use minzheng::auth::Role;
use minzheng::ids::IdNumber;
use minzheng::money::Fen;
use minzheng::region::UrbanRural;
use sqlx::Row;

use crate::common::{Backend, TestApp, cli_event, test_today};
use crate::on_both_backends;

on_both_backends!(
    households_are_scoped_by_list_url_and_api,
    city_admin_sets_standards_with_history,
);

fn id(seq: u16) -> String {
    IdNumber::compose("369902", NaiveDate::from_ymd_opt(1970, 5, 5).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

async fn households_are_scoped_by_list_url_and_api(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let more = "369902002,人民街道,\n369902002001,阳光社区,城镇\n";
    minzheng::region::import::import_regions(
        t.database(),
        more.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();
    let roster = format!(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态\n\
         A1,低保,甲一,{},本人,是,369902001001,900,2026-07-01,在保\n\
         B1,低保,乙一,{},本人,是,369902002001,800,2026-07-02,在保\n",
        id(1),
        id(2)
    );
    import_roster(
        t.database(),
        &t.app.state.keyring,
        "r.csv",
        roster.as_bytes(),
        test_today(),
        false,
        &cli_event("x"),
    )
    .await
    .unwrap();
    let b_id: i64 = sqlx::query("SELECT id FROM households WHERE number = 'B1'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let a = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let list = t.get_as(&a, "/assistance/households").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("A1") && !list.body.contains("B1"));
    let api = t.get_as(&a, "/api/v1/households").await.json();
    assert_eq!(api["total"], 1);
    assert_eq!(
        t.get_as(&a, &format!("/assistance/households/{b_id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        t.get_as(&a, &format!("/api/v1/households/{b_id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        t.get_as(&a, "/assistance/households?region=369902002")
            .await
            .status,
        422
    );
    // The district sees both; the detail page masks the ID number.
    let d = t.signed_in(Role::DistrictReviewer, "369902").await;
    assert_eq!(t.get_as(&d, "/api/v1/households").await.json()["total"], 2);
    let page = t
        .get_as(&d, &format!("/assistance/households/{b_id}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("369902********") && !page.body.contains(&id(2)));
    assert!(
        page.body.contains("花名册导入"),
        "the history shows how the case came in"
    );
    // Filters.
    assert_eq!(
        t.get_as(&d, "/api/v1/households?status=exited")
            .await
            .json()["total"],
        0
    );
    assert_eq!(
        t.get_as(&d, "/api/v1/households?program=dibao&status=active")
            .await
            .json()["total"],
        2
    );
    t.finish().await;
}

async fn city_admin_sets_standards_with_history(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let worker = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let form = [
        ("district_code", "369902"),
        ("area", "urban"),
        ("effective_from", "2026-07-01"),
        ("standard", "1,050"),
    ];
    assert_eq!(
        t.post_as(&worker, "/assistance/standards", &form)
            .await
            .status,
        403
    );
    let r = t.post_as(&city, "/assistance/standards", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .post_as(
            &city,
            "/assistance/standards",
            &[
                ("district_code", "369902"),
                ("area", "urban"),
                ("effective_from", "2027-01-01"),
                ("standard", "1100"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let bad = t
        .post_as(
            &city,
            "/assistance/standards",
            &[
                ("district_code", "369902"),
                ("area", "urban"),
                ("effective_from", "2027-13-01"),
                ("standard", "1100"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    // The policy in force on each date.
    let on = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let p = policy_on(t.database(), "369902", UrbanRural::Urban, on("2026-06-30"))
        .await
        .unwrap();
    assert_eq!(
        p.dibao_standard,
        Fen::from_yuan(1000),
        "before any setting: the national default"
    );
    let p = policy_on(t.database(), "369902", UrbanRural::Urban, on("2026-07-01"))
        .await
        .unwrap();
    assert_eq!(p.dibao_standard, Fen::from_yuan(1050));
    let p = policy_on(t.database(), "369902", UrbanRural::Urban, on("2027-01-01"))
        .await
        .unwrap();
    assert_eq!(p.dibao_standard, Fen::from_yuan(1100));
    let p = policy_on(t.database(), "369902", UrbanRural::Rural, on("2027-01-01"))
        .await
        .unwrap();
    assert_eq!(p.dibao_standard, Fen::from_yuan(800), "rural untouched");
    let page = t.get_as(&worker, "/assistance/standards").await;
    assert!(
        page.body.contains("1,050.00"),
        "the worker reads the standard in force"
    );
    let audited: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'standard.set'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(audited, 2);
    t.finish().await;
}
