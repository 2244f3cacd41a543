use std::fmt;
use std::io::Write;

/// One problem in one cell of an imported file, located as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Row number as the spreadsheet or text editor shows it (1-based, header included).
    pub row: usize,
    /// The column's name in the file's header (or its expected name).
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl RowError {
    pub fn new(
        row: usize,
        column: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> RowError {
        RowError {
            row,
            column: column.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "第 {} 行「{}」列，值「{}」：{}",
            self.row, self.column, self.value, self.reason
        )
    }
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("无法读取文件 {path}：{reason}")]
    Unreadable { path: String, reason: String },
    #[error("文件不是有效的文本文件（UTF-8 或 GB18030），请另存为 CSV（UTF-8）后再导入")]
    Encoding,
    #[error("文件有 {} 处错误，未导入任何数据", .0.len())]
    Rejected(Vec<RowError>),
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
}

/// Writes an error list as CSV (`行号,列名,值,原因`, UTF-8 with BOM so Excel opens it right).
pub fn write_errors_csv(errors: &[RowError], out: impl Write) -> std::io::Result<()> {
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["行号", "列名", "值", "原因"])
        .map_err(std::io::Error::other)?;
    for e in errors {
        // The value is what the file held: it may be a formula a spreadsheet would run.
        let value = super::text::guard_csv_cell(&e.value);
        w.write_record([e.row.to_string().as_str(), &e.column, &value, &e.reason])
            .map_err(std::io::Error::other)?;
    }
    w.flush()
}

/// A full disk or an unreachable database is said in words a caseworker can pass on; the
/// import rolled back either way.
fn database_message(e: &sqlx::Error) -> String {
    match crate::error::Trouble::of(e) {
        Some(trouble) => format!("导入没有保存：{}", trouble.message()),
        None => format!("数据库写入失败：{e}"),
    }
}
