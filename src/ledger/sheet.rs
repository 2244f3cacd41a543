//! Reading a ledger file into rows of cells, whatever it is: XLSX/XLS/ODS (calamine) or
//! CSV (UTF-8 with or without BOM, or GB18030). Row numbers are the ones the user sees.

use std::io::Cursor;

use chrono::NaiveDate;

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
    positions: Vec<(usize, usize)>,
}

impl Header {
    fn position(&self, column: usize) -> Option<usize> {
        self.positions
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, p)| *p)
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
    Ok((Header { row, positions }, index + 1))
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
    cells: &'a [Cell],
    header: &'a Header,
    columns: &'a [Column],
    pub errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    pub fn new(
        row: usize,
        cells: &'a [Cell],
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

    fn cell(&self, column: usize) -> &Cell {
        self.header
            .position(column)
            .and_then(|p| self.cells.get(p))
            .unwrap_or(&Cell::Empty)
    }

    fn name(&self, column: usize) -> &'static str {
        self.columns[column].name
    }

    pub fn fail(&mut self, column: usize, reason: impl Into<String>) {
        let value = self.cell(column).display();
        self.errors
            .push(RowError::new(self.row, self.name(column), value, reason));
    }

    /// The trimmed text, or `None` (an error when the column is required).
    pub fn text(&mut self, column: usize) -> Option<String> {
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
        if let Cell::Number(_) = self.cell(column) {
            self.fail(
                column,
                "在 Excel 中被存成了数字，可能已丢失位数；请把该列设为「文本」格式后重新填写",
            );
            return None;
        }
        self.text(column)
    }

    pub fn date(&mut self, column: usize) -> Option<NaiveDate> {
        match self.cell(column).clone() {
            Cell::Date(d) => Some(d),
            cell if cell.is_empty() => {
                self.text(column);
                None
            }
            cell => {
                let parsed = crate::calendar::parse_date(&cell.display());
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
        match self.cell(column).clone() {
            Cell::Number(n) => {
                let fen = (n * 100.0).round();
                if (n * 100.0 - fen).abs() > 1e-6 || !fen.is_finite() {
                    self.fail(column, "金额最多两位小数");
                    return None;
                }
                Some(crate::money::Fen(fen as i64))
            }
            cell if cell.is_empty() => {
                self.text(column);
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
        match self.cell(column).clone() {
            Cell::Bool(b) => Some(b),
            cell if cell.is_empty() => {
                self.text(column);
                None
            }
            cell => match cell.display().as_str() {
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
        let cell = self.cell(column).clone();
        let value = match &cell {
            Cell::Number(n) if n.fract() == 0.0 => Some(*n as i64),
            cell if cell.is_empty() => {
                self.text(column);
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
        let text = self.text(column)?;
        if options.contains(&text.as_str()) {
            Some(text)
        } else {
            self.fail(column, format!("应为以下之一：{}", options.join("、")));
            None
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
