//! The balance analysis (DOMAIN.md §7): per-district indicators, their spread across the
//! districts (max, min, max/min, coefficient of variation) and the urban/rural gap. Pure:
//! `analyse` takes what `balance_data` read and does the arithmetic, so every number can be
//! checked by hand. Indicators whose module does not exist yet are listed with the reason,
//! never shown as 0.

use serde::Serialize;

use crate::capacity::model::Residents;
use crate::money::Fen;

/// What one district brings to the analysis, as of the quarter's last day.
#[derive(Clone, Debug, Default)]
pub struct DistrictInput {
    pub code: String,
    pub name: String,
    pub residents: Option<Residents>,
    pub standard_urban: Option<Fen>,
    pub standard_rural: Option<Fen>,
    /// Persons covered by 低保 cases in force on the day, by the community's urban/rural flag.
    pub dibao_urban: i64,
    pub dibao_rural: i64,
    /// Persons covered by 特困 cases in force on the day.
    pub tekun: i64,
    pub authorised: i64,
    pub filled: i64,
    /// Training attendances (人次) in the quarter.
    pub attendances: i64,
    /// What the quarter's reconciled 低保 and 特困 payrolls paid; none when the district
    /// has no reconciled payroll in the quarter (unknown, not zero).
    pub regular_spent: Option<Fen>,
    pub elderly: ElderlyInput,
    pub community_workers: CommunityWorkersInput,
    pub funeral: FuneralInput,
}

/// A district's funeral figures (殡葬, DOMAIN.md §6): deaths in the quarter by how the
/// body was dealt with, and the cemeteries' plots on the quarter's last day. Records count
/// by the district of their region (the deceased's for a cremation, the cemetery's or the
/// sea burial's for a burial, the place's for a violation case).
#[derive(Clone, Debug, Default)]
pub struct FuneralInput {
    /// Cremations (火化) dated in the quarter.
    pub cremations: i64,
    /// Burials of a body (遗体) dated in the quarter.
    pub body_burials: i64,
    /// 违规土葬 cases found in the quarter: a body buried outside the rules.
    pub illegal_burials: i64,
    /// Cemeteries on record, of any status: none means the register was never filled in
    /// for the district, and the plots available are unknown, not 0.
    pub cemeteries: i64,
    /// Of the built cemeteries in use (已建成, completed by the day): plots at completion
    /// and added up to the day, and those taken by burials up to the day.
    pub capacity: i64,
    pub taken: i64,
}

/// A district's community workers (社区工作者) on the quarter's last day.
#[derive(Clone, Debug, Default)]
pub struct CommunityWorkersInput {
    /// Records started by the day: none means the register was not filled in for the
    /// district by then, and the indicator is unknown, not 0.
    pub registered: i64,
    /// Workers in post on the day (started by it, the last day in post not before it).
    pub in_post: i64,
}

/// A district's elderly care on the quarter's last day.
#[derive(Clone, Debug, Default)]
pub struct ElderlyInput {
    /// Facilities of any kind and status on record: none means the register was never
    /// filled in, and the facility indicators are unknown, not 0.
    pub facilities: i64,
    /// Beds in effect in facilities of every kind.
    pub care_beds: i64,
    /// Urban communities (社区) and those with a day-care centre in operation.
    pub communities: i64,
    pub communities_with_daycare: i64,
    /// Villages (村) and those with a happiness home in operation.
    pub villages: i64,
    pub villages_with_happiness_home: i64,
    /// Institutions in operation and inspections of institutions in the quarter.
    pub institutions: i64,
    pub institution_inspections: i64,
}

impl ElderlyInput {
    fn recorded(&self) -> Option<&ElderlyInput> {
        (self.facilities > 0).then_some(self)
    }
}

/// Where an indicator comes from: computed here, or waiting for a module.
#[derive(Clone, Copy)]
enum Basis {
    Here(fn(&DistrictInput) -> Option<f64>),
    /// Every indicator has its module now; an indicator added before its module exists
    /// is listed with the reason, never as 0.
    #[allow(dead_code)]
    Missing(&'static str),
}

fn yuan(f: Option<Fen>) -> Option<f64> {
    f.map(|f| f.0 as f64 / 100.0)
}

/// `part / whole × per`, none when the whole is unknown or zero.
fn per(part: i64, whole: Option<i64>, per: f64) -> Option<f64> {
    whole
        .filter(|w| *w > 0)
        .map(|w| part as f64 / w as f64 * per)
}

/// Every indicator: key, label as the bureau writes it, and source.
const INDICATORS: &[(&str, &str, Basis)] = &[
    (
        "dibao_standard_urban",
        "城市低保标准（元/人·月）",
        Basis::Here(|d| yuan(d.standard_urban)),
    ),
    (
        "dibao_standard_rural",
        "农村低保标准（元/人·月）",
        Basis::Here(|d| yuan(d.standard_rural)),
    ),
    (
        "rural_to_urban_standard_pct",
        "农村标准占城市标准（%）",
        Basis::Here(|d| match (d.standard_urban, d.standard_rural) {
            (Some(u), Some(r)) if u.0 > 0 => Some(r.0 as f64 / u.0 as f64 * 100.0),
            _ => None,
        }),
    ),
    (
        "dibao_per_1000",
        "低保对象每千常住人口（人）",
        Basis::Here(|d| {
            per(
                d.dibao_urban + d.dibao_rural,
                d.residents.map(Residents::total),
                1000.0,
            )
        }),
    ),
    (
        "dibao_per_1000_urban",
        "城镇低保对象每千城镇常住人口（人）",
        Basis::Here(|d| per(d.dibao_urban, d.residents.map(|r| r.urban), 1000.0)),
    ),
    (
        "dibao_per_1000_rural",
        "农村低保对象每千农村常住人口（人）",
        Basis::Here(|d| per(d.dibao_rural, d.residents.map(|r| r.rural), 1000.0)),
    ),
    (
        "tekun_per_1000",
        "特困人员每千常住人口（人）",
        Basis::Here(|d| per(d.tekun, d.residents.map(Residents::total), 1000.0)),
    ),
    (
        "spending_per_recipient",
        "人均救助支出（元/季，低保特困实发÷季末在保人数）",
        Basis::Here(|d| {
            let persons = d.dibao_urban + d.dibao_rural + d.tekun;
            d.regular_spent
                .filter(|_| persons > 0)
                .map(|f| f.0 as f64 / 100.0 / persons as f64)
        }),
    ),
    (
        "staff_per_10000",
        "民政工作人员每万常住人口（人）",
        // No staff register entered is unknown, not zero staff.
        Basis::Here(|d| {
            let entered = d.authorised > 0 || d.filled > 0;
            per(
                d.filled,
                d.residents.map(Residents::total).filter(|_| entered),
                10_000.0,
            )
        }),
    ),
    (
        "staff_filled_pct",
        "工作人员实有占编制（%）",
        Basis::Here(|d| per(d.filled, Some(d.authorised), 100.0)),
    ),
    (
        "trainings_per_staff",
        "本季度人均参训（人次）",
        Basis::Here(|d| per(d.attendances, Some(d.filled), 1.0)),
    ),
    (
        "care_beds_per_100_elderly",
        "每百名老年人养老床位（张）",
        Basis::Here(|d| {
            let e = d.elderly.recorded()?;
            per(e.care_beds, d.residents.and_then(|r| r.older), 100.0)
        }),
    ),
    (
        "communities_with_daycare_pct",
        "有日间照料中心的社区占比（%）",
        Basis::Here(|d| {
            let e = d.elderly.recorded()?;
            per(e.communities_with_daycare, Some(e.communities), 100.0)
        }),
    ),
    (
        "villages_with_happiness_home_pct",
        "有农村幸福院的村占比（%）",
        Basis::Here(|d| {
            let e = d.elderly.recorded()?;
            per(e.villages_with_happiness_home, Some(e.villages), 100.0)
        }),
    ),
    (
        "inspections_per_institution",
        "本季度每家养老机构检查次数",
        Basis::Here(|d| {
            let e = d.elderly.recorded()?;
            per(e.institution_inspections, Some(e.institutions), 1.0)
        }),
    ),
    (
        "community_workers_per_10000",
        "社区工作者每万常住人口（人）",
        Basis::Here(|d| {
            let w = &d.community_workers;
            let entered = w.registered > 0;
            per(
                w.in_post,
                d.residents.map(Residents::total).filter(|_| entered),
                10_000.0,
            )
        }),
    ),
    (
        "cremation_rate_pct",
        "火化率（%）",
        // Deaths whose handling the bureau knows: cremated, buried as a body in a
        // cemetery, or buried illegally (违规土葬 found). None known: unknown, not 0.
        Basis::Here(|d| {
            let f = &d.funeral;
            per(
                f.cremations,
                Some(f.cremations + f.body_burials + f.illegal_burials),
                100.0,
            )
        }),
    ),
    (
        "plots_available",
        "可用墓穴（格位）数",
        // Free plots of the cemeteries in use on the quarter's last day; a district with
        // no cemetery on record is unknown, one whose cemeteries are full is 0. Not
        // clamped at 0: a capacity cut below the burials is refused, so no cemetery is
        // overfilled on any day and the sum cannot fall below 0.
        Basis::Here(|d| {
            let f = &d.funeral;
            (f.cemeteries > 0).then(|| (f.capacity - f.taken) as f64)
        }),
    ),
];

/// The spread of one indicator over the districts that have a value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub districts: usize,
    pub max: f64,
    pub max_district: String,
    pub min: f64,
    pub min_district: String,
    /// max / min; none when the minimum is 0.
    pub ratio: Option<f64>,
    pub mean: f64,
    /// Population standard deviation over the mean; none with fewer than two districts
    /// or a zero mean.
    pub cv: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Indicator {
    pub key: &'static str,
    pub label: &'static str,
    /// One per district, in the order of `Balance::districts`.
    pub values: Vec<Option<f64>>,
    pub spread: Option<Spread>,
    /// Why there are no values yet.
    pub missing: Option<&'static str>,
}

/// One side-by-side of urban and rural over the whole region.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gap {
    pub label: &'static str,
    pub urban: Option<f64>,
    pub rural: Option<f64>,
    /// rural / urban; none when either side is unknown or urban is 0.
    pub rural_to_urban: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct District {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Balance {
    pub quarter: String,
    /// The day the stocks (cases in force, standards, staff) are taken: the quarter's end.
    pub on: String,
    pub districts: Vec<District>,
    pub indicators: Vec<Indicator>,
    pub gaps: Vec<Gap>,
    /// Districts without a resident population: their per-resident indicators are empty.
    pub without_residents: Vec<String>,
}

pub fn spread(values: &[(String, f64)]) -> Option<Spread> {
    let (first_name, first) = values.first()?;
    let (mut max, mut min) = ((first_name, *first), (first_name, *first));
    for (name, v) in values {
        if *v > max.1 {
            max = (name, *v);
        }
        if *v < min.1 {
            min = (name, *v);
        }
    }
    let n = values.len() as f64;
    let mean = values.iter().map(|(_, v)| v).sum::<f64>() / n;
    let variance = values.iter().map(|(_, v)| (v - mean).powi(2)).sum::<f64>() / n;
    Some(Spread {
        districts: values.len(),
        max: max.1,
        max_district: max.0.clone(),
        min: min.1,
        min_district: min.0.clone(),
        ratio: (min.1 > 0.0).then(|| max.1 / min.1),
        mean,
        cv: (values.len() >= 2 && mean != 0.0).then(|| variance.sqrt() / mean),
    })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn gap(label: &'static str, urban: Option<f64>, rural: Option<f64>) -> Gap {
    Gap {
        label,
        urban,
        rural,
        rural_to_urban: match (urban, rural) {
            (Some(u), Some(r)) if u != 0.0 => Some(r / u),
            _ => None,
        },
    }
}

pub fn analyse(quarter: &str, on: &str, inputs: &[DistrictInput]) -> Balance {
    let indicators = INDICATORS
        .iter()
        .map(|(key, label, from)| match from {
            Basis::Here(f) => {
                let values: Vec<Option<f64>> = inputs.iter().map(f).collect();
                let known: Vec<(String, f64)> = inputs
                    .iter()
                    .zip(&values)
                    .filter_map(|(d, v)| v.map(|v| (d.name.clone(), v)))
                    .collect();
                Indicator {
                    key,
                    label,
                    values,
                    spread: spread(&known),
                    missing: None,
                }
            }
            Basis::Missing(reason) => Indicator {
                key,
                label,
                values: vec![None; inputs.len()],
                spread: None,
                missing: Some(reason),
            },
        })
        .collect();
    // The region's urban and rural coverage counts only districts with a population, so
    // numerator and denominator cover the same places.
    let with_residents = || inputs.iter().filter_map(|d| d.residents.map(|r| (d, r)));
    let coverage = |persons: fn(&DistrictInput) -> i64, people: fn(Residents) -> i64| {
        let (p, r) =
            with_residents().fold((0, 0), |(p, r), (d, res)| (p + persons(d), r + people(res)));
        per(p, Some(r), 1000.0)
    };
    // Standards are averaged over the districts that set both, so the two sides cover the
    // same places.
    let both: Vec<(f64, f64)> = inputs
        .iter()
        .filter_map(|d| Some((yuan(d.standard_urban)?, yuan(d.standard_rural)?)))
        .collect();
    let gaps = vec![
        gap(
            "低保标准（设有城乡两档的区县平均，元/人·月）",
            mean(both.iter().map(|(u, _)| *u)),
            mean(both.iter().map(|(_, r)| *r)),
        ),
        gap(
            "低保对象每千常住人口（人）",
            coverage(|d| d.dibao_urban, |r| r.urban),
            coverage(|d| d.dibao_rural, |r| r.rural),
        ),
    ];
    Balance {
        quarter: quarter.to_string(),
        on: on.to_string(),
        districts: inputs
            .iter()
            .map(|d| District {
                code: d.code.clone(),
                name: d.name.clone(),
            })
            .collect(),
        indicators,
        gaps,
        without_residents: inputs
            .iter()
            .filter(|d| d.residents.is_none())
            .map(|d| d.name.clone())
            .collect(),
    }
}

/// Two decimals, as the page and the workbook print indicators.
pub fn show(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}"))
        .unwrap_or_else(|| "—".to_string())
}

#[cfg(test)]
#[path = "balance_tests.rs"]
mod tests;
