//! Region pages (`/regions`, `/regions/{code}`) and the JSON API (`/api/v1/regions…`).

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Html;
use serde::Serialize;

use super::model::{Level, Region, RegionCode};
use super::store;
use super::tree::{TreeCounts, counts};
use crate::AppState;
use crate::auth::{Access, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::layout::{Crumb, PageCtx};

const READ: Access = Access::Perm("region:tree:read");

pub fn routes() -> Routes {
    Routes::new()
        .get("/regions", READ, tree_page)
        .get("/regions/{code}", READ, node_page)
        .get("/api/v1/regions", READ, api_list)
        .get("/api/v1/regions/{code}", READ, api_node)
}

/// A node with what the pages and the API show beside it.
#[derive(Serialize)]
pub struct NodeView {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub level_label: &'static str,
    pub parent_code: Option<String>,
    pub urban_rural: Option<super::UrbanRural>,
    pub urban_rural_label: &'static str,
    pub enabled: bool,
    pub depth: usize,
    pub counts: TreeCounts,
}

impl NodeView {
    fn new(region: &Region, counts: &HashMap<String, TreeCounts>) -> NodeView {
        NodeView {
            code: region.code.to_string(),
            name: region.name.clone(),
            level: region.level,
            level_label: region.level.label(),
            parent_code: region.code.parent().map(|p| p.to_string()),
            urban_rural: region.urban_rural,
            urban_rural_label: region.urban_rural.map(|u| u.label()).unwrap_or(""),
            enabled: region.enabled,
            depth: region.level as usize,
            counts: counts
                .get(region.code.as_str())
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// The user's part of the tree: their node and everything below it.
async fn scoped_tree(state: &AppState, user: &CurrentUser) -> AppResult<Vec<NodeView>> {
    let nodes = store::subtree(&state.db, &user.region).await?;
    let counts = counts(&nodes);
    // Sorted by code, the nodes are already in tree order (a child's code extends its
    // parent's), so a flat list with depths draws the tree.
    Ok(nodes.iter().map(|n| NodeView::new(n, &counts)).collect())
}

#[derive(Template)]
#[template(path = "region/tree.html")]
struct TreePage {
    page: PageCtx,
    nodes: Vec<NodeView>,
}

async fn tree_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let nodes = scoped_tree(&state, &user).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "regions",
        "行政区划",
        vec![Crumb::here("行政区划")],
    )
    .await?;
    crate::web::layout::render(TreePage { page, nodes })
}

struct Node {
    view: NodeView,
    ancestors: Vec<NodeView>,
    children: Vec<NodeView>,
}

/// A node inside the user's scope; one outside it answers exactly like a missing one.
async fn load_node(state: &AppState, user: &CurrentUser, code: &str) -> AppResult<Node> {
    let not_found = || AppError::NotFound(format!("行政区划 {code}"));
    let code = RegionCode::parse(code)
        .ok()
        .filter(|c| user.scope().contains(c.as_str()))
        .ok_or_else(not_found)?;
    let region = store::get(&state.db, code.as_str())
        .await?
        .ok_or_else(not_found)?;
    let subtree = store::subtree(&state.db, &code).await?;
    let counts = counts(&subtree);
    let mut ancestors = Vec::new();
    // Ancestors above the user's own node are shown by name only (for orientation).
    for a in code.ancestry().iter().filter(|a| **a != code) {
        if let Some(r) = store::get(&state.db, a.as_str()).await? {
            ancestors.push(NodeView::new(&r, &HashMap::new()));
        }
    }
    let children = subtree
        .iter()
        .filter(|r| r.code.parent().as_ref() == Some(&code))
        .map(|r| NodeView::new(r, &counts))
        .collect();
    Ok(Node {
        view: NodeView::new(&region, &counts),
        ancestors,
        children,
    })
}

#[derive(Template)]
#[template(path = "region/node.html")]
struct NodePage {
    page: PageCtx,
    node: NodeView,
    children: Vec<NodeView>,
    child_label: &'static str,
}

async fn node_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Html<String>> {
    let node = load_node(&state, &user, &code).await?;
    let mut crumbs = vec![Crumb::link("行政区划", "/regions")];
    for a in &node.ancestors {
        crumbs.push(Crumb::link(a.name.clone(), format!("/regions/{}", a.code)));
    }
    crumbs.push(Crumb::here(node.view.name.clone()));
    let title = format!("{}（{}）", node.view.name, node.view.code);
    let page = PageCtx::load(&state, Some(&user), "regions", title, crumbs).await?;
    let child_label = node.view.level.child().map(Level::label).unwrap_or("");
    crate::web::layout::render(NodePage {
        page,
        node: node.view,
        children: node.children,
        child_label,
    })
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Vec<NodeView>>> {
    Ok(Json(scoped_tree(&state, &user).await?))
}

#[derive(Serialize)]
struct NodeAnswer {
    #[serde(flatten)]
    node: NodeView,
    ancestors: Vec<NodeView>,
    children: Vec<NodeView>,
}

async fn api_node(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> AppResult<Json<NodeAnswer>> {
    let node = load_node(&state, &user, &code).await?;
    Ok(Json(NodeAnswer {
        node: node.view,
        ancestors: node.ancestors,
        children: node.children,
    }))
}

/// The district named in a form, if it exists and the user may change it.
pub async fn district_in_scope(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
) -> AppResult<Region> {
    let refused = || {
        AppError::Invalid(format!(
            "「区县」「{}」不存在或不在您的管辖范围内，请从列表中选择。",
            code.trim()
        ))
    };
    let code = RegionCode::parse(code.trim())
        .ok()
        .filter(|c| c.level() == Level::District && user.scope().contains(c.as_str()))
        .ok_or_else(refused)?;
    crate::region::store::get(&state.db, code.as_str())
        .await?
        .ok_or_else(refused)
}
