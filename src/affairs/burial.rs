//! Burials (安葬, DOMAIN.md §6), pure: the forms of burial and which of them are
//! eco-burials (节地生态安葬), the remains, and when a burial may be recorded — into a
//! built cemetery still in use, on a day from its completion to today, with a plot free
//! on that day (plots at completion and additions up to the day, minus the burials that
//! took a plot up to the day). A sea burial (海葬) goes into no cemetery and takes no plot.
//! No I/O here.

use chrono::NaiveDate;
use serde::Serialize;

use super::funeral::CemeteryStatus;

coded!(
    BurialForm {
        Grave = "grave", "墓穴安葬";
        Niche = "niche", "骨灰格位存放";
        Tree = "tree", "树葬";
        Flower = "flower", "花葬";
        Lawn = "lawn", "草坪葬";
        Sea = "sea", "海葬";
    }
);

impl BurialForm {
    /// 树葬、花葬、草坪葬、海葬: the eco-burials the bureau promotes.
    pub fn is_eco(self) -> bool {
        matches!(
            self,
            BurialForm::Tree | BurialForm::Flower | BurialForm::Lawn | BurialForm::Sea
        )
    }

    /// Every form but a sea burial is in a cemetery and takes one of its plots (墓穴/格位;
    /// a tree, flower or lawn burial's spot counts as a plot).
    pub fn takes_plot(self) -> bool {
        self != BurialForm::Sea
    }
}

coded!(
    /// 骨灰 after cremation; 遗体 only where burial of the body is still allowed (土葬改革区),
    /// which this system records as: only into a cemetery.
    Remains {
        Ashes = "ashes", "骨灰";
        Body = "body", "遗体";
    }
);

/// What the rules need to know of the cemetery a burial goes into, on the day.
#[derive(Clone, Copy, Debug)]
pub struct CemeteryOnDay {
    pub status: CemeteryStatus,
    pub completed_on: Option<NaiveDate>,
    /// The day of the fewest free plots from the burial's day to today (see
    /// `checkpoints`), and on it: plots at completion plus the additions up to that day,
    /// and the burials that took a plot up to that day.
    pub tightest: NaiveDate,
    pub capacity: i64,
    pub taken: i64,
}

/// The days on which the free plots must be counted so that a burial recorded late (dated
/// before burials already stored) cannot overfill the cemetery later: the burial's day,
/// the eve of every addition after it, and today. Plots only grow at an addition and
/// burials only add up, so the fewest free plots over the days from `day` to `today` fall
/// on one of these.
pub fn checkpoints(day: NaiveDate, today: NaiveDate, additions: &[NaiveDate]) -> Vec<NaiveDate> {
    let mut out = vec![day];
    out.extend(
        additions
            .iter()
            .filter(|a| **a > day && **a <= today)
            .filter_map(|a| a.pred_opt()),
    );
    if today > day {
        out.push(today);
    }
    out.sort();
    out.dedup();
    out
}

/// A refused burial: the rule and what to do, the field it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub rule: &'static str,
    pub why: String,
}

impl Refusal {
    fn new(field: &'static str, rule: &'static str, why: String) -> Refusal {
        Refusal { field, rule, why }
    }

    pub fn message(&self) -> String {
        format!(
            "「{}」不符合规则「{}」：{}。",
            self.field, self.rule, self.why
        )
    }
}

/// Whether a burial of `form` and `remains` on `day` may be recorded into the cemetery
/// (none for a sea burial). The first rule broken is named.
pub fn check(
    form: BurialForm,
    remains: Remains,
    cemetery: Option<&CemeteryOnDay>,
    day: NaiveDate,
    today: NaiveDate,
) -> Result<(), Refusal> {
    if day > today {
        return Err(Refusal::new(
            "安葬日期",
            "安葬日期不晚于今天",
            format!("{day} 晚于今天，安葬后再登记"),
        ));
    }
    let Some(c) = cemetery else {
        if form.takes_plot() {
            return Err(Refusal::new(
                "公墓编号",
                "除海葬外须安葬在公墓",
                format!("「{}」须填写公墓编号", form.label()),
            ));
        }
        if remains == Remains::Body {
            return Err(Refusal::new(
                "遗体/骨灰",
                "遗体只能安葬在公墓",
                "海葬只能是骨灰".to_string(),
            ));
        }
        return Ok(());
    };
    if !form.takes_plot() {
        return Err(Refusal::new(
            "公墓编号",
            "海葬不入公墓",
            "海葬不填公墓编号，请填写区划".to_string(),
        ));
    }
    let Some(completed) = c.completed_on.filter(|_| c.status.is_built()) else {
        return Err(Refusal::new(
            "公墓编号",
            "公墓须已建成",
            "该公墓尚在建设，建成登记后才能安葬".to_string(),
        ));
    };
    if c.status == CemeteryStatus::Closed {
        return Err(Refusal::new(
            "公墓编号",
            "停用的公墓不再安葬",
            "该公墓已停用，请选择其他公墓".to_string(),
        ));
    }
    if day < completed {
        return Err(Refusal::new(
            "安葬日期",
            "安葬日期不早于公墓建成日期",
            format!("该公墓 {completed} 建成，{day} 尚未建成"),
        ));
    }
    if c.capacity - c.taken <= 0 {
        return Err(Refusal::new(
            "公墓编号",
            "须有空余墓穴（格位）",
            format!(
                "该公墓到 {} 共有墓穴 {} 个，已安葬 {} 个，没有空余：请先登记新增墓穴或选择其他公墓",
                c.tightest, c.capacity, c.taken
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn open(capacity: i64, taken: i64) -> CemeteryOnDay {
        CemeteryOnDay {
            status: CemeteryStatus::Completed,
            completed_on: Some(day("2026-07-01")),
            tightest: day("2026-08-01"),
            capacity,
            taken,
        }
    }

    const TODAY: &str = "2026-11-29";

    fn rule(r: Result<(), Refusal>) -> &'static str {
        r.unwrap_err().rule
    }

    #[test]
    fn eco_forms() {
        let eco: Vec<_> = BurialForm::ALL.iter().filter(|f| f.is_eco()).collect();
        assert_eq!(eco.len(), 4);
        assert!(!BurialForm::Grave.is_eco() && !BurialForm::Niche.is_eco());
        assert!(BurialForm::Tree.takes_plot() && !BurialForm::Sea.takes_plot());
    }

    #[test]
    fn the_last_plot_is_taken_once() {
        let (d, t) = (day("2026-08-01"), day(TODAY));
        let c = open(10, 9);
        assert!(check(BurialForm::Grave, Remains::Ashes, Some(&c), d, t).is_ok());
        let full = open(10, 10);
        assert_eq!(
            rule(check(BurialForm::Tree, Remains::Ashes, Some(&full), d, t)),
            "须有空余墓穴（格位）"
        );
    }

    #[test]
    fn free_plots_are_counted_on_the_eve_of_each_later_addition_and_today() {
        let adds = [day("2026-07-01"), day("2026-09-01"), day("2026-12-01")];
        assert_eq!(
            checkpoints(day("2026-08-01"), day(TODAY), &adds),
            vec![day("2026-08-01"), day("2026-08-31"), day(TODAY)]
        );
        assert_eq!(checkpoints(day(TODAY), day(TODAY), &adds), vec![day(TODAY)]);
    }

    #[test]
    fn a_cemetery_built_in_use_and_a_past_day() {
        let t = day(TODAY);
        let mut c = open(10, 0);
        assert_eq!(
            rule(check(
                BurialForm::Grave,
                Remains::Ashes,
                Some(&c),
                day("2026-06-30"),
                t
            )),
            "安葬日期不早于公墓建成日期"
        );
        assert!(
            check(
                BurialForm::Grave,
                Remains::Ashes,
                Some(&c),
                day("2026-07-01"),
                t
            )
            .is_ok()
        );
        assert_eq!(
            rule(check(
                BurialForm::Grave,
                Remains::Ashes,
                Some(&c),
                day("2026-11-30"),
                t
            )),
            "安葬日期不晚于今天"
        );
        c.status = CemeteryStatus::Closed;
        assert_eq!(
            rule(check(
                BurialForm::Grave,
                Remains::Ashes,
                Some(&c),
                day("2026-08-01"),
                t
            )),
            "停用的公墓不再安葬"
        );
        c.status = CemeteryStatus::Building;
        c.completed_on = None;
        assert_eq!(
            rule(check(
                BurialForm::Grave,
                Remains::Ashes,
                Some(&c),
                day("2026-08-01"),
                t
            )),
            "公墓须已建成"
        );
    }

    #[test]
    fn a_sea_burial_has_no_cemetery_and_only_ashes() {
        let (d, t) = (day("2026-08-01"), day(TODAY));
        assert!(check(BurialForm::Sea, Remains::Ashes, None, d, t).is_ok());
        assert_eq!(
            rule(check(BurialForm::Sea, Remains::Body, None, d, t)),
            "遗体只能安葬在公墓"
        );
        assert_eq!(
            rule(check(
                BurialForm::Sea,
                Remains::Ashes,
                Some(&open(5, 0)),
                d,
                t
            )),
            "海葬不入公墓"
        );
        assert_eq!(
            rule(check(BurialForm::Grave, Remains::Body, None, d, t)),
            "除海葬外须安葬在公墓"
        );
        // A body into a cemetery is allowed and recorded.
        assert!(check(BurialForm::Grave, Remains::Body, Some(&open(5, 0)), d, t).is_ok());
    }
}
