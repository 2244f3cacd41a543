//! The holiday table: import from the yearly notice (CSV `date,休|班`) and load.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use sqlx::Row;

use super::{DayKind, WorkCalendar, parse_date};
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::ledger::{ImportError, RowError, decode_text, read_csv_records};

/// Result of a successful holiday import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarImport {
    pub rows: usize,
    pub rest_days: usize,
    pub work_days: usize,
}

/// Checks every row of a holiday file; returns the days or every error found.
pub fn parse_holiday_file(bytes: &[u8]) -> Result<Vec<(NaiveDate, DayKind)>, ImportError> {
    let text = decode_text(bytes)?;
    let records = read_csv_records(&text)?;
    let mut errors = Vec::new();
    let mut days: BTreeMap<NaiveDate, (usize, DayKind)> = BTreeMap::new();
    for (index, (line, fields)) in records.iter().enumerate() {
        let first = fields.first().map(String::as_str).unwrap_or("");
        // An optional header row.
        if index == 0 && matches!(first, "date" | "日期") {
            continue;
        }
        let kind_text = fields.get(1).map(String::as_str).unwrap_or("");
        if fields.len() > 2 && fields[2..].iter().any(|f| !f.is_empty()) {
            errors.push(RowError::new(
                *line,
                "(整行)",
                fields.join(","),
                "每行只应有两列：日期,休 或 日期,班",
            ));
            continue;
        }
        let date = parse_date(first);
        if date.is_none() {
            errors.push(RowError::new(
                *line,
                "日期",
                first,
                "不是有效日期，请写成 2026-10-01 的形式",
            ));
        }
        let kind = match kind_text {
            "休" => Some(DayKind::Rest),
            "班" => Some(DayKind::Work),
            _ => {
                errors.push(RowError::new(
                    *line,
                    "类型",
                    kind_text,
                    "应为「休」（放假）或「班」（调休上班）",
                ));
                None
            }
        };
        let (Some(date), Some(kind)) = (date, kind) else {
            continue;
        };
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if kind == DayKind::Work && !weekend {
            errors.push(RowError::new(
                *line,
                "类型",
                kind_text,
                format!("{date} 是工作日，「班」只用于周末调休上班的日子"),
            ));
            continue;
        }
        if let Some((earlier, earlier_kind)) = days.get(&date) {
            if *earlier_kind != kind {
                errors.push(RowError::new(
                    *line,
                    "日期",
                    first,
                    format!("与第 {earlier} 行重复且类型不同"),
                ));
            }
            continue;
        }
        days.insert(date, (*line, kind));
    }
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors));
    }
    Ok(days.into_iter().map(|(d, (_, k))| (d, k)).collect())
}

/// Imports a holiday file: all rows or none. Days already present are updated, so
/// importing the same file again changes nothing.
pub async fn import_holidays(
    db: &Db,
    bytes: &[u8],
    audit: &AuditEvent,
) -> Result<CalendarImport, ImportError> {
    let days = parse_holiday_file(bytes)?;
    let mut tx = db.begin().await?;
    for (day, kind) in &days {
        sqlx::query(
            "INSERT INTO holidays (day, kind) VALUES ($1, $2) \
             ON CONFLICT (day) DO UPDATE SET kind = excluded.kind",
        )
        .bind(day.to_string())
        .bind(kind.code())
        .execute(&mut *tx)
        .await?;
    }
    let done = CalendarImport {
        rows: days.len(),
        rest_days: days.iter().filter(|d| d.1 == DayKind::Rest).count(),
        work_days: days.iter().filter(|d| d.1 == DayKind::Work).count(),
    };
    let event = audit.clone().with(serde_json::json!({"rows": done.rows}));
    crate::audit::record(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(done)
}

/// Loads the whole holiday table (a few dozen rows a year).
pub async fn load_calendar(db: &Db) -> Result<WorkCalendar, sqlx::Error> {
    let rows = sqlx::query("SELECT day, kind FROM holidays ORDER BY day")
        .fetch_all(db.pool())
        .await?;
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        let day: String = row.try_get("day")?;
        let kind: String = row.try_get("kind")?;
        if let (Ok(day), Some(kind)) = (day.parse::<NaiveDate>(), DayKind::from_code(&kind)) {
            days.push((day, kind));
        }
    }
    Ok(WorkCalendar::new(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_row_is_reported_by_line() {
        let file = "date,kind\n2026-10-01,休\n2026-13-01,休\n2026-10-02,假\n2026-09-30,班\n\n2026-10-01,班\n";
        let Err(ImportError::Rejected(errors)) = parse_holiday_file(file.as_bytes()) else {
            panic!("expected rejection");
        };
        let lines: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            lines,
            vec![(3, "日期"), (4, "类型"), (5, "类型"), (7, "类型")]
        );
    }

    #[test]
    fn good_file_parses() {
        let file = "\u{feff}2026-10-01,休\n2026/10/2,休\n2026-10-10,班\n";
        let days = parse_holiday_file(file.as_bytes()).unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[2].1, DayKind::Work);
    }
}
