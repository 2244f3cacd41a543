//! What every page shares: the city's name in the header, the signed-in user, the
//! navigation of the business lines this user may use, and the breadcrumb.

use askama::Template;
use axum::response::Html;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};

/// Renders a template, turning a template failure into a logged internal error.
pub fn render(t: impl Template) -> AppResult<Html<String>> {
    t.render()
        .map(Html)
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    /// Shown only to users whose role holds this permission (`None`: every user).
    pub permission: Option<&'static str>,
}

pub struct NavGroup {
    pub label: &'static str,
    pub items: &'static [NavItem],
}

/// Only business lines that are built appear here; each module adds its entry.
pub const NAV: &[NavGroup] = &[
    NavGroup {
        label: "工作台",
        items: &[NavItem {
            key: "home",
            label: "首页",
            href: "/",
            permission: None,
        }],
    },
    NavGroup {
        label: "社会救助",
        items: &[
            NavItem {
                key: "workbench",
                label: "救助工作台",
                href: "/assistance/workbench",
                permission: Some("assistance:household:read"),
            },
            NavItem {
                key: "temporary",
                label: "临时救助",
                href: "/assistance/temporary/new",
                permission: Some("assistance:temporary:grant"),
            },
            NavItem {
                key: "temporary_requests",
                label: "临时救助报批",
                href: "/assistance/temporary/requests",
                permission: Some("assistance:temporary:grant"),
            },
            NavItem {
                key: "notices",
                label: "公示",
                href: "/assistance/notices",
                permission: Some("assistance:household:read"),
            },
            NavItem {
                key: "lists",
                label: "专项名单",
                href: "/assistance/lists",
                permission: Some("assistance:household:read"),
            },
            NavItem {
                key: "households",
                label: "救助家庭",
                href: "/assistance/households",
                permission: Some("assistance:household:read"),
            },
            NavItem {
                key: "ledgers",
                label: "台账导入",
                href: "/ledgers",
                permission: Some("assistance:ledger:import"),
            },
            NavItem {
                key: "payments",
                label: "资金发放",
                href: "/payments",
                permission: Some("payment:payroll:read"),
            },
            NavItem {
                key: "anomalies",
                label: "异常发放",
                href: "/payments/anomalies",
                permission: Some("payment:payroll:read"),
            },
            NavItem {
                key: "compare_findings",
                label: "比对疑点",
                href: "/compare/findings",
                permission: Some("compare:finding:read"),
            },
            NavItem {
                key: "compare",
                label: "数据比对",
                href: "/compare",
                permission: Some("compare:data:manage"),
            },
            NavItem {
                key: "standards",
                label: "低保标准",
                href: "/assistance/standards",
                permission: Some("assistance:standard:read"),
            },
        ],
    },
    NavGroup {
        label: "养老服务",
        items: &[
            NavItem {
                key: "elderly_facilities",
                label: "养老服务设施",
                href: "/elderly/facilities",
                permission: Some("elderly:facility:read"),
            },
            NavItem {
                key: "elderly_inspections",
                label: "检查与整改",
                href: "/elderly/inspections",
                permission: Some("elderly:facility:read"),
            },
            NavItem {
                key: "elderly_ledgers",
                label: "养老服务台账",
                href: "/elderly/ledgers",
                permission: Some("elderly:facility:update"),
            },
            NavItem {
                key: "older_people",
                label: "老年人",
                href: "/elderly/people",
                permission: Some("elderly:person:read"),
            },
            NavItem {
                key: "older_visits",
                label: "探访逾期",
                href: "/elderly/visits/overdue",
                permission: Some("elderly:person:read"),
            },
            NavItem {
                key: "homecare_orders",
                label: "居家养老订单",
                href: "/homecare/orders",
                permission: Some("homecare:order:read"),
            },
            NavItem {
                key: "homecare_providers",
                label: "服务商",
                href: "/homecare/providers",
                permission: Some("homecare:order:read"),
            },
            NavItem {
                key: "homecare_services",
                label: "服务目录与补贴",
                href: "/homecare/services",
                permission: Some("homecare:order:read"),
            },
            NavItem {
                key: "homecare_performance",
                label: "服务商绩效与助餐",
                href: "/homecare/performance",
                permission: Some("homecare:order:read"),
            },
        ],
    },
    NavGroup {
        label: "基层治理",
        items: &[
            NavItem {
                key: "community_consultations",
                label: "社区协商",
                href: "/community/consultations",
                permission: Some("community:consultation:read"),
            },
            NavItem {
                key: "community_orgs",
                label: "社会组织",
                href: "/community/orgs",
                permission: Some("socialorg:registry:read"),
            },
            NavItem {
                key: "community_ledgers",
                label: "基层治理台账",
                href: "/community/ledgers",
                permission: Some("community:consultation:record"),
            },
            NavItem {
                key: "community_lists",
                label: "社区工作事项与证明",
                href: "/community/lists",
                permission: Some("community:workitem:read"),
            },
            NavItem {
                key: "community_certificates",
                label: "社区证明",
                href: "/community/certificates",
                permission: Some("community:certificate:read"),
            },
            NavItem {
                key: "community_workers",
                label: "社区工作者",
                href: "/community/workers",
                permission: Some("community:worker:read"),
            },
            NavItem {
                key: "volunteers",
                label: "志愿者",
                href: "/community/volunteers",
                permission: Some("volunteer:register:read"),
            },
            NavItem {
                key: "social_workers",
                label: "社会工作者",
                href: "/community/social-workers",
                permission: Some("socialwork:register:read"),
            },
        ],
    },
    NavGroup {
        label: "社会事务",
        items: &[
            NavItem {
                key: "relief",
                label: "流浪乞讨人员救助",
                href: "/relief",
                permission: Some("relief:station:read"),
            },
            NavItem {
                key: "affairs_marriage",
                label: "婚姻登记",
                href: "/affairs/marriage",
                permission: Some("marriage:registry:read"),
            },
            NavItem {
                key: "marriage_ledgers",
                label: "婚姻登记台账",
                href: "/affairs/marriage/ledgers",
                permission: Some("marriage:registry:register"),
            },
            NavItem {
                key: "cemeteries",
                label: "公墓",
                href: "/affairs/cemeteries",
                permission: Some("funeral:registry:read"),
            },
            NavItem {
                key: "burials",
                label: "安葬",
                href: "/affairs/burials",
                permission: Some("funeral:registry:read"),
            },
            NavItem {
                key: "cremations",
                label: "火化记录",
                href: "/affairs/cremations",
                permission: Some("funeral:registry:read"),
            },
            NavItem {
                key: "funeral_violations",
                label: "殡葬违规案件",
                href: "/affairs/funeral-violations",
                permission: Some("funeral:registry:read"),
            },
            NavItem {
                key: "funeral_ledgers",
                label: "殡葬台账",
                href: "/affairs/funeral/ledgers",
                permission: Some("funeral:registry:manage"),
            },
        ],
    },
    NavGroup {
        label: "统计报表",
        items: &[
            NavItem {
                key: "report",
                label: "季度报表",
                href: "/reports/quarterly",
                permission: Some("report:quarterly:read"),
            },
            NavItem {
                key: "balance",
                label: "均衡分析",
                href: "/reports/balance",
                permission: Some("report:balance:read"),
            },
        ],
    },
    NavGroup {
        label: "基础数据",
        items: &[
            NavItem {
                key: "regions",
                label: "行政区划",
                href: "/regions",
                permission: Some("region:tree:read"),
            },
            NavItem {
                key: "capacity",
                label: "人口与队伍",
                href: "/capacity",
                permission: Some("capacity:register:read"),
            },
            NavItem {
                key: "funds",
                label: "资金保障",
                href: "/funds",
                permission: Some("funds:register:read"),
            },
            NavItem {
                key: "calendar",
                label: "工作日历",
                href: "/calendar",
                permission: Some("calendar:holiday:read"),
            },
        ],
    },
    NavGroup {
        label: "系统管理",
        items: &[
            NavItem {
                key: "admin_users",
                label: "账号管理",
                href: "/admin/users",
                permission: Some("admin:user:read"),
            },
            NavItem {
                key: "security_users",
                label: "角色授权",
                href: "/security/users",
                permission: Some("security:user:read"),
            },
            NavItem {
                key: "security_policy",
                label: "安全策略",
                href: "/security/policy",
                permission: Some("security:policy:read"),
            },
            NavItem {
                key: "audit",
                label: "审计日志",
                href: "/audit",
                permission: Some("audit:log:read"),
            },
        ],
    },
];

pub struct VisibleGroup {
    pub label: &'static str,
    pub items: Vec<&'static NavItem>,
}

pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

impl Crumb {
    pub fn link(label: impl Into<String>, href: impl Into<String>) -> Crumb {
        Crumb {
            label: label.into(),
            href: Some(href.into()),
        }
    }
    pub fn here(label: impl Into<String>) -> Crumb {
        Crumb {
            label: label.into(),
            href: None,
        }
    }
}

pub struct PageCtx {
    pub title: String,
    pub city_name: String,
    pub section: &'static str,
    pub crumbs: Vec<Crumb>,
    pub nav: Vec<VisibleGroup>,
    pub asset_version: &'static str,
    pub today: String,
    /// "王经办 · 街道经办人员"; empty when nobody is signed in.
    pub user_label: String,
    pub csrf: String,
}

impl PageCtx {
    pub async fn load(
        state: &AppState,
        user: Option<&CurrentUser>,
        section: &'static str,
        title: impl Into<String>,
        crumbs: Vec<Crumb>,
    ) -> AppResult<PageCtx> {
        let city = crate::region::store::city(&state.db).await?;
        let nav = NAV
            .iter()
            .map(|g| VisibleGroup {
                label: g.label,
                items: g
                    .items
                    .iter()
                    .filter(|i| match (i.permission, user) {
                        (None, _) => true,
                        (Some(p), Some(u)) => u.can(p),
                        (Some(_), None) => false,
                    })
                    .collect(),
            })
            .filter(|g| !g.items.is_empty())
            .collect();
        Ok(PageCtx {
            title: title.into(),
            city_name: city.map(|c| c.name).unwrap_or_default(),
            section,
            crumbs,
            nav,
            asset_version: super::assets::ASSET_VERSION,
            today: state.clock.today().format("%Y年%-m月%-d日").to_string(),
            user_label: user
                .map(|u| format!("{} · {}", u.display_name, u.role.label()))
                .unwrap_or_default(),
            csrf: user.map(|u| u.csrf_token.clone()).unwrap_or_default(),
        })
    }
}
