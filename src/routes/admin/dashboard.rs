//! `GET /admin`: the dashboard.

use crate::domain::status::PostKind;
use axum::extract::State;
use axum::response::{Html, Response};

use super::{CurrentAdmin, layout};
use crate::app::AppState;
use crate::error::AppError;
use crate::routes::admin::auth::NoticeQuery;
use crate::routes::extract::Query;
use crate::routes::see_other;
use crate::store::{self, editor, moderation};
use crate::views::admin::comments::CommentRow;
use crate::views::admin::dashboard::DashboardPage;
use crate::views::admin::posts::PostListRow;
use crate::views::render;

/// How many recent comments and posts the dashboard lists.
const RECENT: u32 = 5;

pub async fn show_dashboard(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let now = app.now();
    let settings = store::settings::load(&app.store).await?;
    let counts = moderation::counts(&app.store).await?;
    let posts = editor::counts(&app.store, PostKind::Post, now).await?;
    let pages = editor::counts(&app.store, PostKind::Page, now).await?;
    let comments = moderation::recent(&app.store, RECENT).await?;
    let recent = editor::recent(&app.store, RECENT).await?;
    let ids: Vec<i64> = recent.iter().map(|p| p.id).collect();
    let tags = editor::tags_of(&app.store, &ids).await?;
    render(&DashboardPage {
        layout: layout(&app, &admin, "Dashboard", "dashboard").await?.with_notice(q.notice.as_deref(), q.n),
        pending: counts.pending,
        approved: counts.approved,
        spam: counts.spam,
        posts: posts.published,
        drafts: posts.draft,
        scheduled: posts.scheduled,
        pages: pages.all(),
        comments: comments.iter().map(|c| CommentRow::new(c, &settings, now)).collect(),
        recent: recent
            .iter()
            .map(|p| {
                let names = tags.iter().filter(|(id, _)| *id == p.id).map(|(_, n)| n.as_str()).collect();
                PostListRow::new(p, names, &settings, now)
            })
            .collect(),
    })
}

/// `GET /admin/`: the dashboard's address has no trailing slash.
pub async fn redirect_to_dashboard() -> Response {
    see_other("/admin")
}
