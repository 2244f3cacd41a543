//! `minzheng payroll …`: generating the month's payrolls and writing their bank files from
//! the command line (the operator's batch run; approval stays a person's step on the web).

use std::path::PathBuf;

use clap::Subcommand;
use minzheng::App;
use minzheng::assistance::model::Program;
use minzheng::audit::Actor;
use minzheng::payments::Month;
use minzheng::payments::service::{self, FileFormat};
use minzheng::payments::store::{self, GenerateError};
use minzheng::region::{Level, RegionCode};

use crate::text;

#[derive(Subcommand)]
pub enum PayrollCommand {
    /// Generate (or, before submission, make again) the payroll of a month
    Generate {
        /// e.g. 2026-11
        #[arg(long)]
        month: String,
        /// dibao or tekun
        #[arg(long, default_value = "dibao")]
        program: String,
        /// One district (default: every district)
        #[arg(long)]
        district: Option<String>,
    },
    /// Write the bank file of every approved payroll of a month into a folder
    Export {
        #[arg(long)]
        month: String,
        #[arg(long, default_value = "dibao")]
        program: String,
        /// csv or xlsx
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        output_dir: PathBuf,
    },
}

fn parse(month: &str, program: &str) -> Result<(Month, Program), String> {
    let month: Month = month.parse().map_err(|e| format!("--month：{e}"))?;
    let program = Program::from_code(program)
        .ok_or_else(|| format!("--program：应为 dibao 或 tekun，现为「{program}」"))?;
    Ok((month, program))
}

pub async fn run(app: &App, command: PayrollCommand) -> Result<(), String> {
    let db = &app.state.db;
    let now = app.state.clock.now_local();
    let actor = Actor::cli();
    match command {
        PayrollCommand::Generate {
            month,
            program,
            district,
        } => {
            let (month, program) = parse(&month, &program)?;
            let districts: Vec<RegionCode> = match district {
                Some(code) => {
                    let parsed = RegionCode::parse(&code)
                        .ok()
                        .filter(|c| c.level() == Level::District)
                        .ok_or_else(|| format!("--district：「{code}」不是 6 位区县代码"))?;
                    minzheng::region::store::get(db, parsed.as_str())
                        .await
                        .map_err(text)?
                        .ok_or_else(|| format!("--district：区县 {code} 不在行政区划中"))?;
                    vec![parsed]
                }
                None => {
                    let city = minzheng::region::store::city(db)
                        .await
                        .map_err(text)?
                        .ok_or("还没有导入行政区划")?;
                    minzheng::region::store::districts_for(db, &city.code)
                        .await
                        .map_err(text)?
                        .into_iter()
                        .map(|d| d.code)
                        .collect()
                }
            };
            for d in districts {
                match service::generate(db, month, program, &d, &actor, now).await {
                    Ok(made) => {
                        let g = made.generated;
                        let p = store::get(db, g.payroll_id).await.map_err(text)?;
                        let (lines, total) =
                            p.map_or((0, String::new()), |p| (p.lines, p.total.to_display()));
                        println!(
                            "{d} {month} {}：第 {} 号名册 {lines} 笔 {total} 元（当月 {}、补发 {}、重发 {}；无户主 {}、无账号 {}；新异常 {}）",
                            program.label(),
                            g.payroll_id,
                            g.regular,
                            g.arrears,
                            g.reissued,
                            g.without_payee,
                            g.without_account,
                            made.anomalies
                        );
                    }
                    Err(GenerateError::Refused(why)) => println!("{d}：{why}"),
                    Err(GenerateError::Database(e)) => return Err(e.to_string()),
                }
            }
            Ok(())
        }
        PayrollCommand::Export {
            month,
            program,
            format,
            output_dir,
        } => {
            let (month, program) = parse(&month, &program)?;
            let format = match format.as_str() {
                "csv" => FileFormat::Csv,
                "xlsx" => FileFormat::Xlsx,
                other => return Err(format!("--format：应为 csv 或 xlsx，现为「{other}」")),
            };
            std::fs::create_dir_all(&output_dir)
                .map_err(|e| format!("无法建立 {}：{e}", output_dir.display()))?;
            let all = ("0".to_string(), "9".to_string());
            let payrolls = store::list(db, &all).await.map_err(text)?;
            let mine: Vec<_> = payrolls
                .into_iter()
                .filter(|p| p.month == month.to_string() && p.program == program.code())
                .collect();
            if mine.is_empty() {
                return Err(format!("{month} 没有{}名册", program.label()));
            }
            for p in mine {
                let ext = if format == FileFormat::Xlsx {
                    "xlsx"
                } else {
                    "csv"
                };
                let path = output_dir.join(format!(
                    "payroll-{}-{}-{}.{ext}",
                    p.month, p.program, p.district_code
                ));
                let file = std::fs::File::create(&path)
                    .map_err(|e| format!("无法写入 {}：{e}", path.display()))?;
                let out = std::io::BufWriter::new(file);
                match service::export(db, &app.state.keyring, &p, format, out, &actor, now).await {
                    Ok((n, fen)) => println!(
                        "{}：{n} 笔 {} 元 → {}",
                        p.district_code,
                        minzheng::money::Fen(fen),
                        path.display()
                    ),
                    Err(why) => {
                        let _ = std::fs::remove_file(&path);
                        println!("{}：{why}", p.district_code);
                    }
                }
            }
            Ok(())
        }
    }
}
