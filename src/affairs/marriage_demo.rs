//! Demo marriage registrations: in each district a year of marriages at the counter, one
//! divorce completed after its cooling-off, one application withdrawn during it and one
//! still cooling off, a reissue, and historical records imported last quarter that fail
//! the audit (an under-age groom, a bigamous marriage, a divorce finished on day 20).

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use rand::Rng;

use super::divorce_store::{self, NewApplication};
use super::marriage::{ApplicationStatus, Kind, Record};
use super::marriage_store::{self as store, NewRegistration};
use crate::demo::{DemoContext, DemoFuture};
use crate::ids::IdNumber;
use crate::protect::{Sealed, SensitiveKind};
use crate::report::Quarter;

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN_MEN: &[&str] = &["伟", "强", "磊", "军", "勇", "杰", "涛", "斌"];
const GIVEN_WOMEN: &[&str] = &["芳", "娜", "敏", "静", "丽", "艳", "娟", "霞"];

struct Person {
    name: String,
    id: String,
    sealed: Sealed,
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("marriage");
        let at = ctx.now.to_rfc3339();
        let today = ctx.today;
        let keyring = ctx.keyring;
        let districts: Vec<String> =
            sqlx::query_scalar("SELECT code FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let mut persons = BTreeSet::new();
        let (mut registered, mut imported) = (0, 0);
        for office in &districts {
            let mut seq = 501u16;
            let mut person = |male: bool, birth: NaiveDate, rng: &mut rand_chacha::ChaCha8Rng| {
                let s = if male { seq } else { seq + 1 };
                seq += 2;
                let id = IdNumber::compose(office, birth, s)
                    .map(|i| i.as_str().to_string())
                    .unwrap_or_default();
                let given = if male { GIVEN_MEN } else { GIVEN_WOMEN };
                let name = format!(
                    "{}{}",
                    SURNAMES[rng.random_range(0..SURNAMES.len())],
                    given[rng.random_range(0..given.len())]
                );
                let sealed = keyring.seal(SensitiveKind::IdNumber, &id);
                Person { name, id, sealed }
            };
            let born = |rng: &mut rand_chacha::ChaCha8Rng, from: i32| {
                NaiveDate::from_ymd_opt(
                    rng.random_range(from..from + 10),
                    1 + rng.random_range(0..12),
                    1 + rng.random_range(0..28),
                )
                .unwrap_or(today)
            };
            // (kind, day, man, woman, applied, imported)
            let mut plan: Vec<(Kind, NaiveDate, usize, usize, Option<NaiveDate>, bool)> =
                Vec::new();
            let mut people = Vec::new();
            for i in 0..14u64 {
                let day = today - Days::new(5 + i * 25);
                let (m, w) = (born(&mut rng, 1986), born(&mut rng, 1988));
                people.push(person(true, m, &mut rng));
                people.push(person(false, w, &mut rng));
                plan.push((
                    Kind::Marriage,
                    day,
                    people.len() - 2,
                    people.len() - 1,
                    None,
                    false,
                ));
            }
            // The oldest couple divorced after the cooling-off (received 120 days ago,
            // finished on day 40); the next reissued their certificate.
            let received = today - Days::new(120);
            plan.push((
                Kind::Divorce,
                received + Days::new(40),
                26,
                27,
                Some(received),
                false,
            ));
            plan.push((Kind::Reissue, today - Days::new(30), 24, 25, None, false));
            // Imported last quarter from the old register, failing the audit.
            let q = Quarter::of(today).previous();
            let young = NaiveDate::from_ymd_opt(chrono::Datelike::year(&q.first_day()) - 21, 3, 1)
                .unwrap_or(today);
            people.push(person(true, young, &mut rng));
            people.push(person(false, born(&mut rng, 1995), &mut rng));
            let n = people.len();
            plan.push((
                Kind::Marriage,
                q.first_day() + Days::new(10),
                n - 2,
                n - 1,
                None,
                true,
            ));
            people.push(person(false, born(&mut rng, 1990), &mut rng));
            // A man married at the counter (couple 10) marries again without a divorce.
            plan.push((
                Kind::Marriage,
                q.first_day() + Days::new(40),
                20,
                people.len() - 1,
                None,
                true,
            ));
            // Couple 7 divorced on day 20 of the cooling-off.
            let applied = q.first_day() + Days::new(30);
            plan.push((
                Kind::Divorce,
                applied + Days::new(20),
                14,
                15,
                Some(applied),
                true,
            ));
            for (kind, day, m, w, applied_on, is_imported) in plan {
                if day > today {
                    continue;
                }
                let letter = match kind {
                    Kind::Divorce => 'L',
                    _ => 'J',
                };
                let year = chrono::Datelike::year(&day);
                let Ok(certificate) =
                    store::next_certificate(&mut ctx.tx, letter, office, year).await?
                else {
                    continue;
                };
                let (man, woman) = (&people[m], &people[w]);
                let n = NewRegistration {
                    record: Record {
                        kind,
                        day,
                        certificate: &certificate,
                        man_name: &man.name,
                        man_id: &man.id,
                        woman_name: &woman.name,
                        woman_id: &woman.id,
                        office,
                        applied_on,
                    },
                    man: &man.sealed,
                    woman: &woman.sealed,
                    application: None,
                    imported: is_imported,
                };
                // Marked by the audit below, once every record is in the registry.
                store::insert(&mut ctx.tx, &n, &Ok(()), ("demo", &at)).await?;
                persons.insert(man.sealed.index.clone());
                persons.insert(woman.sealed.index.clone());
                if is_imported {
                    imported += 1;
                } else {
                    registered += 1;
                }
            }
            // Applications: couple 11 withdrew on day 10, couple 9 is cooling off.
            for (couple, received, withdrawn) in [
                (22, today - Days::new(20), Some(today - Days::new(10))),
                (18, today - Days::new(5), None),
            ] {
                let (man, woman) = (&people[couple], &people[couple + 1]);
                let a = NewApplication {
                    office,
                    received,
                    man_name: &man.name,
                    man: &man.sealed,
                    woman_name: &woman.name,
                    woman: &woman.sealed,
                };
                let id = divorce_store::insert(&mut ctx.tx, &a, ("demo", &at)).await?;
                // The couple who withdrew were counselled first (婚姻家庭辅导 on their
                // application), so the page's "withdrawn after counselling" is not empty.
                if let Some(on) = withdrawn {
                    sqlx::query(
                        "INSERT INTO marriage_counselling (office_code, held_on, topic, participants, \
                         application_id, created_by, created_at) VALUES ($1, $2, $3, 2, $4, 'demo', $5)",
                    )
                    .bind(office)
                    .bind((on - Days::new(3)).to_string())
                    .bind("离婚冷静期调解")
                    .bind(id)
                    .bind(&at)
                    .execute(&mut *ctx.tx)
                    .await?;
                }
                if let Some(on) = withdrawn {
                    divorce_store::settle(
                        &mut ctx.tx,
                        (id, 1),
                        ApplicationStatus::Withdrawn,
                        on,
                        Some("woman"),
                    )
                    .await?;
                }
            }
        }
        let by = crate::audit::AuditEvent::new(
            ctx.now.fixed_offset(),
            &crate::audit::Actor::cli(),
            "demo.generate",
            "marriage_registration",
            "-",
        );
        // Every record here is new: their marks are their first, not changes to audit.
        let fresh = sqlx::query_scalar("SELECT id FROM marriage_registrations")
            .fetch_all(&mut *ctx.tx)
            .await?
            .into_iter()
            .collect();
        store::reaudit(&mut ctx.tx, keyring, &persons, &fresh, &by).await?;
        Ok(format!(
            "婚姻登记：{registered} 条窗口登记，{imported} 条导入的历史记录（含不合格）"
        ))
    })
}
