//! Reading a ledger file into rows of cells, whatever it is: XLSX/XLS/ODS (calamine) or
//! CSV (UTF-8 with or without BOM, or GB18030). Row numbers are the ones the user sees.

use std::borrow::Cow;
use std::io::Cursor;

use chrono::NaiveDate;

use super::text::CsvRecords;
use super::{ImportError, RowError, decode_text, read_csv_records};

/// One cell as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A numeric cell: an ID number typed into Excel arrives like this, digits lost.
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, as the error list shows it.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        }
    }
}

/// A cell borrowed from a sheet or from a CSV record, so that reading a row allocates
/// nothing for the cells it only checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CellRef<'a> {
    Empty,
    /// Trimmed, never empty.
    Text(&'a str),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

impl<'a> CellRef<'a> {
    fn of(cell: &'a Cell) -> CellRef<'a> {
        match cell {
            Cell::Empty => CellRef::Empty,
            Cell::Text(t) => CellRef::text(t),
            Cell::Number(n) => CellRef::Number(*n),
            Cell::Date(d) => CellRef::Date(*d),
            Cell::Bool(b) => CellRef::Bool(*b),
        }
    }

    fn text(field: &'a str) -> CellRef<'a> {
        let t = super::text::unguard_cell(field.trim());
        if t.is_empty() {
            CellRef::Empty
        } else {
            CellRef::Text(t)
        }
    }

    fn is_empty(self) -> bool {
        matches!(self, CellRef::Empty)
    }

    /// The cell as text, as `Cell::display` shows it; borrowed when it is text.
    fn display(self) -> Cow<'a, str> {
        match self {
            CellRef::Empty => Cow::Borrowed(""),
            CellRef::Text(t) => Cow::Borrowed(t),
            CellRef::Number(n) => Cow::Owned(Cell::Number(n).display()),
            CellRef::Date(d) => Cow::Owned(d.to_string()),
            CellRef::Bool(b) => Cow::Borrowed(if b { "是" } else { "否" }),
        }
    }
}

/// The cells of one row: a row of a sheet read whole, or a CSV record read in place.
#[derive(Clone, Copy, Debug)]
pub enum RowCells<'a> {
    Cells(&'a [Cell]),
    Fields(&'a csv::StringRecord),
}

impl<'a> RowCells<'a> {
    fn get(self, position: usize) -> CellRef<'a> {
        match self {
            RowCells::Cells(cells) => cells.get(position).map_or(CellRef::Empty, CellRef::of),
            RowCells::Fields(record) => record.get(position).map_or(CellRef::Empty, CellRef::text),
        }
    }
}

/// The rows of the first sheet (or of a CSV file), each with its row number.
pub struct Sheet {
    pub rows: Vec<(usize, Vec<Cell>)>,
}

fn is_spreadsheet(file_name: &str, bytes: &[u8]) -> bool {
    let lower = file_name.to_lowercase();
    lower.ends_with(".xlsx")
        || lower.ends_with(".xls")
        || lower.ends_with(".ods")
        || bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Reads a file by its name and content.
pub fn read_sheet(file_name: &str, bytes: &[u8]) -> Result<Sheet, ImportError> {
    if is_spreadsheet(file_name, bytes) {
        read_workbook(bytes)
    } else {
        let text = decode_text(bytes)?;
        let rows = read_csv_records(&text)?
            .into_iter()
            .map(|(line, fields)| {
                (
                    line,
                    fields
                        .into_iter()
                        .map(|f| {
                            if f.is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text(f)
                            }
                        })
                        .collect(),
                )
            })
            .collect();
        Ok(Sheet { rows })
    }
}

/// A ledger file opened for reading row by row: a workbook is read whole (calamine reads
/// a sheet at once), a CSV file is decoded and then read one record at a time.
pub enum Source<'b> {
    Sheet(Sheet),
    Text(Cow<'b, str>),
}

/// Opens a file by its name and content (see `read_sheet`).
pub fn open_source<'b>(file_name: &str, bytes: &'b [u8]) -> Result<Source<'b>, ImportError> {
    if is_spreadsheet(file_name, bytes) {
        Ok(Source::Sheet(read_workbook(bytes)?))
    } else {
        Ok(Source::Text(decode_text(bytes)?))
    }
}

impl Source<'_> {
    /// Finds the header (see `find_header`) and returns the data rows below it.
    pub fn rows(&self, columns: &[Column]) -> Result<(Header, Rows<'_>), ImportError> {
        match self {
            Source::Sheet(sheet) => {
                let (header, first) = find_header(sheet, columns)?;
                Ok((
                    header,
                    Rows {
                        held: HeldRows::Borrowed(&sheet.rows),
                        next: first,
                        csv: None,
                    },
                ))
            }
            Source::Text(text) => {
                let mut records = CsvRecords::new(text);
                let mut head = Vec::new();
                while head.len() < 10 {
                    let Some((line, record)) = records.next_record()? else {
                        break;
                    };
                    let cells = record
                        .iter()
                        .map(|f| match f.trim() {
                            "" => Cell::Empty,
                            t => Cell::Text(t.to_string()),
                        })
                        .collect();
                    head.push((line, cells));
                }
                let head = Sheet { rows: head };
                let (header, first) = find_header(&head, columns)?;
                Ok((
                    header,
                    Rows {
                        held: HeldRows::Owned(head.rows),
                        next: first,
                        csv: Some(records),
                    },
                ))
            }
        }
    }
}

enum HeldRows<'s> {
    Borrowed(&'s [(usize, Vec<Cell>)]),
    Owned(Vec<(usize, Vec<Cell>)>),
}

/// The data rows of a `Source`, one at a time (blank rows skipped).
pub struct Rows<'s> {
    /// Rows already read: the whole sheet of a workbook, or the first rows of a CSV file
    /// (read to find the header).
    held: HeldRows<'s>,
    next: usize,
    csv: Option<CsvRecords<'s>>,
}

impl Rows<'_> {
    fn held(&self) -> &[(usize, Vec<Cell>)] {
        match &self.held {
            HeldRows::Borrowed(rows) => rows,
            HeldRows::Owned(rows) => rows,
        }
    }

    /// The next row and its number as the user sees it; `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<(usize, RowCells<'_>)>, ImportError> {
        if self.next < self.held().len() {
            let at = self.next;
            self.next += 1;
            let (row, cells) = &self.held()[at];
            return Ok(Some((*row, RowCells::Cells(cells))));
        }
        match &mut self.csv {
            Some(csv) => Ok(csv
                .next_record()?
                .map(|(line, record)| (line, RowCells::Fields(record)))),
            None => Ok(None),
        }
    }
}

fn read_workbook(bytes: &[u8]) -> Result<Sheet, ImportError> {
    use calamine::{Data, Reader};
    let unreadable = |reason: String| ImportError::Unreadable {
        path: "上传的表格".to_string(),
        reason,
    };
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| unreadable(format!("不是有效的 Excel/ODS 文件（{e}）")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("表格中没有工作表".to_string()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        // Columns left of the used range are empty in the file; keep positions stable.
        let mut cells: Vec<Cell> = vec![Cell::Empty; first_col as usize];
        for data in row {
            cells.push(match data {
                Data::Empty => Cell::Empty,
                Data::String(s) => Cell::Text(s.clone()),
                Data::Int(n) => Cell::Number(*n as f64),
                Data::Float(f) => Cell::Number(*f),
                Data::Bool(b) => Cell::Bool(*b),
                Data::DateTime(dt) => match dt.as_datetime() {
                    Some(t) => Cell::Date(t.date()),
                    None => Cell::Number(dt.as_f64()),
                },
                Data::DateTimeIso(s) => match crate::calendar::parse_date(&s[..s.len().min(10)]) {
                    Some(d) => Cell::Date(d),
                    None => Cell::Text(s.clone()),
                },
                Data::DurationIso(s) => Cell::Text(s.clone()),
                Data::Error(e) => Cell::Text(format!("#{e:?}")),
            });
        }
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        rows.push((first_row as usize + i + 1, cells));
    }
    Ok(Sheet { rows })
}

/// A column of a ledger: its Chinese name and whether every row needs it.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
}

/// Where each known column sits in the file.
pub struct Header {
    pub row: usize,
    /// For each known column (by its index in the ledger's list), its position in the file.
    positions: Vec<Option<usize>>,
}

impl Header {
    fn position(&self, column: usize) -> Option<usize> {
        self.positions.get(column).copied().flatten()
    }
}

/// Finds the header among the first ten rows (a title row or two may sit above it) and
/// maps the columns; a missing required column is an error naming it.
pub fn find_header(sheet: &Sheet, columns: &[Column]) -> Result<(Header, usize), ImportError> {
    // (index among the rows, row number, column positions) of the best candidate.
    type Candidate = (usize, usize, Vec<(usize, usize)>);
    let mut best: Option<Candidate> = None;
    for (index, (row, cells)) in sheet.rows.iter().take(10).enumerate() {
        let names: Vec<String> = cells
            .iter()
            .map(|c| c.display().replace(['\n', ' ', '　'], ""))
            .collect();
        let positions: Vec<(usize, usize)> = columns
            .iter()
            .enumerate()
            .filter_map(|(ci, col)| names.iter().position(|n| n == col.name).map(|p| (ci, p)))
            .collect();
        if positions.len() > best.as_ref().map(|b| b.2.len()).unwrap_or(0) {
            best = Some((index, *row, positions));
        }
    }
    let Some((index, row, positions)) = best else {
        return Err(ImportError::Rejected(vec![RowError::new(
            1,
            "(表头)",
            "",
            format!(
                "前 10 行中没有找到表头，表头应包含：{}",
                required_names(columns)
            ),
        )]));
    };
    let missing: Vec<RowError> = columns
        .iter()
        .enumerate()
        .filter(|(ci, c)| c.required && !positions.iter().any(|(p, _)| p == ci))
        .map(|(_, c)| RowError::new(row, c.name, "", "表头缺少这一必填列"))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Rejected(missing));
    }
    let mut by_column = vec![None; columns.len()];
    for (column, position) in positions {
        by_column[column] = Some(position);
    }
    Ok((
        Header {
            row,
            positions: by_column,
        },
        index + 1,
    ))
}

fn required_names(columns: &[Column]) -> String {
    columns
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join("、")
}

/// One data row, with typed readers that record errors against the row and column.
pub struct RowReader<'a> {
    pub row: usize,
    cells: RowCells<'a>,
    header: &'a Header,
    columns: &'a [Column],
    pub errors: Vec<RowError>,
}

/// `2026-07-15` read without the allocations of the general date parser (the form every
/// export and most files use); anything else goes to `calendar::parse_date`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
    {
        return NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d);
    }
    crate::calendar::parse_date(text)
}

impl<'a> RowReader<'a> {
    pub fn new(
        row: usize,
        cells: &'a [Cell],
        header: &'a Header,
        columns: &'a [Column],
    ) -> RowReader<'a> {
        RowReader::over(row, RowCells::Cells(cells), header, columns)
    }

    /// A reader over the cells of a row of a `Rows`.
    pub fn over(
        row: usize,
        cells: RowCells<'a>,
        header: &'a Header,
        columns: &'a [Column],
    ) -> RowReader<'a> {
        RowReader {
            row,
            cells,
            header,
            columns,
            errors: Vec::new(),
        }
    }

    fn cell(&self, column: usize) -> CellRef<'a> {
        match self.header.position(column) {
            Some(p) => self.cells.get(p),
            None => CellRef::Empty,
        }
    }

    fn name(&self, column: usize) -> &'static str {
        self.columns[column].name
    }

    pub fn fail(&mut self, column: usize, reason: impl Into<String>) {
        let value = self.cell(column).display().into_owned();
        self.errors
            .push(RowError::new(self.row, self.name(column), value, reason));
    }

    /// The trimmed text, or `None` (an error when the column is required).
    pub fn text(&mut self, column: usize) -> Option<String> {
        self.str(column).map(Cow::into_owned)
    }

    /// As `text`, borrowed from the row where it can be.
    pub fn str(&mut self, column: usize) -> Option<Cow<'a, str>> {
        let cell = self.cell(column);
        if cell.is_empty() {
            if self.columns[column].required {
                self.fail(column, "必填，不能为空");
            }
            return None;
        }
        Some(cell.display())
    }

    /// A code that must be text (ID numbers, division codes, USCC): a numeric cell has
    /// lost digits in Excel and is refused with a message that says so.
    pub fn code(&mut self, column: usize) -> Option<String> {
        self.code_str(column).map(Cow::into_owned)
    }

    /// As `code`, borrowed from the row where it can be.
    pub fn code_str(&mut self, column: usize) -> Option<Cow<'a, str>> {
        if let CellRef::Number(_) = self.cell(column) {
            self.fail(
                column,
                "在 Excel 中被存成了数字，可能已丢失位数；请把该列设为「文本」格式后重新填写",
            );
            return None;
        }
        self.str(column)
    }

    pub fn date(&mut self, column: usize) -> Option<NaiveDate> {
        match self.cell(column) {
            CellRef::Date(d) => Some(d),
            CellRef::Empty => {
                self.str(column);
                None
            }
            cell => {
                let parsed = parse_date(&cell.display());
                if parsed.is_none() {
                    self.fail(
                        column,
                        "不是有效日期，请写成 2026-07-15、2026/7/15 或 2026年7月15日",
                    );
                }
                parsed
            }
        }
    }

    pub fn money(&mut self, column: usize) -> Option<crate::money::Fen> {
        match self.cell(column) {
            CellRef::Number(n) => {
                let fen = (n * 100.0).round();
                if (n * 100.0 - fen).abs() > 1e-6 || !fen.is_finite() {
                    self.fail(column, "金额最多两位小数");
                    return None;
                }
                Some(crate::money::Fen(fen as i64))
            }
            CellRef::Empty => {
                self.str(column);
                None
            }
            cell => match crate::money::Fen::parse_yuan(&cell.display()) {
                Ok(f) => Some(f),
                Err(e) => {
                    self.fail(column, e.to_string());
                    None
                }
            },
        }
    }

    pub fn yes_no(&mut self, column: usize) -> Option<bool> {
        match self.cell(column) {
            CellRef::Bool(b) => Some(b),
            CellRef::Empty => {
                self.str(column);
                None
            }
            cell => match cell.display().as_ref() {
                "是" => Some(true),
                "否" => Some(false),
                _ => {
                    self.fail(column, "应填「是」或「否」");
                    None
                }
            },
        }
    }

    pub fn count(&mut self, column: usize) -> Option<i64> {
        let value = match self.cell(column) {
            CellRef::Number(n) if n.fract() == 0.0 => Some(n as i64),
            CellRef::Empty => {
                self.str(column);
                return None;
            }
            cell => cell.display().parse::<i64>().ok(),
        };
        if value.is_none() {
            self.fail(column, "应为整数");
        }
        value
    }

    /// One of the listed values.
    pub fn choice(&mut self, column: usize, options: &[&str]) -> Option<String> {
        self.choice_index(column, options)
            .map(|i| options[i].to_string())
    }

    /// As `choice`, giving the position of the value among the options.
    pub fn choice_index(&mut self, column: usize, options: &[&str]) -> Option<usize> {
        let text = self.str(column)?;
        match options.iter().position(|o| *o == text) {
            Some(i) => Some(i),
            None => {
                self.fail(column, format!("应为以下之一：{}", options.join("、")));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 4] = [
        Column {
            name: "身份证号",
            required: true,
        },
        Column {
            name: "姓名",
            required: true,
        },
        Column {
            name: "救助日期",
            required: true,
        },
        Column {
            name: "金额",
            required: false,
        },
    ];

    fn xlsx() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        // A merged title row above the header, as bureaus write them.
        let title = rust_xlsxwriter::Format::new();
        sheet
            .merge_range(0, 0, 0, 3, "示范市2026年第三季度临时救助台账", &title)
            .unwrap();
        for (c, h) in ["姓名", "身份证号", "金额", "救助日期"].iter().enumerate() {
            sheet.write_string(1, c as u16, *h).unwrap();
        }
        sheet.write_string(2, 0, "张三").unwrap();
        sheet.write_string(2, 1, "11010519491231002X").unwrap();
        sheet.write_number(2, 2, 1234.5).unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 7, 15).unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_datetime_with_format(2, 3, &date, &fmt).unwrap();
        sheet.write_string(3, 0, "李四").unwrap();
        // An ID number typed as a number: Excel keeps 15 significant digits.
        sheet.write_number(3, 1, 110105194912310020.0).unwrap();
        sheet.write_string(3, 2, "1,000.00").unwrap();
        sheet.write_string(3, 3, "2026年7月1日").unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_header_below_a_title_typed_cells_and_row_numbers() {
        let sheet = read_sheet("台账.xlsx", &xlsx()).unwrap();
        let (header, first_data) = find_header(&sheet, &COLUMNS).unwrap();
        assert_eq!(header.row, 2, "the header is Excel row 2");
        let rows = &sheet.rows[first_data..];
        assert_eq!(rows.len(), 2);
        let mut r = RowReader::new(rows[0].0, &rows[0].1, &header, &COLUMNS);
        assert_eq!(r.row, 3);
        assert_eq!(r.code(0).as_deref(), Some("11010519491231002X"));
        assert_eq!(r.text(1).as_deref(), Some("张三"));
        assert_eq!(r.date(2), NaiveDate::from_ymd_opt(2026, 7, 15));
        assert_eq!(r.money(3), Some(crate::money::Fen(123_450)));
        assert!(r.errors.is_empty());
        let mut r = RowReader::new(rows[1].0, &rows[1].1, &header, &COLUMNS);
        assert_eq!(r.code(0), None);
        assert_eq!(r.errors[0].row, 4);
        assert_eq!(r.errors[0].column, "身份证号");
        assert!(r.errors[0].reason.contains("文本"));
        assert_eq!(r.date(2), NaiveDate::from_ymd_opt(2026, 7, 1));
        assert_eq!(r.money(3), Some(crate::money::Fen(100_000)));
    }

    #[test]
    fn the_quick_date_reader_agrees_with_the_general_one() {
        for text in [
            "2026-07-15",
            "2026-7-15",
            "2026/07/15",
            "2026年7月15日",
            "20260715",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "0000-01-01",
            "2026-07-1x",
            "2026-07-15 ",
            "２０２６-07-15",
        ] {
            assert_eq!(
                parse_date(text),
                crate::calendar::parse_date(text),
                "{text}"
            );
        }
    }

    #[test]
    fn csv_rows_are_streamed_after_the_header_with_their_line_numbers() {
        let csv = "\u{feff}标题行,,\n姓名,身份证号,救助日期\n\n王五, 11010519491231002X ,2026/7/15\n,,\n李四,,2026-07-01\n";
        let source = open_source("a.csv", csv.as_bytes()).unwrap();
        let (header, mut rows) = source.rows(&COLUMNS).unwrap();
        assert_eq!(header.row, 2);
        let mut seen = Vec::new();
        while let Some((row, cells)) = rows.next_row().unwrap() {
            let mut r = RowReader::over(row, cells, &header, &COLUMNS);
            seen.push((row, r.code(0), r.date(2)));
            assert_eq!(r.errors.len(), usize::from(row == 6), "{:?}", r.errors);
        }
        assert_eq!(
            seen,
            vec![
                (
                    4,
                    Some("11010519491231002X".to_string()),
                    NaiveDate::from_ymd_opt(2026, 7, 15)
                ),
                (6, None, NaiveDate::from_ymd_opt(2026, 7, 1)),
            ]
        );
    }

    #[test]
    fn csv_and_a_missing_required_column() {
        let csv = "\u{feff}标题行,,\n姓名,身份证号,救助日期\n王五,11010519491231002X,2026/7/15\n";
        let sheet = read_sheet("a.csv", csv.as_bytes()).unwrap();
        let (header, first) = find_header(&sheet, &COLUMNS).unwrap();
        assert_eq!(header.row, 2);
        assert_eq!(first, 2);
        let bad = "姓名,救助日期\n王五,2026-07-15\n";
        let Err(ImportError::Rejected(errors)) =
            find_header(&read_sheet("b.csv", bad.as_bytes()).unwrap(), &COLUMNS)
        else {
            panic!("expected a missing column");
        };
        assert_eq!(errors[0].column, "身份证号");
    }
}
