//! Worked examples of the older-people rules.

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn id(birth: &str, seq: u16) -> IdNumber {
    IdNumber::compose("369902", d(birth), seq).unwrap()
}

/// The migration's defaults: 特困 300, 低保 200, 高龄 (80+) 100, 失能 (level ≥ 2) 200.
fn table() -> Vec<AllowanceRule> {
    let rule = |category, monthly: i64, threshold| AllowanceRule {
        category,
        effective_from: d("2020-01-01"),
        monthly: Fen::from_yuan(monthly),
        threshold,
    };
    vec![
        rule(Category::Tekun, 300, None),
        rule(Category::Dibao, 200, None),
        rule(Category::Aged, 100, Some(80)),
        rule(Category::Disabled, 200, Some(2)),
    ]
}

fn standing(tekun: bool, dibao: bool, age: u32, level: Option<i64>) -> Standing {
    Standing {
        tekun,
        dibao,
        age,
        ability: level.and_then(AbilityLevel::from_number),
    }
}

#[test]
fn age_is_counted_from_the_birth_date_in_the_id() {
    let today = d("2026-11-29");
    // Born 1966-11-29: sixty today. Born 1966-11-30: 59 until tomorrow.
    assert_eq!(check_age(&id("1966-11-29", 11), today), Ok(60));
    let young = check_age(&id("1966-11-30", 11), today).unwrap_err();
    assert!(
        young.contains("59 周岁") && young.contains("未满 60"),
        "{young}"
    );
    assert_eq!(check_age(&id("1940-02-29", 12), today), Ok(86));
}

#[test]
fn default_visit_intervals_follow_the_living_situation() {
    let cases = [
        (Living::Family, None, None),
        (Living::Alone, None, Some(7)),
        (Living::Bereaved, None, Some(7)),
        (Living::EmptyNest, None, Some(30)),
        (Living::LeftBehind, None, Some(30)),
        // An own interval wins, also for someone living with family.
        (Living::Alone, Some(3), Some(3)),
        (Living::Family, Some(14), Some(14)),
    ];
    for (living, own, expected) in cases {
        assert_eq!(visit_interval(living, own), expected, "{living:?} {own:?}");
    }
}

#[test]
fn a_visit_is_due_interval_days_after_the_last_one_or_the_registration() {
    let today = d("2026-11-29");
    // Living alone, registered 2026-11-01, never visited: due 11-08, 21 days overdue.
    let due = visit_due(d("2026-11-01"), None, Some(7));
    assert_eq!(due, Some(d("2026-11-08")));
    assert_eq!(days_overdue(due, today), Some(21));
    // Visited 11-22: due 11-29, which is today: not overdue yet.
    let due = visit_due(d("2026-11-01"), Some(d("2026-11-22")), Some(7));
    assert_eq!(due, Some(d("2026-11-29")));
    assert_eq!(days_overdue(due, today), None);
    // Visited 11-21: due 11-28, one day overdue.
    let due = visit_due(d("2026-11-01"), Some(d("2026-11-21")), Some(7));
    assert_eq!(days_overdue(due, today), Some(1));
    // Empty nest, visited 2026-10-15: due 11-14, 15 days overdue.
    let due = visit_due(d("2026-01-01"), Some(d("2026-10-15")), Some(30));
    assert_eq!(due, Some(d("2026-11-14")));
    assert_eq!(days_overdue(due, today), Some(15));
    // A visit recorded before the registration does not move the schedule back.
    let due = visit_due(d("2026-11-20"), Some(d("2026-10-01")), Some(7));
    assert_eq!(due, Some(d("2026-11-27")));
    // Living with family: nothing is due.
    assert_eq!(visit_due(d("2026-01-01"), None, None), None);
    assert_eq!(days_overdue(None, today), None);
}

#[test]
fn eligibility_takes_the_highest_allowance_of_the_categories_that_apply() {
    let rules = table();
    let cases: [(Standing, &[Category], i64, Option<Category>); 8] = [
        // 特困, 85 and 中度失能: 300, 100 and 200 apply; the highest is 300.
        (
            standing(true, false, 85, Some(2)),
            &[Category::Tekun, Category::Aged, Category::Disabled],
            300,
            Some(Category::Tekun),
        ),
        // 低保 at 70, not assessed: 200.
        (
            standing(false, true, 70, None),
            &[Category::Dibao],
            200,
            Some(Category::Dibao),
        ),
        // 80 exactly counts as 高龄: 100.
        (
            standing(false, false, 80, Some(1)),
            &[Category::Aged],
            100,
            Some(Category::Aged),
        ),
        // 79 and 轻度失能: nothing.
        (standing(false, false, 79, Some(1)), &[], 0, None),
        // 重度失能 at 65: 200.
        (
            standing(false, false, 65, Some(3)),
            &[Category::Disabled],
            200,
            Some(Category::Disabled),
        ),
        // 低保 and 失能 both 200: the amount is 200 (not 400), based on 低保.
        (
            standing(false, true, 66, Some(4)),
            &[Category::Dibao, Category::Disabled],
            200,
            Some(Category::Dibao),
        ),
        // 高龄 and 失能 at 90: 200.
        (
            standing(false, false, 90, Some(2)),
            &[Category::Aged, Category::Disabled],
            200,
            Some(Category::Disabled),
        ),
        // Nobody: not eligible.
        (standing(false, false, 60, Some(0)), &[], 0, None),
    ];
    for (who, categories, yuan, basis) in cases {
        let e = eligibility(who, &rules);
        let got: Vec<Category> = e.categories.iter().map(|(c, _)| *c).collect();
        assert_eq!(got, categories, "{who:?}");
        assert_eq!(e.monthly, Fen::from_yuan(yuan), "{who:?}");
        assert_eq!(e.basis, basis, "{who:?}");
        assert_eq!(e.eligible(), yuan > 0, "{who:?}");
    }
    let e = eligibility(standing(true, false, 85, Some(2)), &rules);
    assert_eq!(
        e.explanation(),
        "特困人员 300.00 元、高龄 100.00 元、失能 200.00 元，取最高 300.00 元/月"
    );
}

#[test]
fn thresholds_are_parameters() {
    // A city lowering 高龄 to 75 and counting 轻度失能 (level 1).
    let mut rules = table();
    rules[2].threshold = Some(75);
    rules[3].threshold = Some(1);
    let e = eligibility(standing(false, false, 76, Some(1)), &rules);
    assert_eq!(e.monthly, Fen::from_yuan(200));
    assert_eq!(
        e.categories.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [Category::Aged, Category::Disabled]
    );
}

#[test]
fn the_table_in_force_is_the_latest_row_of_each_category() {
    let mut rules = table();
    // From 2027-01 the 高龄 allowance rises to 150.
    rules.push(AllowanceRule {
        category: Category::Aged,
        effective_from: d("2027-01-01"),
        monthly: Fen::from_yuan(150),
        threshold: Some(80),
    });
    let aged = |day| {
        rules_in_force(&rules, d(day))
            .into_iter()
            .find(|r| r.category == Category::Aged)
            .unwrap()
            .monthly
    };
    assert_eq!(aged("2026-12-31"), Fen::from_yuan(100));
    assert_eq!(aged("2027-01-01"), Fen::from_yuan(150));
    // Before any row: no category.
    assert!(rules_in_force(&rules, d("2019-12-31")).is_empty());
}

#[test]
fn an_order_by_allowance_must_fit_in_the_remainder() {
    let e = eligibility(standing(false, true, 70, None), &table());
    // 200 a month, 150 used: 50 left.
    let left = remaining(e.monthly, Fen::from_yuan(150));
    assert_eq!(left, Fen::from_yuan(50));
    assert_eq!(check_subsidy(Fen::from_yuan(50), &e, left), Ok(()));
    let refused = check_subsidy(Fen(5_001), &e, left).unwrap_err();
    assert!(
        refused.contains("本月补贴余额为 50.00 元") && refused.contains("50.01 元"),
        "{refused}"
    );
    // The allowance was lowered below what is used: nothing left, not a debt.
    assert_eq!(
        remaining(Fen::from_yuan(100), Fen::from_yuan(150)),
        Fen::ZERO
    );
    let nobody = eligibility(standing(false, false, 61, None), &table());
    assert!(
        check_subsidy(Fen::ZERO, &nobody, Fen::ZERO)
            .unwrap_err()
            .contains("自费")
    );
}

fn input<'a>(
    id_number: &'a str,
    ability_level: &'a str,
    assessed_on: &'a str,
    living: &'a str,
    visit_every_days: &'a str,
) -> PersonInput<'a> {
    PersonInput {
        id_number,
        name: "王秀英",
        ability_level,
        assessed_on,
        living,
        phone: "13812345678",
        visit_every_days,
    }
}

#[test]
fn registration_fields_are_checked_with_messages_naming_them() {
    let today = d("2026-11-29");
    let good = id("1946-03-08", 21);
    let id_text = good.as_str();
    let p = NewPerson::parse(&input(id_text, "中度失能", "2026-10-01", "独居", ""), today).unwrap();
    assert_eq!(p.age, 80);
    assert_eq!(
        p.assessment,
        Some((AbilityLevel::Moderate, d("2026-10-01")))
    );
    assert_eq!(p.living, Living::Alone);
    assert_eq!(p.own_interval, None);
    let err = |i: PersonInput<'_>| NewPerson::parse(&i, today).unwrap_err();
    assert!(err(input(id_text, "2", "", "独居", "")).contains("「评估日期」"));
    assert!(err(input(id_text, "5", "2026-10-01", "独居", "")).contains("「能力等级」"));
    assert!(err(input(id_text, "", "", "同住", "")).contains("「居住情况」"));
    assert!(err(input(id_text, "", "", "alone", "0")).contains("「探访间隔」"));
    assert!(err(input(id_text, "2", "2026-12-01", "alone", "")).contains("晚于今天"));
    assert!(err(input("369902194603082", "", "", "alone", "")).contains("15 位"));
    // Not assessed: neither level nor date.
    let p = NewPerson::parse(&input(id_text, "", "", "family", "14"), today).unwrap();
    assert_eq!((p.assessment, p.own_interval), (None, Some(14)));
}

#[test]
fn allowance_changes_are_checked() {
    let r = parse_allowance("高龄", "2027-01", "150", "75").unwrap();
    assert_eq!(
        (r.category, r.effective_from, r.monthly, r.threshold),
        (
            Category::Aged,
            d("2027-01-01"),
            Fen::from_yuan(150),
            Some(75)
        )
    );
    let r = parse_allowance("tekun", "2027-01-01", "350.50", "").unwrap();
    assert_eq!((r.monthly, r.threshold), (Fen(35_050), None));
    assert!(
        parse_allowance("aged", "2027-01-15", "1", "80")
            .unwrap_err()
            .contains("「起始月份」")
    );
    assert!(
        parse_allowance("disabled", "2027-01", "1", "5")
            .unwrap_err()
            .contains("「失能等级线」")
    );
    assert!(
        parse_allowance("残疾", "2027-01", "1", "")
            .unwrap_err()
            .contains("「补贴类别」")
    );
    assert!(
        parse_allowance("dibao", "2027-01", "-1", "")
            .unwrap_err()
            .contains("「每月补贴」")
    );
}
