//! The quarterly report (METRICS.md): every `X` of the director's speech as a figure
//! computed from the records, for a quarter and a region's subtree, split urban/rural.
//! Each business module fills its own figures; a figure whose module does not exist yet
//! is `null` with the reason in `missing` — never 0.

mod assistance;
pub mod balance;
pub mod balance_data;
pub mod balance_web;
pub mod cache;
pub mod charts;
mod community;
pub mod dashboard;
mod elderly;
mod funeral;
mod marriage;
pub mod quarter;
pub mod speech;
pub mod trend;
pub mod web;
pub mod workbook;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::db::Db;
use crate::region::RegionCode;
pub use quarter::Quarter;

/// Where a figure comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Assistance,
    Elderly,
    Community,
    Funeral,
    Marriage,
    /// Not built yet: the reason shown in `missing`.
    Missing(&'static str),
}

/// Every key of METRICS.md, in the order of the speech, with its source.
pub const KEYS: &[(&str, Source)] = &[
    ("dibao_new_households", Source::Assistance),
    ("dibao_new_persons", Source::Assistance),
    ("dibao_removed_households", Source::Assistance),
    ("dibao_removed_persons", Source::Assistance),
    ("temp_assistance_cases", Source::Assistance),
    ("temp_assistance_amount_yuan", Source::Assistance),
    ("temp_assistance_amount_wan_yuan", Source::Assistance),
    ("daycare_centres_new", Source::Elderly),
    ("happiness_homes_new", Source::Elderly),
    ("care_beds_new", Source::Elderly),
    ("institutions_inspected", Source::Elderly),
    ("caregiver_trainees", Source::Elderly),
    ("consultations", Source::Community),
    ("consultation_participants", Source::Community),
    ("socialorg_activities", Source::Community),
    ("socialorg_beneficiaries", Source::Community),
    ("public_cemeteries_new", Source::Funeral),
    ("grave_plots_new", Source::Funeral),
    ("marriages", Source::Marriage),
    ("divorces", Source::Marriage),
    ("registration_compliance_rate", Source::Marriage),
];

/// Each key as the bureau's tables head it.
pub fn label(key: &str) -> &'static str {
    match key {
        "dibao_new_households" => "新增低保户数（户）",
        "dibao_new_persons" => "新增低保人数（人）",
        "dibao_removed_households" => "清退低保户数（户）",
        "dibao_removed_persons" => "清退低保人数（人）",
        "temp_assistance_cases" => "临时救助（人次）",
        "temp_assistance_amount_yuan" => "临时救助金额（元）",
        "temp_assistance_amount_wan_yuan" => "临时救助金额（万元）",
        "daycare_centres_new" => "新建社区日间照料中心（个）",
        "happiness_homes_new" => "新建农村幸福院（个）",
        "care_beds_new" => "新增养老床位（张）",
        "institutions_inspected" => "检查养老机构（家）",
        "caregiver_trainees" => "养老服务人员培训（人次）",
        "consultations" => "社区协商活动（次）",
        "consultation_participants" => "参与协商居民（人次）",
        "socialorg_activities" => "社会组织公益活动（次）",
        "socialorg_beneficiaries" => "公益活动受益群众（人次）",
        "public_cemeteries_new" => "新建公益性公墓（处）",
        "grave_plots_new" => "新增墓穴（个）",
        "marriages" => "结婚登记（对）",
        "divorces" => "离婚登记（对）",
        "registration_compliance_rate" => "登记合格率（%）",
        _ => "",
    }
}

/// The figure groups of the speech's section 一, as the workbook's sheets and the page's
/// tables.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "社会救助",
        &[
            "dibao_new_households",
            "dibao_new_persons",
            "dibao_removed_households",
            "dibao_removed_persons",
            "temp_assistance_cases",
            "temp_assistance_amount_yuan",
            "temp_assistance_amount_wan_yuan",
        ],
    ),
    (
        "养老服务",
        &[
            "daycare_centres_new",
            "happiness_homes_new",
            "care_beds_new",
            "institutions_inspected",
            "caregiver_trainees",
        ],
    ),
    (
        "基层治理",
        &[
            "consultations",
            "consultation_participants",
            "socialorg_activities",
            "socialorg_beneficiaries",
        ],
    ),
    (
        "社会事务",
        &[
            "public_cemeteries_new",
            "grave_plots_new",
            "marriages",
            "divorces",
            "registration_compliance_rate",
        ],
    ),
];

/// A figure's value: a count, or an amount in hundredths (yuan or 万元, 2 decimals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Count(i64),
    Hundredths(i64),
}

impl Value {
    /// As the written report prints it: counts whole, amounts with two decimals.
    pub fn text(self) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Hundredths(h) => {
                let sign = if h < 0 { "-" } else { "" };
                format!("{sign}{}.{:02}", h.abs() / 100, h.abs() % 100)
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Count(n) => s.serialize_i64(*n),
            // Exact below 2^53 hundredths; JSON prints the shortest decimal (1234.5).
            Value::Hundredths(h) => s.serialize_f64(*h as f64 / 100.0),
        }
    }
}

/// The figures of one area (all, urban or rural), in the order of `KEYS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures(pub Vec<(&'static str, Option<Value>)>);

impl Figures {
    pub fn get(&self, key: &str) -> Option<Value> {
        self.0.iter().find(|(k, _)| *k == key).and_then(|(_, v)| *v)
    }
}

impl Serialize for Figures {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Missing {
    pub key: &'static str,
    pub reason: &'static str,
}

/// One program's funds in a city's or district's report (DOMAIN.md §7): spent in the
/// quarter, and the year's budget, allocations, spending and execution rate up to the
/// quarter's end. Amounts in yuan with two decimals.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FundsLine {
    pub program: &'static str,
    pub label: &'static str,
    pub spent_in_quarter: String,
    pub budget: String,
    pub allocated: String,
    pub spent_to_date: String,
    pub execution_rate: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct QuarterlyReport {
    pub quarter: String,
    pub from: String,
    pub to: String,
    pub region: String,
    pub region_name: String,
    pub figures: Figures,
    pub urban: Figures,
    pub rural: Figures,
    pub missing: Vec<Missing>,
    /// None below a district (budgets are a district's).
    pub funds: Option<Vec<FundsLine>>,
    /// Data comparison (大数据比对) in the quarter.
    pub comparison: crate::compare::report::ComparisonFigures,
}

/// An area of the urban/rural split: `None` for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    All,
    Urban,
    Rural,
}

/// The report for `quarter` over `region`'s subtree.
pub async fn quarterly(
    db: &Db,
    quarter: Quarter,
    region: &RegionCode,
    region_name: &str,
) -> Result<QuarterlyReport, sqlx::Error> {
    let bounds = region.scope().sql_bounds();
    let counted = assistance::figures(db, quarter.first_day(), quarter.last_day(), &bounds).await?;
    let elderly = elderly::figures(db, quarter.first_day(), quarter.last_day(), &bounds).await?;
    let community =
        community::figures(db, quarter.first_day(), quarter.last_day(), &bounds).await?;
    let funeral = funeral::figures(db, quarter.first_day(), quarter.last_day(), &bounds).await?;
    let marriage = marriage::figures(db, quarter.first_day(), quarter.last_day(), &bounds).await?;
    let area = |a: Area| figures_of(&counted, &elderly, &community, (&funeral, &marriage), a);
    let node = crate::region::store::get(db, region.as_str()).await?;
    let funds = match node {
        Some(node) => {
            crate::funds::summary::for_quarter(db, quarter.first_day(), quarter.last_day(), &node)
                .await?
        }
        None => None,
    };
    let comparison =
        crate::compare::report::figures(db, quarter.first_day(), quarter.last_day(), region)
            .await?;
    Ok(QuarterlyReport {
        comparison,
        funds: funds.map(|lines| {
            lines
                .iter()
                .map(|l| FundsLine {
                    program: l.program.code(),
                    label: l.program.label(),
                    spent_in_quarter: l.spent_in_quarter.to_yuan_string(),
                    budget: l.year_to_date.budget.to_yuan_string(),
                    allocated: l.year_to_date.allocated.to_yuan_string(),
                    spent_to_date: l.year_to_date.spent.to_yuan_string(),
                    execution_rate: l.year_to_date.execution_rate(),
                })
                .collect()
        }),
        quarter: quarter.to_string(),
        from: quarter.first_day().to_string(),
        to: quarter.last_day().to_string(),
        region: region.to_string(),
        region_name: region_name.to_string(),
        figures: area(Area::All),
        urban: area(Area::Urban),
        rural: area(Area::Rural),
        missing: KEYS
            .iter()
            .filter_map(|(key, source)| match source {
                Source::Missing(reason) => Some(Missing { key, reason }),
                Source::Assistance
                | Source::Elderly
                | Source::Community
                | Source::Funeral
                | Source::Marriage => None,
            })
            .collect(),
    })
}

/// The figures (all areas) of any run of days, for comparisons of part of a quarter.
pub async fn figures_between(
    db: &Db,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    region: &RegionCode,
) -> Result<Figures, sqlx::Error> {
    let bounds = region.scope().sql_bounds();
    let counted = assistance::figures(db, from, to, &bounds).await?;
    let elderly = elderly::figures(db, from, to, &bounds).await?;
    let community = community::figures(db, from, to, &bounds).await?;
    let funeral = funeral::figures(db, from, to, &bounds).await?;
    let marriage = marriage::figures(db, from, to, &bounds).await?;
    Ok(figures_of(
        &counted,
        &elderly,
        &community,
        (&funeral, &marriage),
        Area::All,
    ))
}

/// Every key in order: counted where its module exists, none otherwise.
fn figures_of(
    counted: &assistance::Counted,
    elderly: &elderly::Counted,
    community: &community::Counted,
    (funeral, marriage): (&funeral::Counted, &marriage::Counted),
    area: Area,
) -> Figures {
    Figures(
        KEYS.iter()
            .map(|(key, source)| match source {
                Source::Assistance => (*key, counted.value(key, area, None)),
                Source::Elderly => (*key, elderly.value(key, area)),
                Source::Community => (*key, community.value(key, area)),
                Source::Funeral => (*key, funeral.value(key, area)),
                Source::Marriage => (*key, marriage.value(key, area)),
                Source::Missing(_) => (*key, None),
            })
            .collect(),
    )
}

/// The report of a region and of each of its direct parts (the districts of the city, the
/// streets of a district, …), as the page and the workbook show them side by side.
pub async fn with_parts(
    db: &Db,
    quarter: Quarter,
    region: &crate::region::Region,
) -> Result<(QuarterlyReport, Vec<QuarterlyReport>), sqlx::Error> {
    let whole = quarterly(db, quarter, &region.code, &region.name).await?;
    let mut parts = Vec::new();
    for child in crate::region::store::subtree(db, &region.code).await? {
        if child.code.parent().as_ref() == Some(&region.code) {
            parts.push(quarterly(db, quarter, &child.code, &child.name).await?);
        }
    }
    Ok((whole, parts))
}

/// The workbook of a report and its parts (see `workbook`).
pub fn xlsx(
    report: &QuarterlyReport,
    parts: &[QuarterlyReport],
    balance: Option<&balance::Balance>,
) -> Result<Vec<u8>, String> {
    workbook::workbook(report, parts, balance)
}

/// A self-contained HTML document of the report (for `--format html`): the figures by
/// group with the urban/rural split, the parts side by side, the speech filled in.
pub fn html(report: &QuarterlyReport, parts: &[QuarterlyReport]) -> Result<String, String> {
    use askama::Template;
    let show = |v: Option<Value>| v.map(|v| v.text()).unwrap_or_else(|| "—".to_string());
    let groups = GROUPS
        .iter()
        .map(|(name, keys)| {
            let rows = keys
                .iter()
                .map(|k| {
                    [
                        label(k).to_string(),
                        show(report.figures.get(k)),
                        show(report.urban.get(k)),
                        show(report.rural.get(k)),
                        report
                            .missing
                            .iter()
                            .find(|m| m.key == *k)
                            .map(|m| m.reason.to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            (*name, rows)
        })
        .collect();
    let keys: Vec<&str> = KEYS
        .iter()
        .filter(|(_, s)| *s == Source::Assistance)
        .map(|(k, _)| *k)
        .collect();
    let doc = Standalone {
        title: format!(
            "{} {}（{} 至 {}）",
            report.region_name, report.quarter, report.from, report.to
        ),
        groups,
        heads: keys.iter().map(|k| label(k)).collect(),
        parts: parts
            .iter()
            .map(|p| {
                (
                    p.region_name.clone(),
                    keys.iter().map(|k| show(p.figures.get(k))).collect(),
                )
            })
            .collect(),
        speech: text(report),
    };
    doc.render().map_err(|e| e.to_string())
}

#[derive(askama::Template)]
#[template(path = "report/standalone.html")]
struct Standalone {
    title: String,
    groups: Vec<(&'static str, Vec<[String; 5]>)>,
    heads: Vec<&'static str>,
    parts: Vec<(String, Vec<String>)>,
    speech: String,
}

/// The report as `minzheng report quarterly` takes it: a quarter like `2026Q3` and a
/// region code (the whole city when none). Errors are sentences for the user.
pub async fn quarterly_for(
    db: &Db,
    quarter: &str,
    region: Option<&str>,
) -> Result<QuarterlyReport, String> {
    let quarter: Quarter = quarter.parse()?;
    let node = match region {
        Some(code) => {
            let code = RegionCode::parse(code).map_err(|e| format!("区划代码 {code}：{e}"))?;
            crate::region::store::get(db, code.as_str())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("区划 {code} 不存在"))?
        }
        None => crate::region::store::city(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "还没有导入行政区划".to_string())?,
    };
    quarterly(db, quarter, &node.code, &node.name)
        .await
        .map_err(|e| e.to_string())
}

/// The balance analysis for the city's report (none for a district's or below).
pub async fn balance_for_city(
    db: &Db,
    report: &QuarterlyReport,
) -> Result<Option<balance::Balance>, sqlx::Error> {
    let Ok(code) = RegionCode::parse(&report.region) else {
        return Ok(None);
    };
    if code.level() != crate::region::Level::City {
        return Ok(None);
    }
    let Some(city) = crate::region::store::get(db, code.as_str()).await? else {
        return Ok(None);
    };
    let quarter: Quarter = report.quarter.parse().map_err(sqlx::Error::Protocol)?;
    Ok(Some(balance_data::analyse(db, quarter, &city).await?))
}

/// As `quarterly_for`, with the report of each direct part of the region.
pub async fn quarterly_with_parts(
    db: &Db,
    quarter: &str,
    region: Option<&str>,
) -> Result<(QuarterlyReport, Vec<QuarterlyReport>), String> {
    let whole = quarterly_for(db, quarter, region).await?;
    let node = crate::region::store::get(db, &whole.region)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("区划 {} 不存在", whole.region))?;
    let quarter: Quarter = quarter.parse()?;
    with_parts(db, quarter, &node)
        .await
        .map_err(|e| e.to_string())
}

/// The text view: section 一 of the speech with the figures, then the figures still
/// missing and why.
pub fn text(report: &QuarterlyReport) -> String {
    let (body, left) = speech::fill(&report.figures);
    let number = report
        .quarter
        .parse::<Quarter>()
        .map(|q| q.number)
        .unwrap_or(3);
    let is_city =
        RegionCode::parse(&report.region).is_ok_and(|c| c.level() == crate::region::Level::City);
    let body = speech::adapt(
        &body,
        number,
        (!is_city).then_some(report.region_name.as_str()),
    );
    let mut out = format!(
        "{}（{} 至 {}）· {}\n\n{body}\n",
        report.quarter, report.from, report.to, report.region_name
    );
    if !left.is_empty() {
        out.push_str("\n尚无数据、仍为 X 的数字：\n");
        for (key, reason) in left {
            out.push_str(&format!("  {}（{key}）：{reason}\n", label(key)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metrics_key_is_listed_once_in_the_speech_order() {
        let metrics = include_str!("../../docs/METRICS.md");
        let in_doc: Vec<&str> = metrics
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let ours: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
        assert_eq!(ours, in_doc);
    }

    #[test]
    fn every_key_has_a_label_and_one_group() {
        for (key, _) in KEYS {
            assert!(!label(key).is_empty(), "{key}");
            let n = GROUPS.iter().filter(|(_, keys)| keys.contains(key)).count();
            assert_eq!(n, 1, "{key}");
        }
    }

    #[test]
    fn values_print_as_the_written_report_does() {
        assert_eq!(Value::Count(42).text(), "42");
        assert_eq!(Value::Hundredths(123_456).text(), "1234.56");
        assert_eq!(Value::Hundredths(5).text(), "0.05");
        assert_eq!(
            serde_json::to_string(&Value::Hundredths(123_456)).unwrap(),
            "1234.56"
        );
    }
}
