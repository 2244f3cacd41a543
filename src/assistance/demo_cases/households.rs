//! Generated households: members, ages, incomes and assets drawn to fare as intended
//! under the rules.

use super::*;

/// How the generated household is to fare under the rules.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Means {
    /// Income well below the standard, assets within the limits.
    Poor,
    /// Income above the standard.
    IncomeAbove,
    /// Income below, assets above the limits.
    AssetsAbove,
    /// 特困 only: a supporter able to support was found.
    Supporter,
    /// 特困 only: not in the groups (younger, able to work).
    NotInGroup,
}

pub(super) struct Draft {
    pub(super) name: String,
    pub(super) relation: Relation,
    pub(super) age: u32,
    pub(super) male: bool,
}

pub(super) fn birth_for(rng: &mut ChaCha8Rng, today: NaiveDate, age: u32) -> NaiveDate {
    let birthday = today
        .checked_sub_months(Months::new(age * 12))
        .unwrap_or(today);
    days_before(birthday, rng.random_range(1..360))
}

pub(super) fn person_name(rng: &mut ChaCha8Rng, surname: &str, male: bool) -> String {
    let given = if male { GIVEN_MALE } else { GIVEN_FEMALE };
    format!("{surname}{}", given.choose(rng).copied().unwrap_or("明"))
}

pub(super) fn draw_drafts(rng: &mut ChaCha8Rng, program: Program, means: Means) -> Vec<Draft> {
    let surname = SURNAMES.choose(rng).copied().unwrap_or("王");
    let head_male = rng.random_bool(0.55);
    if program == Program::Tekun {
        let age = if means == Means::NotInGroup {
            rng.random_range(45..60)
        } else {
            rng.random_range(61..96)
        };
        return vec![Draft {
            name: person_name(rng, surname, head_male),
            relation: Relation::Applicant,
            age,
            male: head_male,
        }];
    }
    let size = *[1, 2, 2, 3, 3, 3, 4, 4, 5].choose(rng).unwrap_or(&3);
    let head_age: u32 = rng.random_range(26..84);
    let mut out = vec![Draft {
        name: person_name(rng, surname, head_male),
        relation: Relation::Applicant,
        age: head_age,
        male: head_male,
    }];
    let married = size >= 3 || rng.random_bool(0.7);
    if size >= 2 && married {
        let spouse_surname = SURNAMES.choose(rng).copied().unwrap_or("李");
        out.push(Draft {
            name: person_name(rng, spouse_surname, !head_male),
            relation: Relation::Spouse,
            age: head_age
                .saturating_add_signed(rng.random_range(-5..=5))
                .max(20),
            male: !head_male,
        });
    }
    // A parent of the applicant lives with the larger households.
    if size == 5 && head_age < 60 {
        let male = rng.random_bool(0.4);
        let parent_surname = if male {
            surname
        } else {
            SURNAMES.choose(rng).copied().unwrap_or("张")
        };
        out.push(Draft {
            name: person_name(rng, parent_surname, male),
            relation: Relation::Parent,
            age: (head_age + rng.random_range(22..30)).min(96),
            male,
        });
    }
    while out.len() < size {
        let male = rng.random_bool(0.5);
        let oldest = head_age.saturating_sub(20).max(1);
        let age = head_age
            .saturating_sub(rng.random_range(22..36))
            .clamp(1, oldest);
        out.push(Draft {
            name: person_name(rng, surname, male),
            relation: Relation::Child,
            age,
            male,
        });
    }
    out
}

/// Members with facts that fit their ages and the household's means, and incomes that
/// bring the counted monthly income per head to about `per_capita`.
pub(super) struct Place<'a> {
    pub(super) community: &'a str,
    pub(super) area: UrbanRural,
}

pub(super) fn draw_members(
    rng: &mut ChaCha8Rng,
    world: &mut World,
    keyring: &Keyring,
    place: &Place<'_>,
    today: NaiveDate,
    drafts: Vec<Draft>,
    per_capita: Fen,
) -> Result<Vec<AppMember>, DemoError> {
    let Place { community, area } = *place;
    let district = community.get(..6).unwrap_or(community);
    let size = drafts.len() as i64;
    let mut out = Vec::with_capacity(drafts.len());
    for d in drafts {
        let birth = birth_for(rng, today, d.age);
        let id = world.new_id(rng, keyring, district, birth, d.male)?;
        let disability = rng.random_bool(0.09).then(|| Disability {
            grade: rng.random_range(1..=4),
            kind: *[
                DisabilityKind::Physical,
                DisabilityKind::Physical,
                DisabilityKind::Visual,
                DisabilityKind::Hearing,
                DisabilityKind::Intellectual,
                DisabilityKind::Mental,
                DisabilityKind::Multiple,
            ]
            .choose(rng)
            .unwrap_or(&DisabilityKind::Physical),
        });
        let serious_illness = d.age >= 18 && rng.random_bool(0.08);
        let work_capacity = if d.age < 16 || d.age >= 70 || disability.is_some_and(|x| x.grade <= 2)
        {
            WorkCapacity::Lost
        } else if d.age >= 60 || serious_illness || disability.is_some() {
            if rng.random_bool(0.5) {
                WorkCapacity::Partial
            } else {
                WorkCapacity::Lost
            }
        } else {
            WorkCapacity::Full
        };
        let self_care = if d.age >= 80 || disability.is_some_and(|x| x.grade == 1) {
            *[SelfCare::Full, SelfCare::Partial, SelfCare::None]
                .choose(rng)
                .unwrap_or(&SelfCare::Full)
        } else {
            SelfCare::Full
        };
        let student = (6..=22).contains(&d.age) && (d.age < 18 || rng.random_bool(0.5));
        let employment = if student {
            "在校学生"
        } else if d.age < 16 {
            ""
        } else if d.age >= 60 {
            if area == UrbanRural::Urban && rng.random_bool(0.4) {
                "退休"
            } else {
                "无"
            }
        } else if work_capacity == WorkCapacity::Lost {
            "无"
        } else if area == UrbanRural::Rural {
            *["务农", "务农", "外出务工", "零散务工"]
                .choose(rng)
                .unwrap_or(&"务农")
        } else {
            *["灵活就业", "失业", "零散务工", "保洁员", "保安"]
                .choose(rng)
                .unwrap_or(&"失业")
        };
        out.push(AppMember {
            name: d.name,
            id,
            relation: d.relation,
            hukou: area,
            work_capacity,
            self_care,
            disability,
            serious_illness,
            student,
            employment: employment.to_string(),
            incomes: Vec::new(),
        });
    }
    // Pensions first, then wages (gross of the cost-of-working deduction), then whatever
    // is left as support paid by a relative living elsewhere.
    let mut left = per_capita * size;
    for m in out.iter_mut().filter(|m| m.id.age_on(today) >= 60) {
        if left <= Fen::ZERO {
            break;
        }
        let retired = m.employment == "退休";
        let (item, yuan) = if retired {
            ("养老金", rng.random_range(1800..3200))
        } else {
            ("城乡居民基础养老金", rng.random_range(150..280))
        };
        let amount = Fen::from_yuan(yuan).min(left);
        left -= amount;
        m.incomes.push(AppIncome {
            kind: IncomeKind::Transfer,
            item: item.to_string(),
            monthly: amount,
            months: 12,
        });
    }
    let earners: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            let age = m.id.age_on(today);
            (18..60).contains(&age) && !m.student && m.work_capacity != WorkCapacity::Lost
        })
        .map(|(i, _)| i)
        .collect();
    for (k, &i) in earners.iter().enumerate() {
        if left <= Fen::ZERO {
            break;
        }
        let share = if k + 1 == earners.len() {
            left
        } else {
            left.mul_div_floor(rng.random_range(55..90), 100)
        };
        left -= share;
        let months: u32 = if rng.random_bool(0.7) {
            12
        } else {
            rng.random_range(6..12)
        };
        let business = rng.random_bool(0.12);
        let (kind, item, gross_pct) = if business {
            (IncomeKind::Business, "个体经营（摊点）", 100)
        } else if out[i].employment == "务农" {
            (IncomeKind::Business, "种植养殖", 100)
        } else {
            (IncomeKind::Wage, "工资", 80)
        };
        // Counted over 12 months: monthly × months × gross share = share × 12.
        let monthly = (share * 12 * 100).mul_div_ceil(1, i64::from(months) * gross_pct);
        out[i].incomes.push(AppIncome {
            kind,
            item: item.to_string(),
            monthly: monthly.ceil_yuan(),
            months,
        });
    }
    if left > Fen::ZERO
        && let Some(m) = out.first_mut()
    {
        let (kind, item) = if area == UrbanRural::Rural && rng.random_bool(0.4) {
            (IncomeKind::Property, "土地流转收入")
        } else {
            (IncomeKind::Transfer, "赡养费")
        };
        m.incomes.push(AppIncome {
            kind,
            item: item.to_string(),
            monthly: left.ceil_yuan(),
            months: 12,
        });
    }
    // Income that is not counted.
    let children = out.iter().filter(|m| m.relation == Relation::Child).count();
    for m in &mut out {
        let age = m.id.age_on(today);
        let extra = if age >= 80 {
            Some(("高龄津贴", rng.random_range(10..=30) * 10, 12))
        } else if m.disability.is_some_and(|d| d.grade <= 2) {
            Some(("重度残疾人护理补贴", 100, 12))
        } else if m.disability.is_some() && rng.random_bool(0.6) {
            Some(("困难残疾人生活补贴", 80, 12))
        } else if (6..16).contains(&age) && rng.random_bool(0.3) {
            Some(("义务教育阶段寄宿生生活补助", 125, 10))
        } else if m.relation == Relation::Applicant && children == 1 && rng.random_bool(0.15) {
            Some(("独生子女费", 10, 12))
        } else {
            None
        };
        if let Some((item, yuan, months)) = extra {
            m.incomes.push(AppIncome {
                kind: IncomeKind::Transfer,
                item: item.to_string(),
                monthly: Fen::from_yuan(yuan),
                months,
            });
        }
    }
    Ok(out)
}

pub(super) fn assets(rng: &mut ChaCha8Rng, means: Means, size: i64, standard: Fen) -> AppAssets {
    let mut a = AppAssets {
        financial: if rng.random_bool(0.15) {
            Fen::ZERO
        } else {
            Fen::from_yuan(rng.random_range(2..60) * 100 * size.min(3))
        },
        vehicle: None,
        homes: u32::from(rng.random_bool(0.75)),
        commercial: 0,
        business: None,
    };
    if rng.random_bool(0.08) {
        a.vehicle = Some((
            VehicleKind::Motorcycle,
            Fen::from_yuan(rng.random_range(15..60) * 100),
        ));
    } else if rng.random_bool(0.02) {
        a.vehicle = Some((
            VehicleKind::DisabilityVehicle,
            Fen::from_yuan(rng.random_range(30..80) * 100),
        ));
    }
    if means == Means::AssetsAbove {
        match rng.random_range(0..20) {
            0..8 => {
                let months = rng.random_range(26..40);
                a.financial = (standard * months * size).ceil_yuan();
            }
            8..15 => {
                a.vehicle = Some((
                    VehicleKind::Car,
                    Fen::from_yuan(rng.random_range(30..150) * 1000),
                ));
            }
            15..18 => {
                a.homes = 2;
            }
            _ => {
                a.business = Some((Fen::from_yuan(rng.random_range(20..100) * 10_000), true));
            }
        }
    }
    a
}
