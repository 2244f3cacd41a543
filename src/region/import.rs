//! `minzheng regions import FILE`: a CSV of `code,name,urban_rural` rows, all or nothing.

use super::rules::{COL_NAME, COL_URBAN_RURAL, RegionRow, validate_rows};
use super::store;
use crate::audit::AuditEvent;
use crate::db::Db;
use crate::ledger::{ImportError, RowError, decode_text, read_csv_records};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionImport {
    pub rows: usize,
    pub communities: usize,
}

/// Header names accepted for each column (English as documented, Chinese as bureaus write).
const CODE_NAMES: [&str; 3] = ["code", "代码", "区划代码"];
const NAME_NAMES: [&str; 2] = ["name", "名称"];
const UR_NAMES: [&str; 3] = ["urban_rural", "城乡", "城乡属性"];
const ENABLED_NAMES: [&str; 2] = ["enabled", "是否启用"];

/// Reads the file into rows. A header row is optional: without one, the columns are
/// `code,name,urban_rural` in that order.
pub fn parse_region_file(bytes: &[u8]) -> Result<Vec<RegionRow>, ImportError> {
    let text = decode_text(bytes)?;
    let records = read_csv_records(&text)?;
    let Some((first_line, first)) = records.first() else {
        return Err(ImportError::Rejected(vec![RowError::new(
            1,
            "(文件)",
            "",
            "文件没有任何数据行",
        )]));
    };
    let find = |names: &[&str]| first.iter().position(|h| names.contains(&h.as_str()));
    let has_header = find(&CODE_NAMES).is_some();
    let (code_i, name_i, ur_i, enabled_i, skip) = if has_header {
        let mut missing = Vec::new();
        let code_i = find(&CODE_NAMES);
        let name_i = find(&NAME_NAMES);
        let ur_i = find(&UR_NAMES);
        for (col, found) in [(COL_NAME, name_i), (COL_URBAN_RURAL, ur_i)] {
            if found.is_none() {
                missing.push(RowError::new(*first_line, col, "", "表头缺少这一列"));
            }
        }
        if !missing.is_empty() {
            return Err(ImportError::Rejected(missing));
        }
        (
            code_i.unwrap_or(0),
            name_i.unwrap_or(1),
            ur_i.unwrap_or(2),
            find(&ENABLED_NAMES),
            1,
        )
    } else {
        (0, 1, 2, None, 0)
    };
    let cell = |fields: &[String], i: usize| fields.get(i).cloned().unwrap_or_default();
    Ok(records
        .iter()
        .skip(skip)
        .map(|(line, fields)| RegionRow {
            line: *line,
            code: cell(fields, code_i),
            name: cell(fields, name_i),
            urban_rural: cell(fields, ur_i),
            enabled: enabled_i.map(|i| cell(fields, i)).unwrap_or_default(),
        })
        .collect())
}

/// Checks the whole file against the stored tree and stores it, with its audit entry, in
/// one transaction.
pub async fn import_regions(
    db: &Db,
    bytes: &[u8],
    audit: &AuditEvent,
) -> Result<RegionImport, ImportError> {
    let rows = parse_region_file(bytes)?;
    let (existing, city) = store::known_codes(db).await?;
    let regions =
        validate_rows(&rows, &existing, city.as_deref()).map_err(ImportError::Rejected)?;
    let done = RegionImport {
        rows: regions.len(),
        communities: regions
            .iter()
            .filter(|r| r.level == super::Level::Community)
            .count(),
    };
    let mut tx = db.begin().await?;
    store::upsert(&mut tx, &regions).await?;
    let event = audit
        .clone()
        .with(serde_json::json!({"rows": done.rows, "communities": done.communities}));
    crate::audit::record(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_optional_and_columns_may_move() {
        let rows = parse_region_file("369900,示范市,\n369902,东城区,\n".as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].name, "东城区");
        let rows = parse_region_file("\u{feff}name,urban_rural,code\n示范市,,369900\n".as_bytes())
            .unwrap();
        assert_eq!(rows[0].code, "369900");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn missing_columns_are_named() {
        let Err(ImportError::Rejected(errors)) =
            parse_region_file("code,name\n369900,示范市\n".as_bytes())
        else {
            panic!("expected rejection");
        };
        assert_eq!(errors[0].column, COL_URBAN_RURAL);
    }
}
