//! Demo older people: the demo's 特困 and 低保 recipients aged 60 and over (their IDs
//! opened from the members' register and sealed again, so the link is found through the
//! blind index as for any registration), and other older residents of every community
//! with plausible ages, ability levels and living situations; 探访关爱 visits at about
//! their interval, with about one in six of those due a visit left overdue.

use std::collections::HashSet;

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::people::{AbilityLevel, Living, NewPerson, default_visit_interval};
use super::people_store::{self as store, NewVisit};
use crate::demo::{DemoContext, DemoError, DemoFuture};
use crate::ids::IdNumber;
use crate::protect::{Phone, SensitiveKind};

/// Other older residents per community (besides the recipients).
const PER_COMMUNITY: usize = 6;
/// At most this many recipients are registered (a sample, oldest members first).
const MAX_LINKED: usize = 120;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
];
const GIVEN: &[&str] = &[
    "秀英", "桂英", "淑珍", "玉兰", "凤英", "建国", "国华", "德明", "文华", "志强", "桂兰", "秀兰",
    "福生", "长林", "金花",
];
const VISITORS: &[&str] = &["社区网格员", "志愿者", "社工", "社区医生", "楼栋长"];
const NOTES: &[&str] = &[
    "身体尚好，生活能自理",
    "血压偏高，提醒按时服药",
    "家中电路老化，已联系维修",
    "情绪稳定，子女每周来电",
    "行动不便，建议申请助行服务",
];

fn pick<'a>(rng: &mut impl Rng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or("")
}

fn living(rng: &mut impl Rng, rural: bool) -> Living {
    let roll = rng.random_range(0..100);
    match (rural, roll) {
        (_, 0..40) => Living::Family,
        (_, 40..60) => Living::Alone,
        (false, 60..90) | (true, 60..75) => Living::EmptyNest,
        (true, 75..93) => Living::LeftBehind,
        _ => Living::Bereaved,
    }
}

fn ability(rng: &mut impl Rng, today: NaiveDate) -> Option<(AbilityLevel, NaiveDate)> {
    if rng.random_bool(0.35) {
        return None;
    }
    let level = match rng.random_range(0..100) {
        0..40 => AbilityLevel::Intact,
        40..65 => AbilityLevel::Mild,
        65..83 => AbilityLevel::Moderate,
        83..93 => AbilityLevel::Severe,
        _ => AbilityLevel::Total,
    };
    Some((level, today - Days::new(rng.random_range(10..400))))
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("older_people");
        let today = ctx.today;
        let now = ctx.now.to_rfc3339();
        let sixty = today - chrono::Months::new(12 * 60);
        // Recipients aged 60 and over, with the community of their case.
        let linked: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT m.id_number_sealed, m.name, c.region_code FROM members m \
             JOIN cases c ON c.household_id = m.household_id \
             WHERE c.status = 'active' AND m.covered = 1 AND m.birth_date <= $1 \
             ORDER BY m.birth_date, m.id",
        )
        .bind(sixty.to_string())
        .fetch_all(&mut *ctx.tx)
        .await?;
        let taken: HashSet<String> =
            sqlx::query_as::<_, (String,)>("SELECT id_number_index FROM members")
                .fetch_all(&mut *ctx.tx)
                .await?
                .into_iter()
                .map(|(i,)| i)
                .collect();
        let communities: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT code, urban_rural FROM regions WHERE level = 'community' ORDER BY code",
        )
        .fetch_all(&mut *ctx.tx)
        .await?;
        let mut people: Vec<(NewPerson, String)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (sealed, name, community) in linked {
            if people.len() >= MAX_LINKED {
                break;
            }
            let Ok(text) = ctx.keyring.open(SensitiveKind::IdNumber, &sealed) else {
                continue;
            };
            let Ok(id) = IdNumber::parse(&text, today) else {
                continue;
            };
            if !seen.insert(id.as_str().to_string()) {
                continue;
            }
            let rural = communities
                .iter()
                .any(|(c, u)| *c == community && u.as_deref() == Some("rural"));
            people.push((
                NewPerson {
                    age: id.age_on(today),
                    id,
                    name,
                    assessment: ability(&mut rng, today),
                    living: living(&mut rng, rural),
                    phone: None,
                    own_interval: None,
                },
                community,
            ));
        }
        let linked_count = people.len();
        for (code, urban_rural) in &communities {
            let rural = urban_rural.as_deref() == Some("rural");
            for _ in 0..PER_COMMUNITY {
                let birth = today - Days::new(rng.random_range(60 * 365 + 20..95 * 365));
                let Some(id) = IdNumber::compose(&code[..6], birth, rng.random_range(500..1000))
                else {
                    continue;
                };
                let index = ctx.keyring.index(SensitiveKind::IdNumber, id.as_str());
                if taken.contains(&index) || !seen.insert(id.as_str().to_string()) {
                    continue;
                }
                let phone = rng
                    .random_bool(0.6)
                    .then(|| format!("139{:08}", rng.random_range(0..100_000_000)))
                    .and_then(|p| Phone::parse(&p).ok());
                people.push((
                    NewPerson {
                        age: id.age_on(today),
                        name: format!("{}{}", pick(&mut rng, SURNAMES), pick(&mut rng, GIVEN)),
                        id,
                        assessment: ability(&mut rng, today),
                        living: living(&mut rng, rural),
                        phone,
                        own_interval: None,
                    },
                    code.clone(),
                ));
            }
        }
        let mut visits = 0;
        for (person, community) in &people {
            let registered = today - Days::new(rng.random_range(20..700));
            let sealed = ctx
                .keyring
                .seal(SensitiveKind::IdNumber, person.id.as_str());
            let phone = person
                .phone
                .as_ref()
                .map(|p| ctx.keyring.seal(SensitiveKind::Phone, p.as_str()));
            let by = "shequ";
            let id = store::insert(
                &mut ctx.tx,
                person,
                &sealed,
                phone.as_ref(),
                community,
                (by, &now, registered),
            )
            .await?;
            // Visits at about the interval over the last four months; one in six of
            // those with a schedule was last visited too long ago.
            let Some(every) = default_visit_interval(person.living) else {
                continue;
            };
            let every = u64::from(every);
            let lapsed = rng.random_bool(1.0 / 6.0);
            let start = registered.max(today - Days::new(120));
            // The last visit: within the interval, or (lapsed) longer ago; the earlier
            // ones about an interval apart, back to the start.
            let last = if lapsed {
                today - Days::new(every + rng.random_range(1..=20))
            } else {
                today - Days::new(rng.random_range(0..every))
            };
            let mut days = Vec::new();
            let mut day = last;
            while day >= start {
                days.push(day);
                day = day - Days::new(every.saturating_sub(rng.random_range(0..3)).max(1));
            }
            days.reverse();
            for day in days {
                let visit = NewVisit {
                    visited_on: day,
                    way: if rng.random_bool(0.7) {
                        "home"
                    } else {
                        "phone"
                    },
                    visitor: pick(&mut rng, VISITORS),
                    notes: pick(&mut rng, NOTES),
                    order_id: None,
                };
                store::add_visit(&mut ctx.tx, id, &visit, by, &now).await?;
                visits += 1;
            }
        }
        Ok::<String, DemoError>(format!(
            "老年人：{} 人（其中特困、低保对象 {linked_count} 人，按身份证号关联），探访记录 {visits} 条",
            people.len()
        ))
    })
}
