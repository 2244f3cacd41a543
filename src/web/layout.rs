//! What every page shares: the city's name in the header, the navigation of the business
//! lines that exist, and the breadcrumb.

use askama::Template;
use axum::response::Html;

use crate::AppState;
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
        }],
    },
    NavGroup {
        label: "基础数据",
        items: &[
            NavItem {
                key: "regions",
                label: "行政区划",
                href: "/regions",
            },
            NavItem {
                key: "calendar",
                label: "工作日历",
                href: "/calendar",
            },
        ],
    },
];

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
    pub nav: &'static [NavGroup],
    pub asset_version: &'static str,
    pub today: String,
}

impl PageCtx {
    pub async fn load(
        state: &AppState,
        section: &'static str,
        title: impl Into<String>,
        crumbs: Vec<Crumb>,
    ) -> AppResult<PageCtx> {
        let city = crate::region::store::city(&state.db).await?;
        Ok(PageCtx {
            title: title.into(),
            city_name: city.map(|c| c.name).unwrap_or_default(),
            section,
            crumbs,
            nav: NAV,
            asset_version: super::assets::ASSET_VERSION,
            today: state.clock.today().format("%Y年%-m月%-d日").to_string(),
        })
    }
}
