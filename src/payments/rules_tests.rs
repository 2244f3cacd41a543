//! Worked examples of the payroll rules.

use super::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

fn case(approved: &str, exited: Option<&str>) -> PayableCase {
    PayableCase {
        approved_on: day(approved),
        exited_on: exited.map(day),
        monthly_amount: Fen::from_yuan(900),
        amount_changes: Vec::new(),
    }
}

#[test]
fn paid_from_the_month_after_approval_through_the_month_of_the_stop() {
    let c = case("2026-03-31", Some("2026-06-10"));
    assert!(!payable(&c, month("2026-03")), "not the month of approval");
    assert!(payable(&c, month("2026-04")));
    assert!(
        payable(&c, month("2026-06")),
        "the month of the stop is paid"
    );
    assert!(!payable(&c, month("2026-07")));
    // Approved on the first of a month: still from the next month.
    let c = case("2026-05-01", None);
    assert!(!payable(&c, month("2026-05")) && payable(&c, month("2026-06")));
    assert!(payable(&c, month("2030-01")), "no stop: paid on");
}

#[test]
fn an_amount_change_applies_from_the_month_after_the_review() {
    let mut c = case("2025-12-15", None);
    c.monthly_amount = Fen::from_yuan(700);
    // Raised on 2026-03-20 from 900 to 1,100, lowered on 2026-08-01 to 700 (now).
    c.amount_changes = vec![
        (day("2026-03-20"), Fen::from_yuan(900), Fen::from_yuan(1100)),
        (day("2026-08-01"), Fen::from_yuan(1100), Fen::from_yuan(700)),
    ];
    assert_eq!(amount_for(&c, month("2026-01")), Fen::from_yuan(900));
    assert_eq!(amount_for(&c, month("2026-03")), Fen::from_yuan(900));
    assert_eq!(amount_for(&c, month("2026-04")), Fen::from_yuan(1100));
    assert_eq!(amount_for(&c, month("2026-08")), Fen::from_yuan(1100));
    assert_eq!(amount_for(&c, month("2026-09")), Fen::from_yuan(700));
    // Without reviews: the amount now.
    assert_eq!(
        amount_for(&case("2026-01-01", None), month("2026-05")),
        Fen::from_yuan(900)
    );
}

#[test]
fn months_parse_print_and_step() {
    assert_eq!(month("2026-12").next(), month("2027-01"));
    assert_eq!(month("2026-01").previous(), month("2025-12"));
    assert_eq!(month("2026-02").last_day(), day("2026-02-28"));
    assert_eq!(month("2026-02").to_string(), "2026-02");
    assert!("2026-13".parse::<Month>().unwrap_err().contains("2026-11"));
    assert!("十一月".parse::<Month>().is_err());
}

#[test]
fn maker_and_checker_differ() {
    let corrected = vec!["zhou".to_string()];
    let makers = Makers {
        generated_by: "wang",
        submitted_by: Some("li"),
        corrected_by: &corrected,
    };
    assert_eq!(
        next(Status::Generated, Action::Submit, "wang", &makers),
        Ok(Status::Submitted)
    );
    assert!(
        next(Status::Submitted, Action::Approve, "wang", &makers)
            .unwrap_err()
            .contains("不能审批")
    );
    assert!(next(Status::Submitted, Action::Approve, "li", &makers).is_err());
    // Whoever corrected a line is a maker too.
    assert!(next(Status::Submitted, Action::Approve, "zhou", &makers).is_err());
    assert_eq!(
        next(Status::Submitted, Action::Approve, "zhao", &makers),
        Ok(Status::Approved)
    );
    assert_eq!(
        next(Status::Submitted, Action::Return, "zhao", &makers),
        Ok(Status::Generated)
    );
    assert!(
        next(Status::Approved, Action::Return, "zhao", &makers)
            .unwrap_err()
            .contains("已审批")
    );
    assert!(next(Status::Generated, Action::Approve, "zhao", &makers).is_err());
}

#[test]
fn corrections_read_the_form_and_stop_at_the_bank_file() {
    assert_eq!(
        Correction::parse("amount", "820", " 复核后调整 "),
        Ok((Correction::Amount(Fen(82_000)), "复核后调整".to_string()))
    );
    assert_eq!(
        Correction::parse("remove", "", "已死亡").map(|c| c.0),
        Ok(Correction::Remove)
    );
    assert!(
        Correction::parse("remove", "", " ")
            .unwrap_err()
            .contains("「更正原因」")
    );
    assert!(
        Correction::parse("amount", "0", "x")
            .unwrap_err()
            .contains("移出名册")
    );
    assert!(
        Correction::parse("amount", "八百", "x")
            .unwrap_err()
            .contains("「更正后金额」「八百」")
    );
    assert!(
        Correction::parse("delete", "", "x")
            .unwrap_err()
            .contains("「更正方式」")
    );
    for ok in [Status::Generated, Status::Submitted, Status::Approved] {
        assert!(correctable(ok).is_ok());
    }
    assert!(correctable(Status::Exported).unwrap_err().contains("追回"));
    assert!(correctable(Status::Reconciled).is_err());
}

#[test]
fn references_round_trip() {
    assert_eq!(reference(42), "MZ0000000042");
    assert_eq!(parse_reference(" MZ0000000042 "), Some(42));
    assert_eq!(parse_reference("MZ42"), None);
    assert_eq!(parse_reference("XX0000000042"), None);
}

fn lines() -> Vec<PendingLine> {
    vec![
        PendingLine {
            id: 1,
            amount: Fen(90_000),
        },
        PendingLine {
            id: 2,
            amount: Fen(120_050),
        },
        PendingLine {
            id: 3,
            amount: Fen(45_000),
        },
    ]
}

fn ret(row: usize, id: i64, fen: i64, paid: bool, reason: &str) -> Returned {
    Returned {
        row,
        reference: reference(id),
        amount: Fen(fen),
        paid,
        reason: reason.to_string(),
    }
}

#[test]
fn a_return_that_matches_to_the_fen_is_accepted() {
    let out = reconcile(
        &lines(),
        &[
            ret(2, 1, 90_000, true, ""),
            ret(3, 2, 120_050, false, "账户已销户"),
            ret(4, 3, 45_000, true, ""),
        ],
    )
    .unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(
        out[1],
        Outcome {
            line_id: 2,
            paid: false,
            reason: "账户已销户".into()
        }
    );
}

#[test]
fn one_fen_off_is_refused_with_the_difference() {
    let problems = reconcile(
        &lines(),
        &[
            ret(2, 1, 90_000, true, ""),
            ret(3, 2, 120_051, true, ""),
            ret(4, 3, 45_000, true, ""),
        ],
    )
    .unwrap_err();
    assert!(
        problems[0].contains("第 3 行") && problems[0].contains("相差 0.01 元"),
        "{problems:?}"
    );
    // 2,550.50 in the payroll, 2,550.51 returned.
    assert!(
        problems
            .last()
            .unwrap()
            .contains("名册 3 笔 2,550.50 元，回盘 3 笔 2,550.51 元，相差 0.01 元"),
        "{problems:?}"
    );
}

#[test]
fn missing_duplicate_foreign_and_unexplained_lines_are_refused() {
    let problems = reconcile(
        &lines(),
        &[
            ret(2, 1, 90_000, true, ""),
            ret(3, 1, 90_000, true, ""),
            ret(4, 9, 100, true, ""),
            ret(5, 2, 120_050, false, " "),
        ],
    )
    .unwrap_err();
    let all = problems.join("\n");
    assert!(
        all.contains("第 3 行：参考号 MZ0000000001 重复出现"),
        "{all}"
    );
    assert!(
        all.contains("第 4 行：参考号 MZ0000000009 不在这份名册中"),
        "{all}"
    );
    assert!(
        all.contains("第 5 行") && all.contains("没有写失败原因"),
        "{all}"
    );
    assert!(
        all.contains("有 1 笔没有回盘结果（如 MZ0000000003）"),
        "{all}"
    );
}
