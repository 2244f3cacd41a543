//! Checks on a region file against the tree already stored. Pure: no database here.

use std::collections::{HashMap, HashSet};

use super::model::{Level, Region, RegionCode, UrbanRural};
use crate::ledger::RowError;

pub const COL_CODE: &str = "code（区划代码）";
pub const COL_NAME: &str = "name（名称）";
pub const COL_URBAN_RURAL: &str = "urban_rural（城乡属性）";
pub const COL_ENABLED: &str = "enabled（是否启用）";

/// A row as read from the file, before any checks.
#[derive(Debug, Clone, Default)]
pub struct RegionRow {
    pub line: usize,
    pub code: String,
    pub name: String,
    pub urban_rural: String,
    /// Empty when the file has no such column (then: enabled).
    pub enabled: String,
}

const MAX_NAME_CHARS: usize = 50;

/// Validates all rows together; `existing` is every code already in the tree. Returns the
/// regions to store (parents before children) or every error found.
pub fn validate_rows(
    rows: &[RegionRow],
    existing: &HashSet<String>,
    existing_city: Option<&str>,
) -> Result<Vec<Region>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    // Every well-formed code in the file, even on rows with other errors: a child of such
    // a row must not be told its parent is missing (the parent's own error is listed).
    let coded_in_file: HashSet<String> = rows
        .iter()
        .filter_map(|r| RegionCode::parse(&r.code).ok())
        .map(|c| c.to_string())
        .collect();
    let mut parsed: Vec<(usize, Region)> = Vec::new();

    for row in rows {
        let before = errors.len();
        let code = match RegionCode::parse(&row.code) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(RowError::new(row.line, COL_CODE, &row.code, e.to_string()));
                None
            }
        };
        if let Some(line) = first_line.get(row.code.as_str()) {
            errors.push(RowError::new(
                row.line,
                COL_CODE,
                &row.code,
                format!("与第 {line} 行的代码重复，每个区划只能出现一次"),
            ));
        } else {
            first_line.insert(row.code.as_str(), row.line);
        }
        let name = row.name.trim();
        if name.is_empty() {
            errors.push(RowError::new(row.line, COL_NAME, "", "名称不能为空"));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(RowError::new(
                row.line,
                COL_NAME,
                name,
                format!("名称过长（最多 {MAX_NAME_CHARS} 个字）"),
            ));
        }
        let enabled = match row.enabled.trim() {
            "" | "是" => true,
            "否" => false,
            other => {
                errors.push(RowError::new(
                    row.line,
                    COL_ENABLED,
                    other,
                    "应为「是」或「否」",
                ));
                true
            }
        };
        let Some(code) = code else { continue };
        let level = code.level();
        let ur_text = row.urban_rural.trim();
        let urban_rural = match (level, ur_text) {
            (Level::Community, text) => match UrbanRural::from_label(text) {
                Some(ur) => Some(ur),
                None => {
                    errors.push(RowError::new(
                        row.line,
                        COL_URBAN_RURAL,
                        text,
                        "社区/村（12 位代码）必须标明「城镇」或「农村」",
                    ));
                    None
                }
            },
            (_, "") => None,
            (_, text) => {
                errors.push(RowError::new(
                    row.line,
                    COL_URBAN_RURAL,
                    text,
                    "只有社区/村（12 位代码）填写城乡属性，其他级别请留空",
                ));
                None
            }
        };
        if errors.len() == before {
            parsed.push((
                row.line,
                Region {
                    code,
                    name: name.to_string(),
                    level,
                    urban_rural,
                    enabled,
                },
            ));
        }
    }

    // Tree-shape checks need the whole file: one city, and every parent present.
    let file_cities: Vec<&(usize, Region)> = parsed
        .iter()
        .filter(|(_, r)| r.level == Level::City)
        .collect();
    let mut city: Option<String> = existing_city.map(str::to_string);
    for (line, region) in &file_cities {
        match &city {
            Some(c) if c != region.code.as_str() => errors.push(RowError::new(
                *line,
                COL_CODE,
                region.code.as_str(),
                format!("系统只管理一个市，已有市级区划 {c}；请检查代码"),
            )),
            _ => city = Some(region.code.as_str().to_string()),
        }
    }
    for (line, region) in &parsed {
        if region.level == Level::District
            && let Some(c) = &city
            && region.code.as_str()[..4] != c[..4]
        {
            errors.push(RowError::new(
                *line,
                COL_CODE,
                region.code.as_str(),
                format!("区县代码的前四位应与市代码 {c} 相同"),
            ));
            continue;
        }
        if let Some(parent) = region.code.parent() {
            let p = parent.as_str();
            if !coded_in_file.contains(p) && !existing.contains(p) {
                errors.push(RowError::new(
                    *line,
                    COL_CODE,
                    region.code.as_str(),
                    format!("上级区划 {p} 不存在，请先导入上级或在本文件中加入"),
                ));
            }
        }
    }

    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(errors);
    }
    let mut regions: Vec<Region> = parsed.into_iter().map(|(_, r)| r).collect();
    regions.sort_by(|a, b| a.level.cmp(&b.level).then(a.code.cmp(&b.code)));
    Ok(regions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, code: &str, name: &str, ur: &str) -> RegionRow {
        RegionRow {
            line,
            code: code.into(),
            name: name.into(),
            urban_rural: ur.into(),
            enabled: String::new(),
        }
    }

    #[test]
    fn a_good_tree_is_ordered_parents_first() {
        let rows = vec![
            row(2, "369902001003", "幸福社区", "城镇"),
            row(3, "369902001", "东湖街道", ""),
            row(4, "369902", "东城区", ""),
            row(5, "369900", "示范市", ""),
        ];
        let regions = validate_rows(&rows, &HashSet::new(), None).unwrap();
        let codes: Vec<&str> = regions.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, vec!["369900", "369902", "369902001", "369902001003"]);
        assert_eq!(regions[3].urban_rural, Some(UrbanRural::Urban));
    }

    #[test]
    fn every_error_is_listed_with_its_line() {
        let rows = vec![
            row(2, "369900", "示范市", ""),
            row(3, "3699021", "错位区", ""),        // 7 digits
            row(4, "369802", "外市区", ""),         // district of another city
            row(5, "369902001", "孤街道", ""),      // parent 369902 missing
            row(6, "369900", "重复市", ""),         // duplicate
            row(7, "369902001001", "", "城镇"),     // empty name
            row(8, "369903", "西城区", "城镇"),     // flag on a district
            row(9, "369903001001", "某村", "郊区"), // bad flag, parent missing
        ];
        let errors = validate_rows(&rows, &HashSet::new(), None).unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, COL_CODE),
                (4, COL_CODE),
                (5, COL_CODE),
                (6, COL_CODE),
                (7, COL_NAME),
                (8, COL_URBAN_RURAL),
                (9, COL_URBAN_RURAL),
            ]
        );
        assert!(errors[2].reason.contains("369902 不存在"));
    }

    #[test]
    fn a_parent_row_with_its_own_error_is_not_reported_missing() {
        let rows = vec![
            row(1, "369900", "示范市", ""),
            row(2, "369902", "", ""), // empty name
            row(3, "369902001", "解放街道", ""),
        ];
        let errors = validate_rows(&rows, &HashSet::new(), None).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].row, 2);
    }

    #[test]
    fn the_enabled_column_takes_yes_or_no() {
        let mut r = row(1, "369900", "示范市", "");
        r.enabled = "否".into();
        let ok = validate_rows(std::slice::from_ref(&r), &HashSet::new(), None).unwrap();
        assert!(!ok[0].enabled);
        r.enabled = "停用".into();
        let errors = validate_rows(&[r], &HashSet::new(), None).unwrap_err();
        assert_eq!(errors[0].column, COL_ENABLED);
    }

    #[test]
    fn parents_already_stored_are_accepted_and_a_second_city_is_not() {
        let existing: HashSet<String> =
            ["369900", "369902"].iter().map(|s| s.to_string()).collect();
        let rows = vec![row(1, "369902002", "西湖街道", "")];
        assert!(validate_rows(&rows, &existing, Some("369900")).is_ok());
        let rows = vec![row(1, "369800", "别的市", "")];
        let errors = validate_rows(&rows, &existing, Some("369900")).unwrap_err();
        assert!(errors[0].reason.contains("只管理一个市"));
    }
}
