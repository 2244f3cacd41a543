//! Demo home-care platform: the catalogue of seven services, four providers (one per
//! urban district, one for the counties, and a meal site (助餐点) for one street), and
//! the last 30 days of orders from about a quarter of the demo's older people — lunches
//! most days for some, other services now and then — in every state: most served and
//! rated (a few with complaints), some cancelled, the last days' still open. Eligible
//! people's orders are paid by allowance while the month's remainder allows, the rest
//! self-paid, through the same rule and store functions as the pages.

use std::collections::HashMap;

use chrono::{DateTime, Days, Duration, FixedOffset, NaiveDate, TimeZone};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::allowance::{self, month_of};
use super::model::{OrderStatus, Payment, Rating, RequestedBy, ServiceKind, order_amount};
use super::order_store::{self as orders, NewOrder, StepChange};
use super::store;
use crate::demo::{DemoContext, DemoError, DemoFuture};
use crate::elderly::people::{self, AbilityLevel, Standing, rules_in_force};
use crate::elderly::people_store::{self as people_store, NewVisit};
use crate::ids::Uscc;
use crate::money::Fen;

const SERVICES: [(ServiceKind, &str, &str, i64); 7] = [
    (ServiceKind::Meal, "助餐（午餐）", "餐", 1_500),
    (ServiceKind::Bath, "上门助浴", "次", 8_000),
    (ServiceKind::Clean, "居家保洁", "小时", 4_000),
    (ServiceKind::Emergency, "紧急呼叫响应", "次", 5_000),
    (ServiceKind::Medical, "陪同就医", "次", 6_000),
    (ServiceKind::Mobility, "助行陪护", "小时", 3_000),
    (ServiceKind::Visit, "探访关爱", "次", 2_000),
];
const SERVERS: &[&str] = &["刘阿姨", "王师傅", "陈护理员", "张师傅", "李阿姨", "赵社工"];
const PRAISE: &[&str] = &["准时，态度好", "饭菜可口", "服务细心", "", "很满意"];
const COMPLAINTS: &[&str] = &["送餐晚了一个多小时", "保洁不彻底", "服务人员态度生硬"];
const CANCELS: &[&str] = &["老人住院", "家属已自行安排", "老人外出探亲"];

/// A time of day `minutes` after midnight on `day`, China time.
fn at(day: NaiveDate, minutes: i64) -> Option<DateTime<FixedOffset>> {
    let naive = day.and_hms_opt(0, 0, 0)? + Duration::minutes(minutes);
    crate::calendar::china_offset()
        .from_local_datetime(&naive)
        .single()
}

struct Older {
    id: i64,
    name: String,
    region: String,
    standing: Standing,
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("homecare");
        let now = ctx.now.with_timezone(&crate::calendar::china_offset());
        let today = ctx.today;
        let stamp = ctx.now.to_rfc3339();
        let mut service_ids: Vec<(ServiceKind, i64, Fen)> = Vec::new();
        for (kind, name, unit, price) in SERVICES {
            let s = super::model::NewService {
                kind,
                name: name.to_string(),
                unit: unit.to_string(),
                price: Fen(price),
            };
            let id = store::insert_service(&mut ctx.tx, &s, "shiju", &stamp).await?;
            service_ids.push((kind, id, s.price));
        }
        let districts: Vec<(String, String)> =
            sqlx::query_as("SELECT code, name FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let first_street: Option<(String, String)> = sqlx::query_as(
            "SELECT code, name FROM regions WHERE level = 'street' ORDER BY code LIMIT 1",
        )
        .fetch_optional(&mut *ctx.tx)
        .await?;
        // (id, areas, meals only)
        let mut providers: Vec<(i64, Vec<String>, bool)> = Vec::new();
        let mut plan: Vec<(String, Vec<String>, bool)> = Vec::new();
        let names = ["安康居家养老服务中心", "康乐助老服务社"];
        for (i, (code, _)) in districts.iter().take(2).enumerate() {
            plan.push((names[i].to_string(), vec![code.clone()], false));
        }
        let rest: Vec<String> = districts.iter().skip(2).map(|(c, _)| c.clone()).collect();
        if !rest.is_empty() {
            plan.push(("夕阳红城乡养老服务合作社".to_string(), rest, false));
        }
        if let Some((code, name)) = first_street {
            plan.push((format!("{name}幸福里老年助餐点"), vec![code], true));
        }
        for (n, (name, areas, meals)) in plan.into_iter().enumerate() {
            let uscc = Uscc::compose(&format!("52369900MA00000{:02}", n + 1))
                .map(|u| u.as_str().to_string())
                .unwrap_or_default();
            let phone = format!("0799-86{:06}", 100 + n);
            let id = store::insert_provider(
                &mut ctx.tx,
                (&name, &uscc, &phone),
                &areas,
                "shiju",
                &stamp,
            )
            .await?;
            providers.push((id, areas, meals));
        }

        // The older people as the allowance rule sees them today.
        let everyone = crate::db::prefix_bounds("");
        let programs = people_store::programs(&mut ctx.tx, &everyone, None).await?;
        let rows: Vec<(i64, String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, region_code, birth_date, ability_level FROM older_people \
             WHERE left_on IS NULL ORDER BY id",
        )
        .fetch_all(&mut *ctx.tx)
        .await?;
        let older: Vec<Older> = rows
            .into_iter()
            .filter_map(|(id, name, region, birth, level)| {
                let birth = NaiveDate::parse_from_str(&birth, "%Y-%m-%d").ok()?;
                let (tekun, dibao) = programs.get(&id).copied().unwrap_or_default();
                Some(Older {
                    id,
                    name,
                    region,
                    standing: Standing {
                        tekun,
                        dibao,
                        age: crate::ids::idcard::age_on(birth, today),
                        ability: level.and_then(AbilityLevel::from_number),
                    },
                })
            })
            .collect();
        let table = allowance::rules(&mut ctx.tx).await?;
        let mut used: HashMap<(i64, String), Fen> = HashMap::new();
        let (mut placed, mut rated, mut complaints) = (0, 0, 0);
        for person in &older {
            // Eligible people use the platform more.
            let eligible =
                people::eligibility(person.standing, &rules_in_force(&table, today)).eligible();
            if !rng.random_bool(if eligible { 0.35 } else { 0.12 }) {
                continue;
            }
            let serving = |meals: bool| {
                providers
                    .iter()
                    .filter(|(_, areas, m)| {
                        (!*m || meals) && super::model::serves(areas, &person.region)
                    })
                    .map(|(id, _, _)| *id)
                    .collect::<Vec<i64>>()
            };
            let luncher = rng.random_bool(0.5);
            let mut days: Vec<(NaiveDate, ServiceKind)> = Vec::new();
            for back in 0..30u64 {
                let day = today - Days::new(back);
                if luncher && rng.random_bool(0.35) {
                    days.push((day, ServiceKind::Meal));
                } else if rng.random_bool(0.06) {
                    let kinds = [
                        ServiceKind::Bath,
                        ServiceKind::Clean,
                        ServiceKind::Medical,
                        ServiceKind::Mobility,
                        ServiceKind::Visit,
                        ServiceKind::Emergency,
                    ];
                    days.push((day, *kinds.choose(&mut rng).unwrap_or(&ServiceKind::Clean)));
                }
            }
            days.reverse();
            for (day, kind) in days {
                let Some(&(_, service_id, price)) = service_ids.iter().find(|(k, _, _)| *k == kind)
                else {
                    continue;
                };
                let quantity = match kind {
                    ServiceKind::Clean | ServiceKind::Mobility => rng.random_range(1..=3),
                    _ => 1,
                };
                let amount = order_amount(price, quantity);
                let month = month_of(day);
                let rules = rules_in_force(&table, day);
                let entitled = people::eligibility(person.standing, &rules).monthly;
                let spent = used.entry((person.id, month.clone())).or_default();
                let by_allowance = people::remaining(entitled, *spent) >= amount && entitled.0 > 0;
                let (payment, subsidy) = if by_allowance {
                    (Payment::Allowance, amount)
                } else {
                    (Payment::SelfPaid, Fen::ZERO)
                };
                let start = if kind == ServiceKind::Meal {
                    rng.random_range(7 * 60..9 * 60)
                } else {
                    rng.random_range(8 * 60..17 * 60)
                };
                let Some(requested) = at(day, start).filter(|t| *t <= now) else {
                    continue;
                };
                let requested_by = *[
                    RequestedBy::Person,
                    RequestedBy::Family,
                    RequestedBy::Worker,
                ]
                .choose(&mut rng)
                .unwrap_or(&RequestedBy::Family);
                let requester = match requested_by {
                    RequestedBy::Person => person.name.clone(),
                    RequestedBy::Family => "家属".to_string(),
                    RequestedBy::Worker => "社区网格员".to_string(),
                };
                let order = NewOrder {
                    person_id: person.id,
                    service_id,
                    quantity,
                    unit_price: price,
                    amount,
                    payment,
                    subsidy,
                    month: &month,
                    requested_by,
                    requester: &requester,
                    note: "",
                };
                let id =
                    orders::insert_order(&mut ctx.tx, &order, "shequ", &requested.to_rfc3339())
                        .await?;
                placed += 1;
                *spent += subsidy;
                let age = (today - day).num_days();
                // Cancelled before dispatch now and then.
                if rng.random_bool(0.04) {
                    let reason = CANCELS.choose(&mut rng).copied().unwrap_or("老人住院");
                    let when = requested + Duration::minutes(rng.random_range(5..60));
                    if when <= now {
                        step(
                            ctx,
                            id,
                            (OrderStatus::Requested, 1),
                            StepChange::Cancel { reason },
                            &when,
                        )
                        .await?;
                        *used.entry((person.id, month.clone())).or_default() -= subsidy;
                    }
                    continue;
                }
                let options = serving(kind == ServiceKind::Meal);
                let meal_site = options
                    .iter()
                    .copied()
                    .find(|p| providers.iter().any(|(id, _, meals)| id == p && *meals));
                let Some(provider_id) = meal_site.or_else(|| options.choose(&mut rng).copied())
                else {
                    continue;
                };
                let dispatched = requested + Duration::minutes(rng.random_range(10..90));
                if dispatched > now || (age <= 1 && rng.random_bool(0.3)) {
                    continue;
                }
                step(
                    ctx,
                    id,
                    (OrderStatus::Requested, 1),
                    StepChange::Dispatch { provider_id },
                    &dispatched,
                )
                .await?;
                // Now and then cancelled after dispatch, before the service.
                if rng.random_bool(0.03) {
                    let reason = CANCELS.choose(&mut rng).copied().unwrap_or("老人住院");
                    let when = dispatched + Duration::minutes(rng.random_range(5..60));
                    if when <= now {
                        step(
                            ctx,
                            id,
                            (OrderStatus::Dispatched, 2),
                            StepChange::Cancel { reason },
                            &when,
                        )
                        .await?;
                        *used.entry((person.id, month.clone())).or_default() -= subsidy;
                        continue;
                    }
                }
                let served = if kind == ServiceKind::Meal {
                    at(day, rng.random_range(11 * 60..12 * 60 + 30))
                        .filter(|t| *t > dispatched)
                        .unwrap_or(dispatched + Duration::minutes(60))
                } else {
                    dispatched + Duration::minutes(rng.random_range(30..240))
                };
                if served > now || (age <= 1 && rng.random_bool(0.3)) {
                    continue;
                }
                let server_name = SERVERS.choose(&mut rng).copied().unwrap_or("刘阿姨");
                let served_at = served.to_rfc3339();
                step(
                    ctx,
                    id,
                    (OrderStatus::Dispatched, 2),
                    StepChange::Serve {
                        server_name,
                        served_at: &served_at,
                    },
                    &served,
                )
                .await?;
                if kind == ServiceKind::Visit {
                    let visit = NewVisit {
                        visited_on: day,
                        way: "home",
                        visitor: server_name,
                        notes: "居家养老服务平台探访关爱服务",
                        order_id: Some(id),
                    };
                    people_store::add_visit(&mut ctx.tx, person.id, &visit, "jiedao", &served_at)
                        .await?;
                }
                let rated_at = served + Duration::minutes(rng.random_range(60..48 * 60));
                if rated_at > now || rng.random_bool(0.1) {
                    continue;
                }
                let complaint = rng.random_bool(0.04);
                let rating = Rating {
                    stars: if complaint {
                        rng.random_range(1..=2)
                    } else {
                        rng.random_range(3..=5).max(rng.random_range(4..=5))
                    },
                    comment: if complaint {
                        COMPLAINTS.choose(&mut rng).copied().unwrap_or("服务不满意")
                    } else {
                        PRAISE.choose(&mut rng).copied().unwrap_or("")
                    }
                    .to_string(),
                    complaint,
                };
                step(
                    ctx,
                    id,
                    (OrderStatus::Served, 3),
                    StepChange::Rate(&rating),
                    &rated_at,
                )
                .await?;
                rated += 1;
                if complaint {
                    complaints += 1;
                }
            }
        }
        Ok::<String, DemoError>(format!(
            "居家养老服务：服务商 {} 家、服务 {} 项，近 30 天订单 {placed} 笔（已评价 {rated} 笔，投诉 {complaints} 笔）",
            providers.len(),
            service_ids.len()
        ))
    })
}

async fn step(
    ctx: &mut DemoContext<'_>,
    id: i64,
    from: (OrderStatus, i64),
    change: StepChange<'_>,
    when: &DateTime<FixedOffset>,
) -> Result<(), DemoError> {
    orders::apply_step(
        &mut ctx.tx,
        id,
        from,
        &change,
        ("jiedao", &when.to_rfc3339()),
    )
    .await?;
    Ok(())
}
