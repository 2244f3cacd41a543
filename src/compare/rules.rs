//! The rules per source (DOMAIN.md §3), pure: what a department's rows say about a person
//! or a household in assistance, against the assistance rules' parameters, as a finding
//! with the numbers in its sentence. The matching that finds the rows is in `run`.

use super::sources::Source;
use crate::assistance::model::Program;
use crate::assistance::rules::Policy;
use crate::money::Fen;

/// What a finding is about, as a code and as the queue shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Deceased,
    MovedOut,
    Vehicle,
    Homes,
    CommercialProperty,
    Business,
    PublicPayroll,
    WageIncome,
    Deposits,
    /// This system's own records.
    TwoHouseholds,
    TwoDistricts,
    DibaoAndTekun,
    DeceasedHere,
}

pub const RULES: [Rule; 13] = [
    Rule::Deceased,
    Rule::MovedOut,
    Rule::Vehicle,
    Rule::Homes,
    Rule::CommercialProperty,
    Rule::Business,
    Rule::PublicPayroll,
    Rule::WageIncome,
    Rule::Deposits,
    Rule::TwoHouseholds,
    Rule::TwoDistricts,
    Rule::DibaoAndTekun,
    Rule::DeceasedHere,
];

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::Deceased => "deceased",
            Rule::MovedOut => "moved_out",
            Rule::Vehicle => "vehicle",
            Rule::Homes => "homes",
            Rule::CommercialProperty => "commercial_property",
            Rule::Business => "business",
            Rule::PublicPayroll => "public_payroll",
            Rule::WageIncome => "wage_income",
            Rule::Deposits => "deposits",
            Rule::TwoHouseholds => "two_households",
            Rule::TwoDistricts => "two_districts",
            Rule::DibaoAndTekun => "dibao_and_tekun",
            Rule::DeceasedHere => "deceased_here",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Rule::Deceased => "已死亡仍在保",
            Rule::MovedOut => "户籍已迁出本区县",
            Rule::Vehicle => "拥有不符合规定的机动车",
            Rule::Homes => "住房超过规定套数",
            Rule::CommercialProperty => "拥有商业、办公用房",
            Rule::Business => "担任注册资本超限的在营企业法定代表人或股东",
            Rule::PublicPayroll => "财政供养人员",
            Rule::WageIncome => "社保缴费显示工资、养老金收入超过低保标准",
            Rule::Deposits => "人均存款超过规定月数的低保标准",
            Rule::TwoHouseholds => "同一人在两个救助家庭中",
            Rule::TwoDistricts => "同一人在两个区县享受救助",
            Rule::DibaoAndTekun => "同时享受低保和特困供养",
            Rule::DeceasedHere => "本系统记录已死亡",
        }
    }
    pub fn parse(s: &str) -> Option<Rule> {
        RULES.into_iter().find(|r| r.code() == s)
    }
    /// The source a rule reads (internal checks read this system).
    pub fn source(self) -> Option<Source> {
        match self {
            Rule::Deceased => Some(Source::Death),
            Rule::MovedOut => Some(Source::Hukou),
            Rule::Vehicle => Some(Source::Vehicle),
            Rule::Homes | Rule::CommercialProperty => Some(Source::Property),
            Rule::Business => Some(Source::Business),
            Rule::PublicPayroll => Some(Source::Payroll),
            Rule::WageIncome => Some(Source::SocialInsurance),
            Rule::Deposits => Some(Source::Deposit),
            _ => None,
        }
    }
}

/// A finding before it is stored: the rule and the sentence with the numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: Rule,
    pub detail: String,
}

fn hit(rule: Rule, detail: String) -> Option<Hit> {
    Some(Hit { rule, detail })
}

fn money(s: &str) -> Fen {
    Fen::parse_yuan(s).unwrap_or(Fen::ZERO)
}

/// One person's row, judged on its own.
pub fn per_row(source: Source, fields: &[&str], person_district: &str, p: &Policy) -> Option<Hit> {
    match source {
        Source::Death => hit(
            Rule::Deceased,
            format!("死亡（火化）日期 {}，仍在救助中", fields[2]),
        ),
        Source::Hukou => {
            let code = fields[2];
            let district = code.get(..6).unwrap_or(code);
            (district != person_district).then(|| Hit {
                rule: Rule::MovedOut,
                detail: format!("户籍地区划代码 {code}，不在救助所在区县 {person_district}"),
            })
        }
        Source::Vehicle => {
            let (kind, value) = (fields[3], money(fields[4]));
            let exempt = super::sources::vehicle_exempt(kind);
            (!exempt && value >= p.vehicle_value_limit).then(|| Hit {
                rule: Rule::Vehicle,
                detail: format!(
                    "{kind} {}，价值 {} 元 ≥ 限额 {} 元",
                    fields[2], value, p.vehicle_value_limit
                ),
            })
        }
        Source::Business => {
            let (role, capital, status) = (fields[3], money(fields[4]), fields[5]);
            (super::sources::business_live(status) && capital > p.business_capital_limit).then(
                || Hit {
                    rule: Rule::Business,
                    detail: format!(
                        "{}（{}）{role}，注册资本 {} 元 > {} 元，状态存续",
                        fields[2], status, capital, p.business_capital_limit
                    ),
                },
            )
        }
        Source::Payroll => hit(
            Rule::PublicPayroll,
            format!("在 {} 领取财政供养工资", fields[2]),
        ),
        // Judged over the household: see `per_household`.
        Source::Property | Source::SocialInsurance | Source::Deposit => None,
    }
}

/// The rows of one household's members from one source, judged together: homes and
/// commercial property counted, deposits and contributions per person.
pub fn per_household(
    source: Source,
    rows: &[Vec<&str>],
    household_size: i64,
    p: &Policy,
) -> Vec<Hit> {
    let n = household_size.max(1);
    match source {
        Source::Property => {
            use super::sources::{PropertyUse, property_use};
            let homes = rows
                .iter()
                .filter(|r| property_use(r[3]) == PropertyUse::Home)
                .count();
            let commercial: Vec<&Vec<&str>> = rows
                .iter()
                .filter(|r| property_use(r[3]) == PropertyUse::Commercial)
                .collect();
            let mut out = Vec::new();
            if homes > 1 {
                out.push(Hit {
                    rule: Rule::Homes,
                    detail: format!("家庭名下住房 {homes} 套 > 1 套"),
                });
            }
            if !commercial.is_empty() {
                out.push(Hit {
                    rule: Rule::CommercialProperty,
                    detail: format!(
                        "家庭名下商业、办公用房 {} 处（{}）",
                        commercial.len(),
                        commercial
                            .iter()
                            .map(|r| r[2])
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                });
            }
            out
        }
        Source::Deposit => {
            let total: Fen = rows.iter().map(|r| money(r[2])).sum();
            let per = total.mul_div_floor(1, n);
            let limit = p.dibao_standard * p.asset_months;
            if per > limit {
                vec![Hit {
                    rule: Rule::Deposits,
                    detail: format!(
                        "家庭存款 {total} 元，{n} 人，人均 {per} 元 > {} 个月低保标准 {limit} 元",
                        p.asset_months
                    ),
                }]
            } else {
                Vec::new()
            }
        }
        Source::SocialInsurance => {
            // A contribution base is a wage: counted less the cost of working, as the
            // assistance rules count wages; a pension counts whole.
            let wages: Fen = rows.iter().map(|r| money(r[2])).sum();
            let pensions: Fen = rows.iter().map(|r| money(r[3])).sum();
            let counted = wages.mul_div_floor(100 - p.wage_deduction_pct, 100) + pensions;
            let per = counted.mul_div_floor(1, n);
            if per > p.dibao_standard {
                vec![Hit {
                    rule: Rule::WageIncome,
                    detail: format!(
                        "月缴费基数合计 {wages} 元（扣除 {}% 后计入）、月养老金 {pensions} 元，人均 {per} 元 > 低保标准 {} 元",
                        p.wage_deduction_pct, p.dibao_standard
                    ),
                }]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

/// Where one person is in assistance, for the internal checks.
#[derive(Clone, Debug)]
pub struct Enrolment {
    pub household_id: i64,
    pub program: Program,
    pub district: String,
}

/// This system's own records: one person in two households, two districts, or in 低保
/// and 特困 at once.
pub fn internal(enrolments: &[Enrolment]) -> Vec<Hit> {
    let mut out = Vec::new();
    let first = match enrolments.first() {
        Some(f) => f,
        None => return out,
    };
    if enrolments
        .iter()
        .any(|e| e.household_id != first.household_id)
    {
        out.push(Hit {
            rule: Rule::TwoHouseholds,
            detail: format!(
                "在 {} 个救助家庭中（家庭编号 {}）",
                count_distinct(enrolments.iter().map(|e| e.household_id)),
                join_distinct(enrolments.iter().map(|e| e.household_id.to_string()))
            ),
        });
    }
    if enrolments.iter().any(|e| e.district != first.district) {
        out.push(Hit {
            rule: Rule::TwoDistricts,
            detail: format!(
                "在区县 {} 都享受救助",
                join_distinct(enrolments.iter().map(|e| e.district.clone()))
            ),
        });
    }
    let has = |p: Program| enrolments.iter().any(|e| e.program == p);
    if has(Program::Dibao) && has(Program::Tekun) {
        out.push(Hit {
            rule: Rule::DibaoAndTekun,
            detail: "同时在低保和特困供养中".to_string(),
        });
    }
    out
}

fn count_distinct(values: impl Iterator<Item = i64>) -> usize {
    let mut v: Vec<i64> = values.collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

fn join_distinct(values: impl Iterator<Item = String>) -> String {
    let mut v: Vec<String> = values.collect();
    v.sort();
    v.dedup();
    v.join("、")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::UrbanRural;

    fn policy() -> Policy {
        // Urban: standard 1,000, 24 months, no car allowed, capital limit 100,000.
        Policy::defaults(UrbanRural::Urban)
    }

    #[test]
    fn single_rows_by_hand() {
        let p = policy();
        let death = per_row(Source::Death, &["x", "张三", "2026-10-05"], "369902", &p).unwrap();
        assert_eq!(death.rule, Rule::Deceased);
        assert!(death.detail.contains("2026-10-05"));
        // Hukou: same district is no finding; another is.
        assert!(per_row(Source::Hukou, &["x", "张三", "369902001001"], "369902", &p).is_none());
        let moved = per_row(Source::Hukou, &["x", "张三", "360102"], "369902", &p).unwrap();
        assert!(moved.detail.contains("360102"));
        // Vehicles: a car of any value fails with the national limit 0; a motorcycle passes.
        let car = per_row(
            Source::Vehicle,
            &["x", "张三", "赣A12345", "小型汽车", "30000"],
            "369902",
            &p,
        )
        .unwrap();
        assert_eq!(car.rule, Rule::Vehicle);
        assert!(
            car.detail.contains("30,000.00 元 ≥ 限额 0.00 元"),
            "{}",
            car.detail
        );
        assert!(
            per_row(
                Source::Vehicle,
                &["x", "张三", "赣A1", "摩托车", "9000"],
                "369902",
                &p
            )
            .is_none()
        );
        // Business: capital over 100,000 and 存续 only.
        let big = ["x", "张三", "91360100MA35XXXX1X", "股东", "500000", "存续"];
        assert_eq!(
            per_row(Source::Business, &big, "369902", &p).unwrap().rule,
            Rule::Business
        );
        let closed = ["x", "张三", "91360100MA35XXXX1X", "股东", "500000", "注销"];
        assert!(per_row(Source::Business, &closed, "369902", &p).is_none());
        let small = [
            "x",
            "张三",
            "91360100MA35XXXX1X",
            "个体工商户经营者",
            "100000",
            "存续",
        ];
        assert!(per_row(Source::Business, &small, "369902", &p).is_none());
    }

    #[test]
    fn households_by_hand() {
        let p = policy();
        let rows = |v: &[&[&'static str]]| v.iter().map(|r| r.to_vec()).collect::<Vec<_>>();
        // Two homes between husband and wife; one shop.
        let property = rows(&[
            &["a", "甲", "U1", "住宅", "80"],
            &["b", "乙", "U2", "住宅", "60"],
            &["b", "乙", "U3", "商业", "20"],
        ]);
        let hits = per_household(Source::Property, &property, 2, &p);
        assert_eq!(
            hits.iter().map(|h| h.rule).collect::<Vec<_>>(),
            [Rule::Homes, Rule::CommercialProperty]
        );
        assert!(hits[0].detail.contains("2 套"));
        // Deposits: 3 persons, 60,000 + 12,001 = 72,001 → 24,000.33 per person > 24,000.
        let deposits = rows(&[&["a", "甲", "60000"], &["b", "乙", "12001"]]);
        let d = per_household(Source::Deposit, &deposits, 3, &p);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].detail
                .contains("人均 24,000.33 元 > 24 个月低保标准 24,000.00 元"),
            "{}",
            d[0].detail
        );
        // Exactly 24,000 per person is within the limit.
        let at_limit = rows(&[&["a", "甲", "72000"]]);
        assert!(per_household(Source::Deposit, &at_limit, 3, &p).is_empty());
        // Social insurance: base 4,000 less 20% = 3,200, pension 1,000 → 4,200 over 4
        // persons = 1,050 > 1,000.
        let si = rows(&[&["a", "甲", "4000", ""], &["b", "乙", "0", "1000"]]);
        let w = per_household(Source::SocialInsurance, &si, 4, &p);
        assert_eq!(w.len(), 1);
        assert!(w[0].detail.contains("人均 1,050.00 元"), "{}", w[0].detail);
        // Five persons: 840 each, within the standard.
        assert!(per_household(Source::SocialInsurance, &si, 5, &p).is_empty());
    }

    #[test]
    fn internal_checks_by_hand() {
        let e = |household_id, program, district: &str| Enrolment {
            household_id,
            program,
            district: district.to_string(),
        };
        assert!(internal(&[e(1, Program::Dibao, "369902")]).is_empty());
        let two = internal(&[
            e(1, Program::Dibao, "369902"),
            e(2, Program::Dibao, "369921"),
        ]);
        assert_eq!(
            two.iter().map(|h| h.rule).collect::<Vec<_>>(),
            [Rule::TwoHouseholds, Rule::TwoDistricts]
        );
        let both = internal(&[
            e(1, Program::Dibao, "369902"),
            e(1, Program::Tekun, "369902"),
        ]);
        assert_eq!(
            both.iter().map(|h| h.rule).collect::<Vec<_>>(),
            [Rule::DibaoAndTekun]
        );
    }
}
