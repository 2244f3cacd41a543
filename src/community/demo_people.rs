//! Demo lists and people of community governance: the city's work-item and certificate
//! lists (a few entries removed last quarter and this one, with reasons) and one
//! certificate item per district; certificates issued this quarter and last in every
//! community; community workers in every community (a few who left); volunteers with
//! service records (some just past a star threshold, veterans up to five stars); social
//! workers of every district at the three certificate levels.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::certificates_store::{self as certs, NewCertificate};
use super::socialworkers::{self, CertLevel};
use super::volunteers::MAX_RECORD_TENTHS;
use super::volunteers_store::{self, NewService, NewVolunteer};
use super::workers::Post;
use super::workers_store::{self, NewWorker};
use super::workitems::{Entry, ListKind};
use super::workitems_store::{self as lists, NewEntry};
use crate::demo::{DemoContext, DemoError, DemoFuture};
use crate::ids::IdNumber;
use crate::protect::{Phone, SensitiveKind};
use crate::report::Quarter;

const BY: &str = "demo";

/// (list, name, basis, removed: None | Some((0 = last quarter / 1 = this quarter, reason))).
type Item = (
    ListKind,
    &'static str,
    &'static str,
    Option<(u8, &'static str)>,
);

const ITEMS: &[Item] = &[
    (
        ListKind::WorkItem,
        "社区网格化服务管理",
        "市社区工作事项准入清单",
        None,
    ),
    (
        ListKind::WorkItem,
        "社会救助申请受理协助",
        "社会救助暂行办法",
        None,
    ),
    (
        ListKind::WorkItem,
        "高龄津贴资格初审",
        "市高龄津贴实施办法",
        None,
    ),
    (
        ListKind::WorkItem,
        "社区协商议事组织",
        "城乡社区协商意见",
        None,
    ),
    (
        ListKind::WorkItem,
        "退役军人服务站日常服务",
        "市社区工作事项准入清单",
        None,
    ),
    (
        ListKind::WorkItem,
        "垃圾分类宣传动员",
        "市社区工作事项准入清单",
        None,
    ),
    (
        ListKind::WorkItem,
        "创建达标评比活动",
        "原市直部门通知",
        Some((0, "清理规范评比达标表彰，不再进入社区")),
    ),
    (
        ListKind::WorkItem,
        "招商引资任务",
        "原区县工作方案",
        Some((1, "不属于社区职责，退出社区")),
    ),
    (
        ListKind::Certificate,
        "亲属关系证明（无其他途径证明的）",
        "社区证明事项保留清单",
        None,
    ),
    (
        ListKind::Certificate,
        "居民居住情况证明",
        "社区证明事项保留清单",
        None,
    ),
    (
        ListKind::Certificate,
        "困难群众生活状况证明",
        "社区证明事项保留清单",
        None,
    ),
    (
        ListKind::Certificate,
        "未再婚证明（用于遗属抚恤）",
        "社区证明事项保留清单",
        None,
    ),
    (
        ListKind::Certificate,
        "无犯罪记录证明",
        "原社区证明事项清单",
        Some((0, "由公安机关出具，社区不再出具")),
    ),
    (
        ListKind::Certificate,
        "婚姻状况证明",
        "原社区证明事项清单",
        Some((1, "由婚姻登记机关查询出具，社区不再出具")),
    ),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何",
];
const GIVEN: &[&str] = &[
    "芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "霞", "秀兰", "建华", "晓燕", "志刚", "海燕", "文静",
];
const PURPOSES: &[&str] = &[
    "办理遗属抚恤",
    "申请临时救助",
    "办理户籍业务",
    "子女入学",
    "银行业务",
];
const ACTIVITIES: &[&str] = &[
    "敬老院陪护",
    "社区环境整治",
    "文明交通劝导",
    "垃圾分类督导",
    "关爱留守儿童",
    "防诈骗宣传",
    "义诊服务",
    "助老助餐",
];
const ORGANISERS: &[&str] = &[
    "社区志愿服务站",
    "街道新时代文明实践所",
    "区志愿者协会",
    "红十字会",
];

fn pick<'a>(rng: &mut impl Rng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or("")
}

fn name(rng: &mut impl Rng) -> String {
    format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN))
}

/// A day from `from` to `to` inclusive (`from` when the span is empty).
fn day_between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.random_range(0..=span))
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("community_people");
        let today = ctx.today;
        let now = ctx.now.to_rfc3339();
        let this = Quarter::of(today);
        let last = this.previous();
        let regions: Vec<(String, String)> =
            sqlx::query_as("SELECT code, level FROM regions ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let of = |level: &str| -> Vec<String> {
            regions
                .iter()
                .filter(|(_, l)| l == level)
                .map(|(c, _)| c.clone())
                .collect()
        };
        let (cities, districts, communities) = (of("city"), of("district"), of("community"));
        let Some(city) = cities.first().cloned() else {
            return Ok::<String, DemoError>("基层治理：没有区划，未生成".to_string());
        };

        // The lists: the city's items a year and more ago, each district one of its own.
        let listed_from = today - Days::new(420);
        let mut entries: Vec<Entry> = Vec::new();
        let mut removed = 0;
        let mut planned: Vec<(String, Item)> = ITEMS.iter().map(|i| (city.clone(), *i)).collect();
        for d in &districts {
            planned.push((
                d.clone(),
                (
                    ListKind::Certificate,
                    "独生子女父母奖励扶助资格证明",
                    "区县社区证明事项补充清单",
                    None,
                ),
            ));
        }
        for (region, (list, item, basis, removal)) in planned {
            let e = NewEntry {
                list,
                region_code: region.clone(),
                name: item.to_string(),
                basis: basis.to_string(),
                added_on: listed_from,
            };
            let id = lists::insert(&mut ctx.tx, &e, (BY, &now)).await?;
            let mut entry = Entry {
                id,
                list,
                region_code: region,
                name: e.name,
                basis: e.basis,
                added_on: listed_from,
                removed_on: None,
                removed_reason: None,
                version: 1,
            };
            if let Some((quarter, reason)) = removal {
                let q = if quarter == 0 { last } else { this };
                let on = (q.first_day() + Days::new(rng.random_range(5..40))).min(today);
                lists::remove(&mut ctx.tx, id, 1, (on, reason), &now).await?;
                entry.removed_on = Some(on);
                entry.removed_reason = Some(reason.to_string());
                removed += 1;
            }
            entries.push(entry);
        }

        // Certificates this quarter and last, against the entries listed on the day.
        let mut issued = 0;
        let mut seq: u16 = 100;
        for community in &communities {
            let district = &community[..6];
            for q in [last, this] {
                for _ in 0..rng.random_range(1..=4) {
                    let on = day_between(&mut rng, q.first_day(), q.last_day().min(today));
                    let usable: Vec<&Entry> = entries
                        .iter()
                        .filter(|e| {
                            e.list == ListKind::Certificate
                                && (e.region_code == city || e.region_code == district)
                                && e.listed_on(on)
                        })
                        .collect();
                    let Some(entry) = usable.choose(&mut rng) else {
                        continue;
                    };
                    let birth = today - Days::new(rng.random_range(20 * 365..80 * 365));
                    seq = if seq >= 499 { 100 } else { seq + 1 };
                    let Some(id) = IdNumber::compose(district, birth, seq) else {
                        continue;
                    };
                    let person = name(&mut rng);
                    let cert = NewCertificate {
                        item_id: entry.id,
                        region_code: community,
                        person_name: &person,
                        purpose: pick(&mut rng, PURPOSES),
                        issued_on: on,
                    };
                    let sealed = ctx.keyring.seal(SensitiveKind::IdNumber, id.as_str());
                    certs::insert(&mut ctx.tx, &cert, &sealed, ("shequ", &now)).await?;
                    issued += 1;
                }
            }
        }

        // Community workers: a secretary, a director, members and full-time staff.
        let mut workers = 0;
        for community in &communities {
            let n = rng.random_range(4..=9);
            for i in 0..n {
                let post = match i {
                    0 => Post::Secretary,
                    1 => Post::Director,
                    2 | 3 => Post::Member,
                    _ if rng.random_bool(0.5) => Post::Grid,
                    _ => Post::FullTime,
                };
                let started = today - Days::new(rng.random_range(30..6 * 365));
                let ended = rng
                    .random_bool(0.1)
                    .then(|| day_between(&mut rng, started, today - Days::new(1)))
                    .filter(|e| *e >= started);
                let w = NewWorker {
                    name: name(&mut rng),
                    region_code: community.clone(),
                    post,
                    started_on: started,
                    ended_on: ended,
                };
                workers_store::insert(&mut ctx.tx, &w, (BY, &now)).await?;
                workers += 1;
            }
        }

        // Volunteers: three in every community with modest hours, and veterans in each
        // district with targets across the star thresholds.
        let mut volunteers = 0;
        let mut records = 0;
        let mut seen: HashSet<String> = HashSet::new();
        let mut plan: Vec<(String, i64)> = Vec::new();
        for community in &communities {
            for _ in 0..3 {
                plan.push((community.clone(), rng.random_range(20..=950)));
            }
        }
        for d in &districts {
            let mine: Vec<&String> = communities
                .iter()
                .filter(|c| c.starts_with(d.as_str()))
                .collect();
            for target in [1_040, 3_020, 6_100, 10_050, 15_200] {
                if let Some(c) = mine.choose(&mut rng) {
                    plan.push(((*c).clone(), target));
                }
            }
        }
        for (community, target) in plan {
            let birth = NaiveDate::from_ymd_opt(
                rng.random_range(1960..2006),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            )
            .unwrap_or(today);
            let Some(id) = IdNumber::compose(&community[..6], birth, rng.random_range(1..100))
            else {
                continue;
            };
            if !seen.insert(id.as_str().to_string()) {
                continue;
            }
            let registered = today - Days::new(rng.random_range(200..5 * 365));
            let phone = rng
                .random_bool(0.7)
                .then(|| format!("137{:08}", rng.random_range(0..100_000_000)))
                .and_then(|p| Phone::parse(&p).ok())
                .map(|p| ctx.keyring.seal(SensitiveKind::Phone, p.as_str()));
            let person = name(&mut rng);
            let sealed = ctx.keyring.seal(SensitiveKind::IdNumber, id.as_str());
            let vid = volunteers_store::insert(
                &mut ctx.tx,
                &NewVolunteer {
                    name: &person,
                    region_code: &community,
                    registered_on: registered,
                },
                &sealed,
                phone.as_ref(),
                (BY, &now),
            )
            .await?;
            volunteers += 1;
            // Records of 2 to 8 hours until the target is reached, on days since the
            // registration, never more than 24 hours on one day.
            let mut total = 0;
            let mut days = Vec::new();
            let mut per_day: HashMap<NaiveDate, i64> = HashMap::new();
            'records: while total < target {
                let t = rng.random_range(20..=80).min(target - total).max(1);
                for _ in 0..50 {
                    let on = day_between(&mut rng, registered, today);
                    let used = per_day.entry(on).or_default();
                    if *used + t <= MAX_RECORD_TENTHS {
                        *used += t;
                        days.push((on, t));
                        total += t;
                        continue 'records;
                    }
                }
                break;
            }
            days.sort();
            for (on, tenths) in days {
                let s = NewService {
                    served_on: on,
                    tenths,
                    activity: pick(&mut rng, ACTIVITIES),
                    organiser: pick(&mut rng, ORGANISERS),
                };
                volunteers_store::add_service(&mut ctx.tx, vid, &s, ("shequ", &now)).await?;
                records += 1;
            }
        }

        // Social workers of every district.
        let mut social = 0;
        for d in &districts {
            for _ in 0..rng.random_range(8..=25) {
                let level = match rng.random_range(0..100) {
                    0..60 => CertLevel::Assistant,
                    60..95 => CertLevel::Intermediate,
                    _ => CertLevel::Senior,
                };
                let year = rng.random_range(2012..=today.year());
                let on = NaiveDate::from_ymd_opt(year, 6, 20)
                    .unwrap_or(today)
                    .min(today);
                let person = name(&mut rng);
                socialworkers::insert(&mut ctx.tx, (&person, d, level, on), (BY, &now)).await?;
                social += 1;
            }
        }
        Ok::<String, DemoError>(format!(
            "社区清单与队伍：清单事项 {} 项（已移出 {removed} 项），社区证明 {issued} 份，社区工作者 {workers} 人，\
             志愿者 {volunteers} 人（服务记录 {records} 条），社会工作者 {social} 人",
            entries.len()
        ))
    })
}
