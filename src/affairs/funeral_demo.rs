//! Demo funeral data: in each district an older 公益性公墓 with plots added over the
//! years (one addition last quarter), a 经营性公墓, a street's 公益性公墓 completed last
//! quarter, one under construction and a small village cemetery with one plot left; then
//! last quarter's and this quarter's cremations and burials (eco-burials among them, a few
//! bodies buried in the commercial cemetery, a sea burial), and three violation cases, two
//! handled — so the balance analysis has a cremation rate and plots available.

use chrono::{Days, NaiveDate};
use rand::Rng;

use super::burial::{BurialForm, Remains};
use super::burial_store::{self, NewBurial};
use super::funeral::{CemeteryKind, CemeteryStatus, NewCemetery};
use super::funeral_store as store;
use super::violation::{Handling, ViolationKind};
use super::violation_store;
use crate::demo::{DemoContext, DemoFuture};
use crate::ids::IdNumber;
use crate::protect::SensitiveKind;
use crate::report::Quarter;

const NAMES: &[&str] = &[
    "王德福",
    "李秀英",
    "张桂兰",
    "刘永贵",
    "陈玉珍",
    "杨寿山",
    "赵淑芬",
    "黄长福",
    "周凤英",
    "吴金生",
    "徐翠兰",
    "孙德胜",
    "马素珍",
    "朱根宝",
    "胡秀兰",
];

fn day_between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.random_range(0..=span))
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("funeral");
        let at = ctx.now.to_rfc3339();
        let who = ("demo", at.as_str());
        let today = ctx.today;
        let last_quarter = Quarter::of(today).previous();
        let districts: Vec<(String, String)> =
            sqlx::query_as("SELECT code, name FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let (mut cemeteries, mut additions) = (0, 0);
        let (mut cremations, mut burials, mut eco, mut cases) = (0, 0, 0, 0);
        let this_quarter = Quarter::of(today);
        for (district, name) in &districts {
            let street: Option<(String, String)> = sqlx::query_as(
                "SELECT code, name FROM regions WHERE level = 'street' AND parent_code = $1 \
                 ORDER BY code LIMIT 1",
            )
            .bind(district)
            .fetch_optional(&mut *ctx.tx)
            .await?;
            let old = NaiveDate::from_ymd_opt(rng.random_range(2005..2016), 4, 1).unwrap_or(today);
            let mut list = vec![
                NewCemetery {
                    number: format!("GM{}01", &district[4..]),
                    name: format!("{name}公益性公墓"),
                    kind: CemeteryKind::Public,
                    region: district.clone(),
                    status: CemeteryStatus::Completed,
                    completed_on: Some(old),
                    plots: rng.random_range(20..=60) * 100,
                },
                NewCemetery {
                    number: format!("JY{}01", &district[4..]),
                    name: format!("{name}福寿园"),
                    kind: CemeteryKind::Commercial,
                    region: district.clone(),
                    status: CemeteryStatus::Completed,
                    completed_on: NaiveDate::from_ymd_opt(rng.random_range(2008..2020), 9, 1),
                    plots: rng.random_range(30..=80) * 100,
                },
                NewCemetery {
                    number: format!("GM{}09", &district[4..]),
                    name: format!("{name}骨灰堂（在建）"),
                    kind: CemeteryKind::Public,
                    region: district.clone(),
                    status: CemeteryStatus::Building,
                    completed_on: None,
                    plots: rng.random_range(5..=20) * 100,
                },
            ];
            if let Some((street, street_name)) = street {
                list.push(NewCemetery {
                    number: format!("GM{}02", &district[4..]),
                    name: format!("{street_name}公益性公墓"),
                    kind: CemeteryKind::Public,
                    region: street,
                    status: CemeteryStatus::Completed,
                    completed_on: Some(day_between(
                        &mut rng,
                        last_quarter.first_day(),
                        last_quarter.last_day(),
                    )),
                    plots: rng.random_range(3..=10) * 100,
                });
            }
            // A village cemetery of 20 plots, 19 taken: nearly full.
            list.push(NewCemetery {
                number: format!("GM{}03", &district[4..]),
                name: format!("{name}村级公益性公墓"),
                kind: CemeteryKind::Public,
                region: district.clone(),
                status: CemeteryStatus::Completed,
                completed_on: NaiveDate::from_ymd_opt(2020, 5, 1),
                plots: 20,
            });
            let mut ids = Vec::new();
            for c in &list {
                let (id, _) = store::save(&mut ctx.tx, c, who).await?;
                ids.push(id);
                cemeteries += 1;
            }
            let first = ids.first().copied();
            // The old public cemetery grew every few years, and last quarter.
            if let Some(id) = first {
                let mut on = old;
                for year in [3u64, 4, 3] {
                    on = on + Days::new(365 * year);
                    if on >= last_quarter.first_day() {
                        break;
                    }
                    store::put_addition(&mut ctx.tx, id, on, rng.random_range(5..=15) * 100, who)
                        .await?;
                    additions += 1;
                }
                let recent =
                    day_between(&mut rng, last_quarter.first_day(), last_quarter.last_day());
                store::put_addition(&mut ctx.tx, id, recent, rng.random_range(2..=8) * 50, who)
                    .await?;
                additions += 1;
            }

            // Deaths of last quarter and this one so far: each cremated (with the
            // deceased's ID, a death this system holds) or, a few, buried as a body.
            let (public, commercial, village) = (ids[0], ids[1], ids[ids.len() - 1]);
            let mut seq = 900u16;
            for (q, deaths) in [
                (last_quarter, rng.random_range(24..=40)),
                (this_quarter, rng.random_range(6..=12)),
            ] {
                let until = q.last_day().min(today);
                for i in 0..deaths {
                    let died = day_between(&mut rng, q.first_day(), until);
                    let birth = NaiveDate::from_ymd_opt(rng.random_range(1925..1946), 3, 15)
                        .unwrap_or(today);
                    seq += 1;
                    let Some(id) = IdNumber::compose(district, birth, seq) else {
                        continue;
                    };
                    let sealed = ctx.keyring.seal(SensitiveKind::IdNumber, id.as_str());
                    let person = NAMES[rng.random_range(0..NAMES.len())];
                    // One death in nine is a body buried in the commercial cemetery.
                    if i % 9 == 4 {
                        burial_store::insert(
                            &mut ctx.tx,
                            &NewBurial {
                                cemetery_id: Some(commercial),
                                region_code: district,
                                buried_on: died,
                                name: person,
                                id_number: Some((&sealed.sealed, &sealed.index)),
                                form: BurialForm::Grave,
                                remains: Remains::Body,
                            },
                            who,
                        )
                        .await?;
                        burials += 1;
                        continue;
                    }
                    let cremated = (died + Days::new(rng.random_range(1..=3))).min(until);
                    sqlx::query(
                        "INSERT INTO cremations (id_number_sealed, id_number_index, name, died_on, \
                         cremated_on, region_code, created_by, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&sealed.sealed)
                    .bind(&sealed.index)
                    .bind(person)
                    .bind(died.to_string())
                    .bind(cremated.to_string())
                    .bind(district)
                    .bind("demo")
                    .bind(&at)
                    .execute(&mut *ctx.tx)
                    .await?;
                    cremations += 1;
                    // Most ashes are buried in the public cemetery, half of them the eco way;
                    // every tenth goes to sea.
                    let form = match i % 10 {
                        0 => BurialForm::Sea,
                        1 | 5 => BurialForm::Tree,
                        2 => BurialForm::Flower,
                        3 => BurialForm::Lawn,
                        7 => BurialForm::Niche,
                        _ => BurialForm::Grave,
                    };
                    burial_store::insert(
                        &mut ctx.tx,
                        &NewBurial {
                            cemetery_id: form.takes_plot().then_some(public),
                            region_code: district,
                            buried_on: cremated,
                            name: person,
                            id_number: Some((&sealed.sealed, &sealed.index)),
                            form,
                            remains: Remains::Ashes,
                        },
                        who,
                    )
                    .await?;
                    burials += 1;
                    eco += usize::from(form.is_eco());
                }
            }
            // The village cemetery: 19 of its 20 plots taken over the years, no IDs kept.
            for k in 0..19u64 {
                let on = NaiveDate::from_ymd_opt(2020, 6, 1).unwrap_or(today) + Days::new(k * 60);
                burial_store::insert(
                    &mut ctx.tx,
                    &NewBurial {
                        cemetery_id: Some(village),
                        region_code: district,
                        buried_on: on.min(today),
                        name: NAMES[(k as usize) % NAMES.len()],
                        id_number: None,
                        form: BurialForm::Grave,
                        remains: Remains::Ashes,
                    },
                    who,
                )
                .await?;
                burials += 1;
            }

            // Violation cases of last quarter: an illegal burial moved after cremation and a
            // tomb torn down, both handled; a random burial still open.
            let found = |rng: &mut _| {
                day_between(
                    rng,
                    last_quarter.first_day(),
                    last_quarter.last_day() - Days::new(20),
                )
            };
            for (kind, place, handled) in [
                (
                    ViolationKind::IllegalBurial,
                    "村后山坡",
                    Some(Handling::Cremated),
                ),
                (
                    ViolationKind::IllegalTomb,
                    "河堤林地",
                    Some(Handling::Restored),
                ),
                (ViolationKind::RandomBurial, "耕地边", None),
            ] {
                let on = found(&mut rng);
                let year = chrono::Datelike::year(&on);
                let no = violation_store::next_case_no(&mut ctx.tx, district, year).await?;
                let id = violation_store::insert(
                    &mut ctx.tx,
                    &no,
                    kind,
                    &format!("{name}{place}"),
                    district,
                    on,
                    who,
                )
                .await?;
                if let Some(h) = handled {
                    let done = (on + Days::new(rng.random_range(3..=15))).min(today);
                    violation_store::handle(&mut ctx.tx, id, h, "已督促家属办理", done, &at)
                        .await?;
                }
                cases += 1;
            }
        }
        Ok(format!(
            "殡葬管理：公墓 {cemeteries} 处，墓穴变动 {additions} 条，火化 {cremations} 例，\
             安葬 {burials} 例（生态安葬 {eco} 例），违规案件 {cases} 件"
        ))
    })
}
