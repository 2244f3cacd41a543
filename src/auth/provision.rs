//! Accounts created or repaired by the server's operator on the command line: the three
//! administrators of a new installation, and resetting an administrator (which the web
//! refuses, to keep the three apart).

use super::password::hash_password;
use super::roles::Role;
use super::store::{self, NewUser};
use crate::protect::SensitiveKind;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("已有 {0} 个账号，初始化只能在没有账号的新系统上进行")]
    HasUsers(i64),
    #[error("还没有导入行政区划：请先运行 minzheng regions import")]
    NoCity,
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
}

/// The three administrators of a new installation, placed at the city, each with a
/// temporary password and a second-factor secret printed once.
pub async fn bootstrap(
    state: &crate::AppState,
    actor: &crate::audit::Actor,
) -> Result<Vec<String>, BootstrapError> {
    let existing = store::count(&state.db).await?;
    if existing > 0 {
        return Err(BootstrapError::HasUsers(existing));
    }
    let city = crate::region::store::city(&state.db)
        .await?
        .ok_or(BootstrapError::NoCity)?;
    let mut tx = state.db.begin().await?;
    let mut lines = vec!["已建立三员账号（首次登录须修改密码，并用验证器绑定密钥）：".to_string()];
    for (username, name, role) in [
        ("sysadmin", "系统管理员", Role::SystemAdmin),
        ("secadmin", "安全管理员", Role::SecurityAdmin),
        ("auditadmin", "审计管理员", Role::AuditAdmin),
    ] {
        let password = super::admin::temporary_password();
        let hash = hash_password(&password).map_err(BootstrapError::Other)?;
        let secret = super::totp::new_secret();
        let sealed = state.keyring.seal(SensitiveKind::Totp, &secret);
        let id = store::insert(
            &mut tx,
            &NewUser {
                username,
                display_name: name,
                role,
                region_code: city.code.as_str(),
                password_hash: &hash,
                must_change_password: true,
                totp_secret: Some(&sealed.sealed),
                phone: None,
                id_number: None,
            },
            state.clock.now(),
        )
        .await?;
        crate::audit::record(
            &mut tx,
            &crate::audit::AuditEvent::new(state.clock.now_local(), actor, "user.create", "user", id.to_string())
                .with(serde_json::json!({"after": {"username": username, "role": role.code(), "region_code": city.code.as_str()}})),
        )
        .await?;
        lines.push(format!(
            "  {username:<11} 临时密码 {password}  {}  TOTP 密钥 {secret}",
            role.label()
        ));
    }
    tx.commit().await?;
    Ok(lines)
}

/// Gives an account a new temporary password (to be changed at sign-in), unlocks it, ends
/// its sessions and, for administrators, issues a new second-factor secret.
pub async fn reset(
    state: &crate::AppState,
    actor: &crate::audit::Actor,
    username: &str,
) -> Result<Vec<String>, BootstrapError> {
    let user = store::by_username(&state.db, username)
        .await?
        .ok_or_else(|| BootstrapError::Other(format!("没有用户名为 {username} 的账号")))?;
    let password = super::admin::temporary_password();
    let hash = hash_password(&password).map_err(BootstrapError::Other)?;
    let secret = user.role.requires_totp().then(super::totp::new_secret);
    let mut tx = state.db.begin().await?;
    store::set_password(&mut tx, user.id, &hash, true, state.clock.now()).await?;
    if let Some(s) = &secret {
        let sealed = state.keyring.seal(SensitiveKind::Totp, s);
        store::set_totp_secret(&mut tx, user.id, Some(&sealed.sealed), 0).await?;
    }
    store::delete_user_sessions(&mut tx, user.id).await?;
    crate::audit::record(
        &mut tx,
        &crate::audit::AuditEvent::new(
            state.clock.now_local(),
            actor,
            "user.password_reset",
            "user",
            user.id.to_string(),
        )
        .with(serde_json::json!({"second_factor_reset": secret.is_some()})),
    )
    .await?;
    tx.commit().await?;
    let mut lines = vec![format!(
        "{username} 的临时密码：{password}（登录后必须修改）"
    )];
    if let Some(s) = secret {
        lines.push(format!("新的 TOTP 密钥：{s}（请在验证器中替换旧的）"));
    }
    Ok(lines)
}
