//! Storing the demo applications, their histories and objections, roster incomes,
//! review dates, support modes and 先行救助 grants.

use super::*;

pub(super) struct Row7 {
    pub(super) case_id: i64,
    pub(super) from: Option<&'static str>,
    pub(super) to: &'static str,
    pub(super) at: String,
    pub(super) username: &'static str,
    pub(super) reason: String,
    pub(super) action: &'static str,
}

pub(super) async fn insert_transitions(
    ctx: &mut DemoContext<'_>,
    rows: &[Row7],
) -> Result<(), DemoError> {
    for chunk in rows.chunks(300) {
        let sql = format!(
            "INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason, action) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.case_id)
                .bind(r.from)
                .bind(r.to)
                .bind(r.at.clone())
                .bind(r.username)
                .bind(r.reason.clone())
                .bind(r.action);
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(())
}

pub(super) type ObjectionRow = (
    i64,
    String,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<String>,
);

pub(super) async fn insert_objections(
    ctx: &mut DemoContext<'_>,
    rows: &[ObjectionRow],
) -> Result<(), DemoError> {
    for chunk in rows.chunks(300) {
        let sql = format!(
            "INSERT INTO case_objections (case_id, received_on, content, recorded_by, resolution, resolved_by, resolved_at) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.0)
                .bind(r.1.clone())
                .bind(r.2)
                .bind(r.3)
                .bind(r.4)
                .bind(r.5)
                .bind(r.6.clone());
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(())
}

/// Stores one application through `cases::create`, then the workflow's columns as the
/// actions left them; returns the case id and the later transitions and objections.
pub(super) async fn store(
    ctx: &mut DemoContext<'_>,
    rng: &mut ChaCha8Rng,
    mut p: Plan,
    transitions: &mut Vec<Row7>,
    objections: &mut Vec<ObjectionRow>,
) -> Result<(), DemoError> {
    let now = ctx.now.with_timezone(&china_offset());
    let times = stamp(rng, &mut p.steps, now);
    let applied_at = times.first().copied().unwrap_or(now).to_rfc3339();
    let filing = Filing {
        source: p.source,
        username: p.steps.first().map(|s| s.username).unwrap_or("网上申请"),
        reference: &p.reference,
        today: p.applied_on,
        now: &applied_at,
    };
    let created = cases::create(&mut ctx.tx, ctx.keyring, &p.app, &filing).await?;
    let later = p.steps.len().saturating_sub(1) as i64;
    if later > 0 {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        sqlx::query(
            "UPDATE cases SET status = $1, accepted_on = $2, due_on = $3, extended = $4, visit_record = $5, \
             verification_record = $6, has_supporter = $7, recommend = $8, notice_from = $9, notice_until = $10, \
             district_reviewed = $11, approved_on = $12, monthly_amount = $13, covered_persons = $14, \
             explanation = $15, next_review_on = $16, version = $17, marginal = $18 WHERE id = $19",
        )
        .bind(p.status.code())
        .bind(date(p.accepted_on))
        .bind(date(p.due_on))
        .bind(flag(p.extended))
        .bind(p.visit_record.clone())
        .bind(p.verification_record.clone())
        .bind(flag(p.has_supporter))
        .bind(p.recommend.map(flag))
        .bind(date(p.notice.map(|n| n.0)))
        .bind(date(p.notice.map(|n| n.1)))
        .bind(flag(p.district_reviewed))
        .bind(date(p.approved_on))
        .bind(p.monthly.0)
        .bind(p.covered)
        .bind(
            p.explanation
                .as_ref()
                .map(|e| serde_json::to_string(e).unwrap_or_default()),
        )
        .bind(date(p.next_review_on))
        .bind(1 + later)
        .bind(flag(p.marginal))
        .bind(created.case_id)
        .execute(&mut *ctx.tx)
        .await?;
    }
    for (s, at) in p.steps.iter().zip(&times).skip(1) {
        transitions.push(Row7 {
            case_id: created.case_id,
            from: s.from.map(Status::code),
            to: s.to.code(),
            at: at.to_rfc3339(),
            username: s.username,
            reason: s.reason.clone(),
            action: s.action,
        });
    }
    let offset = china_offset();
    for o in &p.objections {
        let resolved_at = o.resolution.map(|(_, on)| {
            let t = on.and_time(chrono::NaiveTime::MIN)
                + chrono::Duration::minutes(rng.random_range(9 * 60..17 * 60));
            offset
                .from_local_datetime(&t)
                .single()
                .unwrap_or(now)
                .min(now)
                .to_rfc3339()
        });
        objections.push((
            created.case_id,
            o.received_on.to_string(),
            o.content,
            user(Role::CommunityWorker),
            o.resolution.map(|r| r.0),
            o.resolution.map(|_| user(Role::StreetCaseworker)),
            resolved_at,
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- the roster

/// Income items for the roster's active households (imported without any): one per
/// adult, so that the counted income per head is what their amount implies — the
/// standard less the amount per covered person.
pub(super) async fn roster_incomes(
    ctx: &mut DemoContext<'_>,
    world: &World,
) -> Result<usize, DemoError> {
    let rows = sqlx::query(
        "SELECT c.household_id, c.program, c.region_code, c.monthly_amount, c.covered_persons, m.id, \
         m.birth_date, m.work_capacity FROM cases c JOIN members m ON m.household_id = c.household_id \
         WHERE c.status = 'active' AND c.source = 'import' AND NOT EXISTS (SELECT 1 FROM member_incomes i \
         JOIN members x ON x.id = i.member_id WHERE x.household_id = c.household_id) \
         ORDER BY c.household_id, m.id",
    )
    .fetch_all(&mut *ctx.tx)
    .await?;
    let areas: BTreeMap<&str, UrbanRural> = world
        .communities
        .iter()
        .map(|c| (c.code.as_str(), c.area))
        .collect();
    // household → (program, region, amount, covered, [(member, age, capacity)])
    type Roster = (String, String, i64, i64, Vec<(i64, u32, String)>);
    let mut households: BTreeMap<i64, Roster> = BTreeMap::new();
    for r in &rows {
        let birth: NaiveDate = r.try_get::<String, _>(6)?.parse().unwrap_or(ctx.today);
        let entry = households.entry(r.try_get(0)?).or_insert((
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            Vec::new(),
        ));
        entry.4.push((
            r.try_get(5)?,
            crate::ids::idcard::age_on(birth, ctx.today),
            r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
        ));
    }
    let mut items: Vec<(i64, &'static str, &'static str, i64, i64)> = Vec::new();
    for (program, region, amount, covered, members) in households.values() {
        let area = areas
            .get(region.as_str())
            .copied()
            .unwrap_or(UrbanRural::Urban);
        let standard = world
            .standard_on(region, area, ctx.today)
            .unwrap_or(Policy::defaults(area).dibao_standard);
        let size = members.len().max(1) as i64;
        let total = if program == "tekun" {
            // Only a small basic pension: no income source to speak of.
            Fen::from_yuan(180).min(standard.mul_div_floor(1, 5))
        } else {
            let per_head = Fen(*amount).mul_div_floor(1, (*covered).max(1));
            let gap = if per_head < standard {
                standard - per_head
            } else {
                Fen::ZERO
            };
            gap * size
        };
        let adults: Vec<&(i64, u32, String)> = members.iter().filter(|m| m.1 >= 18).collect();
        let earning: Vec<&&(i64, u32, String)> = adults
            .iter()
            .filter(|m| m.1 >= 60 || m.2 != "lost")
            .collect();
        if total > Fen::ZERO {
            if earning.is_empty() {
                if let Some(m) = members.first() {
                    items.push((m.0, "transfer", "赡养费", total.ceil_yuan().0, 12));
                }
            } else {
                let share = total.mul_div_floor(1, earning.len() as i64);
                for m in &earning {
                    if m.1 >= 60 {
                        let item = if area == UrbanRural::Urban {
                            "养老金"
                        } else {
                            "城乡居民基础养老金"
                        };
                        items.push((m.0, "transfer", item, share.ceil_yuan().0, 12));
                    } else {
                        // Wages count after the 20% cost of working.
                        let gross = share.mul_div_ceil(100, 80).ceil_yuan();
                        items.push((m.0, "wage", "工资", gross.0, 12));
                    }
                }
            }
        }
        for m in members.iter().filter(|m| m.1 >= 80) {
            items.push((m.0, "transfer", "高龄津贴", Fen::from_yuan(200).0, 12));
        }
    }
    for chunk in items.chunks(500) {
        let sql = format!(
            "INSERT INTO member_incomes (member_id, kind, item, monthly, months) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (member, kind, item, monthly, months) in chunk {
            q = q
                .bind(*member)
                .bind(*kind)
                .bind(*item)
                .bind(*monthly)
                .bind(*months);
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(items.len())
}

/// 特困 persons investigated in the demo: about one in four supported in an institution
/// (集中供养), the others at home. Roster-imported 特困 cases keep no mode: the roster
/// does not carry it.
pub(super) async fn support_modes(ctx: &mut DemoContext<'_>) -> Result<(), DemoError> {
    sqlx::query(
        "UPDATE cases SET support_mode = CASE WHEN id % 4 = 0 THEN 'institution' ELSE 'home' END, \
         support_facility = CASE WHEN id % 4 = 0 THEN '街道敬老院' END \
         WHERE program = 'tekun' AND visit_record IS NOT NULL AND support_mode IS NULL",
    )
    .execute(&mut *ctx.tx)
    .await?;
    Ok(())
}

/// The persons each demo approval covered, as `transitions::act` records them at approval
/// (the quarterly report counts persons at approval).
pub(super) async fn approved_persons(ctx: &mut DemoContext<'_>) -> Result<(), DemoError> {
    sqlx::query(
        "UPDATE cases SET approved_persons = covered_persons WHERE approved_on IS NOT NULL AND approved_persons IS NULL",
    )
    .execute(&mut *ctx.tx)
    .await?;
    Ok(())
}

/// Next review dates for active cases that have none: the review cycle (6 or 12 months,
/// `workflow::review_interval_months`) counted from approval, the next one after today;
/// a few reviews left overdue.
pub(super) async fn review_dates(
    ctx: &mut DemoContext<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<(usize, usize), DemoError> {
    let rows = sqlx::query(
        "SELECT c.id, c.program, c.approved_on, m.birth_date, m.disability_grade, m.serious_illness \
         FROM cases c JOIN members m ON m.household_id = c.household_id \
         WHERE c.status = 'active' AND c.next_review_on IS NULL AND c.approved_on IS NOT NULL \
         ORDER BY c.id, m.id",
    )
    .fetch_all(&mut *ctx.tx)
    .await?;
    let today = ctx.today;
    type Active = (String, NaiveDate, Vec<(u32, Option<i64>, bool)>);
    let mut cases: BTreeMap<i64, Active> = BTreeMap::new();
    for r in &rows {
        let approved: NaiveDate = r.try_get::<String, _>(2)?.parse().unwrap_or(today);
        let birth: NaiveDate = r.try_get::<String, _>(3)?.parse().unwrap_or(today);
        let entry = cases
            .entry(r.try_get(0)?)
            .or_insert((r.try_get(1)?, approved, Vec::new()));
        entry.2.push((
            crate::ids::idcard::age_on(birth, today),
            r.try_get(4)?,
            r.try_get::<i64, _>(5)? != 0,
        ));
    }
    let mut dates: Vec<(i64, String)> = Vec::with_capacity(cases.len());
    let mut overdue = 0;
    for (id, (program, approved, members)) in &cases {
        let program = Program::from_code(program).unwrap_or(Program::Dibao);
        let months = workflow::review_interval_months(program, all_stable(members));
        let mut k = 1;
        let mut next = workflow::next_review(*approved, months);
        while next <= today && k < 200 {
            k += 1;
            next = workflow::next_review(*approved, months * k);
        }
        // The last review fell due lately and has not been done yet.
        if k > 1 {
            let last = workflow::next_review(*approved, months * (k - 1));
            if (today - last).num_days() <= 30 && rng.random_bool(0.1) {
                next = last;
                overdue += 1;
            }
        }
        dates.push((*id, next.to_string()));
    }
    for chunk in dates.chunks(400) {
        let sql = format!(
            "UPDATE cases SET next_review_on = v.column2 FROM (VALUES {}) AS v \
             WHERE cases.id = v.column1 AND cases.next_review_on IS NULL",
            value_rows(ctx.backend, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (id, date) in chunk {
            q = q.bind(*id).bind(date.clone());
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok((dates.len(), overdue))
}

// ---------------------------------------------------------------- 先行救助

/// Which temporary grants the demo makes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Grants {
    /// 先行救助 of the last days whose case file is still to be completed (due 5 working
    /// days after the grant): some due soon, a couple overdue.
    Advances,
    /// Ordinary grants over the two years before the last fortnight, for the quarterly
    /// figures and their trend; one in thirty cancelled.
    History,
}

/// History grants go back this many days.
const HISTORY_DAYS: u64 = 730;

pub(super) async fn temporary_grants(
    ctx: &mut DemoContext<'_>,
    rng: &mut ChaCha8Rng,
    world: &mut World,
    count: usize,
    which: Grants,
) -> Result<usize, DemoError> {
    let cal = WorkCalendar::default();
    let deadlines = Deadlines::default();
    let now = ctx.now.to_rfc3339();
    let mut rows = Vec::with_capacity(count);
    for n in 0..count {
        let ci = if n % 2 == 0 {
            // Half in the street caseworker's street, who completes them.
            world.pools[1]
                .choose(rng)
                .copied()
                .unwrap_or_else(|| world.pick_community(rng))
        } else {
            world.pick_community(rng)
        };
        let (community, area) = {
            let c = &world.communities[ci];
            (c.code.clone(), c.area)
        };
        // Granted in the last days, due within the next 5 working days; every third
        // one overdue.
        let size: i64 = rng.random_range(1..=4);
        let (granted, due, amount) = match which {
            Grants::Advances => {
                let ago = if n % 3 == 2 {
                    rng.random_range(6..=9)
                } else {
                    rng.random_range(0..=4)
                };
                let granted = back(&cal, workday_on_or_before(&cal, ctx.today), ago);
                let policy = world.policy_on(&community, area, granted);
                (
                    granted,
                    Some(deadlines.advance_due(&cal, granted)),
                    rules::advance_limit(size, &policy),
                )
            }
            Grants::History => {
                let ago = rng.random_range(14..HISTORY_DAYS);
                let granted = workday_on_or_before(&cal, days_before(ctx.today, ago));
                let policy = world.policy_on(&community, area, granted);
                let months = rng.random_range(1..=policy.temp_street_months.max(1));
                (
                    granted,
                    None,
                    rules::temporary_grant(months, size, &policy).amount,
                )
            }
        };
        let male = rng.random_bool(0.5);
        let surname = SURNAMES.choose(rng).copied().unwrap_or("王");
        let name = person_name(rng, surname, male);
        let age = rng.random_range(25..80);
        let birth = birth_for(rng, ctx.today, age);
        let district = community.get(..6).unwrap_or(&community).to_string();
        let id = world.new_id(rng, ctx.keyring, &district, birth, male)?;
        let sealed = ctx.keyring.seal(SensitiveKind::IdNumber, id.as_str());
        let emergency = rng.random_bool(0.8);
        let cancelled = which == Grants::History && n % 30 == 29;
        rows.push((
            sealed, name, community, emergency, granted, amount, size, due, cancelled,
        ));
    }
    for chunk in rows.chunks(200) {
        let sql = format!(
            "INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, \
             amount, household_size, advance, status, created_at, due_on) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 12)
        );
        let mut q = sqlx::query(&sql);
        for (sealed, name, community, emergency, granted, amount, size, due, cancelled) in chunk {
            q = q
                .bind(sealed.sealed.clone())
                .bind(sealed.index.clone())
                .bind(name.clone())
                .bind(community.clone())
                .bind(if *emergency {
                    "emergency"
                } else {
                    "expenditure"
                })
                .bind(granted.to_string())
                .bind(amount.0)
                .bind(*size)
                .bind(i64::from(due.is_some()))
                .bind(if *cancelled { "cancelled" } else { "valid" })
                .bind(now.clone())
                .bind(due.map(|d| d.to_string()));
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(rows.len())
}
