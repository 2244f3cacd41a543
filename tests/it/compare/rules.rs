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
