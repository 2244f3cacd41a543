//! Funeral, what must hold between a cemetery's plots and its burials whichever way they
//! change: a capacity cut below the burials refused on the form, the API and both ledgers
//! (naming the field, the day and the numbers); plots added through the cemetery page; a
//! duplicate burial or cremation told without another district's record number, and the
//! same person recorded twice at once; a cemetery moved to another district taking its
//! burials with it in the balance analysis — on both backends.

use minzheng::affairs::funeral_ledgers::{self, Ledger};
use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::ledger::ImportError;
use serde_json::{Value, json};

use crate::common::{Backend, Session, TestApp, TestResponse};
use crate::compare::id;
use crate::on_both_backends;

on_both_backends!(
    a_capacity_cut_below_the_burials_is_refused_on_every_path,
    duplicates_name_no_record_of_another_district,
    the_same_person_recorded_twice_at_once_is_stored_once,
    a_cemetery_moved_to_another_district_takes_its_burials,
);

async fn import(t: &TestApp, ledger: Ledger, csv: &str) -> Result<(usize, usize), ImportError> {
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
        &|_| true,
        false,
        &event,
    )
    .await
    .map(|d| (d.created, d.updated))
}

/// The (row, column, reason) of a refused file.
fn refused(r: Result<(usize, usize), ImportError>) -> Vec<(usize, String, String)> {
    match r {
        Err(ImportError::Rejected(errors)) => errors
            .into_iter()
            .map(|e| (e.row, e.column, e.reason))
            .collect(),
        other => panic!("not refused: {other:?}"),
    }
}

fn cemetery_body(number: &str, region: &str, plots: i64) -> Value {
    json!({"number": number, "name": format!("{number}公墓"), "kind": "public",
           "region_code": region, "status": "completed", "completed_on": "2026-07-01",
           "plots": plots.to_string()})
}

async fn post(t: &TestApp, s: &Session, path: &str, body: Value) -> TestResponse {
    t.post_json_as(s, path, &body).await
}

async fn bury(t: &TestApp, s: &Session, cemetery: &str, on: &str, id_number: &str) -> TestResponse {
    post(
        t,
        s,
        "/api/v1/affairs/burials",
        json!({"cemetery": cemetery, "buried_on": on, "name": "赵老伯", "form": "grave",
               "id_number": id_number, "remains": "body"}),
    )
    .await
}

async fn cemetery_row(t: &TestApp, s: &Session, number: &str) -> Value {
    let j = t.get_as(s, "/api/v1/affairs/cemeteries").await.json();
    j["cemeteries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == number)
        .unwrap_or_else(|| panic!("{number} not listed: {j}"))
        .clone()
}

async fn a_capacity_cut_below_the_burials_is_refused_on_every_path(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    let r = post(
        &t,
        &east,
        "/api/v1/affairs/cemeteries",
        cemetery_body("GM-C", "369902", 3),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // 3 plots at completion, all taken in August; 2 added on 09-01 through the page's
    // form, both taken in October: 5 plots, 5 burials.
    for on in ["2026-08-01", "2026-08-02", "2026-08-03"] {
        let seq = 60 + on[8..].parse::<u32>().unwrap();
        let r = bury(&t, &east, "GM-C", on, &id("19400101", seq)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let page = t.get_as(&east, "/affairs/cemeteries").await;
    assert!(page.body.contains("plot-addition-form"), "{}", page.body);
    let r = t
        .post_as(
            &east,
            "/affairs/cemeteries/additions",
            &[
                ("cemetery", "GM-C"),
                ("added_on", "2026-09-01"),
                ("plots", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    for (on, seq) in [("2026-10-01", 71), ("2026-10-02", 72)] {
        let r = bury(&t, &east, "GM-C", on, &id("19400101", seq)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let c = cemetery_row(&t, &east, "GM-C").await;
    assert_eq!(
        (&c["plots"], &c["added"], &c["used"]),
        (&json!(3), &json!(2), &json!(5))
    );
    assert_eq!(c["available"], 0);

    // 墓穴数 3 → 2 on the form: on 08-31 (the eve of the addition) 2 plots, 3 burials.
    let r = post(
        &t,
        &east,
        "/api/v1/affairs/cemeteries",
        cemetery_body("GM-C", "369902", 2),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("「墓穴数」")
            && r.body
                .contains("到 2026-08-31 共有墓穴 2 个，少于当日已安葬占用的 3 个"),
        "{}",
        r.body
    );
    // The same cut through the ledger: refused by row and column, nothing stored.
    let csv = "公墓编号,名称,性质,所属区划,状态,建成日期,墓穴数\n\
               GM-C,GM-C公墓,公益性公墓,369902,已建成,2026-07-01,2\n";
    let errors = refused(import(&t, Ledger::Cemeteries, csv).await);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1.as_str()), (2, "墓穴数"));
    assert!(
        errors[0]
            .2
            .contains("共有墓穴 2 个，少于当日已安葬占用的 3 个")
    );
    assert_eq!(cemetery_row(&t, &east, "GM-C").await["plots"], 3);

    // The 09-01 addition replaced by 1 (form, then ledger): today 4 plots, 5 burials.
    let r = post(
        &t,
        &east,
        "/api/v1/affairs/cemeteries/additions",
        json!({"cemetery": "GM-C", "added_on": "2026-09-01", "plots": "1"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("「新增墓穴数」")
            && r.body
                .contains("到 2026-11-29 共有墓穴 4 个，少于当日已安葬占用的 5 个"),
        "{}",
        r.body
    );
    let errors = refused(
        import(
            &t,
            Ledger::PlotAdditions,
            "公墓编号,日期,新增墓穴数\nGM-C,2026-11-01,4\nGM-C,2026-09-01,1\n",
        )
        .await,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1.as_str()), (3, "新增墓穴数"));
    let c = cemetery_row(&t, &east, "GM-C").await;
    assert_eq!((&c["added"], &c["available"]), (&json!(2), &json!(0)));
    // Raising it is fine: 3 on 09-01 replaces 2 (one row updated), one free plot.
    assert_eq!(
        import(
            &t,
            Ledger::PlotAdditions,
            "公墓编号,日期,新增墓穴数\nGM-C,2026-09-01,3\n"
        )
        .await
        .unwrap(),
        (0, 1)
    );
    let c = cemetery_row(&t, &east, "GM-C").await;
    assert_eq!((&c["added"], &c["available"]), (&json!(3), &json!(1)));
    // And the form adds a new day: 4 more, 5 free; audited once per form addition.
    let r = post(
        &t,
        &east,
        "/api/v1/affairs/cemeteries/additions",
        json!({"cemetery": "GM-C", "added_on": "2026-11-01", "plots": "4"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["replaced"], false);
    assert_eq!(cemetery_row(&t, &east, "GM-C").await["available"], 5);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'funeral.cemetery.plots_added'",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap();
    assert_eq!(audited, 2);
    // The ledger's rules on the form: not before completion, positive; another district's
    // cemetery is one that does not exist.
    for (body, field) in [
        (
            json!({"cemetery": "GM-C", "added_on": "2026-07-01", "plots": "2"}),
            "日期",
        ),
        (
            json!({"cemetery": "GM-C", "added_on": "2026-10-01", "plots": "0"}),
            "新增墓穴数",
        ),
    ] {
        let r = post(&t, &east, "/api/v1/affairs/cemeteries/additions", body).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(field), "{}", r.body);
    }
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    let r = post(
        &t,
        &county,
        "/api/v1/affairs/cemeteries/additions",
        json!({"cemetery": "GM-C", "added_on": "2026-10-01", "plots": "2"}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(cemetery_row(&t, &east, "GM-C").await["added"], 7);
    t.finish().await;
}

async fn duplicates_name_no_record_of_another_district(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    for (s, number, region) in [(&east, "GM-E", "369902"), (&county, "GM-Q", "369921")] {
        let r = post(
            &t,
            s,
            "/api/v1/affairs/cemeteries",
            cemetery_body(number, region, 5),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let person = id("19400101", 81);
    let r = bury(&t, &east, "GM-E", "2026-08-01", &person).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let burial = r.json()["id"].as_i64().unwrap();
    // In scope: the record's number; out of scope: only that one exists.
    let r = bury(&t, &east, "GM-E", "2026-08-02", &person).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains(&format!("编号 {burial}")), "{}", r.body);
    let r = bury(&t, &county, "GM-Q", "2026-08-02", &person).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("不在您的辖区") && !r.body.contains("编号 "),
        "{}",
        r.body
    );
    // Burying into the other district's cemetery: as if it did not exist.
    let r = bury(&t, &east, "GM-Q", "2026-08-02", &id("19400101", 82)).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(
        r.body.contains("没有找到公墓编号为 GM-Q 的公墓"),
        "{}",
        r.body
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM burials")
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    t.finish().await;
}

async fn the_same_person_recorded_twice_at_once_is_stored_once(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    let r = post(
        &t,
        &east,
        "/api/v1/affairs/cemeteries",
        cemetery_body("GM-R", "369902", 50),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for round in 0..5u32 {
        let person = id("19400101", 90 + round);
        let cremation = json!({"id_number": person, "name": "李老汉", "died_on": "2026-11-01",
                               "cremated_on": "2026-11-02", "region_code": "369902001001"});
        let (a, b) = tokio::join!(
            post(&t, &east, "/api/v1/affairs/cremations", cremation.clone()),
            post(&t, &east, "/api/v1/affairs/cremations", cremation.clone()),
        );
        let mut got = [(a.status.as_u16(), a.body), (b.status.as_u16(), b.body)];
        got.sort();
        assert_eq!((got[0].0, got[1].0), (200, 409), "{got:?}");
        assert!(got[1].1.contains("已有火化记录"), "{got:?}");
        let (a, b) = tokio::join!(
            bury(&t, &east, "GM-R", "2026-11-03", &person),
            bury(&t, &east, "GM-R", "2026-11-03", &person),
        );
        let mut got = [(a.status.as_u16(), a.body), (b.status.as_u16(), b.body)];
        got.sort();
        assert_eq!((got[0].0, got[1].0), (200, 409), "{got:?}");
        assert!(got[1].1.contains("已有安葬记录"), "{got:?}");
    }
    for table in ["cremations", "burials"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(t.database().pool())
            .await
            .unwrap();
        assert_eq!(n, 5, "{table}");
    }
    t.finish().await;
}

/// The Q4 cremation rate and plots available of 东湖区 and 青山县.
async fn balance(t: &TestApp, city: &Session) -> (Value, Value) {
    let j = t
        .get_as(city, "/api/v1/reports/balance?quarter=2026Q4")
        .await
        .json();
    let values = |key: &str| {
        j["balance"]["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap()["values"]
            .clone()
    };
    (values("cremation_rate_pct"), values("plots_available"))
}

async fn a_cemetery_moved_to_another_district_takes_its_burials(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let r = post(
        &t,
        &city,
        "/api/v1/affairs/cemeteries",
        cemetery_body("GM-M", "369902001", 10),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for (on, seq) in [("2026-10-01", 101), ("2026-10-02", 102)] {
        let r = bury(&t, &city, "GM-M", on, &id("19400101", seq)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Districts in order 东湖区, 青山县: 2 body burials, no cremation → 0 %; 8 plots free.
    assert_eq!(
        balance(&t, &city).await,
        (json!([0.0, null]), json!([8.0, null]))
    );
    // Moved (a re-drawn boundary) to 青山县: the burials go with it.
    let r = post(
        &t,
        &city,
        "/api/v1/affairs/cemeteries",
        cemetery_body("GM-M", "369921001", 10),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        balance(&t, &city).await,
        (json!([null, 0.0]), json!([null, 8.0]))
    );
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    let theirs = t.get_as(&county, "/api/v1/affairs/burials").await.json();
    assert_eq!(theirs["burials"].as_array().unwrap().len(), 2, "{theirs}");
    assert!(
        theirs["burials"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["region_code"] == "369921001")
    );
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    let ours = t.get_as(&east, "/api/v1/affairs/burials").await.json();
    assert_eq!(ours["burials"], json!([]));
    t.finish().await;
}
