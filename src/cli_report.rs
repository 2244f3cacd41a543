//! `minzheng report …`: the quarterly report and the balance analysis from the command
//! line, printed or written to a file.

use std::path::PathBuf;

use clap::Subcommand;
use minzheng::db::Db;

use crate::text;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// The quarterly figures of METRICS.md (every X of the speech)
    Quarterly {
        /// e.g. 2026Q3
        #[arg(long)]
        quarter: String,
        /// A region's subtree (default: the whole city)
        #[arg(long)]
        region: Option<String>,
        /// json, text (section 一 of the speech with the figures filled in), html or xlsx
        #[arg(long, default_value = "json")]
        format: String,
        /// Write to this file instead of standard output (required for xlsx)
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The balance analysis of the districts (DOMAIN.md §7) with the eight-quarter trend
    Balance {
        /// e.g. 2026Q3
        #[arg(long)]
        quarter: String,
        /// json or xlsx
        #[arg(long, default_value = "json")]
        format: String,
        /// Write to this file instead of standard output (required for xlsx)
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

pub async fn run(db: &Db, command: ReportCommand) -> Result<(), String> {
    match command {
        ReportCommand::Quarterly {
            quarter,
            region,
            format,
            output,
        } => {
            if !matches!(format.as_str(), "json" | "text" | "html" | "xlsx") {
                return Err(format!(
                    "--format：应为 json、text、html 或 xlsx，现为「{format}」"
                ));
            }
            if format == "xlsx" && output.is_none() {
                return Err("--format xlsx 需要 --output 文件名.xlsx".to_string());
            }
            let bytes: Vec<u8> = match format.as_str() {
                "json" => {
                    let report =
                        minzheng::report::quarterly_for(db, &quarter, region.as_deref()).await?;
                    format!("{}\n", serde_json::to_string_pretty(&report).map_err(text)?)
                        .into_bytes()
                }
                "text" => {
                    let report =
                        minzheng::report::quarterly_for(db, &quarter, region.as_deref()).await?;
                    minzheng::report::text(&report).into_bytes()
                }
                other => {
                    let (report, parts) =
                        minzheng::report::quarterly_with_parts(db, &quarter, region.as_deref())
                            .await?;
                    match other {
                        "html" => minzheng::report::html(&report, &parts)?.into_bytes(),
                        _ => {
                            let balance = minzheng::report::balance_for_city(db, &report)
                                .await
                                .map_err(text)?;
                            minzheng::report::xlsx(&report, &parts, balance.as_ref())?
                        }
                    }
                }
            };
            write_out(output, &bytes)
        }
        ReportCommand::Balance {
            quarter,
            format,
            output,
        } => {
            if !matches!(format.as_str(), "json" | "xlsx") {
                return Err(format!("--format：应为 json 或 xlsx，现为「{format}」"));
            }
            if format == "xlsx" && output.is_none() {
                return Err("--format xlsx 需要 --output 文件名.xlsx".to_string());
            }
            let (balance, trend) = minzheng::report::balance_web::for_cli(db, &quarter).await?;
            let bytes = if format == "xlsx" {
                minzheng::report::workbook::balance_workbook(&balance)?
            } else {
                let json = minzheng::report::balance_web::as_json(&balance, &trend);
                format!("{}\n", serde_json::to_string_pretty(&json).map_err(text)?).into_bytes()
            };
            write_out(output, &bytes)
        }
    }
}

/// A command's result to the file asked for, or to standard output.
fn write_out(output: Option<PathBuf>, bytes: &[u8]) -> Result<(), String> {
    match output {
        Some(path) => {
            std::fs::write(&path, bytes).map_err(|e| format!("无法写入 {}：{e}", path.display()))
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(bytes).map_err(text)
        }
    }
}
