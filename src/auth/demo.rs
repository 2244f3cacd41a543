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
