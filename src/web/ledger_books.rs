//! The ledger pages of a line of business (养老服务台账, 基层治理台账): templates, upload
//! (every error listed, nothing stored until the whole file is right; rows outside the
//! user's region refused) and export of the user's region, audited. One page serves every
//! book; a book says which ledgers it holds and how each imports and exports.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ledger::checks::Imported;
use crate::ledger::{ImportError, RowError};
use crate::web::layout::{Crumb, PageCtx, render};

/// A line of business's ledgers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Book {
    Elderly,
    Community,
    Funeral,
    Marriage,
}

impl Book {
    fn path(self) -> &'static str {
        match self {
            Book::Elderly => "/elderly/ledgers",
            Book::Community => "/community/ledgers",
            Book::Funeral => "/affairs/funeral/ledgers",
            Book::Marriage => "/affairs/marriage/ledgers",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Book::Elderly => "养老服务台账",
            Book::Community => "基层治理台账",
            Book::Funeral => "殡葬台账",
            Book::Marriage => "婚姻登记台账",
        }
    }
    fn section(self) -> &'static str {
        match self {
            Book::Elderly => "elderly_ledgers",
            Book::Community => "community_ledgers",
            Book::Funeral => "funeral_ledgers",
            Book::Marriage => "marriage_ledgers",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            Book::Elderly => {
                "床位变动和检查记录引用设施编号：先导入设施名录。培训台账中只有类别为「养老服务」的计入养老服务人员培训人次。"
            }
            Book::Community => {
                "公益活动引用统一社会信用代码：先导入社会组织名录。组织在活动日期不在登记状态（尚未登记或已撤销、注销）的活动被拒绝。"
            }
            Book::Funeral => {
                "墓穴变动引用公墓编号：先导入公墓名录。建成时的墓穴数填在公墓名录的「墓穴数」中（计为建成当日新增），墓穴变动只登记建成以后各日新增的墓穴。"
            }
            Book::Marriage => {
                "历史登记记录不符合婚姻登记规则的（如未达法定年龄、重婚、冷静期内办理离婚）照常导入并标记为不合格，写明未通过的规则；登记类型、日期、证书编号或登记机关无法识别的，整个文件不导入。证书编号相同、内容相同的行不重复导入。"
            }
        }
    }
    /// (name, label) of each ledger.
    fn ledgers(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Book::Elderly => crate::elderly::ledgers::LEDGERS
                .iter()
                .map(|l| (l.name(), l.label()))
                .collect(),
            Book::Community => crate::community::ledgers::LEDGERS
                .iter()
                .map(|l| (l.name(), l.label()))
                .collect(),
            Book::Funeral => crate::affairs::funeral_ledgers::LEDGERS
                .iter()
                .map(|l| (l.name(), l.label()))
                .collect(),
            Book::Marriage => vec![(
                crate::affairs::marriage_ledger::NAME,
                crate::affairs::marriage_ledger::LABEL,
            )],
        }
    }
    fn headers(self, name: &str) -> Option<(&'static str, Vec<&'static str>)> {
        match self {
            Book::Elderly => {
                crate::elderly::ledgers::Ledger::parse(name).map(|l| (l.name(), l.headers()))
            }
            Book::Community => {
                crate::community::ledgers::Ledger::parse(name).map(|l| (l.name(), l.headers()))
            }
            Book::Funeral => crate::affairs::funeral_ledgers::Ledger::parse(name)
                .map(|l| (l.name(), l.headers())),
            Book::Marriage => (name == crate::affairs::marriage_ledger::NAME).then(|| {
                (
                    crate::affairs::marriage_ledger::NAME,
                    crate::affairs::marriage_ledger::headers(),
                )
            }),
        }
    }
    /// The permission a ledger of the book needs: to import (`write`) or to download.
    /// The book's pages let in everyone who may use any of its ledgers.
    fn needs(self, name: &str, write: bool) -> &'static str {
        match (self, name, write) {
            (Book::Elderly, _, true) => "elderly:facility:update",
            (Book::Elderly, _, false) => "elderly:facility:read",
            (Book::Community, "consultations", true) => "community:consultation:record",
            (Book::Community, "consultations", false) => "community:consultation:read",
            (Book::Community, _, true) => "socialorg:registry:manage",
            (Book::Community, _, false) => "socialorg:registry:read",
            (Book::Funeral, _, true) => "funeral:registry:manage",
            (Book::Funeral, _, false) => "funeral:registry:read",
            // The export holds ID numbers in full: the registry's own staff only.
            (Book::Marriage, _, _) => "marriage:registry:register",
        }
    }

    /// Refused unless the user holds the ledger's permission.
    fn allow(self, user: &CurrentUser, name: &str, write: bool) -> AppResult<()> {
        let perm = self.needs(name, write);
        if user.can(perm) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "您没有{}「{}」的权限。",
                if write { "导入" } else { "下载" },
                self.label(name)
            )))
        }
    }

    fn label(self, name: &str) -> &'static str {
        self.ledgers()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, l)| l)
    }

    #[allow(clippy::too_many_arguments)]
    async fn import(
        self,
        state: &AppState,
        name: &str,
        (file_name, bytes): (&str, &[u8]),
        in_scope: crate::ledger::checks::InScope<'_>,
        dry_run: bool,
        event: &AuditEvent,
    ) -> Result<Imported, ImportError> {
        let today = state.clock.today();
        match self {
            Book::Elderly => {
                let Some(l) = crate::elderly::ledgers::Ledger::parse(name) else {
                    return Err(ImportError::Rejected(Vec::new()));
                };
                crate::elderly::ledgers::import(
                    &state.db, l, file_name, bytes, today, in_scope, dry_run, event,
                )
                .await
            }
            Book::Community => {
                let Some(l) = crate::community::ledgers::Ledger::parse(name) else {
                    return Err(ImportError::Rejected(Vec::new()));
                };
                crate::community::ledgers::import(
                    &state.db, l, file_name, bytes, today, in_scope, dry_run, event,
                )
                .await
            }
            Book::Funeral => {
                let Some(l) = crate::affairs::funeral_ledgers::Ledger::parse(name) else {
                    return Err(ImportError::Rejected(Vec::new()));
                };
                crate::affairs::funeral_ledgers::import(
                    &state.db, l, file_name, bytes, today, in_scope, dry_run, event,
                )
                .await
            }
            Book::Marriage => {
                if name != crate::affairs::marriage_ledger::NAME {
                    return Err(ImportError::Rejected(Vec::new()));
                }
                crate::affairs::marriage_ledger::import(
                    &state.db,
                    &state.keyring,
                    file_name,
                    bytes,
                    today,
                    in_scope,
                    dry_run,
                    event,
                )
                .await
            }
        }
    }

    async fn export(
        self,
        state: &AppState,
        name: &str,
        bounds: &(String, String),
    ) -> AppResult<Vec<Vec<String>>> {
        let missing = || AppError::NotFound(format!("台账 {name}"));
        Ok(match self {
            Book::Elderly => {
                let l = crate::elderly::ledgers::Ledger::parse(name).ok_or_else(missing)?;
                crate::elderly::ledgers::export(&state.db, l, bounds, state.clock.today()).await?
            }
            Book::Community => {
                let l = crate::community::ledgers::Ledger::parse(name).ok_or_else(missing)?;
                crate::community::ledgers::export(&state.db, l, bounds).await?
            }
            Book::Funeral => {
                let l = crate::affairs::funeral_ledgers::Ledger::parse(name).ok_or_else(missing)?;
                crate::affairs::funeral_ledgers::export(&state.db, l, bounds).await?
            }
            Book::Marriage => {
                if name != crate::affairs::marriage_ledger::NAME {
                    return Err(missing());
                }
                crate::affairs::marriage_ledger::export(&state.db, &state.keyring, bounds).await?
            }
        })
    }
}

/// The book's routes under its path: the page and upload need `update`, the templates
/// and exports `read`.
pub fn routes(book: Book, read: Access, update: Access) -> Routes {
    let at = |tail: &'static str| -> &'static str {
        // Route paths live as long as the router: leaked once at start-up.
        Box::leak(format!("{}{tail}", book.path()).into_boxed_str())
    };
    Routes::new()
        .get(
            book.path(),
            update,
            move |State(s): State<AppState>, u: CurrentUser| async move {
                view(book, &s, &u, String::new(), (Vec::new(), 0, String::new())).await
            },
        )
        .post(
            book.path(),
            update,
            move |State(s): State<AppState>, ctx: Ctx, m: Multipart| async move {
                upload(book, s, ctx, m).await
            },
        )
        .get(
            at("/template/{file}"),
            read,
            move |Path(file): Path<String>| async move { template(book, file).await },
        )
        .get(
            at("/export/{file}"),
            read,
            move |State(s): State<AppState>, ctx: Ctx, Path(file): Path<String>| async move {
                export(book, s, ctx, file).await
            },
        )
        .get(
            at("/errors/{token}"),
            update,
            |State(s): State<AppState>, u: CurrentUser, Path(token): Path<String>| async move {
                crate::assistance::upload::error_file_of(&s, &u, &token)
            },
        )
}

#[derive(Template)]
#[template(path = "ledger_book.html")]
struct BookPage {
    page: PageCtx,
    path: &'static str,
    title: &'static str,
    hint: &'static str,
    ledgers: Vec<(&'static str, &'static str)>,
    errors: Vec<RowError>,
    error_count: usize,
    error_token: String,
    result: String,
}

async fn view(
    book: Book,
    state: &AppState,
    user: &CurrentUser,
    result: String,
    errors: (Vec<RowError>, usize, String),
) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        state,
        Some(user),
        book.section(),
        book.title(),
        vec![Crumb::here(book.title())],
    )
    .await?;
    render(BookPage {
        page,
        path: book.path(),
        title: book.title(),
        hint: book.hint(),
        ledgers: book
            .ledgers()
            .into_iter()
            .filter(|(name, _)| user.can(book.needs(name, true)))
            .collect(),
        errors: errors.0,
        error_count: errors.1,
        error_token: errors.2,
        result,
    })
}

/// `facilities.xlsx` → the ledger's name and its headers.
fn ledger_file(book: Book, file: &str) -> AppResult<(&'static str, Vec<&'static str>)> {
    let (stem, _) = file
        .rsplit_once('.')
        .filter(|(_, ext)| matches!(*ext, "xlsx" | "csv"))
        .ok_or_else(|| AppError::NotFound(format!("台账文件 {file}")))?;
    book.headers(stem)
        .ok_or_else(|| AppError::NotFound(format!("台账 {stem}")))
}

fn download(bytes: Vec<u8>, file: &str) -> Response {
    let kind = if file.ends_with(".csv") {
        crate::web::download::CSV
    } else {
        crate::web::download::XLSX
    };
    crate::web::download::attachment(bytes, kind, file)
}

async fn template(book: Book, file: String) -> AppResult<Response> {
    let (_, headers) = ledger_file(book, &file)?;
    let bytes = crate::ledger::write_ledger(&file, &headers, &[]).map_err(AppError::Internal)?;
    Ok(download(bytes, &file))
}

async fn export(book: Book, state: AppState, ctx: Ctx, file: String) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let (name, headers) = ledger_file(book, &file)?;
    book.allow(&user, name, false)?;
    let rows = book.export(&state, name, &user.scope_bounds()).await?;
    let bytes = crate::ledger::write_ledger(&file, &headers, &rows).map_err(AppError::Internal)?;
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            "ledger.export",
            "ledger",
            name,
        )
        .with(serde_json::json!({"region": user.region.as_str(), "rows": rows.len()})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(download(bytes, &file))
}

async fn upload(
    book: Book,
    state: AppState,
    ctx: Ctx,
    multipart: Multipart,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let crate::web::extract::LedgerUpload {
        ledger,
        file_name,
        bytes,
        dry_run,
    } = crate::web::extract::LedgerUpload::read(multipart).await?;
    let (name, _) = book.headers(&ledger).ok_or_else(|| {
        AppError::Invalid(format!("没有名为「{ledger}」的台账，请从列表中选择。"))
    })?;
    book.allow(&user, name, true)?;
    let event = AuditEvent::new(
        state.clock.now_local(),
        &ctx.actor(),
        "ledger.import",
        "ledger",
        name,
    );
    let scope = user.scope();
    let in_scope = move |code: &str| scope.contains(code);
    let outcome = book
        .import(
            &state,
            name,
            (&file_name, &bytes),
            &in_scope,
            dry_run,
            &event,
        )
        .await;
    match outcome {
        Ok(done) => {
            let result = format!(
                "{}{}：{} 行（新增 {}，更新 {}）{}",
                book.label(name),
                if dry_run { "检查通过" } else { "已导入" },
                done.rows,
                done.created,
                done.updated,
                if dry_run { "，未写入数据" } else { "" }
            );
            Ok(
                view(book, &state, &user, result, (Vec::new(), 0, String::new()))
                    .await?
                    .into_response(),
            )
        }
        Err(ImportError::Rejected(errors)) => {
            let count = errors.len();
            let shown: Vec<RowError> = errors.iter().take(500).cloned().collect();
            let token = state.error_lists.put(user.id, errors);
            let html = view(book, &state, &user, String::new(), (shown, count, token)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(ImportError::Database(e)) => Err(AppError::Database(e)),
        Err(other) => Err(AppError::Invalid(other.to_string())),
    }
}
