//! Elderly-care facilities, beds, inspections and trainings: the four ledgers (a bad row
//! named by row and column and nothing stored; the same file twice kept once), the
//! report's figures at the quarter's boundaries, hazards through rectification to the
//! overdue list, and the balance indicators, on both backends.

use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::elderly::ledgers::{self, Imported, Ledger};
use minzheng::ledger::ImportError;
use serde_json::json;

use crate::common::{Backend, Session, TestApp};
use crate::on_both_backends;

on_both_backends!(
    each_ledger_refuses_a_bad_row_and_imports_once,
    report_figures_at_the_quarter_boundaries,
    hazards_rectified_rechecked_and_overdue,
    balance_indicators_from_the_register,
);

const URBAN: &str = "369902001001";
const URBAN2: &str = "369902001002";
const VILLAGE: &str = "369921001001";

pub(crate) async fn import(
    t: &TestApp,
    ledger: Ledger,
    csv: &str,
) -> Result<Imported, ImportError> {
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

async fn count(t: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(t.database().pool())
        .await
        .unwrap()
}

/// The errors of a refused file as (row, column).
fn refused(r: Result<Imported, ImportError>) -> Vec<(usize, String, String)> {
    match r {
        Err(ImportError::Rejected(errors)) => errors
            .into_iter()
            .map(|e| (e.row, e.column.to_string(), e.reason))
            .collect(),
        other => panic!("not refused: {other:?}"),
    }
}

const FACILITIES: &str = "设施编号,名称,类型,所属社区,性质,状态,开业日期,床位数,护理型床位数\n";

async fn each_ledger_refuses_a_bad_row_and_imports_once(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    // Facilities: row 3 opens in a status that has not opened, row 4 has more nursing
    // beds than beds: nothing stored.
    let bad = format!(
        "{FACILITIES}YL-1,福寿院,养老机构,{URBAN},公办,运营,2026-01-05,100,60\n\
         RZ-1,日照中心,社区日间照料中心,{URBAN},民办,在建,2026-02-01,20,0\n\
         XF-1,幸福院,农村幸福院,{VILLAGE},公办,运营,2026-03-01,10,11\n"
    );
    let errors = refused(import(&t, Ledger::Facilities, &bad).await);
    assert_eq!(
        errors
            .iter()
            .map(|(r, c, _)| (*r, c.as_str()))
            .collect::<Vec<_>>(),
        [(3, "开业日期"), (4, "护理型床位数")],
        "{errors:?}"
    );
    assert_eq!(count(&t, "care_facilities").await, 0);
    let good = format!(
        "{FACILITIES}YL-1,福寿院,养老机构,{URBAN},公办,运营,2026-01-05,100,60\n\
         RZ-1,日照中心,社区日间照料中心,{URBAN},民办,在建,,20,0\n"
    );
    let first = import(&t, Ledger::Facilities, &good).await.unwrap();
    let again = import(&t, Ledger::Facilities, &good).await.unwrap();
    assert_eq!((first.created, again.created, again.updated), (2, 0, 2));
    assert_eq!(count(&t, "care_facilities").await, 2);

    // Bed changes: an unknown facility and a change that would leave −50 beds.
    let beds = "设施编号,变动日期,床位变动数,护理型床位变动数\n";
    let bad = format!("{beds}YL-9,2026-03-01,10,0\nYL-1,2026-03-01,-150,0\n");
    let errors = refused(import(&t, Ledger::BedChanges, &bad).await);
    assert_eq!(
        errors
            .iter()
            .map(|(r, c, _)| (*r, c.as_str()))
            .collect::<Vec<_>>(),
        [(2, "设施编号"), (3, "床位变动数")],
        "{errors:?}"
    );
    // A change before the opening, and one of a facility not yet open.
    let bad = format!("{beds}YL-1,2025-12-31,10,0\nRZ-1,2026-03-01,10,0\n");
    let errors = refused(import(&t, Ledger::BedChanges, &bad).await);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(count(&t, "care_bed_changes").await, 0);
    let good = format!("{beds}YL-1,2026-03-01,20,10\nYL-1,2026-05-01,-5,0\n");
    import(&t, Ledger::BedChanges, &good).await.unwrap();
    let again = import(&t, Ledger::BedChanges, &good).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 2));
    assert_eq!(count(&t, "care_bed_changes").await, 2);
    let unopened = format!("{FACILITIES}YL-1,福寿院,养老机构,{URBAN},公办,在建,,100,60\n");
    let errors = refused(import(&t, Ledger::Facilities, &unopened).await);
    assert_eq!(
        (errors[0].0, errors[0].1.as_str()),
        (2, "床位数"),
        "{errors:?}"
    );
    assert!(errors[0].2.contains("不能改为未开业"), "{errors:?}");
    let event = AuditEvent::new(
        t.clock.now_local(),
        &Actor::cli(),
        "ledger.import",
        "ledger",
        "facilities",
    );
    let elsewhere =
        format!("{FACILITIES}YL-1,青山福寿院,养老机构,{VILLAGE},公办,运营,2026-01-05,100,60\n");
    let theirs = ledgers::import(
        t.database(),
        Ledger::Facilities,
        "facilities.csv",
        elsewhere.as_bytes(),
        t.clock.today(),
        &|code: &str| code.starts_with("369921"),
        false,
        &event,
    )
    .await;
    let errors = refused(theirs);
    assert_eq!(
        (errors[0].0, errors[0].1.as_str()),
        (2, "设施编号"),
        "{errors:?}"
    );
    let name: String = sqlx::query_scalar("SELECT name FROM care_facilities WHERE number = 'YL-1'")
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    assert_eq!(name, "福寿院");

    // Inspections: hazards without a deadline; an unknown item.
    let head = "设施编号,检查日期,检查项目,检查人员,隐患数,整改期限,整改完成日期\n";
    let bad = format!("{head}YL-1,2026-08-01,消防安全,张三,2,,\nYL-1,2026-08-01,卫生,张三,0,,\n");
    let errors = refused(import(&t, Ledger::Inspections, &bad).await);
    assert_eq!(
        errors
            .iter()
            .map(|(r, c, _)| (*r, c.as_str()))
            .collect::<Vec<_>>(),
        [(2, "整改期限"), (3, "检查项目")],
        "{errors:?}"
    );
    assert_eq!(count(&t, "care_inspections").await, 0);
    let good = format!(
        "{head}YL-1,2026-08-01,消防安全,张三、李四,2,2026-08-31,2026-08-20\nYL-1,2026-08-01,食品安全,张三,0,,\n"
    );
    import(&t, Ledger::Inspections, &good).await.unwrap();
    let again = import(&t, Ledger::Inspections, &good).await.unwrap();
    assert_eq!(again.updated, 2);
    assert_eq!(count(&t, "care_inspections").await, 2);
    assert_eq!(count(&t, "care_hazards").await, 2);
    // A rectification date in the ledger is a rectification, not a re-check.
    assert_eq!(
        count(
            &t,
            "care_hazards WHERE rectified_on = '2026-08-20' AND rechecked_on IS NULL"
        )
        .await,
        2
    );
    // Next month's file gives the date an open hazard was rectified: it is taken.
    let open = format!("{head}YL-1,2026-09-01,服务质量,张三,1,2026-09-30,\n");
    import(&t, Ledger::Inspections, &open).await.unwrap();
    let closed = format!("{head}YL-1,2026-09-01,服务质量,张三,1,2026-09-30,2026-09-25\n");
    import(&t, Ledger::Inspections, &closed).await.unwrap();
    assert_eq!(
        count(&t, "care_hazards WHERE rectified_on = '2026-09-25'").await,
        1
    );
    // A hazard described by hand on the page is not the ledger's to replace.
    sqlx::query("UPDATE care_hazards SET description = '护理站呼叫器失灵' WHERE rectified_on = '2026-09-25'")
        .execute(t.database().pool())
        .await
        .unwrap();
    let two = format!("{head}YL-1,2026-09-01,服务质量,张三,2,2026-09-30,\n");
    let errors = refused(import(&t, Ledger::Inspections, &two).await);
    assert_eq!(
        (errors[0].0, errors[0].1.as_str()),
        (2, "隐患数"),
        "{errors:?}"
    );

    // Trainings: an unknown category and a district that does not exist.
    let head = "培训日期,主题,类别,所属区县,培训人数\n";
    let before = count(&t, "staff_trainings").await;
    let bad = format!(
        "{head}2026-08-01,护理员培训,养老,369902,40\n2026-08-02,消防培训,养老服务,369999,10\n"
    );
    let errors = refused(import(&t, Ledger::Trainings, &bad).await);
    assert_eq!(
        errors
            .iter()
            .map(|(r, c, _)| (*r, c.as_str()))
            .collect::<Vec<_>>(),
        [(2, "类别"), (3, "所属区县")],
        "{errors:?}"
    );
    assert_eq!(count(&t, "staff_trainings").await, before);
    let good = format!("{head}2026-08-01,护理员培训,养老服务,369902,40\n");
    import(&t, Ledger::Trainings, &good).await.unwrap();
    import(&t, Ledger::Trainings, &good).await.unwrap();
    assert_eq!(count(&t, "staff_trainings").await, before + 1);

    // Each ledger exports what imports back unchanged.
    for ledger in ledgers::LEDGERS {
        let rows = ledgers::export(
            t.database(),
            ledger,
            &("3699".into(), "3699:".into()),
            t.clock.today(),
        )
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

async fn figures(t: &TestApp, city: &Session, region: &str) -> serde_json::Value {
    let r = t
        .get_as(
            city,
            &format!("/api/v1/reports/quarterly?quarter=2026Q3&region={region}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["report"].clone()
}

/// Hand counts at the quarter's edges: a day-care centre opened on 06-30 is Q2's, one on
/// 07-01 Q3's; a bed change on 06-30 is not Q3's, on 07-01 it is, a reduction never
/// adds; a facility's opening beds count as new on its opening day; an institution
/// inspected twice in the quarter is one; a day-care centre's inspection is not an
/// institution's; only 养老服务 trainings count.
async fn report_figures_at_the_quarter_boundaries(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(
        &t,
        Ledger::Facilities,
        &format!(
            "{FACILITIES}YL-OLD,老院,养老机构,{URBAN},公办,运营,2025-05-01,80,40\n\
             YL-NEW,新院,养老机构,{URBAN2},民办,运营,2026-07-15,100,60\n\
             RZ-Q2,二季度日照,社区日间照料中心,{URBAN},公办,运营,2026-06-30,15,0\n\
             RZ-Q3,三季度日照,社区日间照料中心,{URBAN2},公办,运营,2026-07-01,20,0\n\
             XF-Q3,村幸福院,农村幸福院,{VILLAGE},公办,运营,2026-09-30,10,0\n\
             XF-Q4,下季度幸福院,农村幸福院,{VILLAGE},公办,运营,2026-10-01,12,0\n"
        ),
    )
    .await
    .unwrap();
    import(
        &t,
        Ledger::BedChanges,
        "设施编号,变动日期,床位变动数,护理型床位变动数\n\
         YL-OLD,2026-06-30,10,10\nYL-OLD,2026-07-01,20,20\nYL-OLD,2026-08-01,-5,0\nYL-OLD,2026-09-30,3,0\nYL-OLD,2026-10-01,7,0\n",
    )
    .await
    .unwrap();
    import(
        &t,
        Ledger::Inspections,
        "设施编号,检查日期,检查项目,检查人员,隐患数,整改期限,整改完成日期\n\
         YL-OLD,2026-07-10,消防安全,张三,0,,\nYL-OLD,2026-09-20,食品安全,张三,1,2026-10-20,\n\
         YL-NEW,2026-06-30,消防安全,李四,0,,\nRZ-Q3,2026-08-01,消防安全,李四,0,,\n",
    )
    .await
    .unwrap();
    import(
        &t,
        Ledger::Trainings,
        "培训日期,主题,类别,所属区县,培训人数\n\
         2026-06-30,护理员岗前,养老服务,369902,11\n2026-07-01,护理员初级,养老服务,369902,40\n\
         2026-09-30,护理员中级,养老服务,369921,25\n2026-08-01,救助政策,社会救助,369902,30\n",
    )
    .await
    .unwrap();
    let admin = t.signed_in(Role::CityAdmin, "369900").await;
    let city = figures(&t, &admin, "369900").await;
    let f = &city["figures"];
    assert_eq!(f["daycare_centres_new"], 1, "{f}");
    assert_eq!(f["happiness_homes_new"], 1, "{f}");
    // Openings: YL-NEW 100 + RZ-Q3 20 + XF-Q3 10; changes: +20 (07-01) + 3 (09-30).
    assert_eq!(f["care_beds_new"], 153, "{f}");
    assert_eq!(f["institutions_inspected"], 1, "{f}");
    assert_eq!(f["caregiver_trainees"], 65, "{f}");
    // Rural: the village's happiness home and its 10 beds; trainings have no area.
    assert_eq!(city["rural"]["care_beds_new"], 10);
    assert_eq!(city["rural"]["happiness_homes_new"], 1);
    assert!(city["rural"]["caregiver_trainees"].is_null());
    assert!(
        !city["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["key"] == "care_beds_new"),
        "{}",
        city["missing"]
    );
    // 东湖区 alone: its trainings only; the village is 青山县's.
    let district = figures(&t, &admin, "369902").await;
    assert_eq!(district["figures"]["caregiver_trainees"], 40);
    assert_eq!(district["figures"]["care_beds_new"], 143);
    t.finish().await;
}

async fn hazards_rectified_rechecked_and_overdue(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk_user = t
        .create_user("yanglao", Role::DistrictReviewer, "369902")
        .await;
    let mut desk = t.login(&desk_user).await;
    let ok = |r: crate::common::TestResponse| {
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let made = ok(t
        .post_json_as(
            &desk,
            "/api/v1/elderly/facilities",
            &json!({"number": "YL-7", "name": "东湖福寿院", "kind": "养老机构", "community": URBAN,
                    "ownership": "公办", "status": "运营", "opened_on": "2026-03-01", "beds": 120, "nursing_beds": 70}),
        )
        .await);
    let id = made["id"].as_i64().unwrap();
    // Beds: a change that would leave −10 is refused; +10 nursing beds on 11-01 counts
    // from that day; two changes on one day are refused.
    let beds = format!("/api/v1/elderly/facilities/{id}/beds");
    let bad = t
        .post_json_as(
            &desk,
            &beds,
            &json!({"effective_on": "2026-11-01", "beds": -130, "nursing_beds": 0}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("不能为负数"), "{}", bad.body);
    ok(t.post_json_as(
        &desk,
        &beds,
        &json!({"effective_on": "2026-11-01", "beds": 10, "nursing_beds": 10, "note": "改造"}),
    )
    .await);
    let twice = t
        .post_json_as(
            &desk,
            &beds,
            &json!({"effective_on": "2026-11-01", "beds": 5, "nursing_beds": 0}),
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    let page = ok(t
        .get_as(&desk, &format!("/api/v1/elderly/facilities/{id}"))
        .await);
    assert_eq!(
        (
            page["facility"]["beds"].as_i64(),
            page["facility"]["nursing_beds"].as_i64()
        ),
        (Some(130), Some(80))
    );
    // 80 of 130 = 61.5%.
    assert_eq!(page["nursing_share"], 61.5);
    // Occupancy: no more than the beds; a stale version is a conflict.
    let occupancy = format!("/api/v1/elderly/facilities/{id}/occupancy");
    let version = page["facility"]["version"].as_i64().unwrap();
    let over = t
        .post_json_as(
            &desk,
            &occupancy,
            &json!({"version": version, "occupied": 131}),
        )
        .await;
    assert_eq!(over.status, 422, "{}", over.body);
    ok(t.post_json_as(
        &desk,
        &occupancy,
        &json!({"version": version, "occupied": 104}),
    )
    .await);
    let stale = t
        .post_json_as(
            &desk,
            &occupancy,
            &json!({"version": version, "occupied": 100}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let page = ok(t
        .get_as(&desk, &format!("/api/v1/elderly/facilities/{id}"))
        .await);
    assert_eq!(page["occupancy"], 80.0);
    // This year's target of two institutions: one opened, 50%; a street sees its district's.
    ok(t.post_json_as(
        &desk,
        "/api/v1/elderly/targets",
        &json!({"district_code": "369902", "year": 2026, "kind": "养老机构", "target": 2}),
    )
    .await);
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let list = ok(t.get_as(&street, "/api/v1/elderly/facilities").await);
    let target = &list["targets"][0];
    assert_eq!(
        (
            target["progress"]["target"].as_i64(),
            target["progress"]["opened"].as_i64(),
            target["progress"]["pct"].as_f64()
        ),
        (Some(2), Some(1), Some(50.0)),
        "{list}"
    );
    // Another district's desk cannot see it.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/api/v1/elderly/facilities/{id}"))
            .await
            .status,
        404
    );
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/elderly/facilities/{id}/inspections"),
        &json!({"inspected_on": "2026-11-20", "item": "消防安全", "inspectors": "王五、赵六",
                "hazards": [
                    {"description": "疏散通道堆放杂物", "severity": "一般隐患", "deadline": "2026-12-05"},
                    {"description": "灭火器过期", "severity": "重大隐患", "deadline": "2026-12-10"}]}),
    )
    .await);
    let page = ok(t
        .get_as(&desk, &format!("/api/v1/elderly/facilities/{id}"))
        .await);
    let hazards = page["inspections"][0]["hazards"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(hazards.len(), 2);
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/elderly/hazards/{}/rectify", hazards[0]["id"]),
        &json!({"version": hazards[0]["version"], "rectified_on": "2026-11-28", "rectification": "已清理"}),
    )
    .await);
    assert_eq!(
        overdue(&t, &desk).await["overdue"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // The day after the second deadline: only the unrectified one is overdue, a day over.
    t.clock.set("2026-12-11T02:00:00Z".parse().unwrap());
    // Twelve days on, the session has long expired: sign in again.
    desk = t.login(&desk_user).await;
    let o = overdue(&t, &desk).await;
    let list = o["overdue"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{o}");
    assert_eq!(list[0]["hazard"]["description"], "灭火器过期");
    assert_eq!(list[0]["days_over"], 1);
    assert_eq!(o["overdue_by_district"][0][1], 1);
    // The campaign of the fourth quarter sees the institution inspected.
    assert_eq!(o["inspected"], 1);
    // A re-check that fails sends the first back; its deadline has passed, so it is overdue too.
    let page = ok(t
        .get_as(&desk, &format!("/api/v1/elderly/facilities/{id}"))
        .await);
    let first = &page["inspections"][0]["hazards"][0];
    assert_eq!(first["state"], "rectified");
    ok(t.post_json_as(
        &desk,
        &format!("/api/v1/elderly/hazards/{}/recheck", first["id"]),
        &json!({"version": first["version"], "rechecked_on": "2026-12-11", "passed": false}),
    )
    .await);
    assert_eq!(
        overdue(&t, &desk).await["overdue"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The same item inspected twice on one day is refused.
    let again = t
        .post_json_as(
            &desk,
            &format!("/api/v1/elderly/facilities/{id}/inspections"),
            &json!({"inspected_on": "2026-11-20", "item": "fire", "inspectors": "王五"}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    t.finish().await;
}

async fn overdue(t: &TestApp, desk: &Session) -> serde_json::Value {
    let r = t.get_as(desk, "/api/v1/elderly/inspections").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn balance_indicators_from_the_register(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let r = t
        .post_json_as(
            &city,
            "/api/v1/capacity/residents",
            &json!({"district_code": "369902", "year": 2025, "urban": 300000, "rural": 0, "older": 6000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    import(
        &t,
        Ledger::Facilities,
        &format!(
            "{FACILITIES}YL-1,福寿院,养老机构,{URBAN},公办,运营,2026-01-05,100,60\n\
             RZ-1,日照中心,社区日间照料中心,{URBAN},公办,运营,2026-02-01,20,0\n\
             RZ-2,日照中心二,社区日间照料中心,{URBAN2},公办,在建,,0,0\n\
             XF-1,幸福院,农村幸福院,{VILLAGE},公办,运营,2026-04-01,10,0\n"
        ),
    )
    .await
    .unwrap();
    import(
        &t,
        Ledger::Inspections,
        "设施编号,检查日期,检查项目,检查人员,隐患数,整改期限,整改完成日期\n\
         YL-1,2026-07-10,消防安全,张三,0,,\nYL-1,2026-07-10,医疗卫生,张三,0,,\n\
         YL-1,2026-08-10,食品安全,张三,0,,\n",
    )
    .await
    .unwrap();
    let r = t
        .get_as(&city, "/api/v1/reports/balance?quarter=2026Q3")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.json()["balance"];
    let at_district = |key: &str, code: &str| {
        let districts = b["districts"].as_array().unwrap();
        let i = districts.iter().position(|d| d["code"] == code).unwrap();
        let indicator = b["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == key)
            .unwrap()
            .clone();
        (indicator["values"][i].clone(), indicator["missing"].clone())
    };
    let at = |key: &str| at_district(key, "369902");
    // 120 beds for 6,000 older residents: 2 per 100.
    assert_eq!(at("care_beds_per_100_elderly").0, 2.0);
    // One of 东湖区's two communities has a day-care centre in operation.
    assert_eq!(at("communities_with_daycare_pct").0, 50.0);
    // Two visits to its one institution in the quarter (two items on 07-10 are one visit).
    assert_eq!(at("inspections_per_institution").0, 2.0);
    // 青山县's one village has a happiness home.
    assert_eq!(
        at_district("villages_with_happiness_home_pct", "369921").0,
        100.0
    );
    assert!(at("care_beds_per_100_elderly").1.is_null());
    t.finish().await;
}

on_both_backends!(the_ledger_page_lists_errors_and_keeps_to_the_region);

async fn upload(t: &TestApp, s: &Session, ledger: &str, file: &str) -> crate::common::TestResponse {
    let (content_type, body) = crate::assistance_pages::multipart(&s.csrf, ledger, file, false);
    t.request(
        axum::http::Request::post("/elderly/ledgers")
            .header("content-type", content_type)
            .header("cookie", &s.cookie)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

/// Through the page: a district's desk uploads the facilities ledger; a row of another
/// district is refused by row and column, with nothing stored; the list downloads.
async fn the_ledger_page_lists_errors_and_keeps_to_the_region(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    assert_eq!(t.get_as(&desk, "/elderly/ledgers").await.status, 200);
    let template = t
        .get_as(&desk, "/elderly/ledgers/template/inspections.xlsx")
        .await;
    assert_eq!(template.status, 200);
    let file = format!(
        "{FACILITIES}YL-1,福寿院,养老机构,{URBAN},公办,运营,2026-01-05,100,60\n\
         XF-1,幸福院,农村幸福院,{VILLAGE},公办,运营,2026-03-01,10,0\n"
    );
    let r = upload(&t, &desk, "facilities", &file).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"upload-errors\""), "{}", r.body);
    assert!(r.body.contains("不在您的管辖范围内"), "{}", r.body);
    assert_eq!(count(&t, "care_facilities").await, 0);
    let token = r
        .body
        .split("/elderly/ledgers/errors/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let list = t
        .get_as(&desk, &format!("/elderly/ledgers/errors/{token}"))
        .await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("3,所属社区"), "{}", list.body);
    let own = format!("{FACILITIES}YL-1,福寿院,养老机构,{URBAN},公办,运营,2026-01-05,100,60\n");
    let r = upload(&t, &desk, "facilities", &own).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("已导入：1 行（新增 1，更新 0）"),
        "{}",
        r.body
    );
    // The export is the district's.
    let export = t
        .get_as(&desk, "/elderly/ledgers/export/facilities.csv")
        .await;
    assert_eq!(export.status, 200);
    assert!(export.body.contains("YL-1,福寿院"), "{}", export.body);
    t.finish().await;
}
