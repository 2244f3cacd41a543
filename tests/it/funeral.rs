//! Funeral: the `cemeteries` and `plot-additions` ledgers (a bad row named by row and
//! column and nothing stored; the same file twice kept once; another district's rows
//! refused), the report's figures at the quarter's boundaries, the register on the page
//! and the API by role and region, and cremation records as deaths the data comparison
//! holds itself, on both backends.

use minzheng::affairs::funeral_ledgers::{self, Ledger};
use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::ledger::ImportError;
use minzheng::ledger::checks::Imported;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    ledgers_refuse_a_bad_row_and_import_once,
    report_figures_at_the_quarter_boundaries,
    register_by_role_and_region,
    cremations_are_deaths_this_system_holds,
);

const CEMETERIES: &str = "公墓编号,名称,性质,所属区划,状态,建成日期,墓穴数\n";
const ADDITIONS: &str = "公墓编号,日期,新增墓穴数\n";

async fn import_as(
    t: &TestApp,
    ledger: Ledger,
    csv: &str,
    in_scope: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Imported, ImportError> {
    let event = AuditEvent::new(
        t.clock.now_local(),
        &Actor::cli(),
        "ledger.import",
        "ledger",
        ledger.name(),
    );
    funeral_ledgers::import(
        t.database(),
        ledger,
        &format!("{}.csv", ledger.name()),
        csv.as_bytes(),
        t.clock.today(),
        in_scope,
        false,
        &event,
    )
    .await
}

async fn import(t: &TestApp, ledger: Ledger, csv: &str) -> Result<Imported, ImportError> {
    import_as(t, ledger, csv, &|_| true).await
}

async fn count(t: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(t.database().pool())
        .await
        .unwrap()
}

/// The errors of a refused file as (row, column).
fn refused(r: Result<Imported, ImportError>) -> Vec<(usize, String)> {
    match r {
        Err(ImportError::Rejected(errors)) => errors
            .into_iter()
            .map(|e| (e.row, e.column.to_string()))
            .collect(),
        other => panic!("not refused: {other:?}"),
    }
}

async fn ledgers_refuse_a_bad_row_and_import_once(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    // Row 3 is built without a completion date, row 4 names a community (12 digits):
    // nothing stored.
    let bad = format!(
        "{CEMETERIES}GM-1,青山公益性公墓,公益性公墓,369921,已建成,2026-07-01,500\n\
         GM-2,东湖公墓,经营性公墓,369902,已建成,,300\n\
         GM-3,社区公墓,公益性公墓,369902001001,在建,,100\n"
    );
    let errors = refused(import(&t, Ledger::Cemeteries, &bad).await);
    assert_eq!(
        errors,
        vec![(3, "建成日期".to_string()), (4, "所属区划".to_string())]
    );
    assert_eq!(count(&t, "cemeteries").await, 0);
    let good = format!(
        "{CEMETERIES}GM-1,青山公益性公墓,公益性公墓,369921,已建成,2026-07-01,500\n\
         GM-2,东湖公墓,经营性公墓,369902001,在建,,300\n"
    );
    let first = import(&t, Ledger::Cemeteries, &good).await.unwrap();
    assert_eq!((first.rows, first.created, first.updated), (2, 2, 0));
    let again = import(&t, Ledger::Cemeteries, &good).await.unwrap();
    assert_eq!((again.rows, again.created, again.updated), (2, 0, 2));
    assert_eq!(count(&t, "cemeteries").await, 2);

    // Additions: on the completion day (row 2), to a cemetery not built (row 3), an
    // unknown number (row 4), none added (row 5): nothing stored.
    let bad = format!(
        "{ADDITIONS}GM-1,2026-07-01,10\nGM-2,2026-08-01,10\nGM-9,2026-08-01,10\nGM-1,2026-08-01,0\n"
    );
    let errors = refused(import(&t, Ledger::PlotAdditions, &bad).await);
    assert_eq!(
        errors,
        vec![
            (2, "日期".to_string()),
            (3, "公墓编号".to_string()),
            (4, "公墓编号".to_string()),
            (5, "新增墓穴数".to_string()),
        ]
    );
    assert_eq!(count(&t, "cemetery_plot_additions").await, 0);
    // The same cemetery and day twice in one file is refused on the second row.
    let twice = format!("{ADDITIONS}GM-1,2026-08-01,10\nGM-1,2026-08-01,20\n");
    assert_eq!(
        refused(import(&t, Ledger::PlotAdditions, &twice).await),
        vec![(3, "日期".to_string())]
    );
    let good = format!("{ADDITIONS}GM-1,2026-08-01,10\nGM-1,2026-09-01,20\n");
    let first = import(&t, Ledger::PlotAdditions, &good).await.unwrap();
    assert_eq!((first.created, first.updated), (2, 0));
    let again = import(&t, Ledger::PlotAdditions, &good).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 2));
    assert_eq!(count(&t, "cemetery_plot_additions").await, 2);

    // A completion date moved onto or after an addition, or back to 在建, is refused.
    let later = format!(
        "{CEMETERIES}GM-1,青山公益性公墓,公益性公墓,369921,已建成,2026-08-01,500\n\
         GM-1B,青山二期,公益性公墓,369921,已建成,2026-08-01,50\n"
    );
    assert_eq!(
        refused(import(&t, Ledger::Cemeteries, &later).await),
        vec![(2, "建成日期".to_string())]
    );
    let building = format!("{CEMETERIES}GM-1,青山公益性公墓,公益性公墓,369921,在建,,500\n");
    assert_eq!(
        refused(import(&t, Ledger::Cemeteries, &building).await),
        vec![(2, "建成日期".to_string())]
    );

    // A district's importer may not write another district's cemetery, new or stored.
    let east = |code: &str| code.starts_with("369902");
    let other = format!(
        "{CEMETERIES}GM-1,青山公益性公墓,公益性公墓,369902,已建成,2026-07-01,500\n\
         GM-5,青山新墓,公益性公墓,369921,已建成,2026-07-01,50\n"
    );
    assert_eq!(
        refused(import_as(&t, Ledger::Cemeteries, &other, &east).await),
        vec![(2, "公墓编号".to_string()), (3, "所属区划".to_string())]
    );
    let theirs = format!("{ADDITIONS}GM-1,2026-10-01,5\n");
    assert_eq!(
        refused(import_as(&t, Ledger::PlotAdditions, &theirs, &east).await),
        vec![(2, "公墓编号".to_string())]
    );
    assert_eq!(count(&t, "cemeteries").await, 2);

    // The exports give back what was imported, in the ledgers' columns.
    let bounds = minzheng::db::prefix_bounds("3699");
    let rows = funeral_ledgers::export(t.database(), Ledger::Cemeteries, &bounds)
        .await
        .unwrap();
    assert_eq!(
        rows[0],
        vec![
            "GM-1",
            "青山公益性公墓",
            "公益性公墓",
            "369921",
            "已建成",
            "2026-07-01",
            "500"
        ]
    );
    let rows = funeral_ledgers::export(t.database(), Ledger::PlotAdditions, &bounds)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    t.finish().await;
}

async fn figures(t: &TestApp, s: &crate::common::Session, region: &str) -> serde_json::Value {
    let r = t
        .get_as(
            s,
            &format!("/api/v1/reports/quarterly?quarter=2026Q3&region={region}"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["report"].clone()
}

/// Hand counts at the quarter's edges: a 公益性公墓 completed on 06-30 is Q2's, one on
/// 07-01 Q3's, one on 10-01 Q4's; a commercial one adds plots but is no new 公益性公墓;
/// one under construction counts nowhere; an addition on 06-30 is not Q3's, on 07-01
/// and 09-30 it is.
async fn report_figures_at_the_quarter_boundaries(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(
        &t,
        Ledger::Cemeteries,
        &format!(
            "{CEMETERIES}GM-OLD,东湖老公墓,公益性公墓,369902,已建成,2025-01-01,1000\n\
             GM-Q2,青山一期,公益性公墓,369921,已建成,2026-06-30,100\n\
             GM-Q3,青山二期,公益性公墓,369921,已建成,2026-07-01,200\n\
             JY-Q3,东湖陵园,经营性公墓,369902001,已建成,2026-09-30,50\n\
             GM-BUILD,在建公墓,公益性公墓,369902,在建,,300\n\
             GM-Q4,四季度公墓,公益性公墓,369921,已建成,2026-10-01,40\n"
        ),
    )
    .await
    .unwrap();
    import(
        &t,
        Ledger::PlotAdditions,
        &format!(
            "{ADDITIONS}GM-OLD,2026-06-30,5\nGM-OLD,2026-09-30,7\nGM-OLD,2026-10-01,9\n\
             GM-Q2,2026-07-01,10\n"
        ),
    )
    .await
    .unwrap();
    let admin = t.signed_in(Role::CityAdmin, "369900").await;
    let city = figures(&t, &admin, "369900").await;
    let f = &city["figures"];
    assert_eq!(f["public_cemeteries_new"], 1, "{f}");
    // GM-Q3 200 + JY-Q3 50 at completion; +7 (09-30) and +10 (07-01) added.
    assert_eq!(f["grave_plots_new"], 267, "{f}");
    // Cemeteries are a district's or a street's: no urban/rural split.
    assert!(city["urban"]["grave_plots_new"].is_null());
    let missing = city["missing"].as_array().unwrap();
    assert!(
        !missing
            .iter()
            .any(|m| m["key"] == "grave_plots_new" || m["key"] == "public_cemeteries_new"),
        "{missing:?}"
    );
    let east = figures(&t, &admin, "369902").await;
    assert_eq!(east["figures"]["public_cemeteries_new"], 0);
    assert_eq!(east["figures"]["grave_plots_new"], 57);
    let street = figures(&t, &admin, "369902001").await;
    assert_eq!(street["figures"]["grave_plots_new"], 50);
    let county = figures(&t, &admin, "369921").await;
    assert_eq!(county["figures"]["public_cemeteries_new"], 1);
    assert_eq!(county["figures"]["grave_plots_new"], 210);
    // Q2 holds GM-Q2's completion (100) and the 06-30 addition (5).
    let r = t
        .get_as(
            &admin,
            "/api/v1/reports/quarterly?quarter=2026Q2&region=369900",
        )
        .await;
    let q2 = &r.json()["report"]["figures"];
    assert_eq!(q2["public_cemeteries_new"], 1, "{q2}");
    assert_eq!(q2["grave_plots_new"], 105, "{q2}");
    t.finish().await;
}

async fn register_by_role_and_region(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(
        &t,
        Ledger::Cemeteries,
        &format!(
            "{CEMETERIES}GM-E,东湖公墓,公益性公墓,369902,已建成,2026-01-10,300\n\
             GM-Q,青山公墓,公益性公墓,369921,已建成,2026-02-10,200\n\
             JY-Q,青山陵园,经营性公墓,369921001,在建,,80\n"
        ),
    )
    .await
    .unwrap();
    import(
        &t,
        Ledger::PlotAdditions,
        &format!("{ADDITIONS}GM-Q,2026-05-01,25\n"),
    )
    .await
    .unwrap();
    let admin = t.signed_in(Role::CityAdmin, "369900").await;
    let r = t.get_as(&admin, "/api/v1/affairs/cemeteries").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["cemeteries"].as_array().unwrap().len(), 3);
    assert_eq!(j["public_built"], 2);
    // Built ones only: 300 + 200 + 25; the one under construction has none yet.
    assert_eq!(j["plots"], 525);
    let page = t.get_as(&admin, "/affairs/cemeteries").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("青山陵园") && page.body.contains("殡葬台账"));

    // A district's reviewer sees its own district's cemeteries and may import.
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    let j = t
        .get_as(&reviewer, "/api/v1/affairs/cemeteries")
        .await
        .json();
    let numbers: Vec<&str> = j["cemeteries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, vec!["GM-E"]);
    let ledgers = t.get_as(&reviewer, "/affairs/funeral/ledgers").await;
    assert_eq!(ledgers.status, 200);
    assert!(ledgers.body.contains("墓穴变动"));
    let export = t
        .get_as(&reviewer, "/affairs/funeral/ledgers/export/cemeteries.csv")
        .await;
    assert_eq!(export.status, 200);
    assert!(export.body.contains("GM-E") && !export.body.contains("GM-Q"));

    // The auditor reads but does not import; a community worker does neither.
    let auditor = t.signed_in(Role::Auditor, "369900").await;
    assert_eq!(t.get_as(&auditor, "/affairs/cemeteries").await.status, 200);
    assert_eq!(
        t.get_as(&auditor, "/affairs/funeral/ledgers").await.status,
        403
    );
    let worker = t.signed_in(Role::CommunityWorker, "369902001001").await;
    assert_eq!(
        t.get_as(&worker, "/api/v1/affairs/cemeteries").await.status,
        403
    );
    t.finish().await;
}

/// A cremation recorded through the API (ID checked, dates checked, once per person,
/// within the user's region) makes the comparison raise `deceased_here` for a person
/// still in assistance; the list shows the ID masked.
async fn cremations_are_deaths_this_system_holds(backend: Backend) {
    use crate::compare::{URBAN, findings, household, id};
    use serde_json::json;
    let t = TestApp::with_tree(backend).await;
    let (dead, alive) = (id("19400404", 11), id("19500505", 22));
    household(&t, "H1", URBAN, "dibao", "active", &[("钱老汉", &dead)]).await;
    household(&t, "H2", URBAN, "dibao", "active", &[("孙大娘", &alive)]).await;
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    let post = |body: serde_json::Value| {
        let (t, s) = (&t, &reviewer);
        async move { t.post_json_as(s, "/api/v1/affairs/cremations", &body).await }
    };
    let form = |id_number: &str, died: &str, cremated: &str, region: &str| {
        json!({"id_number": id_number, "name": "钱老汉", "died_on": died,
               "cremated_on": cremated, "region_code": region})
    };
    let r = post(form(
        "369902194004040110",
        "2026-11-01",
        "2026-11-03",
        URBAN,
    ))
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("身份证号"), "{}", r.body);
    let r = post(form(&dead, "2026-11-03", "2026-11-01", URBAN)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("火化日期"), "{}", r.body);
    let r = post(form(&dead, "2026-11-01", "2026-11-03", "369921001001")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post(form(&dead, "2026-11-01", "2026-11-03", URBAN)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(form(&dead, "2026-11-01", "2026-11-03", URBAN)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(count(&t, "cremations").await, 1);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'funeral.cremation.record'",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let list = t
        .get_as(&reviewer, "/api/v1/affairs/cremations")
        .await
        .json();
    let shown = list["cremations"][0]["id_number"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(shown, dead);
    assert!(shown.starts_with("3699") && shown.contains('*'), "{shown}");

    minzheng::compare::service::run(
        t.database(),
        &t.app.state.keyring,
        &[],
        &Actor::cli(),
        t.clock.now_local(),
    )
    .await
    .unwrap();
    let got = findings(&t).await;
    assert!(
        got.iter()
            .any(|(rule, name, _, _)| rule == "deceased_here" && name == "钱老汉"),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|(_, name, _, _)| name == "孙大娘"),
        "{got:?}"
    );
    t.finish().await;
}
