//! Older people (DOMAIN.md §4), pure: who may be registered (60 and over by the ID's
//! birth date), the ability levels of GB/T 42195-2022, living situations, the visit
//! schedule of 探访关爱, and who is eligible for government-paid home care with what
//! monthly allowance. No I/O and no clock: "today" comes in as an argument.
//!
//! Visit intervals (the defaults; a person may be given an own interval):
//! - 独居 and 失独: every [`VISIT_EVERY_ALONE`] days. They are the high-risk group of
//!   the 特殊困难老年人探访关爱 guidance: nobody at home notices a fall or an illness,
//!   and local rules following it ask for a visit at least weekly;
//! - 空巢 and 留守: every [`VISIT_EVERY_EMPTY_NEST`] days, the "at least monthly"
//!   visit of the same guidance for its key group;
//! - living with family: no scheduled visit.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::ids::IdNumber;
use crate::money::Fen;
use crate::protect::Phone;

/// Registered older people are 60 and over (老年人权益保障法 第二条).
pub const MIN_AGE: u32 = 60;
/// Default visit interval for people living alone (独居) or bereaved of their only child
/// (失独), in days.
pub const VISIT_EVERY_ALONE: u32 = 7;
/// Default visit interval for empty-nest (空巢) and left-behind (留守) people, in days.
pub const VISIT_EVERY_EMPTY_NEST: u32 = 30;
/// An own interval may not exceed a year.
pub const MAX_VISIT_INTERVAL: u32 = 366;

coded!(
    /// Ability level of GB/T 42195-2022 (老年人能力评估规范), 0 to 4.
    AbilityLevel {
        Intact = "0", "能力完好";
        Mild = "1", "轻度失能";
        Moderate = "2", "中度失能";
        Severe = "3", "重度失能";
        Total = "4", "完全失能";
    }
);

impl AbilityLevel {
    pub fn number(self) -> i64 {
        self as i64
    }
    pub fn from_number(n: i64) -> Option<AbilityLevel> {
        Self::ALL.get(usize::try_from(n).ok()?).copied()
    }
}

coded!(
    /// Whom an older person lives with.
    Living {
        Family = "family", "与家人同住";
        Alone = "alone", "独居";
        EmptyNest = "empty_nest", "空巢";
        LeftBehind = "left_behind", "留守";
        Bereaved = "bereaved", "失独";
    }
);

coded!(
    /// Why a person's registration ended.
    LeftReason {
        Death = "death", "死亡";
        Moved = "moved", "迁出本市";
    }
);

/// The default visit interval of a living situation (see the module comment).
pub fn default_visit_interval(living: Living) -> Option<u32> {
    match living {
        Living::Family => None,
        Living::Alone | Living::Bereaved => Some(VISIT_EVERY_ALONE),
        Living::EmptyNest | Living::LeftBehind => Some(VISIT_EVERY_EMPTY_NEST),
    }
}

/// The interval that applies: the person's own, else the default of their situation.
pub fn visit_interval(living: Living, own: Option<u32>) -> Option<u32> {
    own.or(default_visit_interval(living))
}

/// The day the next visit is due: the last visit (or, before any, the registration)
/// plus the interval. `None` when no visit is scheduled.
pub fn visit_due(
    registered_on: NaiveDate,
    last_visit: Option<NaiveDate>,
    interval: Option<u32>,
) -> Option<NaiveDate> {
    let from = last_visit.map_or(registered_on, |v| v.max(registered_on));
    from.checked_add_days(Days::new(u64::from(interval?)))
}

/// Days a visit is overdue on `today` (the due day itself is not overdue).
pub fn days_overdue(due: Option<NaiveDate>, today: NaiveDate) -> Option<i64> {
    let due = due?;
    (due < today).then(|| (today - due).num_days())
}

/// Age in whole years on `today`, refusing anyone under [`MIN_AGE`].
pub fn check_age(id: &IdNumber, today: NaiveDate) -> Result<u32, String> {
    let age = id.age_on(today);
    if age < MIN_AGE {
        return Err(format!(
            "身份证号显示出生于 {}，今天 {} 周岁，未满 {MIN_AGE} 周岁，不能登记为老年人。",
            id.birth_date(),
            age
        ));
    }
    Ok(age)
}

/// An ability assessment: the level and the day it was made, or neither (not assessed).
pub fn parse_assessment(
    level: &str,
    assessed_on: &str,
    today: NaiveDate,
) -> Result<Option<(AbilityLevel, NaiveDate)>, String> {
    let (level, on) = (level.trim(), assessed_on.trim());
    if level.is_empty() && on.is_empty() {
        return Ok(None);
    }
    let parsed = AbilityLevel::parse(level).ok_or_else(|| {
        format!(
            "「能力等级」「{level}」无法识别，请选择 0–4 级：{}。",
            AbilityLevel::labels()
        )
    })?;
    let date = crate::calendar::parse_date(on)
        .ok_or_else(|| "填写了「能力等级」须同时填写「评估日期」（如 2026-11-20）。".to_string())?;
    if date > today {
        return Err(format!("「评估日期」{date} 晚于今天，请核对。"));
    }
    Ok(Some((parsed, date)))
}

/// An own visit interval typed into a form (empty: the default applies).
pub fn parse_interval(input: &str) -> Result<Option<u32>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_VISIT_INTERVAL).contains(n))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "「探访间隔」应为 1 至 {MAX_VISIT_INTERVAL} 之间的天数，收到「{s}」；留空则按居住情况的默认间隔。"
            )
        })
}

/// What a registration form gives, checked.
#[derive(Clone, Debug)]
pub struct NewPerson {
    pub id: IdNumber,
    pub name: String,
    pub age: u32,
    pub assessment: Option<(AbilityLevel, NaiveDate)>,
    pub living: Living,
    pub phone: Option<Phone>,
    pub own_interval: Option<u32>,
}

/// The raw fields of a registration (page form or JSON).
pub struct PersonInput<'a> {
    pub id_number: &'a str,
    pub name: &'a str,
    pub ability_level: &'a str,
    pub assessed_on: &'a str,
    pub living: &'a str,
    pub phone: &'a str,
    pub visit_every_days: &'a str,
}

impl NewPerson {
    pub fn parse(input: &PersonInput<'_>, today: NaiveDate) -> Result<NewPerson, String> {
        let id = IdNumber::parse(input.id_number, today).map_err(|e| format!("{e}。"))?;
        let age = check_age(&id, today)?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            return Err("「姓名」未填写或超过 50 字，请按身份证填写。".to_string());
        }
        let living = Living::parse(input.living).ok_or_else(|| {
            format!(
                "「居住情况」「{}」无法识别，请选择：{}。",
                input.living.trim(),
                Living::labels()
            )
        })?;
        let phone = match input.phone.trim() {
            "" => None,
            p => Some(Phone::parse(p).map_err(|e| format!("{e}。"))?),
        };
        Ok(NewPerson {
            id,
            name: name.to_string(),
            age,
            assessment: parse_assessment(input.ability_level, input.assessed_on, today)?,
            living,
            phone,
            own_interval: parse_interval(input.visit_every_days)?,
        })
    }
}

coded!(
    /// A category of older person for whom the government pays home care.
    Category {
        Tekun = "tekun", "特困人员";
        Dibao = "dibao", "低保对象";
        Aged = "aged", "高龄";
        Disabled = "disabled", "失能";
    }
);

/// One row of the allowance table: a category's monthly amount from a month on, and its
/// parameter (the age for 高龄, the lowest ability level for 失能).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllowanceRule {
    pub category: Category,
    pub effective_from: NaiveDate,
    pub monthly: Fen,
    pub threshold: Option<i64>,
}

/// The rules in force on `day`: for each category, the latest row effective by then.
pub fn rules_in_force(rules: &[AllowanceRule], day: NaiveDate) -> Vec<AllowanceRule> {
    Category::ALL
        .iter()
        .filter_map(|c| {
            rules
                .iter()
                .filter(|r| r.category == *c && r.effective_from <= day)
                .max_by_key(|r| r.effective_from)
                .cloned()
        })
        .collect()
}

/// What decides eligibility for one person on one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// In a 特困 case that is in force (found through the ID's blind index).
    pub tekun: bool,
    /// A covered member of a 低保 household whose case is in force.
    pub dibao: bool,
    pub age: u32,
    /// `None` until assessed: an unassessed person is not counted as disabled.
    pub ability: Option<AbilityLevel>,
}

/// Who is eligible and for how much a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    /// Each category that applies, with its monthly amount.
    pub categories: Vec<(Category, Fen)>,
    /// The highest amount of those (categories do not add up).
    pub monthly: Fen,
    /// The category that amount comes from.
    pub basis: Option<Category>,
}

impl Eligibility {
    pub fn eligible(&self) -> bool {
        !self.categories.is_empty()
    }
    /// "特困人员 300.00 元、高龄 100.00 元，取最高 300.00 元" for pages.
    pub fn explanation(&self) -> String {
        if self.categories.is_empty() {
            return "不属于特困人员、低保对象、高龄或失能老年人，不享受政府购买服务补贴，可自费下单。"
                .to_string();
        }
        let parts: Vec<String> = self
            .categories
            .iter()
            .map(|(c, f)| format!("{} {} 元", c.label(), f.to_display()))
            .collect();
        format!(
            "{}，取最高 {} 元/月",
            parts.join("、"),
            self.monthly.to_display()
        )
    }
}

/// The rule: 特困, 低保, age at or over the 高龄 threshold, assessed ability level at or
/// over the 失能 threshold. A category whose rule is missing from the table does not
/// apply. The monthly allowance is the highest amount among those that apply.
pub fn eligibility(standing: Standing, in_force: &[AllowanceRule]) -> Eligibility {
    let mut categories = Vec::new();
    for rule in in_force {
        let applies = match rule.category {
            Category::Tekun => standing.tekun,
            Category::Dibao => standing.dibao,
            Category::Aged => rule.threshold.is_some_and(|t| i64::from(standing.age) >= t),
            Category::Disabled => match (standing.ability, rule.threshold) {
                (Some(level), Some(t)) => level.number() >= t,
                _ => false,
            },
        };
        if applies {
            categories.push((rule.category, rule.monthly));
        }
    }
    let best = categories
        .iter()
        .max_by_key(|(c, f)| (*f, std::cmp::Reverse(*c)));
    Eligibility {
        monthly: best.map_or(Fen::ZERO, |(_, f)| *f),
        basis: best.map(|(c, _)| *c),
        categories,
    }
}

/// What is left of a month's allowance after the subsidies of its orders (never below 0:
/// a lowered allowance does not make a debt).
pub fn remaining(monthly: Fen, used: Fen) -> Fen {
    Fen((monthly.0 - used.0).max(0))
}

/// An order paid by allowance must fit in what is left this month.
pub fn check_subsidy(amount: Fen, eligibility: &Eligibility, remaining: Fen) -> Result<(), String> {
    if !eligibility.eligible() {
        return Err(
            "这位老人不属于政府购买服务对象（特困、低保、高龄、失能），不能用补贴支付；请选择「自费」。"
                .to_string(),
        );
    }
    if amount > remaining {
        return Err(format!(
            "本月补贴余额为 {} 元，本单金额 {} 元超出余额，不能用补贴支付；请减少数量，或选择「自费」。",
            remaining.to_display(),
            amount.to_display()
        ));
    }
    Ok(())
}

/// A change of the allowance table typed by the city, checked.
pub fn parse_allowance(
    category: &str,
    effective_from: &str,
    monthly: &str,
    threshold: &str,
) -> Result<AllowanceRule, String> {
    let category = Category::parse(category).ok_or_else(|| {
        format!(
            "「补贴类别」「{}」无法识别，请选择：{}。",
            category.trim(),
            Category::labels()
        )
    })?;
    let month = effective_from.trim();
    let effective_from = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(month, "%Y-%m-%d"))
        .ok()
        .filter(|d| d.format("%d").to_string() == "01")
        .ok_or_else(|| format!("「起始月份」应为某月（如 2027-01），收到「{month}」；补贴按月执行，从该月 1 日起生效。"))?;
    let monthly = Fen::parse_yuan(monthly)
        .map_err(|e| format!("「每月补贴」{e}。"))
        .and_then(|f| {
            (0..=10_000_000)
                .contains(&f.0)
                .then_some(f)
                .ok_or_else(|| "「每月补贴」应在 0 至 100,000 元之间。".to_string())
        })?;
    let range = match category {
        Category::Aged => Some((60, 120, "「高龄年龄线」应为 60 至 120 之间的周岁数")),
        Category::Disabled => Some((1, 4, "「失能等级线」应为 1 至 4 级（2 即中度失能及以上）")),
        Category::Tekun | Category::Dibao => None,
    };
    let threshold = match range {
        None => None,
        Some((low, high, message)) => Some(
            threshold
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|t| (low..=high).contains(t))
                .ok_or_else(|| format!("{message}，收到「{}」。", threshold.trim()))?,
        ),
    };
    Ok(AllowanceRule {
        category,
        effective_from,
        monthly,
        threshold,
    })
}

#[cfg(test)]
#[path = "people_tests.rs"]
mod tests;
