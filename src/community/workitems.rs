//! The two lists that keep the community's burden down (社区减负), pure: the work items
//! admitted to communities (社区工作事项准入清单) and the certificates a community may issue
//! (社区证明事项). An entry is added on a day and may be removed on a later day with a
//! reason; removed entries stay on record. A certificate can be issued only against an
//! entry of the certificate list that is listed on the day of issue. No I/O, no clock.

use chrono::NaiveDate;
use serde::Serialize;

/// Longest name of an item, basis and removal reason (characters).
pub const MAX_NAME: usize = 100;
pub const MAX_TEXT: usize = 300;

coded!(
    /// Which list an entry belongs to.
    ListKind {
        WorkItem = "workitem", "社区工作事项";
        Certificate = "certificate", "社区证明事项";
    }
);

/// An entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub list: ListKind,
    /// The city (for all its communities) or a district (for its communities).
    pub region_code: String,
    pub name: String,
    /// 依据: the document that lists or requires the item.
    pub basis: String,
    pub added_on: NaiveDate,
    pub removed_on: Option<NaiveDate>,
    pub removed_reason: Option<String>,
    pub version: i64,
}

impl Entry {
    /// On the list on `day`: added by then and not yet removed (an entry removed on a day
    /// is off the list from that day on).
    pub fn listed_on(&self, day: NaiveDate) -> bool {
        self.added_on <= day && self.removed_on.is_none_or(|r| r > day)
    }
}

/// Why a certificate of `entry` cannot be issued on `day`; none when it can.
pub fn refusal(entry: &Entry, day: NaiveDate) -> Option<String> {
    if entry.list != ListKind::Certificate {
        return Some(format!(
            "「{}」是社区工作事项准入清单中的事项，不是社区证明事项，不能出具证明。",
            entry.name
        ));
    }
    if entry.added_on > day {
        return Some(format!(
            "「{}」自 {} 起才列入社区证明事项清单，{day} 尚未列入，不能出具。",
            entry.name, entry.added_on
        ));
    }
    match (&entry.removed_on, &entry.removed_reason) {
        (Some(on), reason) if *on <= day => Some(format!(
            "「{}」已于 {on} 移出社区证明事项清单（原因：{}），社区不再出具此项证明，请告知申请人按原因所述办理。",
            entry.name,
            reason.as_deref().unwrap_or("未注明")
        )),
        _ => None,
    }
}

/// The entry a certificate request names (by entry number or by name) among the entries
/// of the lists that apply to the community, checked for `day`.
pub fn choose<'a>(entries: &'a [Entry], item: &str, day: NaiveDate) -> Result<&'a Entry, String> {
    let item = item.trim();
    if item.is_empty() {
        return Err("请选择「证明事项」。".to_string());
    }
    let unlisted = || {
        format!("「{item}」不在本社区适用的社区证明事项清单中：清单以外的证明，社区一律不得出具。")
    };
    let entry = match item.parse::<i64>() {
        Ok(id) => entries.iter().find(|e| e.id == id).ok_or_else(unlisted)?,
        Err(_) => {
            let named: Vec<&Entry> = entries
                .iter()
                .filter(|e| e.name == item && e.list == ListKind::Certificate)
                .collect();
            // The one listed on the day, else the latest (whose refusal explains why).
            named
                .iter()
                .find(|e| e.listed_on(day))
                .or_else(|| named.iter().max_by_key(|e| (e.added_on, e.id)))
                .copied()
                .ok_or_else(unlisted)?
        }
    };
    match refusal(entry, day) {
        Some(why) => Err(why),
        None => Ok(entry),
    }
}

/// A text field: trimmed, required or not, at most `max` characters.
pub fn text(field: &str, value: &str, required: bool, max: usize) -> Result<String, String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(format!("请填写「{field}」。"));
    }
    if v.chars().count() > max {
        return Err(format!("「{field}」不能超过 {max} 字。"));
    }
    Ok(v.to_string())
}

/// A removal: on a day not before the entry was added and not after today, with a reason.
pub fn check_removal(entry: &Entry, on: NaiveDate, today: NaiveDate) -> Result<(), String> {
    if let Some(removed) = entry.removed_on {
        return Err(format!(
            "「{}」已于 {removed} 移出清单，不能再次移出。",
            entry.name
        ));
    }
    if on > today {
        return Err(format!(
            "「移出日期」{on} 晚于今天，请在移出当天或之后登记。"
        ));
    }
    if on < entry.added_on {
        return Err(format!(
            "「移出日期」{on} 早于「{}」的列入日期 {}，请核对。",
            entry.name, entry.added_on
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn entry(id: i64, list: ListKind, name: &str, added: &str, removed: Option<&str>) -> Entry {
        Entry {
            id,
            list,
            region_code: "369900".into(),
            name: name.into(),
            basis: String::new(),
            added_on: d(added),
            removed_on: removed.map(d),
            removed_reason: removed.map(|_| "由公安机关出具".to_string()),
            version: 1,
        }
    }

    #[test]
    fn listed_from_the_day_added_until_the_day_before_removal() {
        let e = entry(
            1,
            ListKind::Certificate,
            "亲属关系证明",
            "2026-01-01",
            Some("2026-09-30"),
        );
        assert!(!e.listed_on(d("2025-12-31")));
        assert!(e.listed_on(d("2026-01-01")));
        assert!(e.listed_on(d("2026-09-29")));
        assert!(
            !e.listed_on(d("2026-09-30")),
            "removed on the day: off the list"
        );
        let open = entry(2, ListKind::Certificate, "居住证明", "2026-01-01", None);
        assert!(open.listed_on(d("2099-01-01")));
    }

    #[test]
    fn issuing_refuses_unlisted_removed_future_and_work_items_with_the_reason() {
        let entries = vec![
            entry(
                1,
                ListKind::Certificate,
                "亲属关系证明",
                "2026-01-01",
                Some("2026-09-30"),
            ),
            entry(2, ListKind::Certificate, "亲属关系证明", "2026-11-01", None),
            entry(
                3,
                ListKind::Certificate,
                "无犯罪记录证明",
                "2025-01-01",
                Some("2026-03-01"),
            ),
            entry(4, ListKind::WorkItem, "垃圾分类宣传", "2025-01-01", None),
            entry(
                5,
                ListKind::Certificate,
                "困难群众生活状况证明",
                "2026-12-01",
                None,
            ),
        ];
        let day = d("2026-11-29");
        // By name, the entry listed on the day is taken, not the removed one.
        assert_eq!(choose(&entries, "亲属关系证明", day).unwrap().id, 2);
        // On 2026-09-15 the first one was listed.
        assert_eq!(
            choose(&entries, "亲属关系证明", d("2026-09-15"))
                .unwrap()
                .id,
            1
        );
        // Between the two entries neither was listed: the later one explains.
        let gap = choose(&entries, "亲属关系证明", d("2026-10-15")).unwrap_err();
        assert!(gap.contains("自 2026-11-01 起"), "{gap}");
        let removed = choose(&entries, "3", day).unwrap_err();
        assert!(
            removed.contains("已于 2026-03-01 移出") && removed.contains("由公安机关出具"),
            "{removed}"
        );
        assert!(
            choose(&entries, "4", day)
                .unwrap_err()
                .contains("不是社区证明事项")
        );
        assert!(choose(&entries, "5", day).unwrap_err().contains("尚未列入"));
        for unlisted in ["出生证明", "99"] {
            assert!(
                choose(&entries, unlisted, day)
                    .unwrap_err()
                    .contains("不在本社区适用的社区证明事项清单中"),
                "{unlisted}"
            );
        }
        assert!(choose(&entries, " ", day).unwrap_err().contains("请选择"));
    }

    #[test]
    fn removal_dates_are_checked() {
        let e = entry(1, ListKind::WorkItem, "创建达标评比", "2026-03-01", None);
        let today = d("2026-11-29");
        assert!(check_removal(&e, today, today).is_ok());
        assert!(check_removal(&e, d("2026-03-01"), today).is_ok());
        assert!(
            check_removal(&e, d("2026-02-28"), today)
                .unwrap_err()
                .contains("早于")
        );
        assert!(
            check_removal(&e, d("2026-11-30"), today)
                .unwrap_err()
                .contains("晚于今天")
        );
        let gone = entry(
            1,
            ListKind::WorkItem,
            "创建达标评比",
            "2026-03-01",
            Some("2026-06-01"),
        );
        assert!(
            check_removal(&gone, today, today)
                .unwrap_err()
                .contains("不能再次移出")
        );
    }
}
