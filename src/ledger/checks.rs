//! What every ledger import shares beyond reading the sheet: the counts it reports, the
//! region test it is given, and the row checks (a coded list, a day not after today, a
//! key seen twice in the file) that name the row and column.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::sheet::RowReader;
use super::{ImportError, RowError};

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Imported {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
}

/// Whether a region code (a community, a district) may be written by the importer.
pub type InScope<'a> = &'a (dyn Fn(&str) -> bool + Sync);

/// The rows' errors, in row order, as the import's refusal.
pub fn rejected(mut errors: Vec<RowError>) -> ImportError {
    errors.sort_by_key(|e| e.row);
    ImportError::Rejected(errors)
}

/// A label of a coded list, or an error naming what is accepted.
pub fn coded<T>(
    r: &mut RowReader<'_>,
    column: usize,
    parse: fn(&str) -> Option<T>,
    labels: String,
) -> Option<T> {
    let text = r.text(column)?;
    let parsed = parse(&text);
    if parsed.is_none() {
        r.fail(column, format!("应为以下之一：{labels}"));
    }
    parsed
}

/// A day after today is an error on the row.
pub fn not_after_today(
    r: &mut RowReader<'_>,
    column: usize,
    day: Option<NaiveDate>,
    today: NaiveDate,
) {
    if let Some(d) = day.filter(|d| *d > today) {
        r.fail(column, format!("{d} 晚于今天"));
    }
}

/// A row's key seen before in the file: an error naming the first row.
pub fn once<K: std::hash::Hash + Eq>(
    seen: &mut HashMap<K, usize>,
    key: K,
    row: usize,
    errors: &mut Vec<RowError>,
    (column, value): (&str, String),
) -> bool {
    if let Some(first) = seen.get(&key) {
        errors.push(RowError::new(
            row,
            column,
            value,
            format!("与第 {first} 行重复（同一条记录只能出现一次）"),
        ));
        return false;
    }
    seen.insert(key, row);
    true
}

/// A region code cell: one of `known` (the division the column names, e.g. 「12 位社区/村」)
/// and within the importer's region; otherwise the row's error says which.
pub fn region_in(
    r: &mut RowReader<'_>,
    column: usize,
    known: &HashSet<String>,
    what: &str,
    in_scope: InScope<'_>,
) -> Option<String> {
    let code = r.code(column)?;
    if !known.contains(&code) {
        r.fail(column, format!("不是行政区划中已有的{what}代码"));
        None
    } else if !in_scope(&code) {
        r.fail(column, "不在您的管辖范围内，不能由您导入");
        None
    } else {
        Some(code)
    }
}

/// The longest person's name taken: the resident ID card prints names of well under
/// this (transliterated minority names included), so a longer cell is a pasted row or
/// garbage, refused before it reaches every page and export.
pub const MAX_NAME_CHARS: usize = 50;

/// A person's name cell: required text of at most `MAX_NAME_CHARS` characters with no
/// control characters. Anything else (markup, quotes, emoji, rare characters such as 𠮷)
/// is kept exactly as written: pages escape it and SQL only ever binds it.
pub fn person_name(r: &mut RowReader<'_>, column: usize) -> Option<String> {
    let name = r.text(column)?;
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        r.fail(
            column,
            format!(
                "姓名过长（{chars} 个字符），最多 {MAX_NAME_CHARS} 个字符：请核对是否粘贴了整行"
            ),
        );
        None
    } else if name.chars().any(char::is_control) {
        r.fail(column, "姓名中有换行或控制字符，请删除后再导入");
        None
    } else {
        Some(name)
    }
}
