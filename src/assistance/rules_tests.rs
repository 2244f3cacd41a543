//! Worked examples of the issue and the boundaries of every rule.
use super::super::model::*;
use super::*;

fn member(name: &str, relation: Relation, age: u32) -> Member {
    Member {
        name: name.to_string(),
        relation,
        age,
        work_capacity: WorkCapacity::Full,
        disability: None,
        serious_illness: false,
        self_care: SelfCare::Full,
        covered: true,
        incomes: Vec::new(),
    }
}

fn income(kind: IncomeKind, yuan: i64, months: u32) -> Income {
    Income {
        kind,
        monthly: Fen::from_yuan(yuan),
        months,
        excluded: false,
    }
}

fn household(area: UrbanRural, members: Vec<Member>) -> Household {
    Household {
        area,
        members,
        assets: Assets {
            homes: 1,
            ..Assets::default()
        },
    }
}

/// Worked example 1 of the issue: 1,900 元/月.
#[test]
fn urban_family_of_three_with_one_wage() {
    let mut applicant = member("张伟", Relation::Applicant, 45);
    applicant.incomes.push(income(IncomeKind::Wage, 1500, 12));
    let h = household(
        UrbanRural::Urban,
        vec![
            applicant,
            member("李娜", Relation::Spouse, 43),
            member("张小明", Relation::Child, 10),
        ],
    );
    let p = Policy::defaults(UrbanRural::Urban);
    assert_eq!(counted_monthly_income(&h, &p), Fen::from_yuan(1200));
    let d = dibao(&h, &p);
    assert_eq!(d.outcome, DibaoOutcome::Eligible);
    assert_eq!(d.per_capita_income, Fen::from_yuan(400));
    assert_eq!(d.base, Fen::from_yuan(1800));
    assert_eq!(d.addons.len(), 1);
    assert_eq!(d.addons[0].amount, Fen::from_yuan(100));
    assert_eq!(d.addons[0].reason, "未成年人");
    assert_eq!(d.monthly, Fen::from_yuan(1900));
    assert_eq!(
        d.checks[0].line(),
        "家庭人均月收入 400.00 元 < 城市低保标准 1,000.00 元 ✓"
    );
}

/// Worked example 2: rural elderly couple, 1,540 元/月.
#[test]
fn rural_elderly_couple_with_a_pension() {
    let mut applicant = member("王大爷", Relation::Applicant, 82);
    applicant
        .incomes
        .push(income(IncomeKind::Transfer, 300, 12));
    let h = household(
        UrbanRural::Rural,
        vec![applicant, member("王大娘", Relation::Spouse, 78)],
    );
    let d = dibao(&h, &Policy::defaults(UrbanRural::Rural));
    assert_eq!(d.per_capita_income, Fen::from_yuan(150));
    assert_eq!(d.base, Fen::from_yuan(1300));
    let addons: Vec<i64> = d.addons.iter().map(|a| a.amount.0 / 100).collect();
    assert_eq!(addons, vec![160, 80]);
    assert_eq!(d.monthly, Fen::from_yuan(1540));
}

/// Worked example 3: deposits above 24 months of the standard per person.
#[test]
fn deposits_above_the_limit_make_a_household_ineligible() {
    let mut h = household(
        UrbanRural::Urban,
        vec![
            member("甲", Relation::Applicant, 50),
            member("乙", Relation::Spouse, 50),
        ],
    );
    h.assets.financial = Fen::from_yuan(60_000);
    let d = dibao(&h, &Policy::defaults(UrbanRural::Urban));
    assert_eq!(d.outcome, DibaoOutcome::Ineligible);
    assert_eq!(d.monthly, Fen::ZERO);
    let failed: Vec<&Check> = d.checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].rule, "financial_assets");
    assert!(
        failed[0].detail.contains("30,000.00") && failed[0].detail.contains("24,000.00"),
        "{}",
        failed[0].detail
    );
}

/// Worked example 4: the floor of 10% of the standard.
#[test]
fn a_small_gap_is_raised_to_the_floor() {
    let mut single = member("赵", Relation::Applicant, 40);
    single.incomes.push(income(IncomeKind::Wage, 1200, 12));
    let d = dibao(
        &household(UrbanRural::Urban, vec![single]),
        &Policy::defaults(UrbanRural::Urban),
    );
    assert_eq!(d.per_capita_income, Fen::from_yuan(960));
    assert_eq!(d.base, Fen::from_yuan(40));
    assert_eq!(d.monthly, Fen::from_yuan(100));
}

/// Worked example 5: 特困, rural, 70, semi-disabled: 1,640 元/月.
#[test]
fn rural_tekun_with_partial_self_care() {
    let mut person = member("孙奶奶", Relation::Applicant, 70);
    person.work_capacity = WorkCapacity::Lost;
    person.self_care = SelfCare::Partial;
    let h = household(UrbanRural::Rural, vec![person.clone()]);
    let d = tekun(&h, &person, false, &Policy::defaults(UrbanRural::Rural));
    assert!(d.eligible, "{:?}", d.checks);
    assert_eq!(d.basic_living, Fen::from_yuan(1040));
    assert_eq!(d.care_subsidy, Fen::from_yuan(600));
    assert_eq!(d.monthly, Fen::from_yuan(1640));
}

/// Worked example 6: 临时救助 limits.
#[test]
fn temporary_assistance_amounts_and_levels() {
    let p = Policy::defaults(UrbanRural::Urban);
    let g = temporary_grant(3, 4, &p);
    assert_eq!(
        (g.amount, g.level),
        (Fen::from_yuan(12_000), ApprovalLevel::Street)
    );
    let g = temporary_grant(5, 4, &p);
    assert_eq!(
        (g.amount, g.level),
        (Fen::from_yuan(20_000), ApprovalLevel::District)
    );
    assert_eq!(temporary_grant(7, 4, &p).level, ApprovalLevel::City);
    assert_eq!(advance_limit(4, &p), Fen::from_yuan(4_000));
}

/// Boundaries of each rule.
#[test]
fn boundaries() {
    let p = Policy::defaults(UrbanRural::Urban);
    // Income exactly at the standard is not below it.
    let mut m = member("钱", Relation::Applicant, 40);
    m.incomes.push(income(IncomeKind::Business, 1000, 12));
    let d = dibao(&household(UrbanRural::Urban, vec![m.clone()]), &p);
    assert_eq!(
        d.outcome,
        DibaoOutcome::Marginal,
        "1,000 is not < 1,000, but < 1,500"
    );
    // One fen below: eligible, floor applies.
    m.incomes[0].monthly = Fen(99_999);
    assert_eq!(
        dibao(&household(UrbanRural::Urban, vec![m.clone()]), &p).outcome,
        DibaoOutcome::Eligible
    );
    // At 1.5 × the standard: not marginal.
    m.incomes[0].monthly = Fen::from_yuan(1500);
    assert_eq!(
        dibao(&household(UrbanRural::Urban, vec![m.clone()]), &p).outcome,
        DibaoOutcome::Ineligible
    );
    // Assets exactly at 24 months pass; one fen more fails.
    let mut h = household(
        UrbanRural::Urban,
        vec![member("孙", Relation::Applicant, 50)],
    );
    h.assets.financial = Fen::from_yuan(24_000);
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Eligible);
    h.assets.financial = Fen(2_400_001);
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Ineligible);
    // Vehicles: a motorcycle or disability vehicle passes, a car does not.
    let mut h = household(
        UrbanRural::Urban,
        vec![member("周", Relation::Applicant, 50)],
    );
    h.assets.vehicles.push(Vehicle {
        kind: VehicleKind::Motorcycle,
        value: Fen::from_yuan(5000),
    });
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Eligible);
    h.assets.vehicles.push(Vehicle {
        kind: VehicleKind::Car,
        value: Fen::from_yuan(3000),
    });
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Ineligible);
    // Two homes or a shop fail.
    let mut h = household(
        UrbanRural::Urban,
        vec![member("吴", Relation::Applicant, 50)],
    );
    h.assets.homes = 2;
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Ineligible);
    // Business capital: 100,000 passes, above fails; a deregistered one does not count.
    let mut h = household(
        UrbanRural::Urban,
        vec![member("郑", Relation::Applicant, 50)],
    );
    h.assets.business_roles.push(BusinessRole {
        registered_capital: Fen::from_yuan(100_000),
        operating: true,
    });
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Eligible);
    h.assets.business_roles.push(BusinessRole {
        registered_capital: Fen::from_yuan(500_000),
        operating: false,
    });
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Eligible);
    h.assets.business_roles.push(BusinessRole {
        registered_capital: Fen(10_000_001),
        operating: true,
    });
    assert_eq!(dibao(&h, &p).outcome, DibaoOutcome::Ineligible);
}

#[test]
fn excluded_income_and_partial_months() {
    let p = Policy::defaults(UrbanRural::Urban);
    let mut m = member("冯", Relation::Applicant, 85);
    // 高龄津贴 is not counted; a wage for 6 months counts 6 × 80%.
    m.incomes.push(Income {
        kind: IncomeKind::Transfer,
        monthly: Fen::from_yuan(200),
        months: 12,
        excluded: true,
    });
    m.incomes.push(income(IncomeKind::Wage, 1000, 6));
    let h = household(UrbanRural::Urban, vec![m]);
    assert_eq!(counted_monthly_income(&h, &p), Fen::from_yuan(400));
    let d = dibao(&h, &p);
    assert_eq!(
        d.monthly,
        Fen::from_yuan(600 + 200),
        "gap 600 + 80+ add-on 200"
    );
}

#[test]
fn only_the_highest_addon_applies() {
    let p = Policy::defaults(UrbanRural::Urban);
    let mut m = member("陈", Relation::Child, 12);
    m.disability = Some(Disability {
        grade: 1,
        kind: DisabilityKind::Physical,
    });
    m.serious_illness = true;
    assert_eq!(addon_for(&m, &p), Some((30, "一、二级残疾人")));
    m.disability = Some(Disability {
        grade: 4,
        kind: DisabilityKind::Hearing,
    });
    assert_eq!(
        addon_for(&m, &p).map(|a| a.0),
        Some(20),
        "serious illness beats grade 4"
    );
    assert_eq!(addon_for(&member("褚", Relation::Applicant, 59), &p), None);
    assert_eq!(
        addon_for(&member("卫", Relation::Applicant, 60), &p).map(|a| a.0),
        Some(10)
    );
    assert_eq!(
        addon_for(&member("蒋", Relation::Applicant, 80), &p).map(|a| a.0),
        Some(20)
    );
    assert_eq!(
        addon_for(&member("沈", Relation::Child, 17), &p).map(|a| a.0),
        Some(10)
    );
    assert_eq!(addon_for(&member("韩", Relation::Child, 18), &p), None);
}

#[test]
fn single_person_coverage_for_a_severely_ill_member_just_above_the_line() {
    let p = Policy::defaults(UrbanRural::Urban);
    let mut a = member("杨", Relation::Applicant, 50);
    a.incomes.push(income(IncomeKind::Business, 2400, 12));
    let mut b = member("朱", Relation::Spouse, 48);
    b.serious_illness = true;
    let d = dibao(&household(UrbanRural::Urban, vec![a, b]), &p);
    // Per capita 1,200: above 1,000, below 1,500.
    assert_eq!(d.outcome, DibaoOutcome::SinglePerson);
    assert_eq!(d.covered_persons, 1);
    // Floor 100 + serious-illness add-on 200.
    assert_eq!(d.monthly, Fen::from_yuan(300));
}

#[test]
fn tekun_conditions() {
    let p = Policy::defaults(UrbanRural::Urban);
    let mut person = member("许", Relation::Applicant, 45);
    person.work_capacity = WorkCapacity::Lost;
    let h = household(UrbanRural::Urban, vec![person.clone()]);
    assert!(!tekun(&h, &person, false, &p).eligible, "45, no disability");
    person.disability = Some(Disability {
        grade: 3,
        kind: DisabilityKind::Mental,
    });
    assert!(tekun(&h, &person, false, &p).eligible, "grade 3 mental");
    person.disability = Some(Disability {
        grade: 3,
        kind: DisabilityKind::Physical,
    });
    assert!(!tekun(&h, &person, false, &p).eligible, "grade 3 physical");
    let child = member("何", Relation::Child, 15);
    let hc = household(UrbanRural::Urban, vec![child.clone()]);
    let d = tekun(&hc, &child, false, &p);
    assert!(d.eligible, "a minor under 16 counts as unable to work");
    // Full self-care: 5% of 2,000 = 100; fully dependent: 60% = 1,200; urban 1.3 × 1,000.
    assert_eq!(d.monthly, Fen::from_yuan(1300 + 100));
    let mut old = member("吕", Relation::Applicant, 75);
    old.work_capacity = WorkCapacity::Lost;
    old.self_care = SelfCare::None;
    let ho = household(UrbanRural::Urban, vec![old.clone()]);
    assert_eq!(tekun(&ho, &old, false, &p).monthly, Fen::from_yuan(2500));
    assert!(
        !tekun(&ho, &old, true, &p).eligible,
        "an able supporter exists"
    );
}

/// The boundaries the first table did not reach: approval levels at 4 and 6 months,
/// the 特困 age groups at 59/60 and 15/16, the elderly add-on at 79/80, and a car at the
/// city's vehicle limit.
#[test]
fn age_level_and_vehicle_boundaries() {
    let p = Policy::defaults(UrbanRural::Urban);
    assert_eq!(temporary_grant(4, 1, &p).level, ApprovalLevel::District);
    assert_eq!(temporary_grant(6, 1, &p).level, ApprovalLevel::District);
    assert_eq!(temporary_grant(6, 1, &p).amount, Fen::from_yuan(6_000));
    // 特困: 60 is old enough, 59 is not (without a disability); under 16 is a minor.
    let tekun_at = |age: u32| {
        let mut person = member("何", Relation::Applicant, age);
        person.work_capacity = WorkCapacity::Lost;
        let h = household(UrbanRural::Urban, vec![person.clone()]);
        tekun(&h, &person, false, &p).eligible
    };
    assert!(tekun_at(60));
    assert!(!tekun_at(59));
    assert!(tekun_at(15));
    assert!(!tekun_at(16));
    // The add-on for the elderly: 10% from 60 to 79, 20% from 80 (one person, no income:
    // base 1,000 + add-on).
    let single_at = |age: u32| {
        dibao(
            &household(
                UrbanRural::Urban,
                vec![member("许", Relation::Applicant, age)],
            ),
            &p,
        )
        .monthly
    };
    assert_eq!(single_at(59), Fen::from_yuan(1_000));
    assert_eq!(single_at(60), Fen::from_yuan(1_100));
    assert_eq!(single_at(79), Fen::from_yuan(1_100));
    assert_eq!(single_at(80), Fen::from_yuan(1_200));
    // A city that keeps cars under 50,000 元: 49,999.99 passes, 50,000 does not.
    let mut city = Policy::defaults(UrbanRural::Urban);
    city.vehicle_value_limit = Fen::from_yuan(50_000);
    let with_car = |value: Fen| {
        let mut h = household(
            UrbanRural::Urban,
            vec![member("吕", Relation::Applicant, 50)],
        );
        h.assets.vehicles.push(Vehicle {
            kind: VehicleKind::Car,
            value,
        });
        dibao(&h, &city).outcome
    };
    assert_eq!(with_car(Fen(4_999_999)), DibaoOutcome::Eligible);
    assert_eq!(with_car(Fen::from_yuan(50_000)), DibaoOutcome::Ineligible);
}
