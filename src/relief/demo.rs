//! Demo help for people living rough: in each district a few street patrols a month over
//! the last two quarters, and station cases with every outcome — one person without
//! papers still at the station past ten days, one whose family search goes on.

use chrono::{Days, NaiveDate};
use rand::Rng;

use super::model::{FamilySearch, Group, Outcome, Service, Sex, services_text};
use super::store::{self, NewCase, NewPatrol};
use crate::demo::{DemoContext, DemoFuture};
use crate::report::Quarter;

const AREAS: &[&str] = &[
    "火车站广场",
    "汽车站周边",
    "人民公园",
    "商业步行街",
    "高架桥下",
];

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("relief");
        let at = ctx.now.to_rfc3339();
        let who = ("demo", at.as_str());
        let today = ctx.today;
        let start = Quarter::of(today).previous().first_day();
        let districts: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let span = (today - start).num_days().max(1) as u64;
        let day = |rng: &mut rand_chacha::ChaCha8Rng, from: NaiveDate| {
            from + Days::new(rng.random_range(0..span))
        };
        let (mut patrols, mut cases) = (0, 0);
        for (district,) in &districts {
            for _ in 0..rng.random_range(6..=12) {
                let met = rng.random_range(0..=4);
                let p = NewPatrol {
                    patrolled_on: day(&mut rng, start).min(today),
                    region_code: district.clone(),
                    area: AREAS[rng.random_range(0..AREAS.len())].to_string(),
                    staff: "救助站工作人员、公安民警".to_string(),
                    people_met: met,
                    brought_in: rng.random_range(0..=met),
                    notes: String::new(),
                };
                store::add_patrol(&mut ctx.tx, &p, who).await?;
                patrols += 1;
            }
            let outcomes = [
                (Outcome::Returned, FamilySearch::None),
                (Outcome::Reunited, FamilySearch::Found),
                (Outcome::Referred, FamilySearch::NotFound),
                (Outcome::SelfLeft, FamilySearch::None),
                (Outcome::Returned, FamilySearch::Found),
            ];
            for (i, (outcome, search)) in outcomes.iter().enumerate() {
                let intake = day(&mut rng, start).min(today - Days::new(3));
                let c = NewCase {
                    region_code: district.clone(),
                    intake_on: intake,
                    name: format!("救助对象{}{}", &district[4..], i + 1),
                    id: None,
                    sex: if i % 2 == 0 { Sex::Male } else { Sex::Female },
                    group: [
                        Group::Elderly,
                        Group::Other,
                        Group::Mental,
                        Group::Disabled,
                        Group::Minor,
                    ][i],
                    services: services_text(&[Service::Food, Service::Lodging, Service::Transport]),
                    family_search: *search,
                    notes: String::new(),
                };
                let id = store::add_case(&mut ctx.tx, &c, who).await?;
                let left = (intake + Days::new(rng.random_range(1..=8))).min(today);
                store::depart(&mut ctx.tx, id, 1, (left, *outcome)).await?;
                cases += 1;
            }
            // Still at the station: one past ten days without papers, one searching.
            for (n, (days, search)) in [(15u64, FamilySearch::Searching), (3, FamilySearch::None)]
                .iter()
                .enumerate()
            {
                let c = NewCase {
                    region_code: district.clone(),
                    intake_on: today - Days::new(*days),
                    name: format!(
                        "无名氏（{}，约 {} 岁）",
                        if n == 0 { "男" } else { "女" },
                        55 + 10 * n
                    ),
                    id: None,
                    sex: if n == 0 { Sex::Male } else { Sex::Female },
                    group: Group::Elderly,
                    services: services_text(&[
                        Service::Food,
                        Service::Lodging,
                        Service::FamilySearch,
                    ]),
                    family_search: *search,
                    notes: "寻亲信息已发布".to_string(),
                };
                store::add_case(&mut ctx.tx, &c, who).await?;
                cases += 1;
            }
        }
        Ok(format!(
            "流浪乞讨人员救助：巡查 {patrols} 次，救助 {cases} 人次"
        ))
    })
}
