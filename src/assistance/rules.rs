//! The assistance rules (DOMAIN.md §2), pure: a decision takes the household and the
//! policy in force and returns its outcome with an explanation — every test, the numbers
//! it used, and whether it passed — to be shown on the case page as it is.
//!
//! Rounding: per-capita income rounds down (in the applicant's favour); the final monthly
//! amount rounds up to the whole yuan.

use super::model::{
    DisabilityKind, Household, IncomeKind, Member, SelfCare, VehicleKind, WorkCapacity,
};
use crate::money::Fen;
use crate::region::UrbanRural;

/// The policy numbers in force for one district and one area (urban or rural) on one
/// date. Percentages are whole percent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// 低保标准 per person per month.
    pub dibao_standard: Fen,
    /// Share of wage income deducted as the cost of working.
    pub wage_deduction_pct: i64,
    /// Financial assets per person may not exceed this many months of the standard.
    pub asset_months: i64,
    /// A car worth less than this passes (0: no car passes).
    pub vehicle_value_limit: Fen,
    /// Business roles with registered capital above this fail.
    pub business_capital_limit: Fen,
    /// Least benefit per covered person, as a share of the standard.
    pub floor_pct: i64,
    pub addon_aged_60_79_pct: i64,
    pub addon_aged_80_pct: i64,
    pub addon_disability_1_2_pct: i64,
    pub addon_disability_3_4_pct: i64,
    pub addon_minor_pct: i64,
    pub addon_serious_illness_pct: i64,
    /// Marginal households: income below this share of the standard.
    pub marginal_pct: i64,
    /// 特困 basic living standard as a share of the 低保 standard.
    pub tekun_pct: i64,
    /// Local monthly minimum wage, base of the 特困 care subsidy.
    pub minimum_wage: Fen,
    pub care_full_pct: i64,
    pub care_partial_pct: i64,
    pub care_none_pct: i64,
    /// 临时救助: months a street may grant, a district may grant; 先行救助 months.
    pub temp_street_months: i64,
    pub temp_district_months: i64,
    pub temp_advance_months: i64,
}

impl Policy {
    /// The national defaults of DOMAIN.md for an urban or rural area.
    pub fn defaults(area: UrbanRural) -> Policy {
        Policy {
            dibao_standard: match area {
                UrbanRural::Urban => Fen::from_yuan(1000),
                UrbanRural::Rural => Fen::from_yuan(800),
            },
            wage_deduction_pct: 20,
            asset_months: 24,
            vehicle_value_limit: Fen::ZERO,
            business_capital_limit: Fen::from_yuan(100_000),
            floor_pct: 10,
            addon_aged_60_79_pct: 10,
            addon_aged_80_pct: 20,
            addon_disability_1_2_pct: 30,
            addon_disability_3_4_pct: 15,
            addon_minor_pct: 10,
            addon_serious_illness_pct: 20,
            marginal_pct: 150,
            tekun_pct: 130,
            minimum_wage: Fen::from_yuan(2000),
            care_full_pct: 5,
            care_partial_pct: 30,
            care_none_pct: 60,
            temp_street_months: 3,
            temp_district_months: 6,
            temp_advance_months: 1,
        }
    }

    fn pct(&self, amount: Fen, pct: i64) -> Fen {
        amount.mul_div_ceil(pct, 100)
    }
}

/// One test of a decision, as the case page shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub rule: &'static str,
    /// The sentence with the numbers: `家庭人均月收入 400.00 元 < 城市低保标准 1,000.00 元`.
    pub detail: String,
    pub passed: bool,
}

impl Check {
    fn new(rule: &'static str, passed: bool, detail: String) -> Check {
        Check {
            rule,
            detail,
            passed,
        }
    }
    /// `✓`/`✗` after the sentence, as on the case page.
    pub fn line(&self) -> String {
        format!("{} {}", self.detail, if self.passed { "✓" } else { "✗" })
    }
}

fn area_label(area: UrbanRural) -> &'static str {
    match area {
        UrbanRural::Urban => "城市",
        UrbanRural::Rural => "农村",
    }
}

/// Counted monthly income of the household: every counted item over the last 12
/// months, wages less the cost of working, divided by 12.
pub fn counted_monthly_income(h: &Household, p: &Policy) -> Fen {
    let mut total = Fen::ZERO;
    for m in &h.members {
        for i in m.incomes.iter().filter(|i| !i.excluded) {
            let months = i64::from(i.months.min(12));
            let mut amount = i.monthly * months;
            if i.kind == IncomeKind::Wage {
                amount = amount.mul_div_floor(100 - p.wage_deduction_pct, 100);
            }
            total += amount;
        }
    }
    total.mul_div_floor(1, 12)
}

/// Per-capita monthly income, rounded down to the fen.
pub fn per_capita_income(h: &Household, p: &Policy) -> Fen {
    let n = h.members.len().max(1) as i64;
    counted_monthly_income(h, p).mul_div_floor(1, n)
}

/// The asset tests, each with its numbers.
pub fn asset_checks(h: &Household, p: &Policy) -> Vec<Check> {
    let n = h.members.len().max(1) as i64;
    let per_capita = h.assets.financial.mul_div_floor(1, n);
    let limit = p.dibao_standard * p.asset_months;
    let mut checks = vec![Check::new(
        "financial_assets",
        per_capita <= limit,
        format!(
            "人均金融资产 {} 元 {} {} 个月低保标准 {} 元",
            per_capita,
            if per_capita <= limit { "≤" } else { ">" },
            p.asset_months,
            limit
        ),
    )];
    let bad_vehicle = h.assets.vehicles.iter().find(|v| match v.kind {
        VehicleKind::Motorcycle | VehicleKind::DisabilityVehicle => false,
        _ => v.value >= p.vehicle_value_limit,
    });
    checks.push(Check::new(
        "vehicles",
        bad_vehicle.is_none(),
        match bad_vehicle {
            None => "无不符合规定的机动车".to_string(),
            Some(v) => format!("拥有机动车（价值 {} 元），不符合车辆条件", v.value),
        },
    ));
    let homes_ok = h.assets.homes <= 1 && h.assets.commercial_properties == 0;
    checks.push(Check::new(
        "real_estate",
        homes_ok,
        format!(
            "住房 {} 套、商业用房 {} 处（限住房 1 套、无商业用房）",
            h.assets.homes, h.assets.commercial_properties
        ),
    ));
    let big_business = h
        .assets
        .business_roles
        .iter()
        .find(|b| b.operating && b.registered_capital > p.business_capital_limit);
    checks.push(Check::new(
        "business",
        big_business.is_none(),
        match big_business {
            None => format!(
                "无注册资本超过 {} 元的在营企业任职或持股",
                p.business_capital_limit
            ),
            Some(b) => format!(
                "担任在营企业法定代表人或股东，注册资本 {} 元 > {} 元",
                b.registered_capital, p.business_capital_limit
            ),
        },
    ));
    checks
}

/// The classified add-on of one member: only the highest applicable one.
pub fn addon_for(m: &Member, p: &Policy) -> Option<(i64, &'static str)> {
    let mut options: Vec<(i64, &'static str)> = Vec::new();
    if m.age >= 80 {
        options.push((p.addon_aged_80_pct, "80 岁以上老人"));
    } else if m.age >= 60 {
        options.push((p.addon_aged_60_79_pct, "60–79 岁老人"));
    }
    if let Some(d) = m.disability {
        if d.grade <= 2 {
            options.push((p.addon_disability_1_2_pct, "一、二级残疾人"));
        } else {
            options.push((p.addon_disability_3_4_pct, "三、四级残疾人"));
        }
    }
    if m.age < 18 {
        options.push((p.addon_minor_pct, "未成年人"));
    }
    if m.serious_illness {
        options.push((p.addon_serious_illness_pct, "重病患者"));
    }
    options.into_iter().max_by_key(|(pct, _)| *pct)
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Addon {
    pub member: String,
    pub reason: &'static str,
    pub amount: Fen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum DibaoOutcome {
    /// Eligible: the whole household (its covered persons).
    Eligible,
    /// Above the line, but a seriously ill or severely disabled member is covered alone.
    SinglePerson,
    /// Fails only on income, below the marginal line: kept on the marginal list.
    Marginal,
    Ineligible,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DibaoDecision {
    pub outcome: DibaoOutcome,
    pub per_capita_income: Fen,
    pub covered_persons: usize,
    /// (standard − per-capita income) × covered persons, before the floor.
    pub base: Fen,
    pub addons: Vec<Addon>,
    /// The monthly benefit, rounded up to the whole yuan; zero when not eligible.
    pub monthly: Fen,
    pub checks: Vec<Check>,
}

/// Members who may be covered alone (单人保): seriously ill or severely disabled.
fn single_person_candidates(h: &Household) -> Vec<&Member> {
    h.members
        .iter()
        .filter(|m| m.serious_illness || m.disability.is_some_and(|d| d.grade <= 2))
        .collect()
}

fn amount_for(
    covered: &[&Member],
    pci: Fen,
    p: &Policy,
    checks: &mut Vec<Check>,
) -> (Fen, Fen, Vec<Addon>) {
    let n = covered.len() as i64;
    let gap = if pci < p.dibao_standard {
        p.dibao_standard - pci
    } else {
        Fen::ZERO
    };
    let base = gap * n;
    let floor = p.pct(p.dibao_standard, p.floor_pct) * n;
    let mut amount = base;
    if base < floor {
        checks.push(Check::new(
            "floor",
            true,
            format!(
                "补差 {base} 元 < 最低补助 {floor} 元（每人标准的 {}%），按最低补助计",
                p.floor_pct
            ),
        ));
        amount = floor;
    }
    let addons: Vec<Addon> = covered
        .iter()
        .filter_map(|m| {
            addon_for(m, p).map(|(pct, reason)| Addon {
                member: m.name.clone(),
                reason,
                amount: p.pct(p.dibao_standard, pct),
            })
        })
        .collect();
    let total = amount + addons.iter().map(|a| a.amount).sum::<Fen>();
    (base, total.ceil_yuan(), addons)
}

/// 低保: eligibility and the monthly amount.
pub fn dibao(h: &Household, p: &Policy) -> DibaoDecision {
    let pci = per_capita_income(h, p);
    let std = p.dibao_standard;
    let label = area_label(h.area);
    let income_ok = pci < std;
    let mut checks = vec![Check::new(
        "income",
        income_ok,
        format!(
            "家庭人均月收入 {pci} 元 {} {label}低保标准 {std} 元",
            if income_ok { "<" } else { "≥" }
        ),
    )];
    let assets = asset_checks(h, p);
    let assets_ok = assets.iter().all(|c| c.passed);
    checks.extend(assets);
    let ineligible = |checks| DibaoDecision {
        outcome: DibaoOutcome::Ineligible,
        per_capita_income: pci,
        covered_persons: 0,
        base: Fen::ZERO,
        addons: Vec::new(),
        monthly: Fen::ZERO,
        checks,
    };
    if !assets_ok {
        return ineligible(checks);
    }
    if income_ok {
        let covered: Vec<&Member> = h.members.iter().filter(|m| m.covered).collect();
        let (base, monthly, addons) = amount_for(&covered, pci, p, &mut checks);
        return DibaoDecision {
            outcome: DibaoOutcome::Eligible,
            per_capita_income: pci,
            covered_persons: covered.len(),
            base,
            addons,
            monthly,
            checks,
        };
    }
    let marginal_line = p.pct(std, p.marginal_pct);
    let marginal = pci < marginal_line;
    checks.push(Check::new(
        "marginal",
        marginal,
        format!(
            "家庭人均月收入 {pci} 元 {} 低保边缘标准 {marginal_line} 元（低保标准的 {}%）",
            if marginal { "<" } else { "≥" },
            p.marginal_pct
        ),
    ));
    if !marginal {
        return ineligible(checks);
    }
    let single = single_person_candidates(h);
    if !single.is_empty() {
        checks.push(Check::new(
            "single_person",
            true,
            format!(
                "{} 为重病或重度残疾，可单独纳入低保（单人保）",
                names(&single)
            ),
        ));
        let (base, monthly, addons) = amount_for(&single, pci, p, &mut checks);
        return DibaoDecision {
            outcome: DibaoOutcome::SinglePerson,
            per_capita_income: pci,
            covered_persons: single.len(),
            base,
            addons,
            monthly,
            checks,
        };
    }
    DibaoDecision {
        outcome: DibaoOutcome::Marginal,
        ..ineligible(checks)
    }
}

fn names(members: &[&Member]) -> String {
    members
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TekunDecision {
    pub eligible: bool,
    pub basic_living: Fen,
    pub care_subsidy: Fen,
    /// Basic living standard + care subsidy, rounded up to the yuan.
    pub monthly: Fen,
    pub checks: Vec<Check>,
}

/// 特困: a person (the household's applicant) with no ability to work, no income source
/// and no supporter able to support. `has_able_supporter` comes from the investigation.
pub fn tekun(
    h: &Household,
    person: &Member,
    has_able_supporter: bool,
    p: &Policy,
) -> TekunDecision {
    let condition = if person.age >= 60 {
        Some(format!("年满 60 周岁（{} 岁）", person.age))
    } else if person.age < 16 {
        Some(format!("未满 16 周岁（{} 岁）", person.age))
    } else {
        match person.disability {
            Some(d) if d.grade <= 2 => Some(format!("{}级残疾", d.grade)),
            Some(d)
                if d.grade == 3
                    && matches!(
                        d.kind,
                        DisabilityKind::Intellectual | DisabilityKind::Mental
                    ) =>
            {
                Some("三级智力或精神残疾".to_string())
            }
            _ => None,
        }
    };
    let mut checks = vec![Check::new(
        "tekun_group",
        condition.is_some(),
        condition.unwrap_or_else(|| "不属于老年人、重度残疾人或未满 16 周岁的未成年人".to_string()),
    )];
    // Minors under 16 count as unable to work (特困人员认定办法 第七条).
    let lost = person.work_capacity == WorkCapacity::Lost || person.age < 16;
    checks.push(Check::new(
        "work_capacity",
        lost,
        if lost {
            "丧失劳动能力".to_string()
        } else {
            "有劳动能力".to_string()
        },
    ));
    let pci = per_capita_income(h, p);
    let income_ok = pci < p.dibao_standard;
    checks.push(Check::new(
        "income",
        income_ok,
        format!(
            "人均月收入 {pci} 元 {} {}低保标准 {} 元（无生活来源）",
            if income_ok { "<" } else { "≥" },
            area_label(h.area),
            p.dibao_standard
        ),
    ));
    checks.extend(asset_checks(h, p));
    checks.push(Check::new(
        "supporter",
        !has_able_supporter,
        if has_able_supporter {
            "有具备赡养、抚养、扶养能力的义务人".to_string()
        } else {
            "无法定义务人，或义务人无履行能力".to_string()
        },
    ));
    let eligible = checks.iter().all(|c| c.passed);
    let basic_living = p.pct(p.dibao_standard, p.tekun_pct);
    let care_pct = match person.self_care {
        SelfCare::Full => p.care_full_pct,
        SelfCare::Partial => p.care_partial_pct,
        SelfCare::None => p.care_none_pct,
    };
    let care_subsidy = p.pct(p.minimum_wage, care_pct);
    checks.push(Check::new(
        "tekun_amount",
        true,
        format!(
            "基本生活标准 {basic_living} 元（低保标准的 {}%）+ 照料护理补贴 {care_subsidy} 元（最低工资 {} 元的 {care_pct}%）",
            p.tekun_pct, p.minimum_wage
        ),
    ));
    TekunDecision {
        eligible,
        basic_living,
        care_subsidy,
        monthly: if eligible {
            (basic_living + care_subsidy).ceil_yuan()
        } else {
            Fen::ZERO
        },
        checks,
    }
}

/// Who approves a temporary-assistance grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ApprovalLevel {
    Street,
    District,
    /// Above the district's limit: the city decides case by case (一事一议).
    City,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TempGrant {
    pub amount: Fen,
    pub level: ApprovalLevel,
    pub checks: Vec<Check>,
}

/// 临时救助: months × standard × household members, and who must approve it.
pub fn temporary_grant(months: i64, household_size: i64, p: &Policy) -> TempGrant {
    let amount = p.dibao_standard * months * household_size;
    let level = if months <= p.temp_street_months {
        ApprovalLevel::Street
    } else if months <= p.temp_district_months {
        ApprovalLevel::District
    } else {
        ApprovalLevel::City
    };
    let who = match level {
        ApprovalLevel::Street => "街道（乡镇）审批",
        ApprovalLevel::District => "区县审批",
        ApprovalLevel::City => "市级一事一议",
    };
    TempGrant {
        amount,
        level,
        checks: vec![Check::new(
            "temporary_amount",
            true,
            format!(
                "{months} 个月 × 低保标准 {} 元 × {household_size} 人 = {amount} 元，{who}",
                p.dibao_standard
            ),
        )],
    }
}

/// The most a street may grant at once before the file is complete (先行救助).
pub fn advance_limit(household_size: i64, p: &Policy) -> Fen {
    p.dibao_standard * p.temp_advance_months * household_size
}

#[cfg(test)]
mod tests {
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
}
