//! Roles and their permissions (`module:entity:action`). Deny by default: a role can do
//! exactly what its list says. The three administrators (三员) hold no business
//! permission, so none of them reads case data.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A new account before the security admin grants a role: reaches nothing.
    None,
    CommunityWorker,
    StreetCaseworker,
    DistrictReviewer,
    DistrictApprover,
    CityAdmin,
    Auditor,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
}

pub const ALL_ROLES: [Role; 10] = [
    Role::None,
    Role::CommunityWorker,
    Role::StreetCaseworker,
    Role::DistrictReviewer,
    Role::DistrictApprover,
    Role::CityAdmin,
    Role::Auditor,
    Role::SystemAdmin,
    Role::SecurityAdmin,
    Role::AuditAdmin,
];

/// What every business role reads: reference data, the assistance register of its region
/// and the standards in force.
const REFERENCE: [&str; 4] = [
    "region:tree:read",
    "calendar:holiday:read",
    "assistance:household:read",
    "assistance:standard:read",
];

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::CommunityWorker => "community_worker",
            Role::StreetCaseworker => "street_caseworker",
            Role::DistrictReviewer => "district_reviewer",
            Role::DistrictApprover => "district_approver",
            Role::CityAdmin => "city_admin",
            Role::Auditor => "auditor",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        ALL_ROLES.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::None => "未授权",
            Role::CommunityWorker => "社区工作人员",
            Role::StreetCaseworker => "街道经办人员",
            Role::DistrictReviewer => "区县审核人员",
            Role::DistrictApprover => "区县审批人员",
            Role::CityAdmin => "市局管理人员",
            Role::Auditor => "审计人员",
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
        }
    }

    /// The three separated administrator roles (三员).
    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin
        )
    }

    /// 等保 level 3: a second factor is mandatory for the three administrators.
    pub fn requires_totp(self) -> bool {
        self.is_admin()
    }

    pub fn permissions(self) -> Vec<&'static str> {
        let mut p: Vec<&'static str> = Vec::new();
        match self {
            Role::None => {}
            Role::CommunityWorker => {
                p.extend(REFERENCE);
                // Helps residents apply, visits homes, takes objections to the notice.
                p.extend([
                    "person:sensitive:reveal",
                    "assistance:household:update",
                    "assistance:case:create",
                    "assistance:case:investigate",
                    "assistance:objection:record",
                    "compare:finding:read",
                    "elderly:person:read",
                    "elderly:person:update",
                    "homecare:order:read",
                    "homecare:order:place",
                    "homecare:order:cancel",
                    "community:consultation:read",
                    "community:consultation:record",
                    "community:workitem:read",
                    "community:certificate:read",
                    "community:certificate:issue",
                    "community:worker:read",
                    "volunteer:register:read",
                    "volunteer:register:update",
                ]);
            }
            Role::StreetCaseworker => {
                p.extend(REFERENCE);
                p.extend([
                    "person:sensitive:reveal",
                    "assistance:ledger:import",
                    "assistance:household:update",
                    "assistance:case:create",
                    "assistance:case:accept",
                    "assistance:case:investigate",
                    "assistance:case:review",
                    "assistance:case:return",
                    "assistance:case:recheck",
                    "assistance:case:exit",
                    "assistance:objection:record",
                    "assistance:objection:resolve",
                    "assistance:temporary:grant",
                    "assistance:temporary:complete",
                    "report:quarterly:read",
                    "compare:finding:read",
                    "compare:finding:resolve",
                    "elderly:facility:read",
                    "elderly:person:read",
                    "elderly:person:update",
                    "homecare:order:read",
                    "homecare:order:place",
                    "homecare:order:handle",
                    "homecare:order:cancel",
                    "community:consultation:read",
                    "community:consultation:record",
                    "community:workitem:read",
                    "community:certificate:read",
                    "community:certificate:issue",
                    "community:worker:read",
                    "community:worker:manage",
                    "volunteer:register:read",
                    "volunteer:register:update",
                    // Street patrols (街面巡查) are the street's; the station's cases are read.
                    "relief:patrol:record",
                    "relief:station:read",
                ]);
            }
            Role::DistrictReviewer => {
                p.extend(REFERENCE);
                p.extend([
                    "person:sensitive:reveal",
                    "assistance:ledger:import",
                    "assistance:case:district_review",
                    "assistance:case:return",
                    "assistance:objection:resolve",
                    "report:quarterly:read",
                    "report:balance:read",
                    "capacity:register:read",
                    "funds:register:read",
                    "payment:payroll:read",
                    "payment:payroll:generate",
                    "payment:payroll:export",
                    "payment:payroll:reconcile",
                    "payment:anomaly:resolve",
                    // Reads only: a confirmation can stop a case, which is the street's
                    // business (assistance:case:exit), as the issue assigns findings.
                    "compare:finding:read",
                    // The district's elderly-care desk: facilities, beds, inspections.
                    "funeral:registry:read",
                    "funeral:registry:manage",
                    "elderly:facility:read",
                    "elderly:facility:update",
                    "elderly:person:read",
                    "homecare:order:read",
                    "homecare:order:handle",
                    "homecare:order:cancel",
                    // The district's social-organisation desk registers and supervises; it
                    // also takes the communities' consultation ledgers in bulk.
                    "community:consultation:read",
                    "community:consultation:record",
                    "socialorg:registry:read",
                    "socialorg:registry:manage",
                    "community:workitem:read",
                    "community:certificate:read",
                    "community:worker:read",
                    "community:worker:manage",
                    "volunteer:register:read",
                    "socialwork:register:read",
                    "socialwork:register:update",
                    // The district's assistance station (救助管理站).
                    "relief:station:read",
                    "relief:station:manage",
                    "relief:patrol:record",
                    // The district's marriage registry (婚姻登记处).
                    "marriage:registry:read",
                    "marriage:registry:register",
                ]);
            }
            Role::DistrictApprover => {
                p.extend(REFERENCE);
                p.extend([
                    "person:sensitive:reveal",
                    "assistance:ledger:import",
                    "assistance:case:approve",
                    "assistance:case:return",
                    "assistance:case:recheck",
                    "assistance:case:exit",
                    "assistance:temporary:grant",
                    "assistance:temporary:approve_district",
                    "report:quarterly:read",
                    "report:balance:read",
                    "capacity:register:read",
                    "capacity:register:update",
                    "funds:register:read",
                    "funds:register:update",
                    "payment:payroll:read",
                    "payment:payroll:approve",
                    "payment:anomaly:resolve",
                    "compare:finding:read",
                    "funeral:registry:read",
                    "elderly:facility:read",
                    "elderly:person:read",
                    "homecare:order:read",
                    "community:consultation:read",
                    "socialorg:registry:read",
                    "community:workitem:read",
                    "community:workitem:manage",
                    "community:certificate:read",
                    "community:worker:read",
                    "volunteer:register:read",
                    "socialwork:register:read",
                    "relief:station:read",
                ]);
            }
            Role::CityAdmin => {
                p.extend(REFERENCE);
                p.extend([
                    "person:sensitive:reveal",
                    "assistance:standard:update",
                    "assistance:ledger:import",
                    "assistance:temporary:grant",
                    "assistance:temporary:approve_district",
                    "assistance:temporary:approve_city",
                    "report:quarterly:read",
                    "report:balance:read",
                    "capacity:register:read",
                    "capacity:register:update",
                    "funds:register:read",
                    "funds:register:update",
                    "payment:payroll:read",
                    "compare:data:manage",
                    "compare:finding:read",
                    "funeral:registry:read",
                    "funeral:registry:manage",
                    "elderly:facility:read",
                    "elderly:facility:update",
                    "elderly:person:read",
                    "homecare:order:read",
                    "homecare:provider:manage",
                    "community:consultation:read",
                    "community:consultation:record",
                    "socialorg:registry:read",
                    "socialorg:registry:manage",
                    "community:workitem:read",
                    "community:workitem:manage",
                    "community:certificate:read",
                    "community:worker:read",
                    "volunteer:register:read",
                    "socialwork:register:read",
                    "socialwork:register:update",
                    "relief:station:read",
                    "relief:station:manage",
                    "marriage:registry:read",
                ]);
            }
            Role::Auditor => {
                p.extend(REFERENCE);
                // Fund supervision: the payrolls are read, never changed.
                p.push("payment:payroll:read");
                p.push("funds:register:read");
                p.push("compare:finding:read");
                p.push("funeral:registry:read");
                p.push("elderly:facility:read");
                p.push("elderly:person:read");
                p.push("homecare:order:read");
                p.push("community:consultation:read");
                p.push("socialorg:registry:read");
                p.push("relief:station:read");
                p.push("marriage:registry:read");
                p.push("community:workitem:read");
                p.push("community:certificate:read");
                p.push("community:worker:read");
                p.push("volunteer:register:read");
                p.push("socialwork:register:read");
                // Reads the audit log of its own region (DOMAIN.md §8), never exports it.
                p.push("audit:log:read");
            }
            Role::SystemAdmin => {
                // Accounts and configuration; the tree is needed to place accounts.
                p.extend([
                    "region:tree:read",
                    "admin:user:read",
                    "admin:user:create",
                    "admin:user:update",
                    "admin:user:reveal",
                ]);
            }
            Role::SecurityAdmin => {
                p.extend([
                    "security:user:read",
                    "security:role:grant",
                    "security:policy:read",
                    "security:policy:update",
                ]);
            }
            Role::AuditAdmin => {
                p.extend(["audit:log:read", "audit:log:export", "audit:log:read_all"]);
            }
        }
        p
    }

    pub fn has(self, permission: &str) -> bool {
        self.permissions().contains(&permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_administrators_hold_no_business_permission() {
        for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            for p in admin.permissions() {
                assert!(
                    !p.starts_with("person:") && !p.starts_with("assistance:"),
                    "{admin:?} holds {p}"
                );
            }
        }
        // And they do not overlap: accounts, grants and audit are separate.
        assert!(!Role::SystemAdmin.has("security:role:grant"));
        assert!(!Role::SystemAdmin.has("audit:log:read"));
        assert!(!Role::SecurityAdmin.has("admin:user:create"));
        assert!(!Role::SecurityAdmin.has("audit:log:read"));
        assert!(!Role::AuditAdmin.has("admin:user:read"));
        assert!(!Role::AuditAdmin.has("security:role:grant"));
    }

    #[test]
    fn no_role_means_no_permission() {
        assert!(Role::None.permissions().is_empty());
    }

    #[test]
    fn codes_round_trip() {
        for r in ALL_ROLES {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
    }
}
