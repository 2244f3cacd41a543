use minzheng::demo::{self, DemoError, DemoOptions};
use minzheng::region::store;

use minzheng::audit::Actor;
use minzheng::calendar::Clock;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    demo_is_deterministic_per_seed,
    demo_refuses_a_non_empty_database,
    demo_covers_every_workflow_state_and_program,
);

async fn dump(t: &TestApp) -> Vec<String> {
    let city = store::city(t.database()).await.unwrap().expect("city");
    store::subtree(t.database(), &city.code)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{}|{}|{:?}", r.code, r.name, r.urban_rural))
        .collect()
}

async fn build(t: &TestApp, options: DemoOptions) -> Result<Vec<String>, DemoError> {
    demo::build(
        t.database(),
        &t.app.state.keyring,
        options,
        t.clock.now(),
        &Actor::cli(),
    )
    .await
}

async fn demo_is_deterministic_per_seed(backend: Backend) {
    let a = TestApp::start(backend).await;
    let b = TestApp::start(backend).await;
    let c = TestApp::start(backend).await;
    let opts = |seed| DemoOptions {
        seed,
        households: 300,
    };
    let lines = build(&a, opts(11)).await.unwrap();
    assert!(lines[0].contains("示范市（369900）"), "{lines:?}");
    assert!(
        lines[1].contains("sysadmin") && lines[1].contains("TOTP"),
        "{lines:?}"
    );
    let again = build(&b, opts(11)).await.unwrap();
    assert_eq!(lines, again, "same seed, same accounts and passwords");
    build(&c, opts(12)).await.unwrap();
    let (da, db, dc) = (dump(&a).await, dump(&b).await, dump(&c).await);
    assert_eq!(da, db, "same seed, same city");
    assert_ne!(da, dc, "another seed, another city");
    // Five districts: three urban districts and two rural counties.
    let districts: Vec<&String> = da
        .iter()
        .filter(|l| l.split('|').next().unwrap().len() == 6)
        .collect();
    assert_eq!(districts.len(), 6, "city + 5 districts: {districts:?}");
    assert!(da.iter().any(|l| l.contains("Rural")) && da.iter().any(|l| l.contains("Urban")));
    for t in [a, b, c] {
        t.finish().await;
    }
}

async fn demo_refuses_a_non_empty_database(backend: Backend) {
    let t = TestApp::start(backend).await;
    build(&t, DemoOptions::default()).await.unwrap();
    let before = store::count(t.database()).await.unwrap();
    let err = build(&t, DemoOptions::default()).await.unwrap_err();
    assert!(matches!(err, DemoError::NotEmpty(n) if n == before));
    assert_eq!(store::count(t.database()).await.unwrap(), before);
    t.finish().await;
}

/// The demo city gives every page something to show: cases in each state of the
/// workflow, both programs, open 先行救助 grants and reviews falling due.
async fn demo_covers_every_workflow_state_and_program(backend: Backend) {
    use sqlx::Row;
    let t = TestApp::start(backend).await;
    build(&t, DemoOptions::default()).await.unwrap();
    let count = |sql: &'static str| {
        let pool = t.database().pool().clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
        }
    };
    for status in [
        "submitted",
        "accepted",
        "investigating",
        "reviewed",
        "notice",
        "active",
        "rejected",
        "refused",
        "exited",
    ] {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM cases WHERE status = $1")
            .bind(status)
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert!(n > 0, "no demo case in state {status}");
    }
    assert!(
        count("SELECT COUNT(*) FROM cases WHERE program = 'tekun' AND status = 'active'").await > 0
    );
    assert!(count("SELECT COUNT(*) FROM cases WHERE close_relative = 1").await > 0);
    assert!(count("SELECT COUNT(*) FROM member_incomes").await > 0);
    assert!(
        count("SELECT COUNT(*) FROM temporary_grants WHERE advance = 1 AND completed_on IS NULL")
            .await
            > 0
    );
    assert!(count("SELECT COUNT(*) FROM case_objections").await > 0);
    // Funds: every reconciled payroll knows what it paid; budgets and allocations exist.
    assert_eq!(
        count("SELECT COUNT(*) FROM payrolls WHERE status = 'reconciled' AND paid_amount IS NULL")
            .await,
        0
    );
    assert!(count("SELECT COUNT(*) FROM payrolls WHERE paid_amount > 0").await > 0);
    assert!(count("SELECT COUNT(*) FROM fund_budgets").await > 0);
    assert!(count("SELECT COUNT(*) FROM fund_allocations").await > 0);
    // Elderly care: facilities of every kind, targets, inspections this quarter and last,
    // overdue hazards and one institution in four not yet inspected this quarter.
    for kind in ["institution", "daycare", "happiness_home", "street_centre"] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM care_facilities WHERE kind = $1")
            .bind(kind)
            .fetch_one(t.database().pool())
            .await
            .unwrap();
        assert!(n > 0, "no demo facility of kind {kind}");
    }
    assert!(count("SELECT COUNT(*) FROM care_targets").await > 0);
    assert!(count("SELECT COUNT(*) FROM care_bed_changes").await > 0);
    assert!(
        count("SELECT COUNT(*) FROM care_hazards WHERE rectified_on IS NULL AND deadline < '2026-11-29'")
            .await
            > 0
    );
    assert!(count("SELECT COUNT(*) FROM care_hazards WHERE rechecked_on IS NOT NULL").await > 0);
    // Community: consultations, organisations in every state, one up for revocation in
    // each district (no inspection for two years), activities, an illegal one banned.
    assert!(count("SELECT COUNT(*) FROM consultations").await > 0);
    for status in ["normal", "abnormal", "revoked"] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM social_orgs WHERE status = $1")
            .bind(status)
            .fetch_one(t.database().pool())
            .await
            .unwrap();
        assert!(n > 0, "no demo organisation {status}");
    }
    assert!(
        count("SELECT COUNT(*) FROM social_orgs o WHERE NOT EXISTS (SELECT 1 FROM social_org_inspections i WHERE i.org_id = o.id)")
            .await
            > 0
    );
    assert!(count("SELECT COUNT(*) FROM welfare_activities").await > 0);
    assert!(count("SELECT COUNT(*) FROM illegal_orgs WHERE banned_on IS NOT NULL").await > 0);
    // People living rough: patrols, cases with outcomes, some still at the station.
    assert!(count("SELECT COUNT(*) FROM relief_patrols").await > 0);
    assert!(count("SELECT COUNT(*) FROM relief_cases WHERE outcome = 'reunited'").await > 0);
    assert!(count("SELECT COUNT(*) FROM relief_cases WHERE left_on IS NULL").await > 0);
    // Funeral: cemeteries of both kinds, one under construction, plots added.
    assert!(count("SELECT COUNT(*) FROM cemeteries WHERE kind = 'commercial'").await > 0);
    assert!(count("SELECT COUNT(*) FROM cemeteries WHERE completed_on IS NULL").await > 0);
    assert!(count("SELECT COUNT(*) FROM cemetery_plot_additions").await > 0);
    // Marriage: counter registrations all 合格, imported historical ones failing the audit,
    // a divorce completed, an application withdrawn during the cooling-off.
    assert_eq!(
        count("SELECT COUNT(*) FROM marriage_registrations WHERE imported = 0 AND compliant = 0")
            .await,
        0
    );
    assert!(
        count("SELECT COUNT(*) FROM marriage_registrations WHERE imported = 1 AND compliant = 0")
            .await
            >= 3
    );
    assert!(
        count(
            "SELECT COUNT(*) FROM marriage_registrations WHERE kind = 'divorce' AND compliant = 1"
        )
        .await
            > 0
    );
    assert!(
        count("SELECT COUNT(*) FROM divorce_applications WHERE status = 'withdrawn'").await > 0
    );
    // Comparison: a month's file of each source, one run, the planted hits found (two of
    // the deaths through the fuzzy pass), one finding dismissed with its reason.
    assert_eq!(count("SELECT COUNT(*) FROM compare_datasets").await, 8);
    assert_eq!(count("SELECT COUNT(*) FROM compare_runs").await, 1);
    for rule in [
        "deceased",
        "moved_out",
        "vehicle",
        "homes",
        "business",
        "public_payroll",
        "wage_income",
        "deposits",
    ] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM compare_findings WHERE rule = $1")
            .bind(rule)
            .fetch_one(t.database().pool())
            .await
            .unwrap();
        assert!(n > 0, "no demo finding of rule {rule}");
    }
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM compare_findings WHERE rule = 'deceased' AND match_kind = 'fuzzy'"
        )
        .await,
        2
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM compare_findings WHERE status = 'dismissed' AND result <> ''")
            .await,
        1
    );
    t.finish().await;
}
