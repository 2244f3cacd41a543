//! The rules the first test leaves out, and the fuzzy pass on names.

use minzheng::audit::Actor;
use minzheng::calendar::Clock;
use minzheng::compare::service;
use minzheng::compare::sources::Source;
use sqlx::Row;

use super::*;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(remaining_rules_and_fuzzy_names);

/// The rules the first test leaves out (homes and commercial property, business,
/// contributions, this system's own death records) and the fuzzy pass on a name of the
/// same reading and on a typo.
async fn remaining_rules_and_fuzzy_names(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (a, b, c, d, e) = (
        id("19610101", 12),
        id("19630303", 34),
        id("19700707", 56),
        id("19800808", 78),
        id("19520202", 90),
    );
    household(
        &t,
        "H1",
        URBAN,
        "dibao",
        "active",
        &[("刘洋", &a), ("陈静", &b)],
    )
    .await;
    household(&t, "H2", URBAN, "dibao", "active", &[("杨帆", &c)]).await;
    household(&t, "H3", URBAN, "dibao", "active", &[("黄磊", &d)]).await;
    // 周正 died: his one-person case was stopped for death, yet he is in another household.
    let (_, dead_case) = household(&t, "H4", URBAN, "tekun", "active", &[("周正", &e)]).await;
    sqlx::query("UPDATE cases SET status = 'exited', exited_on = '2026-06-01', exit_reason = 'death' WHERE id = $1")
        .bind(dead_case)
        .execute(t.database().pool())
        .await
        .unwrap();
    household(
        &t,
        "H5",
        URBAN,
        "dibao",
        "active",
        &[("王芳", &id("19650505", 21)), ("周正", &e)],
    )
    .await;

    // One home each for 刘洋 and 陈静 (two for the household), and an office of 陈静's.
    load(
        &t,
        Source::Property,
        format!("身份证号,姓名,不动产单元号,用途,建筑面积\n{a},刘洋,U-1,住宅,80\n{b},陈静,U-2,住宅,60.5\n{b},陈静,U-3,办公,30\n"),
    )
    .await;
    // 杨帆: shareholder of a live company over the limit (capital in 万元, as 市场监管
    // gives it: 50 万元 = 500,000 > 100,000); 黄磊: of a closed one; 王芳: 8 万元 is
    // 80,000, within the limit.
    load(
        &t,
        Source::Business,
        format!(
            "身份证号,姓名,统一社会信用代码,角色,注册资本（万元）,状态\n{c},杨帆,91360100MA35AAAA1X,股东,50,存续\n{d},黄磊,91360100MA35BBBB2Y,法定代表人,80,注销\n{},王芳,91360100MA35CCCC3Z,个体工商户经营者,8,存续\n",
            id("19650505", 21)
        ),
    )
    .await;
    // 黄磊 (one person): base 3,000 less 20% = 2,400 > 1,000.
    load(
        &t,
        Source::SocialInsurance,
        format!("身份证号,姓名,月缴费基数,月养老金\n{d},黄磊,3000,\n"),
    )
    .await;
    // Death, fuzzy: 杨帆 written 杨凡 (same reading) with a mistyped sequence digit;
    // 刘洋 written 刘阳洋 (one character added) with two digits swapped.
    let typo = |id: &str, at: usize| {
        let mut s = id.as_bytes().to_vec();
        s[at] = if s[at] == b'9' { b'0' } else { s[at] + 1 };
        String::from_utf8(s).unwrap()
    };
    let swap = |id: &str| {
        let mut s = id.as_bytes().to_vec();
        s.swap(15, 16);
        String::from_utf8(s).unwrap()
    };
    load(
        &t,
        Source::Death,
        format!(
            "身份证号,姓名,死亡日期\n{},杨凡,2026-10-01\n{},刘阳洋,2026-10-02\n",
            typo(&c, 16),
            swap(&a)
        ),
    )
    .await;
    service::run(
        t.database(),
        &t.app.state.keyring,
        &[],
        &Actor::cli(),
        t.clock.now_local(),
    )
    .await
    .unwrap();
    let got = findings(&t).await;
    let expected = set(&[
        ("homes", "刘洋", "exact", "pending"),
        ("commercial_property", "刘洋", "exact", "pending"),
        ("business", "杨帆", "exact", "pending"),
        ("wage_income", "黄磊", "exact", "pending"),
        ("deceased", "杨帆", "fuzzy", "pending"),
        ("deceased", "刘洋", "fuzzy", "pending"),
        ("deceased_here", "周正", "internal", "pending"),
    ]);
    assert_eq!(got, expected);
    let reasons: Vec<(String, i64, String)> = sqlx::query(
        "SELECT person_name, score, match_reasons FROM compare_findings WHERE match_kind = 'fuzzy' ORDER BY person_name",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap(), r.try_get(2).unwrap()))
    .collect();
    // 刘洋 / 刘阳洋: one character added (15) and two digits swapped (25): 80.
    assert_eq!(reasons[0].1, 80, "{reasons:?}");
    assert!(reasons[0].2.contains("相差一个字"), "{reasons:?}");
    // 杨帆 / 杨凡: same reading (25) and one digit off (25): 90.
    assert_eq!(reasons[1].1, 90, "{reasons:?}");
    assert!(reasons[1].2.contains("读音相同"), "{reasons:?}");
    let business: String =
        sqlx::query_scalar("SELECT detail FROM compare_findings WHERE rule = 'business'")
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    assert!(business.contains("500,000.00 元"), "{business}");
    t.finish().await;
}

on_both_backends!(temporary_applicants_workbooks_and_people_in_two_districts);

/// Temporary-assistance applicants of the last 12 months are compared (and older ones
/// not); a 低保 recipient in two districts gets a finding in each; a workbook with the
/// 公安 header 「公民身份号码」 and 15-digit numbers loads, and two identical deposit rows
/// are two accounts.
async fn temporary_applicants_workbooks_and_people_in_two_districts(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (wang, li, sun, zhou) = (
        id("19550505", 61),
        id("19560606", 62),
        id("19570707", 63),
        id("19580808", 64),
    );
    let keyring = &t.app.state.keyring;
    for (name, number, day) in [("王强", &wang, "2026-03-01"), ("李梅", &li, "2025-10-01")] {
        let sealed = keyring.seal(minzheng::protect::SensitiveKind::IdNumber, number);
        sqlx::query(
            "INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, \
             amount, household_size, advance, status, created_at) \
             VALUES ($1, $2, $3, $4, 'emergency', $5, 100000, 3, 0, 'valid', '2026-01-01')",
        )
        .bind(sealed.sealed)
        .bind(sealed.index)
        .bind(name)
        .bind(URBAN)
        .bind(day)
        .execute(t.database().pool())
        .await
        .unwrap();
    }
    household(&t, "H1", URBAN, "dibao", "active", &[("孙丽", &sun)]).await;
    household(&t, "H2", RURAL, "dibao", "active", &[("孙丽", &sun)]).await;
    household(&t, "H3", URBAN, "dibao", "active", &[("周杰", &zhou)]).await;
    load(
        &t,
        Source::Death,
        format!("身份证号,姓名,死亡日期\n{wang},王强,2026-10-01\n{li},李梅,2026-10-01\n{sun},孙丽,2026-10-03\n"),
    )
    .await;
    // Two accounts of 15,000 (the file gives the old 15-digit number): 30,000 > 24 × 1,000.
    let short = format!("{}{}", &zhou[..6], &zhou[8..17]);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [
        ["公民身份号码", "姓名", "余额"],
        [short.as_str(), "周杰", "15000"],
        [short.as_str(), "周杰", "15000"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let loaded = load_file(
        &t,
        Source::Deposit,
        "存款.xlsx",
        book.save_to_buffer().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!((loaded.rows, loaded.valid), (2, 2));
    service::run(
        t.database(),
        &t.app.state.keyring,
        &[],
        &Actor::cli(),
        t.clock.now_local(),
    )
    .await
    .unwrap();
    let got = findings(&t).await;
    assert_eq!(
        got,
        set(&[
            ("deceased", "王强", "exact", "pending"),
            ("deceased", "孙丽", "exact", "pending"),
            ("two_districts", "孙丽", "internal", "pending"),
            ("two_households", "孙丽", "internal", "pending"),
            ("deposits", "周杰", "exact", "pending"),
        ])
    );
    // One death finding, and one two-districts finding, in each district's queue.
    for rule in ["deceased", "two_districts"] {
        let districts: Vec<String> = sqlx::query_scalar(
            "SELECT substr(region_code, 1, 6) FROM compare_findings WHERE rule = $1 \
             AND person_name = '孙丽' ORDER BY region_code",
        )
        .bind(rule)
        .fetch_all(t.database().pool())
        .await
        .unwrap();
        assert_eq!(districts, ["369902", "369921"], "{rule}");
    }
    // The applicant has no case: the finding carries none.
    let case: Option<i64> =
        sqlx::query_scalar("SELECT case_id FROM compare_findings WHERE person_name = '王强'")
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    assert_eq!(case, None);
    t.finish().await;
}
