//! Demo accounts: one per role, placed where that role works in 示范市. Passwords are
//! derived from the seed (so a demo is reproducible) and must be changed at first login;
//! the administrators' second-factor secrets are printed so they can be enrolled in an
//! authenticator app.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::password::hash_password;
use super::roles::Role;
use super::store::{self, NewUser};
use crate::demo::{DemoContext, DemoError, DemoFuture};
use crate::protect::SensitiveKind;

/// (username, display name, role, region code)
pub const DEMO_ACCOUNTS: [(&str, &str, Role, &str); 9] = [
    ("shequ", "李社区", Role::CommunityWorker, "369902001001"),
    ("jiedao", "王经办", Role::StreetCaseworker, "369902001"),
    ("shenhe", "张审核", Role::DistrictReviewer, "369902"),
    ("shenpi", "赵审批", Role::DistrictApprover, "369902"),
    ("shiju", "陈市局", Role::CityAdmin, "369900"),
    ("shenji", "刘审计", Role::Auditor, "369900"),
    ("sysadmin", "系统管理员", Role::SystemAdmin, "369900"),
    ("secadmin", "安全管理员", Role::SecurityAdmin, "369900"),
    ("auditadmin", "审计管理员", Role::AuditAdmin, "369900"),
];

fn demo_password(rng: &mut ChaCha8Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let body: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("Mz#{body}9a")
}

fn demo_secret(rng: &mut ChaCha8Rng) -> String {
    let bytes: Vec<u8> = (0..20).map(|_| rng.random()).collect();
    totp_rs::Secret::Raw(bytes).to_encoded().to_string()
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("accounts");
        let now = ctx.now;
        let mut lines =
            vec!["示范账号（首次登录须修改密码；管理员须用验证器绑定下列密钥）：".to_string()];
        for (username, name, role, region) in DEMO_ACCOUNTS {
            let password = demo_password(&mut rng);
            let hash = hash_password(&password).map_err(DemoError::Other)?;
            let secret = role.requires_totp().then(|| demo_secret(&mut rng));
            let sealed = secret
                .as_ref()
                .map(|s| ctx.keyring.seal(SensitiveKind::Totp, s));
            store::insert(
                &mut ctx.tx,
                &NewUser {
                    username,
                    display_name: name,
                    role,
                    region_code: region,
                    password_hash: &hash,
                    must_change_password: true,
                    totp_secret: sealed.as_ref().map(|s| s.sealed.as_str()),
                    phone: None,
                    id_number: None,
                },
                now,
            )
            .await?;
            let mut line = format!(
                "  {username:<11} 密码 {password}  {}（{region}）",
                role.label()
            );
            if let Some(s) = secret {
                line.push_str(&format!("  TOTP 密钥 {s}"));
            }
            lines.push(line);
        }
        Ok(lines.join("\n"))
    })
}

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
