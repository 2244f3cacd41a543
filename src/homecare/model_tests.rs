//! Worked examples of the home-care rules.

use super::*;

fn at(s: &str) -> DateTime<FixedOffset> {
    parse_local_time(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn each_status_allows_its_next_step_only() {
    use OrderStatus::*;
    let table = [
        (Requested, [true, false, false, true]),
        (Dispatched, [false, true, false, true]),
        (Served, [false, false, true, false]),
        (Rated, [false, false, false, false]),
        (Cancelled, [false, false, false, false]),
    ];
    let steps = [Step::Dispatch, Step::Serve, Step::Rate, Step::Cancel];
    for (status, allowed) in table {
        for (step, ok) in steps.iter().zip(allowed) {
            assert_eq!(status.allows(*step).is_ok(), ok, "{status:?} {step:?}");
        }
    }
    let refused = Served.allows(Step::Cancel).unwrap_err();
    assert!(
        refused.contains("「已服务」") && refused.contains("服务前"),
        "{refused}"
    );
}

#[test]
fn a_provider_serves_the_communities_under_its_areas() {
    let areas = vec!["369902001".to_string(), "369921001001".to_string()];
    // Street 369902001 covers both its communities; 李家村 is listed itself.
    assert!(serves(&areas, "369902001001"));
    assert!(serves(&areas, "369902001002"));
    assert!(serves(&areas, "369921001001"));
    // Another street of the district, another village of the town: not served.
    assert!(!serves(&areas, "369902002001"));
    assert!(!serves(&areas, "369921001002"));
    assert!(!serves(&[], "369902001001"));
    // A district covers all of it.
    assert!(serves(&["369902".to_string()], "369902002001"));
}

#[test]
fn amounts_quantities_and_times() {
    // 10 meals at 15.00 yuan: 150.00.
    assert_eq!(order_amount(Fen(1_500), 10), Fen(15_000));
    assert_eq!(parse_quantity(" 31 "), Ok(31));
    assert!(parse_quantity("0").unwrap_err().contains("「数量」"));
    assert!(parse_quantity("101").is_err());
    assert!(parse_quantity("1.5").is_err());
    let requested = at("2026-11-29 08:00");
    let now = at("2026-11-29 12:00");
    assert_eq!(parse_served_at("", requested, now), Ok(now));
    assert_eq!(
        parse_served_at("2026-11-29T10:30", requested, now),
        Ok(at("2026-11-29 10:30"))
    );
    assert!(
        parse_served_at("2026-11-29 12:01", requested, now)
            .unwrap_err()
            .contains("晚于现在")
    );
    assert!(
        parse_served_at("2026-11-29 07:59", requested, now)
            .unwrap_err()
            .contains("早于下单时间")
    );
    assert!(
        parse_served_at("昨天", requested, now)
            .unwrap_err()
            .contains("「服务时间」")
    );
    assert_eq!(
        at("2026-11-29 10:30").to_rfc3339(),
        "2026-11-29T10:30:00+08:00"
    );
}

#[test]
fn ratings_and_catalogue_entries_are_checked() {
    let r = parse_rating("4", " 送餐准时 ", "").unwrap();
    assert_eq!(
        (r.stars, r.comment.as_str(), r.complaint),
        (4, "送餐准时", false)
    );
    assert!(parse_rating("6", "", "").unwrap_err().contains("「评分」"));
    assert!(
        parse_rating("1", "", "1")
            .unwrap_err()
            .contains("投诉的内容")
    );
    assert!(parse_rating("1", "饭菜是凉的", "on").unwrap().complaint);
    let s = parse_service("助餐", "助餐（午餐）", "餐", "15").unwrap();
    assert_eq!((s.kind, s.price), (ServiceKind::Meal, Fen(1_500)));
    assert!(
        parse_service("助眠", "x", "次", "1")
            .unwrap_err()
            .contains("「服务类别」")
    );
    assert!(
        parse_service("clean", "助洁", "小时", "1.234")
            .unwrap_err()
            .contains("「单价」")
    );
    assert!(
        parse_provider("", "", "")
            .unwrap_err()
            .contains("「服务商名称」")
    );
    assert!(parse_provider("安康居家养老服务中心", "123", "").is_err());
}

fn facts(
    provider_id: i64,
    status: OrderStatus,
    times: (&str, Option<&str>, Option<&str>),
    rating: Option<i64>,
    complaint: bool,
) -> OrderFacts {
    OrderFacts {
        provider_id,
        status,
        requested_at: at(times.0),
        dispatched_at: times.1.map(at),
        served_at: times.2.map(at),
        rating,
        complaint,
        amount: Fen(10_000),
        subsidy: Fen(6_000),
    }
}

#[test]
fn provider_performance_by_hand() {
    use OrderStatus::*;
    let orders = [
        // Provider 1: dispatched after 30 and 90 minutes, served after 120 and 240;
        // one rated 5, one rated 2 with a complaint; a third cancelled after dispatch
        // (10 minutes).
        facts(
            1,
            Rated,
            (
                "2026-11-02 08:00",
                Some("2026-11-02 08:30"),
                Some("2026-11-02 10:00"),
            ),
            Some(5),
            false,
        ),
        facts(
            1,
            Rated,
            (
                "2026-11-03 09:00",
                Some("2026-11-03 10:30"),
                Some("2026-11-03 13:00"),
            ),
            Some(2),
            true,
        ),
        facts(
            1,
            Cancelled,
            ("2026-11-04 09:00", Some("2026-11-04 09:10"), None),
            None,
            false,
        ),
        // Provider 2: served, not yet rated, 45 minutes to dispatch, 61 to service.
        facts(
            2,
            Served,
            (
                "2026-11-05 07:00",
                Some("2026-11-05 07:45"),
                Some("2026-11-05 08:01"),
            ),
            None,
            false,
        ),
    ];
    let p = performance(&orders);
    assert_eq!(p.len(), 2);
    let one = &p[0];
    assert_eq!(
        (
            one.orders,
            one.served,
            one.cancelled,
            one.rated,
            one.complaints
        ),
        (3, 2, 1, 2, 1)
    );
    // (30 + 90 + 10) / 3 = 43.3; (120 + 240) / 2 = 180; (5 + 2) / 2 = 3.5.
    assert_eq!(one.dispatch_minutes, Some(43.3));
    assert_eq!(one.serve_minutes, Some(180.0));
    assert_eq!(one.rating, Some(3.5));
    // Only served orders count as spending: 2 × 100.00, of which 2 × 60.00 subsidy.
    assert_eq!((one.amount, one.subsidy), (Fen(20_000), Fen(12_000)));
    let two = &p[1];
    assert_eq!((two.orders, two.served, two.rated), (1, 1, 0));
    assert_eq!(
        (two.dispatch_minutes, two.serve_minutes, two.rating),
        (Some(45.0), Some(61.0), None)
    );
}

#[test]
fn meals_per_site_per_day() {
    let days = [d("2026-11-27"), d("2026-11-28"), d("2026-11-29")];
    let counts = [
        MealCount {
            provider_id: 1,
            day: d("2026-11-27"),
            meals: 12,
        },
        MealCount {
            provider_id: 1,
            day: d("2026-11-29"),
            meals: 9,
        },
        MealCount {
            provider_id: 3,
            day: d("2026-11-28"),
            meals: 20,
        },
        // Outside the days shown: left out.
        MealCount {
            provider_id: 3,
            day: d("2026-10-31"),
            meals: 99,
        },
    ];
    let table = meal_table(&counts, &days);
    assert_eq!(
        table,
        vec![
            MealLine {
                provider_id: 1,
                per_day: vec![12, 0, 9],
                total: 21
            },
            MealLine {
                provider_id: 3,
                per_day: vec![0, 20, 0],
                total: 20
            },
        ]
    );
}
