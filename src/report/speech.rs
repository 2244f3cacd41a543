//! Section 一 of the director's speech with each `X` replaced by its figure, for pasting
//! into the written report. A figure still `null` stays `X` and is listed under the text.

use super::{Figures, KEYS, Source};

/// The speech as the bureau wrote it (a copy of shared/domain/speech-2026q3.txt).
pub const SPEECH: &str = include_str!("speech-2026q3.txt");

/// The figures in the order of the `X`s of section 一: every key but the amount in yuan
/// (the speech says 万元) and the compliance rate (the speech states 100%).
fn x_keys() -> impl Iterator<Item = &'static str> {
    KEYS.iter().map(|(k, _)| *k).filter(|k| {
        !matches!(
            *k,
            "temp_assistance_amount_yuan" | "registration_compliance_rate"
        )
    })
}

/// Section 一 (from its heading up to section 二).
pub fn section_one(speech: &str) -> &str {
    let start = speech.find("一、").unwrap_or(0);
    let end = speech[start..]
        .find("\n二、")
        .map(|i| start + i)
        .unwrap_or(speech.len());
    speech[start..end].trim_end()
}

/// The section with the figures filled in, and the keys left as `X` with the reason.
pub fn fill(figures: &Figures) -> (String, Vec<(&'static str, &'static str)>) {
    let text = section_one(SPEECH);
    let mut keys = x_keys();
    let mut out = String::with_capacity(text.len() + 64);
    let mut left = Vec::new();
    for c in text.chars() {
        if c != 'X' {
            out.push(c);
            continue;
        }
        match keys.next() {
            Some(key) => match figures.get(key) {
                Some(v) => out.push_str(&v.text()),
                None => {
                    out.push('X');
                    let reason = KEYS
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, s)| match s {
                            Source::Missing(r) => *r,
                            Source::Assistance
                            | Source::Elderly
                            | Source::Community
                            | Source::Funeral
                            | Source::Marriage => "没有数据",
                        })
                        .unwrap_or("");
                    left.push((key, reason));
                }
            },
            None => out.push('X'),
        }
    }
    (out, left)
}

/// The speech was written for the third quarter and the whole city: for another quarter
/// or a district's report, the quarter and the place are put right so the text can be
/// pasted as it is.
pub fn adapt(text: &str, quarter_number: u32, place: Option<&str>) -> String {
    let ordinal = ["一", "二", "三", "四"]
        .get(quarter_number.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("三");
    let mut out = text.replace("第三季度", &format!("第{ordinal}季度"));
    if let Some(place) = place {
        out = out.replace("全市", place).replace("我市", place);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Value;
    use super::*;

    #[test]
    fn another_quarter_or_a_district_reads_right() {
        let text = "第三季度，全市共开展社区协商活动X次，我市民政工作取得了显著成效。";
        assert_eq!(adapt(text, 3, None), text);
        assert_eq!(
            adapt(text, 2, Some("东湖区")),
            "第二季度，东湖区共开展社区协商活动X次，东湖区民政工作取得了显著成效。"
        );
    }

    #[test]
    fn section_one_has_an_x_for_each_figure_in_order() {
        let text = section_one(SPEECH);
        assert!(text.starts_with("一、充分肯定第三季度民政工作取得的成绩"));
        assert!(!text.contains("二、清醒认识"));
        assert_eq!(text.matches('X').count(), x_keys().count());
    }

    #[test]
    fn known_figures_replace_their_x_and_the_rest_stay() {
        let figures = Figures(
            KEYS.iter()
                .map(|(k, _)| {
                    let v = match *k {
                        "dibao_new_households" => Some(Value::Count(120)),
                        "dibao_new_persons" => Some(Value::Count(250)),
                        "temp_assistance_amount_wan_yuan" => Some(Value::Hundredths(1234)),
                        _ => None,
                    };
                    (*k, v)
                })
                .collect(),
        );
        let (text, left) = fill(&figures);
        assert!(text.contains("新增低保120户、250人"), "{text}");
        assert!(text.contains("发放救助金12.34万元"), "{text}");
        assert!(text.contains("清退不符合条件的X户"), "{text}");
        assert_eq!(left.len(), x_keys().count() - 3);
        assert_eq!(left[0].0, "dibao_removed_households");
    }
}
