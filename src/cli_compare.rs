//! `minzheng compare …`: loading a department's file as a new data set version, and
//! running the comparison over everyone in assistance.

use std::path::PathBuf;

use clap::Subcommand;
use minzheng::App;
use minzheng::audit::{Actor, AuditEvent};
use minzheng::compare::dataset::{self, LoadError, LoadRequest};
use minzheng::compare::service;
use minzheng::compare::sources::{SOURCES, Source};

use crate::text;

#[derive(Subcommand)]
pub enum CompareCommand {
    /// Load a department's file (CSV or XLSX) as a new version of its source
    Load {
        /// death, hukou, vehicle, property, business, payroll, social-insurance, deposit
        source: String,
        file: PathBuf,
        /// The day the department sent it (default: today)
        #[arg(long)]
        received: Option<String>,
    },
    /// Load every department's file found in a folder as `<source>.csv` or `<source>.xlsx`
    /// (e.g. death.csv, social-insurance.xlsx): the month's batch in one command
    LoadAll {
        folder: PathBuf,
        /// The day the departments sent them (default: today)
        #[arg(long)]
        received: Option<String>,
    },
    /// Match everyone in assistance against the latest version of each source
    Run {
        /// Only these sources, comma-separated (default: all)
        #[arg(long, value_delimiter = ',')]
        sources: Vec<String>,
    },
}

fn source(s: &str) -> Result<Source, String> {
    Source::parse(s).ok_or_else(|| {
        format!(
            "来源「{s}」无法识别，应为：{}",
            SOURCES.map(Source::code).join("、")
        )
    })
}

pub async fn run(app: &App, command: CompareCommand) -> Result<(), String> {
    let db = &app.state.db;
    let now = app.state.clock.now_local();
    let actor = Actor::cli();
    match command {
        CompareCommand::Load {
            source: s,
            file,
            received,
        } => load(app, source(&s)?, &file, received.as_deref()).await,
        CompareCommand::LoadAll { folder, received } => {
            let mut any = false;
            for s in SOURCES {
                for ext in ["csv", "xlsx"] {
                    let file = folder.join(format!("{}.{ext}", s.code()));
                    if file.exists() {
                        any = true;
                        load(app, s, &file, received.as_deref()).await?;
                    }
                }
            }
            if !any {
                return Err(format!(
                    "{} 中没有可导入的文件：文件名应为来源代码，如 death.csv、social-insurance.xlsx",
                    folder.display()
                ));
            }
            Ok(())
        }
        CompareCommand::Run { sources } => {
            let only: Vec<Source> = sources
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| source(s))
                .collect::<Result<_, _>>()?;
            let summary = service::run(db, &app.state.keyring, &only, &actor, now)
                .await
                .map_err(text)?;
            println!(
                "第 {} 次比对：在救助中的 {} 人，新发现疑点 {} 条",
                summary.run_id, summary.people, summary.new_findings
            );
            for (code, c) in &summary.sources {
                let label =
                    Source::parse(code).map_or_else(|| code.clone(), |s| s.label().to_string());
                println!(
                    "  {label}（第 {} 号数据集）：身份证号一致 {} 行，模糊匹配 {} 行，疑点 {}，其中新 {} 条",
                    c.dataset_id,
                    c.exact_rows,
                    c.fuzzy_rows,
                    by_rule(&c.findings),
                    c.new_findings
                );
            }
            if !summary.internal.is_empty() {
                println!("  本系统记录：{}", by_rule(&summary.internal));
            }
            Ok(())
        }
    }
}

/// 「车辆超限 3 条、名下多套住房 1 条」, or 「无」.
fn by_rule(counts: &std::collections::BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "无".to_string();
    }
    counts
        .iter()
        .map(|(code, n)| {
            let label =
                minzheng::compare::rules::Rule::parse(code).map_or(code.as_str(), |r| r.label());
            format!("{label} {n} 条")
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Loads one file as a new version of `source`, printing what it found.
async fn load(
    app: &App,
    source: Source,
    file: &std::path::Path,
    received: Option<&str>,
) -> Result<(), String> {
    let db = &app.state.db;
    let now = app.state.clock.now_local();
    let actor = Actor::cli();
    let received_on = match received {
        Some(d) => minzheng::calendar::parse_date(d)
            .ok_or_else(|| format!("--received：「{d}」不是日期"))?,
        None => now.date_naive(),
    };
    let input =
        std::fs::File::open(file).map_err(|e| format!("无法读取 {}：{e}", file.display()))?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let request = LoadRequest {
        source,
        file_name,
        received_on,
        by: actor.username.clone(),
        at: now.to_rfc3339(),
    };
    let event = AuditEvent::new(now, &actor, "compare.load", "compare_dataset", "");
    let loaded = dataset::load(db, app.state.keyring.clone(), request, input, event)
        .await
        .map_err(|e| match e {
            LoadError::File(m) => format!("{}：{m}", file.display()),
            LoadError::Database(e) => text(e),
        })?;
    if loaded.already {
        println!(
            "{}：与第 {} 号数据集内容相同，未重复导入。",
            source.label(),
            loaded.dataset_id
        );
        return Ok(());
    }
    println!(
        "{}：第 {} 号数据集，{} 行，有效 {} 行，另存 {} 行（校验和 {}）",
        source.label(),
        loaded.dataset_id,
        loaded.rows,
        loaded.valid,
        loaded.invalid,
        &loaded.checksum[..16]
    );
    for e in &loaded.examples {
        println!("  第 {} 行 {}：{}", e.row, e.id_number, e.reason);
    }
    Ok(())
}
