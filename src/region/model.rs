use std::fmt;

use serde::Serialize;

/// The four levels of the tree, with the code length of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    City,
    District,
    Street,
    Community,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
        }
    }
    pub fn from_code(s: &str) -> Option<Level> {
        match s {
            "city" => Some(Level::City),
            "district" => Some(Level::District),
            "street" => Some(Level::Street),
            "community" => Some(Level::Community),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Level::City => "市",
            Level::District => "区/县",
            Level::Street => "街道/乡镇",
            Level::Community => "社区/村",
        }
    }
    pub fn child(self) -> Option<Level> {
        match self {
            Level::City => Some(Level::District),
            Level::District => Some(Level::Street),
            Level::Street => Some(Level::Community),
            Level::Community => None,
        }
    }
}

/// Urban (城镇) or rural (农村): decides which standard applies to a household.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UrbanRural {
    Urban,
    Rural,
}

impl UrbanRural {
    pub fn code(self) -> &'static str {
        match self {
            UrbanRural::Urban => "urban",
            UrbanRural::Rural => "rural",
        }
    }
    pub fn from_code(s: &str) -> Option<UrbanRural> {
        match s {
            "urban" => Some(UrbanRural::Urban),
            "rural" => Some(UrbanRural::Rural),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            UrbanRural::Urban => "城镇",
            UrbanRural::Rural => "农村",
        }
    }
    pub fn from_label(s: &str) -> Option<UrbanRural> {
        match s {
            "城镇" => Some(UrbanRural::Urban),
            "农村" => Some(UrbanRural::Rural),
            _ => None,
        }
    }
}

/// A well-formed division code: 6 digits (city ending `00`, or district), 9 (street or
/// township) or 12 (community or village). Well-formed says nothing about existence.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RegionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("区划代码只能由数字组成")]
    NotDigits,
    #[error("区划代码应为 6 位（市、区县）、9 位（街道乡镇）或 12 位（社区村），实际为 {0} 位")]
    Length(usize),
    #[error("区划代码末三位不能是 000")]
    ZeroSegment,
    #[error("街道乡镇和社区村代码的前六位应为区县代码（不能以 00 结尾）")]
    NoDistrict,
    #[error("区划代码前两位 {0} 不是有效的省级代码")]
    Province(String),
    #[error("市级代码的第 3–4 位不能是 00")]
    Prefecture,
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<RegionCode, CodeError> {
        let s = input.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
            return Err(CodeError::NotDigits);
        }
        if !crate::ids::idcard::is_province(&s[..2.min(s.len())]) {
            return Err(CodeError::Province(s[..2.min(s.len())].to_string()));
        }
        match s.len() {
            6 if &s[2..4] == "00" => return Err(CodeError::Prefecture),
            6 => {}
            9 | 12 => {
                if s.ends_with("000") || s[6..9] == *"000" {
                    return Err(CodeError::ZeroSegment);
                }
                if s[..6].ends_with("00") {
                    return Err(CodeError::NoDistrict);
                }
            }
            n => return Err(CodeError::Length(n)),
        }
        Ok(RegionCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        match self.0.len() {
            6 if self.0.ends_with("00") => Level::City,
            6 => Level::District,
            9 => Level::Street,
            _ => Level::Community,
        }
    }

    /// The parent's code, derived as DOMAIN.md §1 says; `None` for the city.
    pub fn parent(&self) -> Option<RegionCode> {
        match self.level() {
            Level::City => None,
            Level::District => Some(RegionCode(format!("{}00", &self.0[..4]))),
            Level::Street => Some(RegionCode(self.0[..6].to_string())),
            Level::Community => Some(RegionCode(self.0[..9].to_string())),
        }
    }

    /// Codes from the city down to this node, inclusive.
    pub fn ancestry(&self) -> Vec<RegionCode> {
        let mut chain = vec![self.clone()];
        while let Some(parent) = chain.last().and_then(RegionCode::parent) {
            chain.push(parent);
        }
        chain.reverse();
        chain
    }

    /// Every code in this node's subtree starts with this prefix, and no other code does
    /// (a city's districts share only its first four digits).
    pub fn subtree_prefix(&self) -> &str {
        match self.level() {
            Level::City => &self.0[..4],
            _ => &self.0,
        }
    }

    pub fn scope(&self) -> RegionScope {
        RegionScope { root: self.clone() }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}

/// A data scope: the subtree under one node. Later modules filter every list with
/// `sql_bounds` and check every single record with `contains`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionScope {
    root: RegionCode,
}

impl RegionScope {
    pub fn root(&self) -> &RegionCode {
        &self.root
    }

    /// Whether a record filed under `code` (any level) lies in this scope.
    pub fn contains(&self, code: &str) -> bool {
        code.starts_with(self.root.subtree_prefix())
            && RegionCode::parse(code).is_ok_and(|c| c.level() >= self.root.level())
    }

    /// Bounds for `region_code >= $1 AND region_code < $2` filters (see
    /// `db::prefix_bounds`).
    pub fn sql_bounds(&self) -> (String, String) {
        crate::db::prefix_bounds(self.root.subtree_prefix())
    }
}

/// One node of the tree as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: Level,
    pub urban_rural: Option<UrbanRural>,
    pub enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_and_parents_follow_domain_md() {
        assert_eq!(code("369900").level(), Level::City);
        assert_eq!(code("369902").level(), Level::District);
        assert_eq!(code("369902").parent(), Some(code("369900")));
        assert_eq!(code("369902001").parent(), Some(code("369902")));
        assert_eq!(code("369902001003").parent(), Some(code("369902001")));
        assert_eq!(code("369900").parent(), None);
        assert_eq!(
            code("369902001003").ancestry(),
            vec![
                code("369900"),
                code("369902"),
                code("369902001"),
                code("369902001003")
            ]
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        assert_eq!(RegionCode::parse("36990"), Err(CodeError::Length(5)));
        assert_eq!(RegionCode::parse("36990a"), Err(CodeError::NotDigits));
        assert_eq!(RegionCode::parse(""), Err(CodeError::NotDigits));
        assert_eq!(RegionCode::parse("369902000"), Err(CodeError::ZeroSegment));
        assert_eq!(
            RegionCode::parse("369902001000"),
            Err(CodeError::ZeroSegment)
        );
        assert_eq!(
            RegionCode::parse("369902000001"),
            Err(CodeError::ZeroSegment)
        );
        assert_eq!(RegionCode::parse("369900001"), Err(CodeError::NoDistrict));
        assert_eq!(
            RegionCode::parse("000000"),
            Err(CodeError::Province("00".into()))
        );
        assert_eq!(RegionCode::parse("360000"), Err(CodeError::Prefecture));
    }

    #[test]
    fn scope_contains_exactly_the_subtree() {
        let city = code("369900").scope();
        assert!(city.contains("369900"));
        assert!(city.contains("369902"));
        assert!(city.contains("369921001002"));
        assert!(!city.contains("369800"));
        assert!(!city.contains("360102"));

        let district = code("369902").scope();
        assert!(district.contains("369902"));
        assert!(district.contains("369902001"));
        assert!(district.contains("369902001003"));
        assert!(
            !district.contains("369900"),
            "a district does not contain its city"
        );
        assert!(!district.contains("369903001"));

        let street = code("369902001").scope();
        assert!(street.contains("369902001003"));
        assert!(!street.contains("369902002003"));
        assert!(!street.contains("369902"));
        assert_eq!(
            street.sql_bounds(),
            ("369902001".to_string(), "369902001:".to_string())
        );
        assert_eq!(city.sql_bounds().0, "3699");
    }
}
