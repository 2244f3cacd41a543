//! Crash safety (SECURITY.md, Durability): a scripted run of business actions — cases
//! from application to approval and exit, objections, temporary grants, and a month's
//! payroll made, checked, exported to the bank and reconciled — against the server process,
//! killed with SIGKILL (one run per step of the script, at a moment within that step drawn
//! from a seed), started again on the same database, and checked: every action the server
//! acknowledged is there, none is half-applied (a case's status agrees with its history,
//! a payroll's lines and status with its audit entries, every step has its audit entry and
//! the other way round), the audit chain verifies and the quarter's figures agree with a
//! recount from the rows (the checks: crash_checks.rs, crash_payroll.rs; the server, client
//! and databases: crash_driver.rs; a large import killed midway: crash_import.rs).
//!
//! Each CI run draws a new seed, so the moments of the kills move from one run to the next;
//! a failure names the run, its seed and the kill point, and `MINZHENG_CRASH_SEED` replays
//! that seed's runs.

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
    t.create_user("fuhe", Role::DistrictReviewer, "369902")
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
    // Four households in force since July, from the roster, paid into their bank accounts.
    let mut roster = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因,银行账号\n",
    );
    for h in 0..4u64 {
        let head = id(day("1950-01-01") + Days::new(h), 55);
        roster.push_str(&format!(
            "K{h:03},低保,在保户{h},{head},本人,是,{COMMUNITY},600,2026-07-15,在保,,,62220202001122334{h:02}\n"
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

/// The audit chain's length as the database holds it (the server stopped or running).
async fn audit_seq(url: &str) -> i64 {
    let db = Db::connect(url).await.expect("open the run's database");
    let seq = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    db.close().await;
    seq
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
    /// The district's payroll maker (复核); the approver checks what it makes.
    Maker,
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
    /// The district's payroll of this month: made, checked, sent to the bank, reconciled.
    Payroll(PayrollStep),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PayrollStep {
    Generate,
    Submit,
    Approve,
    Export,
    Reconcile,
}

impl PayrollStep {
    /// The payroll's status once the step is done.
    fn status(self) -> &'static str {
        match self {
            PayrollStep::Generate => "generated",
            PayrollStep::Submit => "submitted",
            PayrollStep::Approve => "approved",
            PayrollStep::Export => "exported",
            PayrollStep::Reconcile => "reconciled",
        }
    }
}

fn script() -> Vec<Step> {
    use CaseRef::*;
    use PayrollStep::*;
    use Step::*;
    vec![
        Apply(0),
        Act(Notice(0), "approve"),
        Grant(0),
        Act(New(0), "accept"),
        Payroll(Generate),
        Act(Active(0), "exit"),
        Apply(1),
        Act(New(0), "investigate"),
        Objection(Notice(4)),
        Payroll(Submit),
        Act(Notice(1), "approve"),
        Act(New(1), "accept"),
        Grant(1),
        Act(New(0), "opinion"),
        Payroll(Approve),
        Act(Active(1), "exit"),
        Act(Notice(5), "reject"),
        Act(New(1), "investigate"),
        Act(New(0), "publish"),
        Payroll(Export),
        Act(Notice(2), "approve"),
        Grant(2),
        Apply(2),
        Act(New(1), "opinion"),
        Act(Active(2), "exit"),
        Payroll(Reconcile),
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
    Applied {
        case: i64,
        reference: String,
    },
    Acted {
        case: i64,
        action: String,
    },
    Objection {
        case: i64,
        content: String,
    },
    Granted {
        grant: i64,
    },
    /// The payroll reached `status` (or went on from it).
    Payroll {
        payroll: i64,
        status: &'static str,
    },
}

/// The script's view of the cases: ids and the versions the next action is sent with;
/// the payroll's too, and the bank file it was exported as (the bank's return answers it).
struct Cases {
    ids: HashMap<CaseRef, (i64, i64)>,
    payroll: Option<(i64, i64)>,
    bank_file: Option<String>,
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
        Cases {
            ids,
            payroll: None,
            bank_file: None,
        }
    }
}

struct Clients {
    community: Client,
    street: Client,
    approver: Client,
    maker: Client,
}

impl Clients {
    async fn login(port: u16) -> Clients {
        Clients {
            community: Client::login(port, "shequ").await,
            street: Client::login(port, "jiedao").await,
            approver: Client::login(port, "shenpi").await,
            maker: Client::login(port, "fuhe").await,
        }
    }
    fn of(&self, who: Who) -> &Client {
        match who {
            Who::Community => &self.community,
            Who::Street => &self.street,
            Who::Approver => &self.approver,
            Who::Maker => &self.maker,
        }
    }

    /// Sends a step's request.
    async fn send(&self, port: u16, request: &Request) -> std::io::Result<Reply> {
        let client = self.of(request.who);
        match &request.body {
            Body::Json(body) => client.post(port, &request.path, body).await,
            Body::None => client.get(port, &request.path).await,
            Body::File(name, content) => client.post_file(port, &request.path, name, content).await,
        }
    }
}

/// What a step sends: who, where, what; and the effect it promises once answered (a new
/// application's, grant's and payroll's ids come with the answer).
struct Request {
    who: Who,
    path: String,
    body: Body,
    promised: Option<Effect>,
}

enum Body {
    Json(Value),
    /// A GET (the bank file's download).
    None,
    /// A file upload: its name and content.
    File(String, String),
}

fn json_request(who: Who, path: String, body: Value, promised: Option<Effect>) -> Request {
    Request {
        who,
        path,
        body: Body::Json(body),
        promised,
    }
}

/// Whether the server said the step was done: a JSON answer, or the bank file whole.
fn answered(step: &Step, reply: &Reply) -> bool {
    match step {
        Step::Payroll(PayrollStep::Export) => reply.whole_file(),
        _ => reply.acknowledged(),
    }
}

/// The request a step sends.
fn request_of(step: &Step, cases: &Cases) -> Request {
    match step {
        Step::Apply(n) => json_request(
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
            json_request(
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
            json_request(
                Who::Community,
                format!("/api/v1/cases/{id}/objections"),
                // Received during the notice (published on the staging day).
                json!({"content": content, "received_on": (SystemClock.today() - Days::new(9)).to_string()}),
                Some(Effect::Objection { case: id, content }),
            )
        }
        Step::Grant(n) => json_request(
            Who::Street,
            "/api/v1/temporary-grants".to_string(),
            grant(*n),
            None,
        ),
        Step::Payroll(PayrollStep::Generate) => json_request(
            Who::Maker,
            "/api/v1/payrolls".to_string(),
            json!({
                "month": SystemClock.today().format("%Y-%m").to_string(),
                "program": "dibao",
                "district_code": "369902",
            }),
            None,
        ),
        Step::Payroll(p) => {
            let (id, version) = cases.payroll.expect("the payroll was generated");
            let promised = Some(Effect::Payroll {
                payroll: id,
                status: p.status(),
            });
            let path = |verb: &str| format!("/api/v1/payrolls/{id}/{verb}");
            let version = json!({ "version": version });
            match p {
                PayrollStep::Generate => unreachable!(),
                PayrollStep::Submit => json_request(Who::Maker, path("submit"), version, promised),
                PayrollStep::Approve => {
                    json_request(Who::Approver, path("approve"), version, promised)
                }
                PayrollStep::Export => Request {
                    who: Who::Maker,
                    path: path("export?format=csv"),
                    body: Body::None,
                    promised,
                },
                PayrollStep::Reconcile => Request {
                    who: Who::Maker,
                    path: path("reconcile"),
                    body: Body::File(
                        "return.csv".to_string(),
                        crate::payments::return_for(
                            cases.bank_file.as_deref().expect("the bank file"),
                            &[],
                            0,
                        ),
                    ),
                    promised,
                },
            }
        }
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
        Step::Payroll(p) => {
            let payroll = &body["payroll"];
            match p {
                PayrollStep::Export => cases.bank_file = Some(reply.body.clone()),
                _ => {
                    cases.payroll = Some((
                        payroll["id"].as_i64().expect("payroll id"),
                        payroll["version"].as_i64().expect("payroll version"),
                    ))
                }
            }
            Effect::Payroll {
                payroll: cases.payroll.expect("payroll").0,
                status: p.status(),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The runs.

async fn server_killed_at_random_points(backend: Backend) {
    let started = Instant::now();
    let staged = stage(backend).await;
    let steps = script();
    // A new seed each time (printed, and named by any failure), so that the kill points
    // the runs cover change from one CI run to the next.
    let base: u64 = match std::env::var("MINZHENG_CRASH_SEED") {
        Ok(s) => s.parse().expect("MINZHENG_CRASH_SEED: a number"),
        Err(_) => rand::random::<u32>().into(),
    };
    eprintln!("crash harness: seed {base} (MINZHENG_CRASH_SEED={base} replays these runs)");
    // One run per step of the script, killed while that step is sent: every step is cut
    // once per CI run, at a moment the seed draws. What the kill met is counted: the
    // answer already given, the step committed but not answered, or nothing stored.
    let mut met = [0usize; 3];
    for kill_at in 0..steps.len() {
        let run = kill_at;
        let seed = base + run as u64;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        // A step takes a few milliseconds: the kill lands before, during or after its commit.
        let delay = Duration::from_micros(rng.random_range(0..8_000));
        let label = format!(
            "run {run} (seed {seed}, MINZHENG_CRASH_SEED={base}): SIGKILL {delay:?} into step {kill_at} {:?}",
            steps[kill_at]
        );
        eprintln!("crash harness: {label}");
        let db = RunDb::copy_of(&staged.db, backend, &format!("r{run}")).await;
        let mut server = Server::start(&db).await;
        let clients = Clients::login(server.port).await;
        let mut cases = Cases::new(&staged);
        let mut acked: Vec<Effect> = Vec::new();
        for step in &steps[..kill_at] {
            let request = request_of(step, &cases);
            let reply = clients
                .send(server.port, &request)
                .await
                .unwrap_or_else(|e| panic!("{label}: {step:?} unanswered: {e}"));
            assert!(
                answered(step, &reply),
                "{label}: {step:?} refused before the kill: {} {}",
                reply.status,
                reply.body
            );
            acked.push(acknowledge(step, request.promised, &reply, &mut cases));
        }
        // The step the kill lands in: answered or not, as it happens.
        let seq_before = audit_seq(&db.url).await;
        let step = &steps[kill_at];
        let request = request_of(step, &cases);
        let port = server.port;
        let (reply, ()) = tokio::join!(clients.send(port, &request), async {
            tokio::time::sleep(delay).await;
            server.kill();
        });
        let in_flight = match reply {
            Ok(r) if answered(step, &r) => {
                acked.push(acknowledge(step, request.promised, &r, &mut cases));
                None
            }
            _ => request.promised,
        };
        drop(server);
        // Every step writes an audit entry in its transaction: a longer chain after the
        // kill means the step was committed.
        let committed = audit_seq(&db.url).await > seq_before;
        let outcome = if in_flight.is_none() && acked.len() > kill_at {
            0
        } else if committed {
            1
        } else {
            2
        };
        met[outcome] += 1;
        eprintln!(
            "crash harness: run {run}: {} steps acknowledged, the last one {}",
            acked.len(),
            [
                "answered before the kill",
                "committed, its answer cut by the kill",
                "cut by the kill before its commit"
            ][outcome]
        );
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
    eprintln!(
        "crash harness: {} runs in {:?}; the kill met the step answered {} times, committed but \
         unanswered {} times, not yet committed {} times",
        steps.len(),
        started.elapsed(),
        met[0],
        met[1],
        met[2]
    );
}
