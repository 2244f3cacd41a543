//! Names compared the way a typo or a different character for the same sound changes
//! them: equal, equal by pinyin (without tones; 曾 as a surname is zēng, not céng), or
//! one character apart (a substitution, an insertion or a deletion).

use pinyin::ToPinyin;

/// Surnames read differently from the character's usual reading (姓氏异读).
const SURNAMES: &[(char, &str)] = &[
    ('单', "shan"),
    ('解', "xie"),
    ('曾', "zeng"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('盖', "ge"),
    ('华', "hua"),
    ('乐', "yue"),
    ('缪', "miao"),
    ('翟', "zhai"),
    ('覃', "qin"),
    ('召', "shao"),
    ('员', "yun"),
    ('繁', "po"),
    ('折', "she"),
    ('秘', "bi"),
    ('种', "chong"),
    ('黑', "he"),
    ('冼', "xian"),
    ('洗', "xian"),
    ('任', "ren"),
    ('纪', "ji"),
    ('过', "guo"),
    ('能', "nai"),
    ('宁', "ning"),
    ('句', "gou"),
    ('万', "wan"),
    ('长', "chang"),
    ('重', "chong"),
    ('参', "can"),
    ('柏', "bai"),
    ('藏', "zang"),
];

/// The name's reading: one plain syllable per character, the surname by its surname
/// reading; a character without a reading (a letter, a rare character) stands for itself.
pub fn reading(name: &str) -> Vec<String> {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '·' && *c != '•')
        .enumerate()
        .map(|(i, c)| {
            if i == 0
                && let Some((_, r)) = SURNAMES.iter().find(|(s, _)| *s == c)
            {
                return (*r).to_string();
            }
            c.to_pinyin()
                .map(|p| p.plain().to_string())
                .unwrap_or_else(|| c.to_string())
        })
        .collect()
}

/// At most one character apart: one substitution, insertion or deletion.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            short
                .iter()
                .zip(long.iter())
                .filter(|(x, y)| x != y)
                .count()
                <= 1
        }
        1 => {
            // Skip the first mismatch in the longer one; the rest must be equal.
            let at = short
                .iter()
                .zip(long.iter())
                .position(|(x, y)| x != y)
                .unwrap_or(short.len());
            short[at..] == long[at + 1..]
        }
        _ => false,
    }
}

/// How two names compare, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameMatch {
    Equal,
    SameReading,
    OneEdit,
}

impl NameMatch {
    pub fn label(self) -> &'static str {
        match self {
            NameMatch::Equal => "姓名相同",
            NameMatch::SameReading => "姓名读音相同",
            NameMatch::OneEdit => "姓名相差一个字",
        }
    }
}

/// How `a` and `b` compare; none when they are further apart. `a_reading` is `a`'s
/// reading, computed once for the many names it is compared with.
pub fn compare(a: &str, a_reading: &[String], b: &str) -> Option<NameMatch> {
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some(NameMatch::Equal);
    }
    if a.chars().count() == b.chars().count() && reading(b) == a_reading {
        return Some(NameMatch::SameReading);
    }
    within_one_edit(a, b).then_some(NameMatch::OneEdit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Option<NameMatch> {
        compare(a, &reading(a), b)
    }

    #[test]
    fn readings_use_surname_readings() {
        assert_eq!(reading("曾国藩"), ["zeng", "guo", "fan"]);
        assert_eq!(reading("单雄信"), ["shan", "xiong", "xin"]);
        // Not a surname in second place: the usual reading.
        assert_eq!(reading("王曾")[1], "ceng");
    }

    #[test]
    fn names_compare_by_character_reading_and_one_edit() {
        assert_eq!(cmp("张伟", "张伟"), Some(NameMatch::Equal));
        // 张玮 and 张伟 are both zhang wei.
        assert_eq!(cmp("张伟", "张玮"), Some(NameMatch::SameReading));
        assert_eq!(cmp("李晓明", "李小明"), Some(NameMatch::SameReading));
        // A typo: one character off, different sound.
        assert_eq!(cmp("王建国", "王建军"), Some(NameMatch::OneEdit));
        // A character dropped or added.
        assert_eq!(cmp("欧阳明", "欧明"), Some(NameMatch::OneEdit));
        assert_eq!(cmp("王建国", "王建国华"), Some(NameMatch::OneEdit));
        // Two characters apart: not a match.
        assert_eq!(cmp("王建国", "王志军"), None);
        assert_eq!(cmp("王建国", ""), None);
    }

    #[test]
    fn one_edit_by_hand() {
        assert!(within_one_edit("abc", "abc"));
        assert!(within_one_edit("abc", "abd"));
        assert!(within_one_edit("abc", "ac"));
        assert!(within_one_edit("ac", "abc"));
        assert!(!within_one_edit("abc", "cab"));
        assert!(!within_one_edit("a", "abc"));
    }
}
