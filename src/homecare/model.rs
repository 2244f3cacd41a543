//! The home-care platform (互联网+养老, DOMAIN.md §4), pure: the catalogue's kinds,
//! an order's steps and which step each status allows, which provider serves a
//! community, the checks on what is typed, and provider performance. No I/O, no clock.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use serde::Serialize;

use crate::ids::Uscc;
use crate::money::Fen;

coded!(
    /// The services of the catalogue.
    ServiceKind {
        Meal = "meal", "助餐";
        Bath = "bath", "助浴";
        Clean = "clean", "助洁";
        Emergency = "emergency", "助急";
        Medical = "medical", "助医";
        Mobility = "mobility", "助行";
        Visit = "visit", "探访关爱";
    }
);

coded!(
    /// Where an order stands.
    OrderStatus {
        Requested = "requested", "待派单";
        Dispatched = "dispatched", "已派单";
        Served = "served", "已服务";
        Rated = "rated", "已评价";
        Cancelled = "cancelled", "已取消";
    }
);

coded!(
    /// Who asked for the service.
    RequestedBy {
        Person = "self", "本人";
        Family = "family", "家属";
        Worker = "worker", "社区工作人员";
    }
);

coded!(
    /// Who pays: the month's allowance (政府购买服务) or the older person (自费).
    Payment {
        Allowance = "allowance", "补贴支付";
        SelfPaid = "self", "自费";
    }
);

coded!(
    /// The steps after an order is placed.
    Step {
        Dispatch = "dispatch", "派单";
        Serve = "serve", "登记服务";
        Rate = "rate", "评价";
        Cancel = "cancel", "取消";
    }
);

impl OrderStatus {
    /// Whether `step` may be taken now; the error says why not.
    pub fn allows(self, step: Step) -> Result<(), String> {
        let ok = match step {
            Step::Dispatch => self == OrderStatus::Requested,
            Step::Serve => self == OrderStatus::Dispatched,
            Step::Rate => self == OrderStatus::Served,
            Step::Cancel => matches!(self, OrderStatus::Requested | OrderStatus::Dispatched),
        };
        if ok {
            return Ok(());
        }
        let needs = match step {
            Step::Dispatch => "只有待派单的订单可以派单",
            Step::Serve => "只有已派单的订单可以登记服务",
            Step::Rate => "只有已服务、尚未评价的订单可以评价",
            Step::Cancel => "服务前（待派单或已派单）才能取消",
        };
        Err(format!(
            "订单现为「{}」，{needs}，请刷新后查看。",
            self.label()
        ))
    }

    pub fn served(self) -> bool {
        matches!(self, OrderStatus::Served | OrderStatus::Rated)
    }
}

/// Whether a provider with these service areas serves `community`: an area is the
/// community itself or a street or district above it (a child's code starts with its
/// parent's whole code).
pub fn serves(areas: &[String], community: &str) -> bool {
    areas
        .iter()
        .any(|a| !a.is_empty() && community.starts_with(a.as_str()))
}

/// Most units of a service in one order (a month of daily meals is 31).
pub const MAX_QUANTITY: i64 = 100;

pub fn parse_quantity(input: &str) -> Result<i64, String> {
    input
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=MAX_QUANTITY).contains(n))
        .ok_or_else(|| {
            format!(
                "「数量」应为 1 至 {MAX_QUANTITY} 的整数，收到「{}」。",
                input.trim()
            )
        })
}

/// Price × quantity.
pub fn order_amount(unit_price: Fen, quantity: i64) -> Fen {
    Fen(unit_price.0.saturating_mul(quantity))
}

/// A time typed into a form (`2026-11-29T10:30`, `2026-11-29 10:30[:00]`), China time.
pub fn parse_local_time(input: &str) -> Option<DateTime<FixedOffset>> {
    let s = input.trim().replace(' ', "T");
    let naive = NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    crate::calendar::china_offset()
        .from_local_datetime(&naive)
        .single()
}

/// When the service was given: typed, or now when left empty; not before the request
/// and not in the future.
pub fn parse_served_at(
    input: &str,
    requested_at: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
) -> Result<DateTime<FixedOffset>, String> {
    if input.trim().is_empty() {
        return Ok(now);
    }
    let at = parse_local_time(input).ok_or_else(|| {
        format!(
            "「服务时间」「{}」无法识别，请写成 2026-11-29 10:30 的形式，或留空表示现在。",
            input.trim()
        )
    })?;
    if at > now {
        return Err(format!(
            "「服务时间」{} 晚于现在，请核对。",
            at.format("%Y-%m-%d %H:%M")
        ));
    }
    if at < requested_at {
        return Err(format!(
            "「服务时间」{} 早于下单时间 {}，请核对。",
            at.format("%Y-%m-%d %H:%M"),
            requested_at.format("%Y-%m-%d %H:%M")
        ));
    }
    Ok(at)
}

/// A free text a step needs (who served, a reason), trimmed and bounded.
pub fn required_text(field: &str, input: &str, max: usize, hint: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(format!("请填写「{field}」（{hint}），不超过 {max} 字。"));
    }
    Ok(s.to_string())
}

/// The older person's rating after the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rating {
    pub stars: i64,
    pub comment: String,
    pub complaint: bool,
}

pub fn parse_rating(stars: &str, comment: &str, complaint: &str) -> Result<Rating, String> {
    let stars = stars
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| format!("「评分」应为 1 至 5 分，收到「{}」。", stars.trim()))?;
    let complaint = matches!(complaint.trim(), "1" | "true" | "on" | "yes" | "是");
    let comment = comment.trim().to_string();
    if comment.chars().count() > 500 {
        return Err("「评价意见」不超过 500 字。".to_string());
    }
    if complaint && comment.is_empty() {
        return Err("有投诉的，请在「评价意见」中写明投诉的内容。".to_string());
    }
    Ok(Rating {
        stars,
        comment,
        complaint,
    })
}

/// A catalogue entry as typed by the city.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewService {
    pub kind: ServiceKind,
    pub name: String,
    pub unit: String,
    pub price: Fen,
}

pub fn parse_service(
    kind: &str,
    name: &str,
    unit: &str,
    price: &str,
) -> Result<NewService, String> {
    let kind = ServiceKind::parse(kind).ok_or_else(|| {
        format!(
            "「服务类别」「{}」无法识别，请选择：{}。",
            kind.trim(),
            ServiceKind::labels()
        )
    })?;
    let name = required_text("服务名称", name, 50, "如：助餐（午餐）")?;
    let unit = required_text("计价单位", unit, 10, "如：餐、次、小时")?;
    let price = parse_price(price)?;
    Ok(NewService {
        kind,
        name,
        unit,
        price,
    })
}

pub fn parse_price(price: &str) -> Result<Fen, String> {
    Fen::parse_yuan(price)
        .map_err(|e| format!("「单价」{e}。"))
        .and_then(|f| {
            (0..=10_000_000)
                .contains(&f.0)
                .then_some(f)
                .ok_or_else(|| "「单价」应在 0 至 100,000 元之间。".to_string())
        })
}

/// A provider as typed by the city: name, an optional USCC (checked), a service phone.
pub fn parse_provider(
    name: &str,
    uscc: &str,
    phone: &str,
) -> Result<(String, String, String), String> {
    let name = required_text("服务商名称", name, 100, "营业执照或登记证书上的名称")?;
    let uscc = match uscc.trim() {
        "" => String::new(),
        u => Uscc::parse(u)
            .map_err(|e| format!("{e}。"))?
            .as_str()
            .to_string(),
    };
    let phone = phone.trim();
    if phone.chars().count() > 30 {
        return Err("「服务电话」不超过 30 个字符。".to_string());
    }
    Ok((name, uscc, phone.to_string()))
}

/// One order as performance counts it.
#[derive(Clone, Debug)]
pub struct OrderFacts {
    pub provider_id: i64,
    pub status: OrderStatus,
    pub requested_at: DateTime<FixedOffset>,
    pub dispatched_at: Option<DateTime<FixedOffset>>,
    pub served_at: Option<DateTime<FixedOffset>>,
    pub rating: Option<i64>,
    pub complaint: bool,
    pub amount: Fen,
    pub subsidy: Fen,
}

/// A provider's figures over a set of orders dispatched to it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Performance {
    pub provider_id: i64,
    /// Orders dispatched to the provider (cancelled ones included).
    pub orders: i64,
    pub served: i64,
    pub cancelled: i64,
    /// Average minutes from request to dispatch, and from request to service (one
    /// decimal); `None` when no order got that far.
    pub dispatch_minutes: Option<f64>,
    pub serve_minutes: Option<f64>,
    pub rated: i64,
    /// Average of the ratings given (one decimal).
    pub rating: Option<f64>,
    pub complaints: i64,
    /// What the served orders cost, and what the allowance paid of it (yuan in JSON).
    #[serde(serialize_with = "super::yuan")]
    pub amount: Fen,
    #[serde(serialize_with = "super::yuan")]
    pub subsidy: Fen,
}

fn average(sum: i64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum as f64 / n as f64 * 10.0).round() / 10.0)
}

/// Whole minutes from `from` to `to`.
pub fn minutes_between(from: DateTime<FixedOffset>, to: DateTime<FixedOffset>) -> i64 {
    (to - from).num_minutes()
}

/// Each provider's figures, by provider id.
pub fn performance(orders: &[OrderFacts]) -> Vec<Performance> {
    #[derive(Default)]
    struct Acc {
        p: Performance,
        dispatch: (i64, i64),
        serve: (i64, i64),
        stars: i64,
    }
    let mut by: BTreeMap<i64, Acc> = BTreeMap::new();
    for o in orders {
        let acc = by.entry(o.provider_id).or_default();
        acc.p.provider_id = o.provider_id;
        acc.p.orders += 1;
        if o.status == OrderStatus::Cancelled {
            acc.p.cancelled += 1;
        }
        if let Some(at) = o.dispatched_at {
            acc.dispatch.0 += minutes_between(o.requested_at, at);
            acc.dispatch.1 += 1;
        }
        if let (Some(at), true) = (o.served_at, o.status.served()) {
            acc.p.served += 1;
            acc.serve.0 += minutes_between(o.requested_at, at);
            acc.serve.1 += 1;
            acc.p.amount += o.amount;
            acc.p.subsidy += o.subsidy;
        }
        if let Some(stars) = o.rating {
            acc.p.rated += 1;
            acc.stars += stars;
        }
        if o.complaint {
            acc.p.complaints += 1;
        }
    }
    by.into_values()
        .map(|mut a| {
            a.p.dispatch_minutes = average(a.dispatch.0, a.dispatch.1);
            a.p.serve_minutes = average(a.serve.0, a.serve.1);
            a.p.rating = average(a.stars, a.p.rated);
            a.p
        })
        .collect()
}

/// Meals served by one provider (助餐点) on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MealCount {
    pub provider_id: i64,
    pub day: NaiveDate,
    pub meals: i64,
}

/// A provider's meals per day over `days`, with the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MealLine {
    pub provider_id: i64,
    pub per_day: Vec<i64>,
    pub total: i64,
}

/// Pivots meal counts into one line per provider with a figure for each of `days`.
pub fn meal_table(counts: &[MealCount], days: &[NaiveDate]) -> Vec<MealLine> {
    let mut by: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for c in counts {
        if let Some(i) = days.iter().position(|d| *d == c.day) {
            by.entry(c.provider_id)
                .or_insert_with(|| vec![0; days.len()])[i] += c.meals;
        }
    }
    by.into_iter()
        .map(|(provider_id, per_day)| MealLine {
            provider_id,
            total: per_day.iter().sum(),
            per_day,
        })
        .collect()
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
