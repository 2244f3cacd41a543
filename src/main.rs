//! The `minzheng` command: parse the command line and call into the library.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use minzheng::audit::{Actor, AuditEvent};
use minzheng::calendar::{Clock, SystemClock};
use minzheng::config::{Config, DEFAULT_ADDR, DEFAULT_DATABASE_URL, Settings};
use minzheng::db::Db;
use minzheng::demo::{self, DemoOptions};
use minzheng::ledger::{ImportError, RowError, write_errors_csv};
use minzheng::{App, calendar, region};

mod cli_compare;
mod cli_ledgers;
mod cli_payroll;
mod cli_report;
use cli_compare::CompareCommand;
use cli_payroll::PayrollCommand;
use cli_report::ReportCommand;

/// mimalloc for the whole process, SQLite's own allocations included (`override`): a
/// roster import makes tens of millions of short-lived allocations (bound values copied
/// by SQLite, sealed strings), and the system allocator spent a quarter of the import's
/// time consolidating and unlinking free chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "minzheng",
    version,
    about = "民政业务平台 / civil-affairs platform"
)]
struct Cli {
    /// Database: sqlite://FILE (default) or postgres://USER@HOST/DB
    #[arg(long, global = true, env = "MINZHENG_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    database_url: String,
    /// Key file for protected personal data (default: beside the SQLite file, or
    /// ./minzheng.key for PostgreSQL)
    #[arg(long, global = true, env = "MINZHENG_KEY_FILE")]
    key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and JSON API
    Serve {
        #[arg(long, env = "MINZHENG_ADDR", default_value = DEFAULT_ADDR)]
        addr: SocketAddr,
        /// Fill an empty database with the demo city (示范市) first
        #[arg(long)]
        demo: bool,
        /// Served over TLS (directly or by a reverse proxy): Secure, __Host- cookies
        #[arg(long, env = "MINZHENG_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Take the client address from X-Forwarded-For (only behind a trusted proxy)
        #[arg(long, env = "MINZHENG_TRUST_PROXY")]
        trust_proxy: bool,
    },
    /// Apply database migrations and exit
    Migrate,
    /// Build the demo city (示范市) in an empty database
    Demo {
        #[arg(long, default_value_t = DemoOptions::default().seed)]
        seed: u64,
        /// Assistance households to create
        #[arg(long, default_value_t = DemoOptions::default().households)]
        households: usize,
    },
    /// Region tree (行政区划)
    Regions {
        #[command(subcommand)]
        command: RegionsCommand,
    },
    /// Working-day calendar (节假日)
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Import a ledger (台账) file: all rows or none (FORMATS.md names, e.g. assistance-roster)
    Import {
        ledger: String,
        file: PathBuf,
        /// Write the error list to this CSV (行号,列名,值,原因)
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Check the file without storing anything
        #[arg(long)]
        dry_run: bool,
    },
    /// Export a ledger to FILE (.xlsx or .csv), with the headers it imports with
    Export {
        ledger: String,
        file: PathBuf,
        /// Only this region's subtree (default: the whole city)
        #[arg(long)]
        region: Option<String>,
    },
    /// The audit log
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Accounts
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Data comparison (大数据比对): load departments' files, run the matching
    Compare {
        #[command(subcommand)]
        command: CompareCommand,
    },
    /// Monthly payrolls (发放名册)
    Payroll {
        #[command(subcommand)]
        command: PayrollCommand,
    },
    /// Reports (报表)
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Back the database up to FILE while the server may run (SQLite: a checked copy;
    /// PostgreSQL: pg_dump custom format). The key file is not included: keep it apart
    Backup { file: PathBuf },
    /// Restore a backup into the database (which must be empty unless --force); the key
    /// file (--key-file or beside the database) must be the one of the backup
    Restore {
        file: PathBuf,
        /// Replace a database that holds data
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum RegionsCommand {
    /// Import a CSV of code,name,urban_rural (all rows or none)
    Import {
        file: PathBuf,
        /// Write the error list to this CSV (行号,列名,值,原因)
        #[arg(long)]
        errors: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Import a CSV of date,休|班 rows (all rows or none)
    Import {
        file: PathBuf,
        #[arg(long)]
        errors: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits non-zero naming the first broken entry
    Verify,
    /// Delete entries dated before DATE (refused inside the retention period)
    Purge {
        #[arg(long)]
        before: String,
    },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Create the three administrators (system, security, audit) of a new installation
    Bootstrap,
    /// Give an account a new temporary password (and administrators a new TOTP secret)
    Reset { username: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("错误 / error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINZHENG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// An audit event for a CLI command, recorded as `cli:<OS user>`.
fn cli_event(action: &str, object_type: &str, object_id: &str) -> AuditEvent {
    AuditEvent::new(
        SystemClock.now_local(),
        &Actor::cli(),
        action,
        object_type,
        object_id,
    )
}

async fn open_app(url: &str, key_file: Option<PathBuf>, settings: Settings) -> Result<App, String> {
    let config = Config {
        key_file,
        settings,
        ..Config::new(url)
    };
    App::build(config).await.map_err(text)
}

/// For a command that only reads (a report, an export): the SQLite file is not read
/// through first (`db::Integrity`).
async fn open_app_to_read(url: &str, key_file: Option<PathBuf>) -> Result<App, String> {
    let config = Config {
        key_file,
        integrity: minzheng::db::Integrity::Skip,
        ..Config::new(url)
    };
    App::build(config).await.map_err(text)
}

async fn run(cli: Cli) -> Result<(), String> {
    let url = cli.database_url;
    let key_file = cli.key_file;
    match cli.command {
        Command::Serve {
            addr,
            demo,
            secure_cookies,
            trust_proxy,
        } => {
            let settings = Settings {
                secure_cookies,
                trust_proxy,
            };
            serve(open_app(&url, key_file, settings).await?, addr, demo).await
        }
        Command::Migrate => {
            Db::open(&url).await.map_err(text)?;
            println!("数据库已是最新结构 / migrations applied");
            Ok(())
        }
        Command::Demo { seed, households } => {
            let app = open_app(&url, key_file, Settings::default()).await?;
            let lines = demo::build(
                &app.state.db,
                &app.state.keyring,
                DemoOptions { seed, households },
                SystemClock.now(),
                &Actor::cli(),
            )
            .await
            .map_err(text)?;
            print_demo(&lines);
            Ok(())
        }
        Command::Regions {
            command: RegionsCommand::Import { file, errors },
        } => {
            let db = Db::open(&url).await.map_err(text)?;
            let bytes = read_file(&file)?;
            let event = cli_event("region.import", "file", &file.display().to_string());
            let done = region::import::import_regions(&db, &bytes, &event)
                .await
                .map_err(|e| import_failure(e, errors.as_deref()))?;
            println!(
                "已导入 {} 个区划节点（其中社区/村 {} 个）/ imported {} regions",
                done.rows, done.communities, done.rows
            );
            Ok(())
        }
        Command::Calendar {
            command: CalendarCommand::Import { file, errors },
        } => {
            let db = Db::open(&url).await.map_err(text)?;
            let bytes = read_file(&file)?;
            let event = cli_event("calendar.import", "file", &file.display().to_string());
            let done = calendar::store::import_holidays(&db, &bytes, &event)
                .await
                .map_err(|e| import_failure(e, errors.as_deref()))?;
            println!(
                "已导入 {} 天（放假 {} 天，调休上班 {} 天）/ imported {} days",
                done.rows, done.rest_days, done.work_days, done.rows
            );
            Ok(())
        }
        Command::Import {
            ledger,
            file,
            errors,
            dry_run,
        } => {
            let app = open_app(&url, key_file, Settings::default()).await?;
            cli_ledgers::import(&app, ledger, file, errors, dry_run).await
        }
        Command::Export {
            ledger,
            file,
            region,
        } => {
            let app = open_app(&url, key_file, Settings::default()).await?;
            cli_ledgers::export(&app, ledger, file, region).await
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = Db::open(&url).await.map_err(text)?;
            let report = minzheng::audit::verify(&db).await.map_err(text)?;
            match report.broken {
                None => {
                    println!(
                        "审计日志完整：校验了 {} 条记录 / audit chain intact ({} entries)",
                        report.checked, report.checked
                    );
                    Ok(())
                }
                Some((seq, why)) => Err(format!(
                    "审计日志第 {seq} 条记录校验失败：{why}（之前的 {} 条完好）/ audit chain broken at entry {seq}",
                    report.checked
                )),
            }
        }
        Command::Audit {
            command: AuditCommand::Purge { before },
        } => {
            let db = Db::open(&url).await.map_err(text)?;
            let before = calendar::parse_date(&before)
                .ok_or_else(|| format!("日期「{before}」无效，请写成 2026-01-01 / invalid date"))?;
            let policy = minzheng::auth::policy::SecurityPolicy::load(&db)
                .await
                .map_err(text)?;
            let event = cli_event("audit.purge", "audit_log", &before.to_string());
            let deleted = minzheng::audit::store::purge(
                &db,
                before,
                SystemClock.today(),
                policy.audit_retention_days,
                &event,
            )
            .await
            .map_err(text)?;
            println!("已清除 {deleted} 条 {before} 之前的审计记录 / purged {deleted} entries");
            Ok(())
        }
        Command::Accounts {
            command: AccountsCommand::Reset { username },
        } => {
            let app = open_app(&url, key_file, Settings::default()).await?;
            let lines = minzheng::auth::provision::reset(&app.state, &Actor::cli(), &username)
                .await
                .map_err(text)?;
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Command::Compare { command } => {
            let app = open_app(&url, key_file, Settings::default()).await?;
            cli_compare::run(&app, command).await
        }
        Command::Payroll { command } => {
            let app = open_app(&url, key_file, Settings::default()).await?;
            cli_payroll::run(&app, command).await
        }
        Command::Report { command } => {
            let app = open_app_to_read(&url, key_file).await?;
            cli_report::run(&app.state.db, command).await
        }
        Command::Backup { file } => {
            let summary =
                minzheng::ops::backup(&url, &file, &Actor::cli(), SystemClock.now_local()).await?;
            for line in summary.lines(&file) {
                println!("{line}");
            }
            Ok(())
        }
        Command::Restore { file, force } => {
            let options = minzheng::ops::RestoreOptions {
                force,
                key_path: Config {
                    key_file,
                    ..Config::new(&url)
                }
                .key_path(),
            };
            let lines = minzheng::ops::restore(
                &url,
                &file,
                &options,
                &Actor::cli(),
                SystemClock.now_local(),
            )
            .await?;
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Command::Accounts {
            command: AccountsCommand::Bootstrap,
        } => {
            let app = open_app(&url, key_file, Settings::default()).await?;
            let lines = minzheng::auth::provision::bootstrap(&app.state, &Actor::cli())
                .await
                .map_err(text)?;
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
    }
}

fn unknown_ledger(name: &str) -> String {
    format!(
        "没有名为「{name}」的台账；可用的台账：{}、{}、{}、{}、{}、{} / unknown ledger",
        minzheng::assistance::roster::NAME,
        minzheng::assistance::temporary::NAME,
        minzheng::elderly::ledgers::LEDGERS
            .map(|l| l.name())
            .join("、"),
        minzheng::community::ledgers::LEDGERS
            .map(|l| l.name())
            .join("、"),
        minzheng::affairs::funeral_ledgers::LEDGERS
            .map(|l| l.name())
            .join("、"),
        minzheng::affairs::marriage_ledger::NAME
    )
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path)
        .map_err(|e| format!("无法读取文件 {}：{e} / cannot read file", path.display()))
}

/// Prints every row error, optionally writes them as CSV, and returns the one-line summary.
fn import_failure(error: ImportError, errors_file: Option<&Path>) -> String {
    /// More than this many errors are not all printed: the list goes to --errors.
    const SHOWN: usize = 50;
    if let ImportError::Rejected(rows) = &error {
        for row in rows.iter().take(SHOWN) {
            eprintln!("  {row}");
        }
        if rows.len() > SHOWN {
            eprintln!(
                "  ……另有 {} 处错误未显示{}",
                rows.len() - SHOWN,
                if errors_file.is_some() {
                    "，完整清单见 --errors 文件"
                } else {
                    "；加 --errors 错误.csv 可得到完整清单"
                }
            );
        }
        if let Some(path) = errors_file
            && let Err(e) = write_error_file(rows, path)
        {
            eprintln!("  无法写入错误清单 {}：{e}", path.display());
        }
    }
    format!("{error} / import rejected, nothing stored")
}

fn write_error_file(rows: &[RowError], path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    write_errors_csv(rows, file)
}

fn print_demo(lines: &[String]) {
    println!("示范数据已建立 / demo city created:");
    for line in lines {
        println!("  {line}");
    }
}

async fn serve(app: App, addr: SocketAddr, with_demo: bool) -> Result<(), String> {
    if with_demo {
        let count = region::store::count(&app.state.db).await.map_err(text)?;
        if count == 0 {
            let lines = demo::build(
                &app.state.db,
                &app.state.keyring,
                DemoOptions::default(),
                app.state.clock.now(),
                &Actor::cli(),
            )
            .await
            .map_err(text)?;
            print_demo(&lines);
        } else {
            println!("数据库已有数据，跳过示范数据 / database not empty, demo skipped");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("无法监听 {addr}：{e} / cannot bind"))?;
    println!(
        "民政业务平台已启动：http://{addr}/ （数据库 {}）",
        app.state.db.backend().name()
    );
    let db = app.state.db.clone();
    axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("服务异常退出：{e}"))?;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
