//! The security policy: defaults from SECURITY.md, adjustable by the security admin, but
//! never beyond the floors (or ceilings) the standard sets.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sqlx::Row;

use crate::db::Db;

pub const AUDIT_RETENTION_FLOOR_DAYS: i64 = 184;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityPolicy {
    pub min_password_length: i64,
    pub max_failed_logins: i64,
    pub lockout_minutes: i64,
    pub idle_minutes: i64,
    pub admin_idle_minutes: i64,
    pub absolute_hours: i64,
    pub admin_password_max_age_days: i64,
    /// 0 = passwords of business roles do not expire.
    pub user_password_max_age_days: i64,
    pub login_attempts_per_minute: i64,
    pub reauth_minutes: i64,
    pub audit_retention_days: i64,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            min_password_length: 12,
            max_failed_logins: 5,
            lockout_minutes: 15,
            idle_minutes: 30,
            admin_idle_minutes: 15,
            absolute_hours: 12,
            admin_password_max_age_days: 90,
            user_password_max_age_days: 0,
            login_attempts_per_minute: 30,
            reauth_minutes: 10,
            audit_retention_days: AUDIT_RETENTION_FLOOR_DAYS,
        }
    }
}

/// One adjustable setting: its key, label, and the range the standard allows.
pub struct Setting {
    pub key: &'static str,
    pub label: &'static str,
    pub min: i64,
    pub max: i64,
}

pub const SETTINGS: [Setting; 11] = [
    Setting {
        key: "min_password_length",
        label: "密码最短长度（字符）",
        min: 12,
        max: 64,
    },
    Setting {
        key: "max_failed_logins",
        label: "连续登录失败锁定次数",
        min: 3,
        max: 5,
    },
    Setting {
        key: "lockout_minutes",
        label: "锁定时长（分钟）",
        min: 15,
        max: 1440,
    },
    Setting {
        key: "idle_minutes",
        label: "业务用户空闲超时（分钟）",
        min: 5,
        max: 30,
    },
    Setting {
        key: "admin_idle_minutes",
        label: "管理员空闲超时（分钟）",
        min: 5,
        max: 15,
    },
    Setting {
        key: "absolute_hours",
        label: "会话最长时长（小时）",
        min: 1,
        max: 12,
    },
    Setting {
        key: "admin_password_max_age_days",
        label: "管理员密码有效期（天）",
        min: 30,
        max: 90,
    },
    Setting {
        key: "user_password_max_age_days",
        label: "业务用户密码有效期（天，0 为不过期）",
        min: 0,
        max: 365,
    },
    Setting {
        key: "login_attempts_per_minute",
        label: "每个 IP 每分钟登录次数上限",
        min: 5,
        max: 30,
    },
    Setting {
        key: "reauth_minutes",
        label: "敏感操作前重新验证的有效时间（分钟）",
        min: 1,
        max: 10,
    },
    Setting {
        key: "audit_retention_days",
        label: "审计记录保存期限（天）",
        min: AUDIT_RETENTION_FLOOR_DAYS,
        max: 3650,
    },
];

impl SecurityPolicy {
    pub fn get(&self, key: &str) -> Option<i64> {
        Some(match key {
            "min_password_length" => self.min_password_length,
            "max_failed_logins" => self.max_failed_logins,
            "lockout_minutes" => self.lockout_minutes,
            "idle_minutes" => self.idle_minutes,
            "admin_idle_minutes" => self.admin_idle_minutes,
            "absolute_hours" => self.absolute_hours,
            "admin_password_max_age_days" => self.admin_password_max_age_days,
            "user_password_max_age_days" => self.user_password_max_age_days,
            "login_attempts_per_minute" => self.login_attempts_per_minute,
            "reauth_minutes" => self.reauth_minutes,
            "audit_retention_days" => self.audit_retention_days,
            _ => return None,
        })
    }

    fn set(&mut self, key: &str, value: i64) {
        let slot = match key {
            "min_password_length" => &mut self.min_password_length,
            "max_failed_logins" => &mut self.max_failed_logins,
            "lockout_minutes" => &mut self.lockout_minutes,
            "idle_minutes" => &mut self.idle_minutes,
            "admin_idle_minutes" => &mut self.admin_idle_minutes,
            "absolute_hours" => &mut self.absolute_hours,
            "admin_password_max_age_days" => &mut self.admin_password_max_age_days,
            "user_password_max_age_days" => &mut self.user_password_max_age_days,
            "login_attempts_per_minute" => &mut self.login_attempts_per_minute,
            "reauth_minutes" => &mut self.reauth_minutes,
            "audit_retention_days" => &mut self.audit_retention_days,
            _ => return,
        };
        *slot = value;
    }

    /// Checks a proposed value against the standard's range.
    pub fn check(key: &str, value: i64) -> Result<(), String> {
        let Some(s) = SETTINGS.iter().find(|s| s.key == key) else {
            return Err(format!("未知的策略项 {key}"));
        };
        if value < s.min || value > s.max {
            return Err(format!(
                "「{}」应在 {} 到 {} 之间（等保三级要求），填写的是 {value}",
                s.label, s.min, s.max
            ));
        }
        Ok(())
    }

    pub async fn load(db: &Db) -> Result<SecurityPolicy, sqlx::Error> {
        let mut policy = SecurityPolicy::default();
        let rows = sqlx::query("SELECT key, value FROM security_policy")
            .fetch_all(db.pool())
            .await?;
        for row in rows {
            let key: String = row.try_get("key")?;
            let value: i64 = row.try_get("value")?;
            // A value outside the range (edited in the database) is ignored: the default
            // meets the standard.
            if SecurityPolicy::check(&key, value).is_ok() {
                policy.set(&key, value);
            }
        }
        Ok(policy)
    }

    /// Stores changed values (already checked) in the caller's transaction; returns the
    /// before/after of each change for the audit entry.
    pub async fn save(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        changes: &[(String, i64)],
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
        let mut diff = Vec::new();
        for (key, value) in changes {
            let before = self.get(key).unwrap_or_default();
            if before == *value {
                continue;
            }
            sqlx::query(
                "INSERT INTO security_policy (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value)
            .bind(now.to_rfc3339())
            .execute(&mut **tx)
            .await?;
            diff.push((key.clone(), before, *value));
        }
        Ok(diff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_meet_the_standard_and_floors_hold() {
        let p = SecurityPolicy::default();
        for s in &SETTINGS {
            assert!(
                SecurityPolicy::check(s.key, p.get(s.key).unwrap()).is_ok(),
                "{}",
                s.key
            );
        }
        assert!(SecurityPolicy::check("min_password_length", 8).is_err());
        assert!(SecurityPolicy::check("max_failed_logins", 10).is_err());
        assert!(SecurityPolicy::check("audit_retention_days", 90).is_err());
        assert!(SecurityPolicy::check("idle_minutes", 60).is_err());
        assert!(SecurityPolicy::check("audit_retention_days", 365).is_ok());
    }
}
