//! The printable public notice (公示) of a community: the cases in notice there, with only
//! the fields SECURITY.md allows (built by `notice::notice_row`).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use sqlx::Row;

use super::cases;
use super::notice::{NoticeRow, notice_row};
use crate::AppState;
use crate::auth::{Access, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::{Level, RegionCode};
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new().get(
        "/assistance/notices",
        Access::Perm("assistance:household:read"),
        page,
    )
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    community: String,
}

pub struct CommunityCount {
    code: String,
    name: String,
    cases: i64,
}

pub struct Sheet {
    community: String,
    community_name: String,
    rows: Vec<(NoticeRow, String, String)>,
    today: String,
}

#[derive(Template)]
#[template(path = "assistance/notices.html")]
struct NoticePage {
    page: PageCtx,
    communities: Vec<CommunityCount>,
    sheet: Option<Sheet>,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Html<String>> {
    let (low, high) = user.scope_bounds();
    let mut communities = Vec::new();
    for r in sqlx::query(
        "SELECT c.region_code, r.name, COUNT(*) AS n FROM cases c JOIN regions r ON r.code = c.region_code \
         WHERE c.status = 'notice' AND c.region_code >= $1 AND c.region_code < $2 \
         GROUP BY c.region_code, r.name ORDER BY c.region_code",
    )
    .bind(low)
    .bind(high)
    .fetch_all(state.db.pool())
    .await?
    {
        communities.push(CommunityCount {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            cases: r.try_get(2)?,
        });
    }
    let sheet = if q.community.is_empty() {
        None
    } else {
        let code = RegionCode::parse(&q.community)
            .ok()
            .filter(|c| c.level() == Level::Community)
            .ok_or_else(|| AppError::NotFound(format!("社区（村）{}", q.community)))?;
        user.ensure_in_scope(code.as_str(), || format!("社区（村）{code}"))?;
        let name = crate::region::store::get(&state.db, code.as_str())
            .await?
            .map(|r| r.name)
            .ok_or_else(|| AppError::NotFound(format!("社区（村）{code}")))?;
        let today = state.clock.today();
        let in_notice = cases::query(
            &state.db,
            // Only notices still running: an ended one no longer belongs on the board.
            "c.region_code = $1 AND c.status = 'notice' AND c.notice_until >= $2",
            &[code.to_string(), today.to_string()],
            1000,
        )
        .await?;
        let mut rows = Vec::new();
        for c in &in_notice {
            let area = cases::area_of(&state.db, &c.region_code).await?;
            let h = cases::household_for_rules(&state.db, c.household_id, area, today).await?;
            rows.push((
                notice_row(
                    &h.members,
                    &name,
                    c.program,
                    crate::money::Fen(c.monthly_amount),
                ),
                c.notice_from.clone().unwrap_or_default(),
                c.notice_until.clone().unwrap_or_default(),
            ));
        }
        Some(Sheet {
            community: code.to_string(),
            community_name: name,
            rows,
            today: today.to_string(),
        })
    };
    let page = PageCtx::load(
        &state,
        Some(&user),
        "notices",
        "公示",
        vec![
            Crumb::link("工作台", "/assistance/workbench"),
            Crumb::here("公示"),
        ],
    )
    .await?;
    render(NoticePage {
        page,
        communities,
        sheet,
    })
}
