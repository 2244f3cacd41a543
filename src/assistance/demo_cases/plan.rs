//! One demo application and what happened to it up to today: its steps, dates, records
//! and objections, as the real actions would have left them.

use super::*;

/// A step of the case's history, before it gets its time.
pub(super) struct Step {
    pub(super) date: NaiveDate,
    /// Order of steps on the same day.
    pub(super) rank: u8,
    pub(super) action: &'static str,
    pub(super) from: Option<Status>,
    pub(super) to: Status,
    pub(super) username: &'static str,
    pub(super) reason: String,
    /// Done by staff in office hours (an online application may come at any hour).
    pub(super) office: bool,
}

pub(super) struct Objection {
    pub(super) received_on: NaiveDate,
    pub(super) content: &'static str,
    pub(super) resolution: Option<(&'static str, NaiveDate)>,
}

/// An application and what happened to it up to today.
pub(super) struct Plan {
    pub(super) app: Application,
    pub(super) source: &'static str,
    pub(super) reference: String,
    pub(super) applied_on: NaiveDate,
    pub(super) status: Status,
    pub(super) accepted_on: Option<NaiveDate>,
    pub(super) due_on: Option<NaiveDate>,
    pub(super) extended: bool,
    pub(super) visit_record: Option<String>,
    pub(super) verification_record: Option<String>,
    pub(super) has_supporter: bool,
    pub(super) recommend: Option<bool>,
    pub(super) notice: Option<(NaiveDate, NaiveDate)>,
    pub(super) district_reviewed: bool,
    pub(super) approved_on: Option<NaiveDate>,
    pub(super) monthly: Fen,
    pub(super) covered: i64,
    pub(super) explanation: Option<Explanation>,
    pub(super) marginal: bool,
    pub(super) next_review_on: Option<NaiveDate>,
    pub(super) steps: Vec<Step>,
    pub(super) objections: Vec<Objection>,
}

/// The days of the workflow's steps, worked back from today.
#[derive(Default)]
pub(super) struct StepDays {
    pub(super) applied: Option<NaiveDate>,
    pub(super) accepted: Option<NaiveDate>,
    pub(super) investigated: Option<NaiveDate>,
    pub(super) opinion: Option<NaiveDate>,
    pub(super) published: Option<NaiveDate>,
    pub(super) decided: Option<NaiveDate>,
}

pub(super) fn timeline(
    rng: &mut ChaCha8Rng,
    cal: &WorkCalendar,
    deadlines: &Deadlines,
    today: NaiveDate,
    input: &PlanInput,
) -> StepDays {
    let PlanInput {
        target,
        online,
        extended,
        overdue,
        ..
    } = *input;
    let wd = |d: NaiveDate| workday_on_or_before(cal, d);
    let mut t = StepDays::default();
    match target {
        Target::Submitted => {
            t.applied = Some(if online {
                days_before(today, rng.random_range(0..=6))
            } else {
                wd(days_before(today, rng.random_range(0..=3)))
            });
            return t;
        }
        Target::Refused => {
            let refused = wd(days_before(today, rng.random_range(1..=90)));
            t.decided = Some(refused);
            t.applied = Some(if online {
                days_before(refused, rng.random_range(1..=6))
            } else {
                back(cal, refused, rng.random_range(0..=2))
            });
            return t;
        }
        Target::Accepted => {
            t.accepted = Some(wd(days_before(today, rng.random_range(0..=6))));
        }
        Target::Investigating => {
            let i = wd(days_before(today, rng.random_range(0..=10)));
            t.investigated = Some(i);
            t.accepted = Some(back(cal, i, rng.random_range(2..=8)));
        }
        Target::ReviewedYes | Target::ReviewedNo | Target::RejectedAfterReview => {
            let o = if target == Target::RejectedAfterReview {
                let d = wd(days_before(today, rng.random_range(1..=90)));
                t.decided = Some(d);
                back(cal, d, rng.random_range(1..=6))
            } else {
                wd(days_before(today, rng.random_range(0..=8)))
            };
            t.opinion = Some(o);
        }
        Target::NoticeOpen | Target::NoticeOver | Target::RejectedAfterNotice | Target::Active => {
            let last_day_of_notice = |p: NaiveDate| deadlines.notice_until(p);
            let p = match target {
                Target::NoticeOpen => {
                    let earliest = days_before(today, u64::from(deadlines.notice_days.max(1) - 1));
                    let p = wd(days_before(today, rng.random_range(0..=6)));
                    if p < earliest {
                        workday_on_or_after(cal, earliest).min(today)
                    } else {
                        p
                    }
                }
                Target::NoticeOver => wd(days_before(
                    today,
                    u64::from(deadlines.notice_days) + rng.random_range(0..=9),
                )),
                _ => {
                    let d = wd(days_before(today, rng.random_range(1..=75)));
                    t.decided = Some(d);
                    wd(days_before(
                        d,
                        u64::from(deadlines.notice_days) + rng.random_range(0..=4),
                    ))
                }
            };
            // Approval only after the notice (the decision is later than its last day).
            if let Some(d) = t.decided
                && d <= last_day_of_notice(p)
            {
                t.decided = Some(workday_on_or_after(
                    cal,
                    days_after(last_day_of_notice(p), 1),
                ));
            }
            t.published = Some(p);
            t.opinion = Some(back(cal, p, rng.random_range(0..=3)));
        }
    }
    if let Some(o) = t.opinion {
        let i = back(cal, o, rng.random_range(1..=5));
        t.investigated = Some(i);
        t.accepted = Some(back(cal, i, rng.random_range(2..=8)));
    }
    // The decision deadline: a handful overdue, the others still in time.
    if let Some(a) = t.accepted
        && target.status().is_open()
    {
        let limit = if extended {
            deadlines.extended_days
        } else {
            deadlines.decision_days
        };
        let due = deadlines.decision_due(cal, a, extended);
        if overdue && due >= today {
            t.accepted = Some(back(cal, today, limit + rng.random_range(1..=8)));
        } else if !overdue && due < today {
            let next = t.investigated.unwrap_or(today);
            t.accepted = Some(back(cal, today, limit - 1).min(next));
        }
    }
    if let Some(a) = t.accepted {
        t.applied = Some(if online {
            days_before(a, rng.random_range(1..=6))
        } else if rng.random_bool(0.6) {
            a
        } else {
            back(cal, a, rng.random_range(1..=2))
        });
    }
    t
}

#[derive(Clone, Copy)]
pub(super) struct PlanInput {
    pub(super) target: Target,
    pub(super) online: bool,
    pub(super) close_relative: bool,
    pub(super) extended: bool,
    pub(super) overdue: bool,
    pub(super) tekun: bool,
}

pub(super) fn plan(
    rng: &mut ChaCha8Rng,
    world: &mut World,
    keyring: &Keyring,
    today: NaiveDate,
    input: &PlanInput,
) -> Result<Plan, DemoError> {
    let cal = WorkCalendar::default();
    let deadlines = Deadlines::default();
    let target = input.target;
    let program = if input.tekun {
        Program::Tekun
    } else {
        Program::Dibao
    };
    let ci = world.pick_community(rng);
    let (community, area) = {
        let c = &world.communities[ci];
        (c.code.clone(), c.area)
    };
    let region = RegionCode::parse(&community).map_err(|e| other(e.to_string()))?;
    let days = timeline(rng, &cal, &deadlines, today, input);
    // The rules run on the opinion's day; a household not yet decided is still drawn as
    // one that would (mostly) pass.
    let rules_day = days.opinion.unwrap_or(today);
    let want = target.eligible();
    let standard = world
        .standard_on(&community, area, rules_day)
        .unwrap_or(Policy::defaults(area).dibao_standard);
    let mut attempt = 0;
    let (app, has_supporter, decision) = loop {
        attempt += 1;
        let poor = match want {
            Some(w) => w,
            None => rng.random_bool(0.75),
        };
        let means = if poor {
            Means::Poor
        } else if program == Program::Tekun {
            *[
                Means::Supporter,
                Means::Supporter,
                Means::NotInGroup,
                Means::IncomeAbove,
            ]
            .choose(rng)
            .unwrap_or(&Means::Supporter)
        } else if rng.random_bool(0.55) {
            Means::IncomeAbove
        } else {
            Means::AssetsAbove
        };
        let per_capita = match means {
            Means::IncomeAbove => standard.mul_div_floor(rng.random_range(105..190), 100),
            _ if rng.random_bool(0.15) => Fen::ZERO,
            _ if program == Program::Tekun => standard.mul_div_floor(rng.random_range(5..45), 100),
            _ => standard.mul_div_floor(rng.random_range(10..85), 100),
        };
        let drafts = draw_drafts(rng, program, means);
        let size = drafts.len() as i64;
        let place = Place {
            community: &community,
            area,
        };
        let mut members = draw_members(rng, world, keyring, &place, today, drafts, per_capita)?;
        if program == Program::Tekun
            && let Some(m) = members.first_mut()
        {
            if means == Means::NotInGroup {
                m.work_capacity = WorkCapacity::Partial;
                m.disability = None;
            } else {
                m.work_capacity = WorkCapacity::Lost;
            }
        }
        let has_supporter = means == Means::Supporter;
        let reason = if program == Program::Tekun {
            TEKUN_REASONS.choose(rng).copied().unwrap_or("无生活来源")
        } else if members.iter().any(|m| m.serious_illness) {
            ILLNESS_REASON
        } else if members.iter().any(|m| m.disability.is_some()) {
            DISABILITY_REASON
        } else {
            DIBAO_REASONS.choose(rng).copied().unwrap_or("生活困难")
        };
        let app = Application {
            community: region.clone(),
            program,
            assets: assets(rng, means, size, standard),
            members,
            phone: None,
            reason: reason.to_string(),
            close_relative: input.close_relative,
            close_relative_note: if input.close_relative {
                CLOSE_RELATIVE_NOTES
                    .choose(rng)
                    .copied()
                    .unwrap_or("申请人亲属为社区工作人员")
                    .to_string()
            } else {
                String::new()
            },
        };
        let household = household_for_rules(&app, area, &world.excluded, rules_day);
        let policy = world.policy_on(&community, area, rules_day);
        let decision = cases::decision(program, &household, has_supporter, &policy, rules_day);
        if want.is_none_or(|w| w == decision.eligible) || attempt >= 12 {
            break (app, has_supporter, decision);
        }
    };
    // Rarely the draw never matched: the case stands where its household's rules put it.
    let target = match (want, decision.eligible) {
        (Some(true), false) if target == Target::ReviewedYes => Target::ReviewedNo,
        (Some(true), false) => Target::RejectedAfterReview,
        (Some(false), true) => Target::ReviewedYes,
        _ => target,
    };
    let (days, decision) = if target == input.target {
        (days, decision)
    } else {
        let days = timeline(
            rng,
            &cal,
            &deadlines,
            today,
            &PlanInput { target, ..*input },
        );
        let on = days.opinion.unwrap_or(today);
        let household = household_for_rules(&app, area, &world.excluded, on);
        let policy = world.policy_on(&community, area, on);
        let decision = cases::decision(program, &household, has_supporter, &policy, on);
        (days, decision)
    };
    let applied_on = days.applied.unwrap_or(today);
    let reference = world.new_reference(rng, applied_on);
    let mut p = Plan {
        app,
        source: if input.online { "online" } else { "counter" },
        reference,
        applied_on,
        status: target.status(),
        accepted_on: days.accepted,
        due_on: None,
        extended: false,
        visit_record: None,
        verification_record: None,
        has_supporter: false,
        recommend: None,
        notice: None,
        district_reviewed: false,
        approved_on: None,
        monthly: Fen::ZERO,
        covered: 0,
        explanation: None,
        marginal: false,
        next_review_on: None,
        steps: Vec::new(),
        objections: Vec::new(),
    };
    let street = user(Role::StreetCaseworker);
    let community_worker = user(Role::CommunityWorker);
    let approver = user(Role::DistrictApprover);
    p.steps.push(Step {
        date: applied_on,
        rank: 0,
        action: "apply",
        from: None,
        to: Status::Submitted,
        username: if input.online {
            "网上申请"
        } else if rng.random_bool(0.5) {
            community_worker
        } else {
            street
        },
        reason: p.app.reason.clone(),
        office: !input.online,
    });
    if target == Target::Refused {
        let d = days.decided.unwrap_or(today);
        p.steps.push(Step {
            date: d,
            rank: 1,
            action: "refuse",
            from: Some(Status::Submitted),
            to: Status::Refused,
            username: street,
            reason: REFUSE_REASONS
                .choose(rng)
                .copied()
                .unwrap_or("不符合受理条件")
                .to_string(),
            office: true,
        });
        return Ok(p);
    }
    let Some(accepted) = days.accepted else {
        return Ok(p);
    };
    let due = deadlines.decision_due(&cal, accepted, false);
    p.due_on = Some(due);
    p.steps.push(Step {
        date: accepted,
        rank: 1,
        action: "accept",
        from: Some(Status::Submitted),
        to: Status::Accepted,
        username: street,
        reason: format!("受理，办理时限至 {due}"),
        office: true,
    });
    let mut status = Status::Accepted;
    if let Some(i) = days.investigated {
        p.has_supporter = has_supporter;
        p.visit_record = Some(visit_record(&p.app, i, area));
        p.verification_record = Some(verification_record(&p.app, i, has_supporter));
        p.steps.push(Step {
            date: i,
            rank: 2,
            action: "investigate",
            from: Some(status),
            to: Status::Investigating,
            username: community_worker,
            reason: "已登记入户调查和信息核对结果".to_string(),
            office: true,
        });
        status = Status::Investigating;
    }
    if input.extended {
        let on = days.investigated.unwrap_or(accepted);
        let due = deadlines.decision_due(&cal, accepted, true);
        p.extended = true;
        p.due_on = Some(due);
        p.steps.push(Step {
            date: on,
            rank: 3,
            action: "extend",
            from: Some(status),
            to: status,
            username: street,
            reason: format!(
                "延期至 {due}；{}",
                EXTEND_REASONS.choose(rng).copied().unwrap_or("需补充核对")
            ),
            office: true,
        });
    }
    let Some(o) = days.opinion else {
        return Ok(p);
    };
    p.recommend = Some(decision.eligible);
    p.monthly = decision.monthly;
    p.covered = decision.covered;
    p.steps.push(Step {
        date: o,
        rank: 4,
        action: "opinion",
        from: Some(status),
        to: Status::Reviewed,
        username: street,
        reason: format!(
            "街道审核意见：{}；{}",
            if decision.eligible {
                "同意"
            } else {
                "不同意"
            },
            decision.explanation.summary
        ),
        office: true,
    });
    p.explanation = Some(decision.explanation.clone());
    p.marginal = decision.marginal;
    status = Status::Reviewed;
    let end = days.decided.unwrap_or(today);
    if input.close_relative {
        // Approval needs the district's review first; elsewhere it is often still to do.
        if target == Target::Active || rng.random_bool(0.3) {
            let span = cal.working_days_between(o, end).max(0) as u32;
            let on = cal.add_working_days(o, rng.random_range(0..=span.min(5)));
            let on = on.min(end);
            let during_notice = days.published.is_some_and(|pb| on > pb);
            let at = if during_notice {
                Status::Notice
            } else {
                Status::Reviewed
            };
            p.district_reviewed = true;
            p.steps.push(Step {
                date: on,
                rank: 5,
                action: "district_review",
                from: Some(at),
                to: at,
                username: user(Role::DistrictReviewer),
                reason: "区县审核通过（近亲属备案）".to_string(),
                office: true,
            });
        }
    }
    if let Some(pb) = days.published {
        let until = deadlines.notice_until(pb);
        p.notice = Some((pb, until));
        p.steps.push(Step {
            date: pb,
            rank: 6,
            action: "publish",
            from: Some(status),
            to: Status::Notice,
            username: street,
            reason: format!("公示 {pb} 至 {until}"),
            office: true,
        });
        status = Status::Notice;
        let last_heard = until.min(today).min(end);
        let objection = match target {
            Target::RejectedAfterNotice => true,
            Target::NoticeOver => rng.random_bool(0.35),
            Target::NoticeOpen => rng.random_bool(0.25),
            Target::Active => rng.random_bool(0.1),
            _ => false,
        };
        if objection && last_heard >= pb {
            let span = (last_heard - pb).num_days().max(0) as u64;
            let received = days_after(pb, rng.random_range(0..=span));
            let before_decision = back(&cal, end, 1).max(received);
            let resolved = match target {
                Target::RejectedAfterNotice => Some((RESOLVED_FOUNDED, before_decision)),
                Target::Active => Some((RESOLVED_UNFOUNDED, before_decision)),
                Target::NoticeOver if rng.random_bool(0.5) => {
                    let by = cal.add_working_days(received, rng.random_range(1..=3));
                    Some((RESOLVED_UNFOUNDED, by.min(today)))
                }
                _ => None,
            };
            p.objections.push(Objection {
                received_on: received,
                content: OBJECTIONS.choose(rng).copied().unwrap_or("群众反映情况"),
                resolution: resolved,
            });
        }
    }
    let Some(d) = days.decided else {
        return Ok(p);
    };
    match target {
        Target::Active => {
            // Approval re-runs the rules on the day's policy.
            let household = household_for_rules(&p.app, area, &world.excluded, d);
            let policy = world.policy_on(&community, area, d);
            let again = cases::decision(program, &household, p.has_supporter, &policy, d);
            if again.eligible {
                let ages: Vec<(u32, Option<i64>, bool)> = p
                    .app
                    .members
                    .iter()
                    .map(|m| {
                        (
                            m.id.age_on(d),
                            m.disability.map(|x| i64::from(x.grade)),
                            m.serious_illness,
                        )
                    })
                    .collect();
                let months = workflow::review_interval_months(program, all_stable(&ages));
                p.approved_on = Some(d);
                p.next_review_on = Some(workflow::next_review(d, months));
                p.monthly = again.monthly;
                p.covered = again.covered;
                p.explanation = Some(again.explanation.clone());
                p.marginal = again.marginal;
                p.steps.push(Step {
                    date: d,
                    rank: 8,
                    action: "approve",
                    from: Some(status),
                    to: Status::Active,
                    username: approver,
                    reason: format!("审批确认；{}", again.explanation.summary),
                    office: true,
                });
                p.status = Status::Active;
            } else {
                p.steps.push(Step {
                    date: d,
                    rank: 8,
                    action: "reject",
                    from: Some(status),
                    to: Status::Rejected,
                    username: approver,
                    reason: rejection_reason(program, &again),
                    office: true,
                });
                p.status = Status::Rejected;
            }
        }
        Target::RejectedAfterNotice => {
            p.steps.push(Step {
                date: d,
                rank: 8,
                action: "reject",
                from: Some(status),
                to: Status::Rejected,
                username: approver,
                reason: "公示期间群众反映情况经核实属实，家庭收入未如实申报，不予批准".to_string(),
                office: true,
            });
        }
        _ => {
            p.steps.push(Step {
                date: d,
                rank: 8,
                action: "reject",
                from: Some(status),
                to: Status::Rejected,
                username: approver,
                reason: rejection_reason(program, &decision),
                office: true,
            });
        }
    }
    Ok(p)
}

pub(super) fn visit_record(app: &Application, on: NaiveDate, area: UrbanRural) -> String {
    let housing = match (app.assets.homes, area) {
        (0, _) => "租住房屋".to_string(),
        (1, UrbanRural::Urban) => "居住自有住房一套".to_string(),
        (1, UrbanRural::Rural) => "居住自建农房".to_string(),
        (n, _) => format!("名下住房 {n} 套"),
    };
    let ill = app.members.iter().filter(|m| m.serious_illness).count();
    let disabled = app
        .members
        .iter()
        .filter(|m| m.disability.is_some())
        .count();
    let mut found = Vec::new();
    if ill > 0 {
        found.push(format!("{ill} 人患重病"));
    }
    if disabled > 0 {
        found.push(format!("{disabled} 人持残疾证"));
    }
    if found.is_empty() {
        found.push("家中陈设简陋".to_string());
    }
    format!(
        "{on} 入户调查（调查人：{}、{}）：家庭共 {} 人，{housing}；{}；与申请所述情况基本一致。",
        display_name(Role::CommunityWorker),
        display_name(Role::StreetCaseworker),
        app.members.len(),
        found.join("，")
    )
}

pub(super) fn verification_record(app: &Application, on: NaiveDate, has_supporter: bool) -> String {
    let vehicle = match app.assets.vehicle {
        None => "名下无机动车".to_string(),
        Some((kind, value)) => format!("核对到{}一辆（估值 {value} 元）", kind.label()),
    };
    let business = match app.assets.business {
        None => "无工商登记".to_string(),
        Some((capital, _)) => format!("家庭成员为在营企业股东，注册资本 {capital} 元"),
    };
    let mut text = format!(
        "{on} 经济状况信息核对：户籍、社保、公积金、不动产、车辆、工商登记和银行存款已核对；存款及有价证券合计 {} 元；{vehicle}；{business}。",
        app.assets.financial
    );
    if app.program == Program::Tekun {
        text.push_str(if has_supporter {
            "经核实，申请人之子有稳定工作，具备赡养能力。"
        } else {
            "经核实，申请人无法定赡养人。"
        });
    }
    text
}

/// Times for the steps: office hours for staff, any hour online; in order, none later
/// than now.
pub(super) fn stamp(
    rng: &mut ChaCha8Rng,
    steps: &mut [Step],
    now: DateTime<FixedOffset>,
) -> Vec<DateTime<FixedOffset>> {
    steps.sort_by_key(|s| (s.date, s.rank));
    let offset = china_offset();
    let mut times: Vec<DateTime<FixedOffset>> = Vec::with_capacity(steps.len());
    for s in steps.iter() {
        let minute = match times.last() {
            Some(prev) if prev.date_naive() == s.date => {
                let m = prev
                    .time()
                    .signed_duration_since(chrono::NaiveTime::MIN)
                    .num_minutes();
                (m + rng.random_range(5..=90)).min(23 * 60 + 50)
            }
            _ if s.office => rng.random_range(8 * 60 + 30..17 * 60 + 30),
            _ => rng.random_range(0..24 * 60),
        };
        let local = s.date.and_time(chrono::NaiveTime::MIN) + chrono::Duration::minutes(minute);
        let at = offset.from_local_datetime(&local).single().unwrap_or(now);
        times.push(at);
    }
    // Nothing later than now, in order.
    let mut cap = now;
    for t in times.iter_mut().rev() {
        if *t > cap {
            *t = cap;
        }
        cap = *t - chrono::Duration::minutes(1);
    }
    times
}
