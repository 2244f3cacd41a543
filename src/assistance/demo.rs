//! Demo social assistance: standards for every district, and households across the
//! programs and states, with plausible ages and amounts, stored through the same path as
//! an imported roster.

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::model::{ExitReason, Program, Relation, SelfCare, WorkCapacity};
use super::roster::{RosterHousehold, RosterMember};
use super::standards::{Standard, set_standard};
use crate::demo::{DemoContext, DemoError, DemoFuture};
use crate::ids::IdNumber;
use crate::money::Fen;
use crate::protect::BankAccount;
use crate::region::UrbanRural;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "兰", "霞", "平", "刚", "桂英", "建国", "淑珍",
];

fn name(rng: &mut impl Rng, surname: &str) -> String {
    format!("{surname}{}", GIVEN.choose(rng).copied().unwrap_or("明"))
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("assistance");
        let now = ctx.now.to_rfc3339();
        let districts: Vec<(String, bool)> = sqlx::query_as::<_, (String,)>(
            "SELECT code FROM regions WHERE level = 'district' ORDER BY code",
        )
        .fetch_all(&mut *ctx.tx)
        .await?
        .into_iter()
        .map(|(c,)| {
            let urban = c.as_str() < "369921";
            (c, urban)
        })
        .collect();
        let year_start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or(ctx.today);
        for (i, (district, _)) in districts.iter().enumerate() {
            for (area, base) in [(UrbanRural::Urban, 1000), (UrbanRural::Rural, 800)] {
                for (from, raise) in [
                    (NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or(year_start), 0),
                    (year_start, 40),
                ] {
                    let standard = Fen::from_yuan(base + raise + 10 * i as i64);
                    set_standard(
                        &mut ctx.tx,
                        &Standard {
                            district_code: district.clone(),
                            area,
                            effective_from: from,
                            dibao_standard: standard,
                        },
                        &now,
                    )
                    .await?;
                }
            }
        }
        let communities: Vec<(String, String)> = sqlx::query_as::<_, (String, String)>(
            "SELECT code, urban_rural FROM regions WHERE level = 'community' ORDER BY code",
        )
        .fetch_all(&mut *ctx.tx)
        .await?;
        if communities.is_empty() {
            return Err(DemoError::Other(
                "no communities for demo households".to_string(),
            ));
        }
        let mut households = Vec::with_capacity(ctx.options.households);
        let mut seq: u32 = 0;
        for n in 0..ctx.options.households {
            let (community, area) = &communities[rng.random_range(0..communities.len())];
            let rural = area == "rural";
            let program = if rng.random_bool(0.12) {
                Program::Tekun
            } else {
                Program::Dibao
            };
            let size = if program == Program::Tekun {
                1
            } else {
                *[1, 2, 2, 3, 3, 4, 5].choose(&mut rng).unwrap_or(&3)
            };
            let surname = SURNAMES.choose(&mut rng).copied().unwrap_or("王");
            let approved_on = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or(ctx.today)
                + Days::new(
                    rng.random_range(
                        0..(ctx.today - NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or(ctx.today))
                            .num_days()
                            .max(1),
                    ) as u64,
                );
            let exited = rng.random_bool(0.18);
            let exited_on = exited.then(|| {
                let span = (ctx.today - approved_on).num_days().max(1);
                approved_on + Days::new(rng.random_range(0..span) as u64)
            });
            let exit_reason = exited.then(|| {
                *[
                    ExitReason::IncomeAbove,
                    ExitReason::AssetsAbove,
                    ExitReason::Verification,
                    ExitReason::Death,
                    ExitReason::Moved,
                    ExitReason::Withdrawal,
                    ExitReason::GradualEnd,
                ]
                .choose(&mut rng)
                .unwrap_or(&ExitReason::Withdrawal)
            });
            let mut members = Vec::with_capacity(size);
            let head_age: i64 = if program == Program::Tekun {
                rng.random_range(60..95)
            } else {
                rng.random_range(28..85)
            };
            for k in 0..size {
                let (relation, age) = match k {
                    0 => (Relation::Applicant, head_age),
                    1 => (
                        Relation::Spouse,
                        (head_age + rng.random_range(-5..5)).max(20),
                    ),
                    _ => (
                        Relation::Child,
                        (head_age - rng.random_range(20..35)).max(1),
                    ),
                };
                let birth = ctx.today - Days::new((age * 365 + rng.random_range(0..365)) as u64);
                seq += 1;
                let address = &community[..6];
                let id = IdNumber::compose(address, birth, (seq % 1000) as u16)
                    .ok_or_else(|| DemoError::Other("demo id".to_string()))?;
                let given_surname = if relation == Relation::Spouse {
                    SURNAMES.choose(&mut rng).copied().unwrap_or("李")
                } else {
                    surname
                };
                members.push(RosterMember {
                    row: 0,
                    name: name(&mut rng, given_surname),
                    id,
                    relation,
                    covered: true,
                    // The payee's account (社会保障卡), numbered from the member: no random
                    // draw, so the rest of the demo is unchanged.
                    bank: (k == 0)
                        .then(|| BankAccount::parse(&format!("62170{seq:014}")).ok())
                        .flatten(),
                    phone: None,
                    work_capacity: Some(if program == Program::Tekun || age >= 70 {
                        WorkCapacity::Lost
                    } else {
                        WorkCapacity::Full
                    }),
                    disability_grade: (rng.random_bool(0.08)).then(|| rng.random_range(1..=4)),
                    self_care: (program == Program::Tekun).then(|| {
                        *[SelfCare::Full, SelfCare::Partial, SelfCare::None]
                            .choose(&mut rng)
                            .unwrap_or(&SelfCare::Full)
                    }),
                });
            }
            let standard = if rural { 840 } else { 1040 };
            let monthly = match program {
                Program::Tekun => {
                    Fen::from_yuan(standard * 13 / 10 + [100, 600, 1200][rng.random_range(0..3)])
                }
                Program::Dibao => Fen::from_yuan(
                    (standard - rng.random_range(0..standard * 7 / 10)) * size as i64,
                ),
            };
            households.push(RosterHousehold {
                number: format!("SF{:06}", n + 1),
                program,
                community: community.clone(),
                monthly,
                approved_on,
                active: !exited,
                exited_on,
                exit_reason,
                members,
            });
        }
        let stored = super::store::store_roster(
            &mut ctx.tx,
            ctx.backend,
            ctx.keyring,
            &households,
            &now,
            ctx.today,
        )
        .await?;
        let active = households.iter().filter(|h| h.active).count();
        Ok(format!(
            "社会救助：{} 户（在保 {active} 户）、{} 人；各区县城乡低保标准（2025、2026 年两档）",
            stored.households, stored.members
        ))
    })
}
