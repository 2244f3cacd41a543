//! The demo city's comparison: one month's files from the eight departments, mostly
//! people who are not in assistance, with a few planted hits among the demo's recipients
//! (a death, a car, savings, a company, a second home, a public salary, contributions,
//! a household registered elsewhere) and two death rows whose ID was mistyped, for the
//! fuzzy pass. The files go through the same loader and run as a user's, after the rest
//! of the demo city is committed (the loader writes in its own transactions), and one
//! finding is dismissed with its reason so the queue shows each state.

use std::collections::HashSet;
use std::io::Cursor;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use rand::Rng;
use rand::seq::SliceRandom;

use super::dataset::{self, LoadRequest};
use super::findings;
use super::idkey::IdKey;
use super::run::{self, Person};
use super::service;
use super::sources::{SOURCES, Source};
use crate::audit::{Actor, AuditEvent};
use crate::db::Db;
use crate::demo::{DemoError, DemoOptions};
use crate::protect::Keyring;

/// Rows per file of people not in assistance: the bulk of any department's extract.
const OTHERS: usize = 400;

/// A valid ID for someone outside the city's assistance (a Nanchang address code, so the
/// demo's own people are never hit by chance).
fn stranger(rng: &mut impl Rng, taken: &HashSet<u64>) -> String {
    loop {
        let body = format!(
            "360102{:04}{:02}{:02}{:03}",
            rng.random_range(1940..2005),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
            rng.random_range(0..1000)
        );
        let key: u64 = body.parse().unwrap_or(0);
        if !taken.contains(&key) {
            return format!(
                "{body}{}",
                crate::ids::idcard::check_character(body.as_bytes())
            );
        }
    }
}

/// The ID with two adjacent digits of its sequence swapped (an entry slip the check
/// character catches), or None when they are equal.
fn swapped(id: &str) -> Option<String> {
    let mut b = id.as_bytes().to_vec();
    (b[14] != b[15]).then(|| {
        b.swap(14, 15);
        String::from_utf8(b).unwrap_or_default()
    })
}

const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "军"];

fn name(rng: &mut impl Rng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.random_range(0..SURNAMES.len())],
        GIVEN[rng.random_range(0..GIVEN.len())]
    )
}

/// One department's file: the header, the planted rows, then strangers' rows.
fn file(
    source: Source,
    planted: &[Vec<String>],
    rng: &mut impl Rng,
    taken: &HashSet<u64>,
) -> Vec<u8> {
    let mut csv = source.columns().join(",");
    csv.push('\n');
    let mut rows: Vec<Vec<String>> = planted.to_vec();
    for i in 0..OTHERS {
        let id = stranger(rng, taken);
        let who = name(rng);
        let rest: Vec<String> = match source {
            Source::Death => vec![format!(
                "2026-{:02}-{:02}",
                rng.random_range(1..=10),
                rng.random_range(1..=28)
            )],
            Source::Hukou => vec!["360102".into()],
            Source::Vehicle => vec![
                format!("赣A{:05}", 10_000 + i),
                "小型汽车".into(),
                rng.random_range(30_000..200_000).to_string(),
            ],
            Source::Property => vec![
                format!("360102{i:06}"),
                "住宅".into(),
                rng.random_range(50..140).to_string(),
            ],
            Source::Business => vec![
                format!("91360100MA{i:07}X"),
                "股东".into(),
                rng.random_range(100_000..5_000_000).to_string(),
                "存续".into(),
            ],
            Source::Payroll => vec!["南昌市某事业单位".into()],
            Source::SocialInsurance => {
                vec![rng.random_range(3_000..12_000).to_string(), String::new()]
            }
            Source::Deposit => vec![rng.random_range(1_000..400_000).to_string()],
        };
        rows.push([vec![id, who], rest].concat());
    }
    rows.shuffle(rng);
    for r in rows {
        csv.push_str(&r.join(","));
        csv.push('\n');
    }
    csv.into_bytes()
}

/// The planted rows of each source, from the demo's recipients.
fn planted(people: &[&Person], rng: &mut impl Rng) -> Vec<(Source, Vec<Vec<String>>)> {
    let id = |p: &Person| IdKey(p.key).to_id();
    let row = |p: &Person, rest: &[&str]| {
        [
            vec![id(p), p.name.clone()],
            rest.iter().map(|s| s.to_string()).collect(),
        ]
        .concat()
    };
    // Shuffled once and cut into slices, so nobody is planted twice.
    let mut alone: Vec<Person> = people
        .iter()
        .filter(|p| p.household_size == 1)
        .map(|p| (*p).clone())
        .collect();
    let mut family: Vec<Person> = people
        .iter()
        .filter(|p| p.household_size > 1)
        .map(|p| (*p).clone())
        .collect();
    if alone.len() < 6 || family.len() < 9 {
        return Vec::new();
    }
    alone.shuffle(rng);
    family.shuffle(rng);
    let (dead_alone, mistyped) = (&alone[..2], &alone[2..6]);
    let (dead_family, others) = (&family[..1], &family[1..9]);
    let mut death: Vec<Vec<String>> = dead_alone
        .iter()
        .chain(dead_family)
        .map(|p| row(p, &["2026-09-18"]))
        .collect();
    // Two deaths reported with two digits of the ID swapped: found by name and birth date.
    for p in mistyped
        .iter()
        .filter_map(|p| swapped(&id(p)).map(|s| (p, s)))
        .take(2)
    {
        death.push(vec![p.1, p.0.name.clone(), "2026-10-05".into()]);
    }
    let o = |i: usize| &others[i];
    let out = vec![
        (Source::Death, death),
        (Source::Hukou, vec![row(o(0), &["360102"])]),
        (
            Source::Vehicle,
            vec![
                row(o(1), &["赣A8S123", "小型汽车", "86000"]),
                row(o(2), &["赣A3E456", "摩托车", "6000"]),
            ],
        ),
        (
            Source::Property,
            vec![
                row(o(3), &["369902100001", "住宅", "89"]),
                row(o(3), &["369902100002", "住宅", "64"]),
            ],
        ),
        (
            Source::Business,
            vec![row(
                o(4),
                &["91369900MA35DEMO1X", "法定代表人", "500000", "存续"],
            )],
        ),
        (Source::Payroll, vec![row(o(5), &["某区城市管理局"])]),
        (Source::SocialInsurance, vec![row(o(6), &["9000", ""])]),
        (Source::Deposit, vec![row(o(7), &["420000"])]),
    ];
    out
}

/// Loads the month's files and runs the comparison; returns the demo's line.
pub async fn generate(
    db: &Db,
    keyring: &Arc<Keyring>,
    options: DemoOptions,
    now: DateTime<FixedOffset>,
    actor: &Actor,
) -> Result<String, DemoError> {
    let today = now.date_naive();
    let people = run::people(db, keyring, today).await?;
    let taken: HashSet<u64> = people.list.iter().map(|p| p.key).collect();
    let recipients: Vec<&Person> = people
        .list
        .iter()
        .filter(|p| p.active && p.household_id.is_some())
        .collect();
    let mut rng = crate::demo::rng(options.seed, "compare");
    let planted = planted(&recipients, &mut rng);
    if planted.is_empty() {
        return Ok("数据比对：在保对象太少，未生成比对数据".into());
    }
    let received = today - chrono::Days::new(3);
    let by = actor.username.clone();
    let at = now.to_rfc3339();
    let mut rows = 0u64;
    for (source, planted) in planted {
        debug_assert!(SOURCES.contains(&source));
        let bytes = file(source, &planted, &mut rng, &taken);
        let file_name = format!("{}-{}.csv", source.code(), received.format("%Y%m"));
        let event = AuditEvent::new(now, actor, "compare.load", "compare_dataset", "");
        let loaded = dataset::load(
            db,
            Arc::clone(keyring),
            LoadRequest {
                source,
                file_name,
                received_on: received,
                by: by.clone(),
                at: at.clone(),
            },
            Cursor::new(bytes),
            event,
        )
        .await
        .map_err(|e| DemoError::Other(format!("比对数据：{e}")))?;
        rows += loaded.rows;
    }
    let summary = service::run(db, keyring, &[], actor, now).await?;
    // The public-salary finding turned out to be a namesake's old post: dismissed, with why.
    let mut tx = db.begin().await?;
    let payroll: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM compare_findings WHERE rule = 'public_payroll' ORDER BY id LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = payroll
        && let Some(f) = findings::get(db, id).await?
    {
        findings::resolve(
            &mut tx,
            &f,
            f.version,
            false,
            "经核实，该人已于 2025 年 12 月解聘，单位出具解聘证明，财政数据未及时更新",
            ("demo", &at, &today.to_string()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(format!(
        "数据比对：8 个部门的数据 {rows} 行，比对 {} 人，发现疑点 {} 条",
        summary.people, summary.new_findings
    ))
}
