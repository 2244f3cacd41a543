//! Crash safety (SECURITY.md, Durability): a scripted run of business actions against the
//! server process, killed with SIGKILL at a random point (seeded, a few runs spread over
//! the script), started again on the same database, and checked — every action the server
//! acknowledged is there, none is half-applied (a case's status agrees with its history,
//! every step has its audit entry and the other way round), the audit chain verifies and
//! the quarter's figures agree with a recount from the rows (the checks: crash_checks.rs;
//! the server, client and databases: crash_driver.rs; a large import killed midway:
//! crash_import.rs).
//!
//! A failure names the run, its seed and the kill point; `MINZHENG_CRASH_SEED` replays
//! one seed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use minzheng::App;
use minzheng::auth::Role;
use minzheng::calendar::{Clock, ManualClock, SystemClock};
use minzheng::config::Settings;
use minzheng::db::Db;
use minzheng::ids::IdNumber;
use minzheng::protect::Keyring;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Backend, SMALL_TREE, Session, TestApp, TestDb, cli_event};
use crate::crash_checks::{check, transition_counts, whole};
use crate::crash_driver::{Client, Reply, RunDb, Server};
use crate::on_both_backends;

on_both_backends!(server_killed_at_random_points);

pub(crate) const COMMUNITY: &str = "369902001001";
const RUNS: usize = 6;
const SEED: u64 = 0x5EED_0011;

pub(crate) fn id(birth: NaiveDate, seq: u16) -> String {
    IdNumber::compose("369902", birth, seq)
        .unwrap()
        .as_str()
        .to_string()
}

pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A three-person application, its people numbered by `n` (no two applications share a
/// person, so every one can be approved).
fn application(n: u64) -> Value {
    let birth = |y: &str| day(y) + Days::new(n);
    json!({
        "community": COMMUNITY, "program": "dibao",
        "m0_name": format!("申请人{n}"), "m0_relation": "本人", "m0_hukou": "urban", "m0_work": "full",
        "m0_id": id(birth("1971-01-01"), 11),
        "m0_inc0_kind": "wage", "m0_inc0_item": "工资", "m0_inc0_monthly": "1500", "m0_inc0_months": "12",
        "m1_name": format!("配偶{n}"), "m1_relation": "配偶", "m1_hukou": "urban", "m1_work": "full",
        "m1_id": id(birth("1973-01-01"), 22),
        "m2_name": format!("子女{n}"), "m2_relation": "子女", "m2_hukou": "urban", "m2_work": "full",
        "m2_student": "1", "m2_id": id(birth("2013-01-01"), 33),
        "phone": "13800138000", "reason": "家庭收入低", "declaration": "1", "consent": "1",
    })
}

fn grant(n: u64) -> Value {
    json!({
        "name": format!("受助人{n}"), "id_number": id(day("1976-01-01") + Days::new(n), 44),
        "community": COMMUNITY, "kind": "emergency", "household_size": "2",
        "months": (1 + n % 3).to_string(), "reason": "住房失火",
    })
}

// ---------------------------------------------------------------------------------------
// The staged database every run starts from.

/// Cases in 公示 with the notice over (so the server, on today's date, may approve them),
/// and households in force (so it may stop them).
pub(crate) struct Staged {
    pub db: RunDb,
    notice: Vec<(i64, i64)>,
    active: Vec<(i64, i64)>,
    /// Per (case, action): the history entries already there.
    pub before: HashMap<(i64, String), i64>,
}

async fn stage(backend: Backend) -> Staged {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("crash.key");
    let (url, pg_name, test_db) = match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", dir.path().join("crash.db").display());
            let holder = TestDb::Sqlite {
                _dir: tempfile::tempdir().unwrap(),
                url: url.clone(),
            };
            (url, None, holder)
        }
        Backend::Postgres => match TestDb::new(Backend::Postgres).await {
            TestDb::Postgres { name, url } => (
                url.clone(),
                Some(name.clone()),
                TestDb::Postgres { name, url },
            ),
            TestDb::Sqlite { .. } => unreachable!(),
        },
    };
    // Staged ten days ago: the notices published then are over today.
    let today = SystemClock.today();
    let clock = Arc::new(ManualClock::at_date(today - Days::new(10)));
    let app = App::with_db(
        Db::open(&url).await.expect("open the staging database"),
        Keyring::load_or_create(&key, true).expect("key file"),
        Settings::default(),
        clock.clone(),
    );
    let t = TestApp {
        app,
        db: test_db,
        clock,
    };
    minzheng::region::import::import_regions(
        t.database(),
        SMALL_TREE.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();
    let community = t
        .create_user("shequ", Role::CommunityWorker, COMMUNITY)
        .await;
    let street = t
        .create_user("jiedao", Role::StreetCaseworker, "369902001")
        .await;
    t.create_user("shenpi", Role::DistrictApprover, "369902")
        .await;
    let (community, street) = (t.login(&community).await, t.login(&street).await);
    let mut notice = Vec::new();
    for n in 0..6 {
        let r = t
            .post_json_as(&street, "/api/v1/applications", &application(n))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let case = r.json()["case_id"].as_i64().unwrap();
        for (s, action, extra) in [
            (&street, "accept", json!({})),
            (
                &community,
                "investigate",
                json!({"visit_record": "入户调查", "verification_record": "核对无异常"}),
            ),
            (&street, "opinion", json!({"recommend": "yes"})),
            (&street, "publish", json!({})),
        ] {
            let r = staged_act(&t, s, case, action, extra).await;
            assert_eq!(r, 200, "staging {action}");
        }
        notice.push(case);
    }
    // Four households in force since July, from the roster.
    let mut roster = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n",
    );
    for h in 0..4u64 {
        let head = id(day("1950-01-01") + Days::new(h), 55);
        roster.push_str(&format!(
            "K{h:03},低保,在保户{h},{head},本人,是,{COMMUNITY},600,2026-07-15,在保,,\n"
        ));
    }
    minzheng::assistance::import::import_roster(
        t.database(),
        &t.app.state.keyring,
        "roster.csv",
        roster.as_bytes(),
        today - Days::new(10),
        false,
        &cli_event("ledger.import"),
    )
    .await
    .unwrap();
    let pool = t.database().pool();
    let versions = |ids: Vec<i64>| async move {
        let mut out = Vec::new();
        for case in ids {
            let v: i64 = sqlx::query("SELECT version FROM cases WHERE id = $1")
                .bind(case)
                .fetch_one(pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            out.push((case, v));
        }
        out
    };
    let notice = versions(notice).await;
    let active_ids: Vec<i64> =
        sqlx::query("SELECT id FROM cases WHERE status = 'active' ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
    assert_eq!(active_ids.len(), 4);
    let active = versions(active_ids).await;
    let before = transition_counts(t.database()).await;
    // The invariants the runs check hold before anything is killed.
    assert_eq!(whole(t.database()).await, Vec::<String>::new());
    t.app.state.db.close().await;
    Staged {
        db: RunDb {
            url,
            key,
            dir,
            pg_name,
        },
        notice,
        active,
        before,
    }
}

async fn staged_act(t: &TestApp, s: &Session, case: i64, action: &str, extra: Value) -> u16 {
    let v: i64 = sqlx::query("SELECT version FROM cases WHERE id = $1")
        .bind(case)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let mut body = json!({"action": action, "version": v});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = t
        .post_json_as(s, &format!("/api/v1/cases/{case}/actions"), &body)
        .await;
    assert_eq!(r.status, 200, "{action}: {}", r.body);
    r.status.as_u16()
}

// ---------------------------------------------------------------------------------------
// The script.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Community,
    Street,
    Approver,
}

/// A case of the script: a new application (by its slot), a staged one in notice, or a
/// household in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum CaseRef {
    New(usize),
    Notice(usize),
    Active(usize),
}

#[derive(Clone, Debug)]
enum Step {
    Apply(usize),
    Act(CaseRef, &'static str),
    Objection(CaseRef),
    Grant(u64),
}

fn script() -> Vec<Step> {
    use CaseRef::*;
    use Step::*;
    vec![
        Apply(0),
        Act(Notice(0), "approve"),
        Grant(0),
        Act(New(0), "accept"),
        Act(Active(0), "exit"),
        Apply(1),
        Act(New(0), "investigate"),
        Objection(Notice(4)),
        Act(Notice(1), "approve"),
        Act(New(1), "accept"),
        Grant(1),
        Act(New(0), "opinion"),
        Act(Active(1), "exit"),
        Act(Notice(5), "reject"),
        Act(New(1), "investigate"),
        Act(New(0), "publish"),
        Act(Notice(2), "approve"),
        Grant(2),
        Apply(2),
        Act(New(1), "opinion"),
        Act(Active(2), "exit"),
        Act(New(2), "accept"),
        Act(Notice(3), "approve"),
        Grant(3),
        Act(New(1), "publish"),
        Act(New(2), "investigate"),
        Act(Active(3), "exit"),
        Grant(4),
    ]
}

/// What an acknowledged step promises is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Applied { case: i64, reference: String },
    Acted { case: i64, action: String },
    Objection { case: i64, content: String },
    Granted { grant: i64 },
}

/// The script's view of the cases: ids and the versions the next action is sent with.
struct Cases {
    ids: HashMap<CaseRef, (i64, i64)>,
}

impl Cases {
    fn new(staged: &Staged) -> Cases {
        let mut ids = HashMap::new();
        for (i, c) in staged.notice.iter().enumerate() {
            ids.insert(CaseRef::Notice(i), *c);
        }
        for (i, c) in staged.active.iter().enumerate() {
            ids.insert(CaseRef::Active(i), *c);
        }
        Cases { ids }
    }
}

struct Clients {
    community: Client,
    street: Client,
    approver: Client,
}

impl Clients {
    async fn login(port: u16) -> Clients {
        Clients {
            community: Client::login(port, "shequ").await,
            street: Client::login(port, "jiedao").await,
            approver: Client::login(port, "shenpi").await,
        }
    }
    fn of(&self, who: Who) -> &Client {
        match who {
            Who::Community => &self.community,
            Who::Street => &self.street,
            Who::Approver => &self.approver,
        }
    }
}

/// The request a step sends: who, where, what; and the effect it promises once answered
/// (a new application's and a grant's ids come with the answer).
fn request_of(step: &Step, cases: &Cases) -> (Who, String, Value, Option<Effect>) {
    match step {
        Step::Apply(n) => (
            Who::Street,
            "/api/v1/applications".to_string(),
            application(100 + *n as u64),
            None,
        ),
        Step::Act(case, action) => {
            let (id, version) = cases.ids[case];
            let mut body = json!({"action": action, "version": version});
            let extra = match *action {
                "investigate" => {
                    json!({"visit_record": "入户调查：三口之家", "verification_record": "核对无异常"})
                }
                "opinion" => json!({"recommend": "yes"}),
                "reject" => json!({"reason": "公示期间核实家庭有营运车辆"}),
                "exit" => json!({"exit_reason": "income_above", "reason": "复核发现收入超标"}),
                _ => json!({}),
            };
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let who = match *action {
                "investigate" => Who::Community,
                "approve" | "reject" => Who::Approver,
                _ => Who::Street,
            };
            (
                who,
                format!("/api/v1/cases/{id}/actions"),
                body,
                Some(Effect::Acted {
                    case: id,
                    action: action.to_string(),
                }),
            )
        }
        Step::Objection(case) => {
            let (id, _) = cases.ids[case];
            let content = format!("群众反映案件 {id} 家中有营运车辆");
            (
                Who::Community,
                format!("/api/v1/cases/{id}/objections"),
                // Received during the notice (published on the staging day).
                json!({"content": content, "received_on": (SystemClock.today() - Days::new(9)).to_string()}),
                Some(Effect::Objection { case: id, content }),
            )
        }
        Step::Grant(n) => (
            Who::Street,
            "/api/v1/temporary-grants".to_string(),
            grant(*n),
            None,
        ),
    }
}

/// Records what an acknowledged answer promises and moves the script's versions on.
fn acknowledge(step: &Step, promised: Option<Effect>, reply: &Reply, cases: &mut Cases) -> Effect {
    let body = reply.json().unwrap_or_default();
    match step {
        Step::Apply(n) => {
            let case = body["case_id"].as_i64().expect("case_id");
            cases.ids.insert(CaseRef::New(*n), (case, 1));
            Effect::Applied {
                case,
                reference: body["reference"].as_str().unwrap().to_string(),
            }
        }
        Step::Act(case, _) => {
            cases.ids.get_mut(case).unwrap().1 += 1;
            promised.unwrap()
        }
        Step::Objection(_) => promised.unwrap(),
        Step::Grant(_) => Effect::Granted {
            grant: body["grant_id"].as_i64().expect("grant_id"),
        },
    }
}

// ---------------------------------------------------------------------------------------
// The runs.

async fn server_killed_at_random_points(backend: Backend) {
    let started = Instant::now();
    let staged = stage(backend).await;
    let steps = script();
    let seeds: Vec<(usize, u64)> = match std::env::var("MINZHENG_CRASH_SEED") {
        Ok(s) => vec![(0, s.parse().expect("MINZHENG_CRASH_SEED: a number"))],
        Err(_) => (0..RUNS).map(|run| (run, SEED + run as u64)).collect(),
    };
    for (run, seed) in seeds {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        // Kill points spread over the script: run r kills within the r-th sixth of it.
        let (lo, hi) = (run * steps.len() / RUNS, (run + 1) * steps.len() / RUNS);
        let kill_at = rng.random_range(lo..hi.max(lo + 1));
        // A step takes a few milliseconds: the kill lands before, during or after its commit.
        let delay = Duration::from_micros(rng.random_range(0..8_000));
        let label = format!(
            "run {run} (seed {seed}, MINZHENG_CRASH_SEED={seed}): SIGKILL {delay:?} into step {kill_at} {:?}",
            steps[kill_at]
        );
        eprintln!("crash harness: {label}");
        let db = RunDb::copy_of(&staged.db, backend, &format!("r{run}")).await;
        let mut server = Server::start(&db).await;
        let clients = Clients::login(server.port).await;
        let mut cases = Cases::new(&staged);
        let mut acked: Vec<Effect> = Vec::new();
        for step in &steps[..kill_at] {
            let (who, path, body, promised) = request_of(step, &cases);
            let reply = clients
                .of(who)
                .post(server.port, &path, &body)
                .await
                .unwrap_or_else(|e| panic!("{label}: {step:?} unanswered: {e}"));
            assert!(
                reply.acknowledged(),
                "{label}: {step:?} refused before the kill: {} {}",
                reply.status,
                reply.body
            );
            acked.push(acknowledge(step, promised, &reply, &mut cases));
        }
        // The step the kill lands in: answered or not, as it happens.
        let step = &steps[kill_at];
        let (who, path, body, promised) = request_of(step, &cases);
        let port = server.port;
        let (reply, ()) = tokio::join!(clients.of(who).post(port, &path, &body), async {
            tokio::time::sleep(delay).await;
            server.kill();
        });
        let in_flight = match reply {
            Ok(r) if r.acknowledged() => {
                acked.push(acknowledge(step, promised, &r, &mut cases));
                None
            }
            _ => promised,
        };
        eprintln!(
            "crash harness: run {run}: {} steps acknowledged, the last one {}",
            acked.len(),
            if acked.len() > kill_at {
                "answered before the kill"
            } else {
                "cut by the kill"
            }
        );
        drop(server);
        let server = Server::start(&db).await;
        let problems = check(&db, &staged, &acked, in_flight.as_ref()).await;
        assert!(
            problems.is_empty(),
            "{label}: after the restart:\n{}\n(acknowledged: {acked:?})\nserver log:\n{}",
            problems.join("\n"),
            server.log_tail()
        );
        // The restarted server takes work again.
        let street = Client::login(server.port, "jiedao").await;
        let r = street
            .post(server.port, "/api/v1/temporary-grants", &grant(50))
            .await
            .unwrap();
        assert!(r.acknowledged(), "{label}: after the restart: {}", r.body);
        drop(server);
        db.drop_db().await;
    }
    staged.db.drop_db().await;
    eprintln!("crash harness: {RUNS} runs in {:?}", started.elapsed());
}
