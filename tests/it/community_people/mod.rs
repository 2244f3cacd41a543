//! Community lists and people (DOMAIN.md §5, issue 9 items 2 and 4): the work-item and
//! certificate lists with removals kept, certificates issued only against an item listed
//! on the day (refusals with the reason, audited), counts per quarter at the boundaries,
//! community workers in post and the balance indicator (`lists`, `workers`); volunteers with stars
//! changing exactly at the thresholds and the printable certificate, social workers by
//! district and level (`people`); scope, masking and versions throughout.

mod lists;
mod people;
mod workers;

use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Session, TestApp, TestResponse};

pub(crate) const OTHER: &str = "369902001002";

pub(crate) async fn ok(r: TestResponse) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

pub(crate) async fn refused(r: TestResponse, status: u16) -> String {
    assert_eq!(r.status, status, "{}", r.body);
    r.body
}

pub(crate) async fn audit_count(t: &TestApp, action: &str, outcome: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND outcome = $2")
        .bind(action)
        .bind(outcome)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Adds a list entry through the API; returns its id.
pub(crate) async fn add_entry(
    t: &TestApp,
    s: &Session,
    list: &str,
    region: &str,
    name: &str,
    added: &str,
) -> i64 {
    let body =
        json!({"list": list, "region": region, "name": name, "basis": "文件", "added_on": added});
    ok(t.post_json_as(s, "/api/v1/community/lists", &body).await).await["entry"]["id"]
        .as_i64()
        .unwrap()
}
