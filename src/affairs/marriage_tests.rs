use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn id(birth: &str, seq: u16) -> String {
    IdNumber::compose("369902", d(birth), seq)
        .unwrap()
        .as_str()
        .to_string()
}

fn marriage<'a>(day: &str, man: &'a str, woman: &'a str, cert: &'a str) -> Record<'a> {
    Record {
        kind: Kind::Marriage,
        day: d(day),
        certificate: cert,
        man_name: "张伟",
        man_id: man,
        woman_name: "李娜",
        woman_id: woman,
        office: "369902",
        applied_on: None,
    }
}

#[test]
fn ages_count_on_the_birthday() {
    // The 22nd / 20th birthday itself is old enough; the day before is not.
    assert!(age_rule(Sex::Male, d("2004-11-29"), d("2026-11-29")).is_ok());
    let young = age_rule(Sex::Male, d("2004-11-30"), d("2026-11-29")).unwrap_err();
    assert_eq!(young.rule, Rule::ManAge);
    assert!(young.to_string().contains("男方年满22周岁"), "{young}");
    assert!(age_rule(Sex::Female, d("2006-11-29"), d("2026-11-29")).is_ok());
    assert_eq!(
        age_rule(Sex::Female, d("2006-11-30"), d("2026-11-29"))
            .unwrap_err()
            .rule,
        Rule::WomanAge
    );
    // Born on 29 February: 22 on 1 March of a common year.
    assert!(age_rule(Sex::Male, d("2004-02-29"), d("2026-02-28")).is_err());
    assert!(age_rule(Sex::Male, d("2004-02-29"), d("2026-03-01")).is_ok());
}

#[test]
fn the_audit_checks_ages_sexes_and_certificate_numbers() {
    let (man, woman) = (id("2004-11-29", 11), id("2006-11-29", 22));
    let r = marriage("2026-11-29", &man, &woman, "J369902-2026-000001");
    assert_eq!(audit(&r, &Registry::default(), ("m", "w")), Ok(()));
    let young = id("2006-11-30", 24);
    let r = marriage("2026-11-29", &man, &young, "J369902-2026-000001");
    assert_eq!(
        audit(&r, &Registry::default(), ("m", "w"))
            .unwrap_err()
            .rule,
        Rule::WomanAge
    );
    // Two men.
    let r = marriage("2026-11-29", &man, &man, "J369902-2026-000001");
    assert_eq!(
        audit(&r, &Registry::default(), ("m", "w"))
            .unwrap_err()
            .rule,
        Rule::Sexes
    );
    // A divorce letter, another office, another year, a short sequence.
    for bad in [
        "L369902-2026-000001",
        "J369921-2026-000001",
        "J369902-2025-000001",
        "J369902-2026-0001",
        "",
    ] {
        let r = marriage("2026-11-29", &man, &woman, bad);
        assert_eq!(
            audit(&r, &Registry::default(), ("m", "w"))
                .unwrap_err()
                .rule,
            Rule::Certificate,
            "{bad}"
        );
    }
    let r = marriage(
        "2026-11-29",
        "36990219900101123",
        &woman,
        "J369902-2026-000001",
    );
    let e = audit(&r, &Registry::default(), ("m", "w")).unwrap_err();
    assert_eq!(e.rule, Rule::Fields);
    assert!(e.detail.contains("男方身份证号"), "{e}");
    assert_eq!(
        parse_certificate("L369902-2026-000123"),
        Some(('L', "369902", 2026, 123))
    );
    assert_eq!(
        certificate_number('J', "369902", 2026, 7),
        "J369902-2026-000007"
    );
}

#[test]
fn bigamy_married_divorced_remarried() {
    let ev = |since: &str, registration: i64, status: MaritalStatus, spouse: &str| StatusEvent {
        since: d(since),
        registration,
        status,
        spouse: spouse.to_string(),
    };
    let history = vec![
        ev("2020-05-01", 1, MaritalStatus::Married, "a"),
        ev("2024-03-01", 5, MaritalStatus::Divorced, "a"),
        ev("2025-06-01", 9, MaritalStatus::Married, "b"),
    ];
    assert_eq!(
        spouses_before(&history, (d("2019-01-01"), i64::MAX)),
        Vec::<&str>::new()
    );
    assert_eq!(spouses_before(&history, (d("2021-01-01"), i64::MAX)), ["a"]);
    // Divorced: free to marry, the same day included.
    assert_eq!(
        spouses_before(&history, (d("2024-03-01"), i64::MAX)),
        Vec::<&str>::new()
    );
    assert_eq!(
        spouses_before(&history, (d("2025-01-01"), i64::MAX)),
        Vec::<&str>::new()
    );
    // Remarried: married to b, a second marriage is bigamy.
    assert_eq!(spouses_before(&history, (d("2026-11-29"), i64::MAX)), ["b"]);
    // A registration does not see itself: the audit of registration 9 sees the divorce.
    assert_eq!(
        spouses_before(&history, (d("2025-06-01"), 9)),
        Vec::<&str>::new()
    );
    let (man, woman) = (id("1990-01-01", 11), id("1992-01-01", 22));
    let r = marriage("2026-11-29", &man, &woman, "J369902-2026-000002");
    let reg = Registry {
        man_spouses: vec!["b".into()],
        ..Registry::default()
    };
    assert_eq!(
        audit(&r, &reg, ("m", "w")).unwrap_err().rule,
        Rule::ManMarried
    );
    let reg = Registry {
        woman_spouses: vec!["x".into()],
        ..Registry::default()
    };
    assert_eq!(
        audit(&r, &reg, ("m", "w")).unwrap_err().rule,
        Rule::WomanMarried
    );
}

#[test]
fn the_cooling_off_window() {
    let received = d("2026-08-01");
    // Day 30 after receipt: still cooling off; day 31 and day 60: completion; day 61: lapsed.
    let day = |n: i64| received + chrono::Duration::days(n);
    assert_eq!(
        may_complete(received, day(30)).unwrap_err().rule,
        Rule::CoolingOff
    );
    assert!(may_complete(received, day(31)).is_ok());
    assert!(may_complete(received, day(60)).is_ok());
    assert_eq!(
        may_complete(received, day(61)).unwrap_err().rule,
        Rule::Lapsed
    );
    assert!(may_withdraw(received, day(0)).is_ok());
    assert!(may_withdraw(received, day(30)).is_ok());
    assert_eq!(
        may_withdraw(received, day(31)).unwrap_err().rule,
        Rule::Withdrawal
    );
    // The page's buttons: withdraw on days 0–30, complete on days 31–60, then neither.
    assert_eq!(
        actions_on(ApplicationStatus::Received, received, day(30)),
        (true, false)
    );
    assert_eq!(
        actions_on(ApplicationStatus::Received, received, day(31)),
        (false, true)
    );
    assert_eq!(
        actions_on(ApplicationStatus::Received, received, day(60)),
        (false, true)
    );
    assert_eq!(
        actions_on(ApplicationStatus::Received, received, day(61)),
        (false, false)
    );
    assert_eq!(
        actions_on(ApplicationStatus::Withdrawn, received, day(10)),
        (false, false)
    );
    use ApplicationStatus::*;
    assert_eq!(status_on(Received, received, day(60)), Received);
    assert_eq!(status_on(Received, received, day(61)), Lapsed);
    assert_eq!(status_on(Withdrawn, received, day(90)), Withdrawn);
    // A divorce registration is audited by the same window and needs the two to be spouses.
    let (man, woman) = (id("1990-01-01", 11), id("1992-01-01", 22));
    let mut r = marriage("2026-09-01", &man, &woman, "L369902-2026-000001");
    r.kind = Kind::Divorce;
    r.applied_on = Some(received);
    let spouses = Registry {
        man_spouses: vec!["w".into()],
        woman_spouses: vec!["m".into()],
        between: Some(MaritalStatus::Married),
        ..Registry::default()
    };
    assert_eq!(audit(&r, &spouses, ("m", "w")), Ok(()));
    r.day = day(30);
    assert_eq!(
        audit(&r, &spouses, ("m", "w")).unwrap_err().rule,
        Rule::CoolingOff
    );
    r.applied_on = None;
    r.day = d("2026-09-01");
    assert_eq!(
        audit(&r, &spouses, ("m", "w")).unwrap_err().rule,
        Rule::NoApplication
    );
    r.applied_on = Some(received);
    assert_eq!(
        audit(&r, &Registry::default(), ("m", "w"))
            .unwrap_err()
            .rule,
        Rule::NotSpouses
    );
}

#[test]
fn kinship_and_reissue() {
    assert!(kinship_rule(Some(false)).is_ok());
    assert_eq!(kinship_rule(Some(true)).unwrap_err().rule, Rule::Kinship);
    assert_eq!(kinship_rule(None).unwrap_err().rule, Rule::Fields);
    let (man, woman) = (id("1990-01-01", 11), id("1992-01-01", 22));
    let mut r = marriage("2026-09-01", &man, &woman, "J369902-2026-000009");
    r.kind = Kind::Reissue;
    let married = Registry {
        between: Some(MaritalStatus::Married),
        ..Registry::default()
    };
    assert_eq!(audit(&r, &married, ("m", "w")), Ok(()));
    assert_eq!(
        audit(&r, &Registry::default(), ("m", "w"))
            .unwrap_err()
            .rule,
        Rule::NoOriginal
    );
    let divorced = Registry {
        between: Some(MaritalStatus::Divorced),
        ..Registry::default()
    };
    assert_eq!(
        audit(&r, &divorced, ("m", "w")).unwrap_err().rule,
        Rule::Certificate
    );
}

#[test]
fn certificate_numbers_stop_at_the_sixth_digit() {
    assert_eq!(
        next_certificate_number('J', "369902", 2026, 0),
        Ok("J369902-2026-000001".to_string())
    );
    let last = next_certificate_number('L', "369902", 2026, 999_998).unwrap();
    assert_eq!(last, "L369902-2026-999999");
    assert!(parse_certificate(&last).is_some());
    // The next would be 1000000: 7 digits, which no certificate may have.
    let e = next_certificate_number('L', "369902", 2026, 999_999).unwrap_err();
    assert_eq!(e.rule, Rule::Certificate);
    assert!(e.to_string().contains("本年度证号已用完"), "{e}");
}

#[test]
fn a_missing_id_and_a_dead_party_are_named() {
    let woman = id("1999-01-01", 22);
    let r = marriage("2026-08-01", "", &woman, "J369902-2026-000001");
    let e = audit(&r, &Registry::default(), ("", "w")).unwrap_err();
    assert_eq!(e.rule, Rule::MissingId, "{e}");
    assert!(e.to_string().contains("「男方身份证号」为空"), "{e}");
    let man = id("1990-01-01", 11);
    let r = marriage("2026-08-01", &man, &woman, "J369902-2026-000001");
    let dead = Registry {
        woman_died: Some(d("2026-08-01")),
        ..Registry::default()
    };
    let e = audit(&r, &dead, ("m", "w")).unwrap_err();
    assert_eq!(e.rule, Rule::Deceased, "{e}");
    assert!(e.to_string().contains("当事人已死亡"), "{e}");
    assert!(e.to_string().contains("女方"), "{e}");
}
