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
#[path = "rules_tests.rs"]
mod tests;
