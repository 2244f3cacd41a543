//! Audit entries and the hash chain (pure).

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Success => "成功",
            Outcome::Failure => "失败",
        }
    }
}

/// Who acted: a signed-in user, someone not signed in, or the local operator (CLI).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub role: String,
    pub region_code: String,
    pub ip: String,
    pub request_id: String,
}

impl Actor {
    /// The local operator running a CLI command (`cli:<OS user>`).
    pub fn cli() -> Actor {
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".to_string());
        Actor {
            user_id: None,
            username: format!("cli:{os_user}"),
            role: "operator".to_string(),
            // Not tied to a region: the operator acts for the whole installation.
            region_code: "-".to_string(),
            ip: "local".to_string(),
            request_id: format!("cli-{}", std::process::id()),
        }
    }

    /// Someone not (yet) signed in, e.g. a login attempt.
    pub fn anonymous(username: &str, ip: &str, request_id: &str) -> Actor {
        Actor {
            user_id: None,
            username: username.to_string(),
            role: "none".to_string(),
            region_code: "-".to_string(),
            ip: ip.to_string(),
            request_id: request_id.to_string(),
        }
    }
}

/// One thing that happened.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub at: DateTime<FixedOffset>,
    pub actor: Actor,
    /// `module.verb` (`auth.login`, `user.create`, `region.import`, …).
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub outcome: Outcome,
    /// Before/after of changed fields and other facts; sensitive values masked.
    pub details: serde_json::Value,
}

impl AuditEvent {
    pub fn new(
        at: DateTime<FixedOffset>,
        actor: &Actor,
        action: &str,
        object_type: &str,
        object_id: impl Into<String>,
    ) -> AuditEvent {
        AuditEvent {
            at,
            actor: actor.clone(),
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: object_id.into(),
            outcome: Outcome::Success,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn failed(mut self) -> AuditEvent {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn with(mut self, details: serde_json::Value) -> AuditEvent {
        self.details = details;
        self
    }
}

/// A stored entry: the event as text plus its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub username: String,
    pub role: String,
    pub region_code: String,
    pub source_ip: String,
    pub request_id: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub outcome: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash of this entry over every field but `hash` itself. Fields are length-
    /// prefixed so that no two different entries serialise alike.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let user_id = self.user_id.map(|u| u.to_string()).unwrap_or_default();
        let seq = self.seq.to_string();
        for field in [
            self.prev_hash.as_str(),
            &seq,
            &self.at,
            &user_id,
            &self.username,
            &self.role,
            &self.region_code,
            &self.source_ip,
            &self.request_id,
            &self.action,
            &self.object_type,
            &self.object_id,
            &self.outcome,
            &self.details,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Checks a run of entries starting after `anchor`: returns the first entry whose link
/// or hash does not hold (a changed, inserted or deleted entry).
pub fn first_broken<'a>(
    anchor: &str,
    first_seq: i64,
    entries: impl IntoIterator<Item = &'a Entry>,
) -> Option<(i64, &'static str)> {
    let mut prev = anchor.to_string();
    for (expected_seq, e) in (first_seq..).zip(entries) {
        if e.seq != expected_seq {
            return Some((expected_seq, "序号不连续（有记录被删除或插入）"));
        }
        if e.prev_hash != prev {
            return Some((e.seq, "与前一条记录的链接不符（前一条记录被改动或删除）"));
        }
        if e.compute_hash() != e.hash {
            return Some((e.seq, "内容与哈希不符（本条记录被改动）"));
        }
        prev = e.hash.clone();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = Entry {
                    seq,
                    at: format!("2026-11-29T10:00:0{seq}+08:00"),
                    user_id: Some(1),
                    username: "zhang".into(),
                    role: "street_caseworker".into(),
                    region_code: "369902001".into(),
                    source_ip: "127.0.0.1".into(),
                    request_id: "r".into(),
                    action: "auth.login".into(),
                    object_type: "user".into(),
                    object_id: "1".into(),
                    outcome: "success".into(),
                    details: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(first_broken(GENESIS, 1, &chain(5)), None);
    }

    #[test]
    fn edits_deletions_and_rehashing_are_found() {
        let mut c = chain(5);
        c[2].action = "auth.logout".into();
        assert_eq!(first_broken(GENESIS, 1, &c).map(|b| b.0), Some(3));

        // Re-hashing the edited entry breaks the link of the next one.
        c[2].hash = c[2].compute_hash();
        assert_eq!(first_broken(GENESIS, 1, &c).map(|b| b.0), Some(4));

        let mut d = chain(5);
        d.remove(1);
        assert_eq!(first_broken(GENESIS, 1, &d).map(|b| b.0), Some(2));
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.username = "ab".into();
        a.role = "c".into();
        b.username = "a".into();
        b.role = "bc".into();
        assert_ne!(a.compute_hash(), b.compute_hash());
    }
}
