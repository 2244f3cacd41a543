//! The `temporary-assistance` ledger.

use chrono::NaiveDate;
use minzheng::assistance::temporary::{COLUMNS, grant_rows, import_grants};
use minzheng::ids::IdNumber;
use minzheng::ledger::{ImportError, write_ledger};
use sqlx::Row;

use crate::common::{Backend, TestApp, cli_event, test_today};
use crate::on_both_backends;

on_both_backends!(
    temporary_grants_import_once_and_export_back,
    bad_grants_are_listed_and_nothing_stored
);

const HEADER: &str = "身份证号,姓名,所属社区,救助类型,救助日期,金额,家庭人口,是否先行救助,状态";

fn id(seq: u16) -> String {
    IdNumber::compose("369902", NaiveDate::from_ymd_opt(1975, 2, 2).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

async fn count(t: &TestApp) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM temporary_grants")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn temporary_grants_import_once_and_export_back(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let file = format!(
        "{HEADER}\n{},周一,369902001001,急难型,2026-07-01,\"12,000.00\",4,否,有效\n\
         {},周二,369921001001,支出型,2026年9月30日,4000,4,是,已撤销\n",
        id(1),
        id(2)
    );
    let n = import_grants(
        t.database(),
        &t.app.state.keyring,
        "t.csv",
        file.as_bytes(),
        test_today(),
        false,
        &cli_event("x"),
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    import_grants(
        t.database(),
        &t.app.state.keyring,
        "t.csv",
        file.as_bytes(),
        test_today(),
        false,
        &cli_event("x"),
    )
    .await
    .unwrap();
    assert_eq!(count(&t).await, 2, "the same file twice leaves one copy");
    let bounds = minzheng::region::RegionCode::parse("369900")
        .unwrap()
        .scope()
        .sql_bounds();
    let rows = grant_rows(t.database(), &t.app.state.keyring, bounds.clone())
        .await
        .unwrap();
    assert_eq!(rows[0][5], "12000.00");
    assert_eq!(rows[1][8], "已撤销");
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    let bytes = write_ledger("t.xlsx", &headers, &rows).unwrap();
    import_grants(
        t.database(),
        &t.app.state.keyring,
        "t.xlsx",
        &bytes,
        test_today(),
        false,
        &cli_event("x"),
    )
    .await
    .unwrap();
    assert_eq!(count(&t).await, 2);
    assert_eq!(
        grant_rows(t.database(), &t.app.state.keyring, bounds)
            .await
            .unwrap(),
        rows
    );
    t.finish().await;
}

async fn bad_grants_are_listed_and_nothing_stored(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let file = format!(
        "{HEADER}\n{},周一,369902001001,急难型,2026-07-01,1000,4,否,有效\n\
         {},周二,369902001001,意外型,2026-07-01,0,0,也许,有效\n\
         {},周一,369902001001,急难型,2026-07-01,1000,4,否,有效\n",
        id(1),
        id(2),
        id(1)
    );
    let Err(ImportError::Rejected(errors)) = import_grants(
        t.database(),
        &t.app.state.keyring,
        "t.csv",
        file.as_bytes(),
        test_today(),
        false,
        &cli_event("x"),
    )
    .await
    else {
        panic!("expected a rejection");
    };
    let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    for expected in [
        (3, "救助类型"),
        (3, "金额"),
        (3, "家庭人口"),
        (3, "是否先行救助"),
        (4, "身份证号"),
    ] {
        assert!(got.contains(&expected), "{expected:?} in {got:?}");
    }
    assert_eq!(count(&t).await, 0);
    t.finish().await;
}
