use chrono::NaiveDate;
use minzheng::calendar::store::{import_holidays, load_calendar};
use minzheng::ledger::ImportError;

use minzheng::auth::Role;

use crate::common::{Backend, TestApp, cli_event};
use crate::on_both_backends;

on_both_backends!(
    holiday_file_with_bad_dates_is_refused_whole,
    holidays_drive_the_deadline_calculator,
);

const NATIONAL_DAY: &str = "date,kind\n\
2026-09-27,班\n\
2026-10-01,休\n2026-10-02,休\n2026-10-03,休\n2026-10-04,休\n\
2026-10-05,休\n2026-10-06,休\n2026-10-07,休\n\
2026-10-10,班\n";

async fn holiday_file_with_bad_dates_is_refused_whole(backend: Backend) {
    let t = TestApp::start(backend).await;
    let file = "2026-10-01,休\n2026-02-30,休\n10/01/2026,休\n2026-10-08,加班\n";
    let Err(ImportError::Rejected(errors)) =
        import_holidays(t.database(), file.as_bytes(), &cli_event("calendar.import")).await
    else {
        panic!("expected rejection");
    };
    let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(got, vec![(2, "日期"), (3, "日期"), (4, "类型")]);
    let calendar = load_calendar(t.database()).await.unwrap();
    assert_eq!(calendar.exceptions().count(), 0, "nothing stored");
    t.finish().await;
}

async fn holidays_drive_the_deadline_calculator(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let worker = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let done = import_holidays(
        t.database(),
        NATIONAL_DAY.as_bytes(),
        &cli_event("calendar.import"),
    )
    .await
    .unwrap();
    assert_eq!((done.rows, done.rest_days, done.work_days), (9, 7, 2));
    // Re-import is a no-op.
    import_holidays(
        t.database(),
        NATIONAL_DAY.as_bytes(),
        &cli_event("calendar.import"),
    )
    .await
    .unwrap();
    let calendar = load_calendar(t.database()).await.unwrap();
    assert_eq!(calendar.exceptions().count(), 9);
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(
        calendar.add_working_days(d("2026-09-30"), 1),
        d("2026-10-08")
    );

    let page = t
        .get_as(&worker, "/calendar?year=2026&from=2026-09-30&days=3")
        .await;
    assert_eq!(page.status, 200);
    // 8 Oct (Thu), 9 Oct (Fri), 10 Oct (Saturday make-up workday).
    assert!(
        page.body.contains("<strong>2026-10-10</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2026-10-01"));

    let bad = t.get_as(&worker, "/calendar?from=2026-13-01&days=3").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("起算日期"));
    t.finish().await;
}
