//! Community consultation and social organisations: the three ledgers (a bad row named by
//! row and column, nothing stored; the same file twice kept once), the report's figures
//! at the quarter's boundaries (an activity of an organisation not registered on its date
//! refused on import and not counted), and an organisation through registration, yearly
//! inspections, revocation list and status, on both backends.

use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::community::ledgers::{self, Imported, Ledger};
use minzheng::ids::Uscc;
use minzheng::ledger::ImportError;
use serde_json::json;

use crate::common::{Backend, Session, TestApp};
use crate::on_both_backends;

on_both_backends!(
    community_ledgers_refuse_bad_rows_and_import_once,
    report_figures_at_the_quarter_boundaries,
    an_organisation_registered_inspected_and_revoked,
);

const URBAN: &str = "369902001001";
const VILLAGE: &str = "369921001001";

/// A valid USCC of a civil-affairs-registered organisation (5…) in the district.
pub(crate) fn uscc(kind: char, seq: u32) -> String {
    let body = format!("5{kind}369902MJ{seq:07}");
    Uscc::compose(&body).unwrap().as_str().to_string()
}

async fn import(t: &TestApp, ledger: Ledger, csv: &str) -> Result<Imported, ImportError> {
    let event = AuditEvent::new(
        t.clock.now_local(),
        &Actor::cli(),
        "ledger.import",
        "ledger",
        ledger.name(),
    );
    ledgers::import(
        t.database(),
        ledger,
        &format!("{}.csv", ledger.name()),
        csv.as_bytes(),
        t.clock.today(),
        &|_| true,
        false,
        &event,
    )
    .await
}

fn refused(r: Result<Imported, ImportError>) -> Vec<(usize, String, String)> {
    match r {
        Err(ImportError::Rejected(errors)) => errors
            .into_iter()
            .map(|e| (e.row, e.column.to_string(), e.reason))
            .collect(),
        other => panic!("not refused: {other:?}"),
    }
}

async fn count(t: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(t.database().pool())
        .await
        .unwrap()
}

const ORGS: &str = "统一社会信用代码,名称,类型,所属区县,登记日期,状态,撤销注销日期\n";
const ACTIVITIES: &str = "统一社会信用代码,活动日期,活动名称,领域,受益人次\n";
const CONSULTATIONS: &str = "活动日期,所属社区,议题,类别,参与居民人数,结果\n";

async fn community_ledgers_refuse_bad_rows_and_import_once(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    // Consultations: an unknown category, a community that does not exist.
    let bad = format!(
        "{CONSULTATIONS}2026-08-01,{URBAN},小区停车,停车,40,已解决\n2026-08-02,369902009009,加装电梯,公共设施,30,推进中\n"
    );
    let errors = refused(import(&t, Ledger::Consultations, &bad).await);
    assert_eq!(
        errors
            .iter()
            .map(|(r, c, _)| (*r, c.as_str()))
            .collect::<Vec<_>>(),
        [(2, "类别"), (3, "所属社区")],
        "{errors:?}"
    );
    assert_eq!(count(&t, "consultations").await, 0);
    let good = format!("{CONSULTATIONS}2026-08-01,{URBAN},小区停车,物业管理,40,已解决\n");
    import(&t, Ledger::Consultations, &good).await.unwrap();
    let again = import(&t, Ledger::Consultations, &good).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 1));
    assert_eq!(count(&t, "consultations").await, 1);

    // Organisations: a mistyped USCC (its check character) and a revoked one without a date.
    let a = uscc('1', 1);
    let mut typo = a.clone().into_bytes();
    typo[17] = if typo[17] == b'0' { b'1' } else { b'0' };
    let typo = String::from_utf8(typo).unwrap();
    let bad = format!(
        "{ORGS}{typo},东湖区慈善会,社会团体,369902,2020-01-01,正常,\n{},东湖助老服务中心,社会服务机构,369902,2021-01-01,撤销,\n",
        uscc('2', 2)
    );
    let errors = refused(import(&t, Ledger::SocialOrganisations, &bad).await);
    assert_eq!(
        errors
            .iter()
            .map(|(r, c, _)| (*r, c.as_str()))
            .collect::<Vec<_>>(),
        [(2, "统一社会信用代码"), (3, "撤销注销日期")],
        "{errors:?}"
    );
    assert!(errors[0].2.contains("校验位"), "{errors:?}");
    assert_eq!(count(&t, "social_orgs").await, 0);
    let good = format!("{ORGS}{a},东湖区慈善会,社会团体,369902,2020-01-01,正常,\n");
    import(&t, Ledger::SocialOrganisations, &good)
        .await
        .unwrap();
    let again = import(&t, Ledger::SocialOrganisations, &good)
        .await
        .unwrap();
    assert_eq!((again.created, again.updated), (0, 1));
    assert_eq!(count(&t, "social_orgs").await, 1);
    // One status entry (registered), not one per import.
    assert_eq!(count(&t, "social_org_statuses").await, 1);

    // Activities: an organisation not in the registry; a day before it was registered.
    let bad = format!(
        "{ACTIVITIES}{},2026-08-01,助老,养老助残,20\n{a},2019-12-31,义诊,养老助残,30\n",
        uscc('3', 3)
    );
    let errors = refused(import(&t, Ledger::WelfareActivities, &bad).await);
    assert_eq!(
        errors
            .iter()
            .map(|(r, c, _)| (*r, c.as_str()))
            .collect::<Vec<_>>(),
        [(2, "统一社会信用代码"), (3, "活动日期")],
        "{errors:?}"
    );
    assert_eq!(count(&t, "welfare_activities").await, 0);
    let good = format!("{ACTIVITIES}{a},2026-08-01,重阳敬老,养老助残,120\n");
    import(&t, Ledger::WelfareActivities, &good).await.unwrap();
    let again = import(&t, Ledger::WelfareActivities, &good).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 1));
    assert_eq!(count(&t, "welfare_activities").await, 1);

    // Each exports what imports back unchanged.
    for ledger in ledgers::LEDGERS {
        let rows = ledgers::export(t.database(), ledger, &("3699".into(), "3699:".into()))
            .await
            .unwrap();
        let mut csv = ledger.headers().join(",");
        for r in &rows {
            csv.push('\n');
            csv.push_str(&r.join(","));
        }
        let again = import(&t, ledger, &csv).await.unwrap();
        assert_eq!(
            (again.created, again.updated),
            (0, rows.len()),
            "{}",
            ledger.name()
        );
    }
    t.finish().await;
}

async fn report(t: &TestApp, s: &Session, region: &str) -> serde_json::Value {
    let r = t
        .get_as(
            s,
            &format!("/api/v1/reports/quarterly?quarter=2026Q3&region={region}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["report"].clone()
}

/// Hand counts at the quarter's edges: consultations on 06-30 and 10-01 are not Q3's,
/// 07-01 and 09-30 are; activities count only while the organisation is registered — one
/// revoked on 08-15 counts its 08-14 activity, not one on 08-15 (refused on import), and
/// an organisation revoked later with an earlier date loses the activity it had.
async fn report_figures_at_the_quarter_boundaries(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(
        &t,
        Ledger::Consultations,
        &format!(
            "{CONSULTATIONS}2026-06-30,{URBAN},垃圾分类,环境整治,11,已解决\n\
             2026-07-01,{URBAN},小区停车,物业管理,40,已解决\n\
             2026-09-30,{VILLAGE},村道修缮,公共设施,25,推进中\n\
             2026-10-01,{URBAN},楼道照明,公共设施,9,已解决\n"
        ),
    )
    .await
    .unwrap();
    let (a, b, c) = (uscc('1', 11), uscc('2', 12), uscc('3', 13));
    import(
        &t,
        Ledger::SocialOrganisations,
        &format!(
            "{ORGS}{a},东湖区慈善会,社会团体,369902,2018-01-01,正常,\n\
             {b},东湖助老服务中心,社会服务机构,369902,2019-01-01,撤销,2026-08-15\n\
             {c},青山教育基金会,基金会,369921,2026-07-10,正常,\n"
        ),
    )
    .await
    .unwrap();
    // On 08-15 the centre was no longer registered; the foundation not yet on 07-05.
    let errors = refused(
        import(
            &t,
            Ledger::WelfareActivities,
            &format!(
                "{ACTIVITIES}{b},2026-08-15,助浴,养老助残,5\n{c},2026-07-05,助学,文化教育,8\n"
            ),
        )
        .await,
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].2.contains("撤销"), "{errors:?}");
    import(
        &t,
        Ledger::WelfareActivities,
        &format!(
            "{ACTIVITIES}{a},2026-06-30,端午送温暖,扶贫济困,100\n\
             {a},2026-07-01,义诊,养老助残,60\n\
             {b},2026-08-14,助浴,养老助残,5\n\
             {c},2026-07-10,助学,文化教育,8\n\
             {a},2026-09-30,环保宣传,环保公益,30\n"
        ),
    )
    .await
    .unwrap();
    let admin = t.signed_in(Role::CityAdmin, "369900").await;
    let city = report(&t, &admin, "369900").await;
    let f = &city["figures"];
    assert_eq!(f["consultations"], 2, "{f}");
    assert_eq!(f["consultation_participants"], 65, "{f}");
    assert_eq!(city["rural"]["consultations"], 1);
    // 07-01 义诊 60, 08-14 助浴 5, 07-10 助学 8, 09-30 环保 30.
    assert_eq!(f["socialorg_activities"], 4, "{f}");
    assert_eq!(f["socialorg_beneficiaries"], 103, "{f}");
    // The foundation is revoked from 07-01 after the fact: its 07-10 activity no longer counts.
    // Written by hand, with the audit entry every write of the application makes in the
    // same transaction (the report is kept until the audit chain moves).
    let mut tx = t.database().begin().await.unwrap();
    sqlx::query(
        "UPDATE social_orgs SET status = 'revoked', ended_on = '2026-07-01' WHERE uscc = $1",
    )
    .bind(&c)
    .execute(&mut *tx)
    .await
    .unwrap();
    minzheng::audit::store::record(&mut tx, &crate::common::cli_event("socialorg.status"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let city = report(&t, &admin, "369900").await;
    assert_eq!(city["figures"]["socialorg_activities"], 3);
    assert_eq!(city["figures"]["socialorg_beneficiaries"], 95);
    // A street's report has no organisations of its own.
    let street = report(&t, &admin, "369902001").await;
    assert!(street["figures"]["socialorg_activities"].is_null());
    assert_eq!(street["figures"]["consultations"], 1);
    t.finish().await;
}

async fn an_organisation_registered_inspected_and_revoked(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let ok = |r: crate::common::TestResponse| {
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let code = uscc('1', 21);
    let mut typo = code.clone().into_bytes();
    typo.swap(15, 16);
    let bad = t
        .post_json_as(
            &desk,
            "/api/v1/community/orgs",
            &json!({"uscc": String::from_utf8(typo).unwrap(), "name": "东湖区书画协会", "kind": "社会团体",
                    "region_code": "369902", "registered_on": "2019-03-01"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("统一社会信用代码"), "{}", bad.body);
    let made = ok(t
        .post_json_as(
            &desk,
            "/api/v1/community/orgs",
            &json!({"uscc": code, "name": "东湖区书画协会", "kind": "社会团体",
                    "region_code": "369902", "registered_on": "2019-03-01"}),
        )
        .await);
    let id = made["id"].as_i64().unwrap();
    // No inspection for 2024 or 2025: up for revocation.
    let list = ok(t.get_as(&desk, "/api/v1/community/orgs").await);
    assert_eq!(
        list["up_for_revocation"][0]["years"],
        json!([2024, 2025]),
        "{list}"
    );
    // The 2025 inspection (done this year) takes it off the list.
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/community/orgs/{id}/inspections"),
        &json!({"year": 2025, "result": "基本合格", "inspected_on": "2026-05-20"}),
    )
    .await);
    let list = ok(t.get_as(&desk, "/api/v1/community/orgs").await);
    assert_eq!(
        list["up_for_revocation"].as_array().unwrap().len(),
        0,
        "{list}"
    );
    // An inspection for the current year is not possible yet.
    let early = t
        .post_json_as(
            &desk,
            &format!("/api/v1/community/orgs/{id}/inspections"),
            &json!({"year": 2026, "result": "合格", "inspected_on": "2026-11-20"}),
        )
        .await;
    assert_eq!(early.status, 422, "{}", early.body);
    // An activity, then revoked: a later activity is refused.
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/community/orgs/{id}/activities"),
        &json!({"held_on": "2026-09-01", "name": "书法进社区", "field": "文化教育", "beneficiaries": 80}),
    )
    .await);
    let org = ok(t
        .get_as(&desk, &format!("/api/v1/community/orgs/{id}"))
        .await);
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/community/orgs/{id}/status"),
        &json!({"version": org["org"]["version"], "status": "撤销", "since": "2026-10-10", "reason": "严重违反章程"}),
    )
    .await);
    let after = t
        .post_json_as(
            &desk,
            &format!("/api/v1/community/orgs/{id}/activities"),
            &json!({"held_on": "2026-10-20", "name": "书法展", "field": "文化教育", "beneficiaries": 10}),
        )
        .await;
    assert_eq!(after.status, 422, "{}", after.body);
    // Revoked is final.
    let org = ok(t
        .get_as(&desk, &format!("/api/v1/community/orgs/{id}"))
        .await);
    let back = t
        .post_json_as(
            &desk,
            &format!("/api/v1/community/orgs/{id}/status"),
            &json!({"version": org["org"]["version"], "status": "正常", "since": "2026-11-01", "reason": "恢复"}),
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    assert_eq!(org["statuses"].as_array().unwrap().len(), 2);
    // Another district's desk sees nothing of it.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/api/v1/community/orgs/{id}"))
            .await
            .status,
        404
    );
    t.finish().await;
}

on_both_backends!(consultations_illegal_orgs_and_the_ledger_page);

async fn upload(t: &TestApp, s: &Session, ledger: &str, file: &str) -> crate::common::TestResponse {
    let (content_type, body) = crate::assistance_pages::multipart(&s.csrf, ledger, file, false);
    t.request(
        axum::http::Request::post("/community/ledgers")
            .header("content-type", content_type)
            .header("cookie", &s.cookie)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

/// Consultations through the API (per community, resolution rate, a mistaken one taken
/// back); an illegal organisation found and banned; the ledger page keeps to the region
/// and to each ledger's permission; a revocation dated before an activity takes it out of
/// the figures, and an old file cannot bring the organisation back.
async fn consultations_illegal_orgs_and_the_ledger_page(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    let ok = |r: crate::common::TestResponse| {
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    for (day, topic, outcome) in [
        ("2026-10-08", "小区停车", "已解决"),
        ("2026-10-20", "加装电梯", "推进中"),
        ("2026-11-02", "垃圾分类", "已解决"),
    ] {
        ok(t.post_json_as(
            &worker,
            "/api/v1/community/consultations",
            &json!({"held_on": day, "community": URBAN, "topic": topic, "category": "其他",
                    "participants": "20", "outcome": outcome}),
        )
        .await);
    }
    let o = ok(t.get_as(&worker, "/api/v1/community/consultations").await);
    assert_eq!(
        (o["total"].as_i64(), o["participants"].as_i64()),
        (Some(3), Some(60))
    );
    assert_eq!(o["resolution_rate"], 66.7);
    assert_eq!(o["communities"][0]["resolved"], 2);
    // Another community is not the worker's to record.
    let other = t
        .post_json_as(
            &worker,
            "/api/v1/community/consultations",
            &json!({"held_on": "2026-10-08", "community": "369902001002", "topic": "x", "category": "其他",
                    "participants": "1", "outcome": "已解决"}),
        )
        .await;
    assert_eq!(other.status, 422, "{}", other.body);
    let wrong = o["consultations"][0]["id"].as_i64().unwrap();
    ok(t.post_json_as(
        &worker,
        &format!("/api/v1/community/consultations/{wrong}/delete"),
        &json!({}),
    )
    .await);
    let o = ok(t.get_as(&worker, "/api/v1/community/consultations").await);
    assert_eq!(o["total"], 2);

    // The ledger page: the worker may import consultations of their own community only,
    // and not the organisations' ledger.
    let file = format!(
        "{CONSULTATIONS}2026-10-09,{URBAN},楼道照明,公共设施,9,已解决\n2026-10-09,369902001002,路灯,公共设施,9,已解决\n"
    );
    let r = upload(&t, &worker, "consultations", &file).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("不在您的管辖范围内"), "{}", r.body);
    let r = upload(
        &t,
        &worker,
        "social-organisations",
        &format!(
            "{ORGS}{},x,社会团体,369902,2020-01-01,正常,\n",
            uscc('1', 41)
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // An illegal organisation found, then banned.
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let found = ok(t
        .post_json_as(
            &desk,
            "/api/v1/community/illegal-orgs",
            &json!({"name": "某某国学研究会", "region_code": URBAN, "found_on": "2026-10-01", "description": "未经登记以社会组织名义收费培训"}),
        )
        .await);
    let id = found["id"].as_i64().unwrap();
    let early = t
        .post_json_as(
            &desk,
            &format!("/api/v1/community/illegal-orgs/{id}/ban"),
            &json!({"version": 1, "banned_on": "2026-09-30", "handling": "取缔"}),
        )
        .await;
    assert_eq!(early.status, 422, "{}", early.body);
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/community/illegal-orgs/{id}/ban"),
        &json!({"version": 1, "banned_on": "2026-10-20", "handling": "依法取缔，责令停止活动"}),
    )
    .await);
    let cases = ok(t.get_as(&desk, "/api/v1/community/illegal-orgs").await);
    assert_eq!(cases["cases"][0]["banned_on"], "2026-10-20");

    // A revocation dated before an activity takes it out of the figures; the file from
    // before the revocation cannot bring the organisation back.
    let code = uscc('2', 42);
    let registry = format!("{ORGS}{code},东湖公益服务中心,社会服务机构,369902,2018-05-01,正常,\n");
    import(&t, Ledger::SocialOrganisations, &registry)
        .await
        .unwrap();
    import(
        &t,
        Ledger::WelfareActivities,
        &format!("{ACTIVITIES}{code},2026-09-01,助老,养老助残,40\n"),
    )
    .await
    .unwrap();
    let admin = t.signed_in(Role::CityAdmin, "369900").await;
    assert_eq!(
        report(&t, &admin, "369902").await["figures"]["socialorg_activities"],
        1
    );
    let orgs = ok(t.get_as(&desk, "/api/v1/community/orgs").await);
    let org = &orgs["orgs"][0];
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/community/orgs/{}/status", org["id"]),
        &json!({"version": org["version"], "status": "revoked", "since": "2026-08-20", "reason": "违法开展活动"}),
    )
    .await);
    assert_eq!(
        report(&t, &admin, "369902").await["figures"]["socialorg_activities"],
        0
    );
    let errors = refused(import(&t, Ledger::SocialOrganisations, &registry).await);
    assert_eq!(
        (errors[0].0, errors[0].1.as_str()),
        (2, "状态"),
        "{errors:?}"
    );
    t.finish().await;
}
