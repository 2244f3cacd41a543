//! The departments' data sets (FORMATS.md "External data", DOMAIN.md §3): their columns
//! and how a stored row is read back for the rules.

use serde::Serialize;

/// A source of external data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Death,
    Hukou,
    Vehicle,
    Property,
    Business,
    Payroll,
    SocialInsurance,
    Deposit,
}

pub const SOURCES: [Source; 8] = [
    Source::Death,
    Source::Hukou,
    Source::Vehicle,
    Source::Property,
    Source::Business,
    Source::Payroll,
    Source::SocialInsurance,
    Source::Deposit,
];

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Death => "death",
            Source::Hukou => "hukou",
            Source::Vehicle => "vehicle",
            Source::Property => "property",
            Source::Business => "business",
            Source::Payroll => "payroll",
            Source::SocialInsurance => "social-insurance",
            Source::Deposit => "deposit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Death => "公安死亡、殡葬火化",
            Source::Hukou => "公安户籍",
            Source::Vehicle => "车管车辆",
            Source::Property => "不动产登记",
            Source::Business => "市场监管企业",
            Source::Payroll => "财政供养人员",
            Source::SocialInsurance => "人社社会保险",
            Source::Deposit => "银行存款",
        }
    }

    /// Accepts the code (`social-insurance`, also `compare-social-insurance`) or the label.
    pub fn parse(s: &str) -> Option<Source> {
        let s = s.trim();
        let s = s.strip_prefix("compare-").unwrap_or(s);
        SOURCES
            .into_iter()
            .find(|x| x.code() == s || x.label() == s || x.code().replace('-', "_") == s)
    }

    /// The columns of the file, in the order they are stored; 身份证号 and 姓名 first.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Source::Death => &["身份证号", "姓名", "死亡日期"],
            Source::Hukou => &["身份证号", "姓名", "户籍地区划代码"],
            Source::Vehicle => &["身份证号", "姓名", "号牌号码", "车辆类型", "车辆价值"],
            Source::Property => &["身份证号", "姓名", "不动产单元号", "用途", "建筑面积"],
            Source::Business => &[
                "身份证号",
                "姓名",
                "统一社会信用代码",
                "角色",
                "注册资本",
                "状态",
            ],
            Source::Payroll => &["身份证号", "姓名", "单位名称"],
            Source::SocialInsurance => &["身份证号", "姓名", "月缴费基数", "月养老金"],
            Source::Deposit => &["身份证号", "姓名", "余额"],
        }
    }

    /// Checks the fields of one row beyond the ID (which `dataset` checks): a field the
    /// rules read must be readable, or the row is kept aside with the reason.
    pub fn check(self, fields: &[&str]) -> Result<(), String> {
        let money = |i: usize| -> Result<(), String> {
            crate::money::Fen::parse_yuan(fields[i])
                .map(|_| ())
                .map_err(|_| format!("「{}」「{}」不是金额", self.columns()[i], fields[i]))
        };
        match self {
            Source::Death => crate::calendar::parse_date(fields[2])
                .map(|_| ())
                .ok_or_else(|| format!("「死亡日期」「{}」不是日期", fields[2])),
            Source::Hukou => {
                let code = fields[2];
                if code.len() >= 6 && code.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err(format!("「户籍地区划代码」「{code}」不是区划代码"))
                }
            }
            Source::Vehicle => money(4),
            Source::Property => fields[4]
                .parse::<f64>()
                .map(|_| ())
                .map_err(|_| format!("「建筑面积」「{}」不是数字", fields[4])),
            Source::Business => money(4).and_then(|_| {
                if business_status_known(fields[5]) {
                    Ok(())
                } else {
                    Err(format!(
                        "「状态」「{}」无法识别（应为存续、注销、吊销等），按非存续处理",
                        fields[5]
                    ))
                }
            }),
            Source::Payroll => Ok(()),
            Source::SocialInsurance => money(2).and_then(|_| {
                if fields[3].is_empty() {
                    Ok(())
                } else {
                    money(3)
                }
            }),
            Source::Deposit => money(2),
        }
    }
}

/// Departments write the same thing several ways (「存续（在营、开业、在册）」, 「成套住宅」,
/// 「二轮摩托车」): the rules read the category, not the exact words.
pub fn vehicle_exempt(kind: &str) -> bool {
    kind.contains("摩托") || kind.contains("残疾")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyUse {
    Home,
    Commercial,
    Other,
}

pub fn property_use(s: &str) -> PropertyUse {
    if s.contains("住宅") || s.contains("住房") {
        PropertyUse::Home
    } else if ["商业", "商铺", "商服", "办公"]
        .iter()
        .any(|w| s.contains(w))
    {
        PropertyUse::Commercial
    } else {
        PropertyUse::Other
    }
}

/// An operating business: 存续 in any of its spellings (在营、开业、在册).
pub fn business_live(status: &str) -> bool {
    ["存续", "在营", "开业", "在册"]
        .iter()
        .any(|w| status.contains(w))
        && !["注销", "吊销", "撤销"].iter().any(|w| status.contains(w))
}

/// A business status the rules can place: live, or one of the ended ones.
fn business_status_known(status: &str) -> bool {
    business_live(status)
        || ["注销", "吊销", "撤销", "迁出", "清算"]
            .iter()
            .any(|w| status.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_by_code_and_label() {
        for s in SOURCES {
            assert_eq!(Source::parse(s.code()), Some(s));
            assert_eq!(Source::parse(s.label()), Some(s));
            assert_eq!(s.columns()[..2], ["身份证号", "姓名"]);
        }
        assert_eq!(
            Source::parse("compare-social-insurance"),
            Some(Source::SocialInsurance)
        );
        assert_eq!(Source::parse("tax"), None);
    }

    #[test]
    fn fields_the_rules_read_are_checked() {
        let v = Source::Vehicle;
        assert!(
            v.check(&["x", "张三", "赣A12345", "小型汽车", "85000"])
                .is_ok()
        );
        assert!(
            v.check(&["x", "张三", "赣A12345", "小型汽车", "八万"])
                .unwrap_err()
                .contains("「车辆价值」")
        );
        assert!(Source::Death.check(&["x", "李四", "2026-13-01"]).is_err());
        assert!(
            Source::SocialInsurance
                .check(&["x", "王五", "4200", ""])
                .is_ok()
        );
        assert!(Source::Hukou.check(&["x", "赵六", "3699"]).is_err());
        let business = |status| {
            Source::Business.check(&["x", "钱七", "91360100MA35AAAA1X", "股东", "500000", status])
        };
        assert!(business("存续（在营、开业、在册）").is_ok());
        assert!(business("吊销，未注销").is_ok());
        assert!(business("正常").unwrap_err().contains("「状态」「正常」"));
    }

    #[test]
    fn categories_are_read_from_the_departments_wording() {
        assert!(business_live("存续（在营、开业、在册）"));
        assert!(business_live("在营"));
        assert!(!business_live("吊销，未注销"));
        assert!(!business_live("注销"));
        assert_eq!(property_use("成套住宅"), PropertyUse::Home);
        assert_eq!(property_use("商业服务"), PropertyUse::Commercial);
        assert_eq!(property_use("办公"), PropertyUse::Commercial);
        assert_eq!(property_use("工业"), PropertyUse::Other);
        assert!(vehicle_exempt("二轮摩托车"));
        assert!(vehicle_exempt("残疾人专用车"));
        assert!(!vehicle_exempt("小型普通客车"));
    }
}
