use std::borrow::Cow;

use super::ImportError;

/// Decodes a text file: UTF-8 (with or without BOM) first; if that fails, GB18030, which
/// is what Excel on a Chinese Windows writes when asked for "CSV".
pub fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(ImportError::Encoding);
    }
    Ok(text)
}

/// Splits CSV text into records, each with the line number where it starts. Blank rows
/// are skipped; fields are trimmed.
pub fn read_csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, ImportError> {
    let mut records = CsvRecords::new(text);
    let mut out = Vec::new();
    while let Some((line, record)) = records.next_record()? {
        out.push((line, record.iter().map(|f| f.trim().to_string()).collect()));
    }
    Ok(out)
}

/// CSV records read one at a time into one reused buffer, each with the line number where
/// it starts, blank rows skipped: a million-row file is never held as a million rows of
/// strings. Fields come untrimmed (trimming is free on a borrowed field, while the csv
/// crate's own trimming copies every record).
pub struct CsvRecords<'t> {
    text: &'t str,
    reader: csv::Reader<&'t [u8]>,
    record: csv::StringRecord,
    /// Newlines counted in `text[..counted]`.
    counted: usize,
    newlines: usize,
}

impl<'t> CsvRecords<'t> {
    pub fn new(text: &'t str) -> CsvRecords<'t> {
        CsvRecords {
            text,
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes()),
            record: csv::StringRecord::new(),
            counted: 0,
            newlines: 0,
        }
    }

    /// The line (1-based) of a record that the reader reached at `byte`. The csv crate
    /// does not count blank lines in `Position::line`, so lines are counted from byte
    /// offsets: a caseworker looks the row up by the number we print. A record's position
    /// is where the reader stood, i.e. before any blank lines that precede it; those are
    /// stepped over first. Positions only grow, so each byte is scanned once.
    fn line_at(&mut self, byte: u64) -> usize {
        let bytes = self.text.as_bytes();
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while matches!(bytes.get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        if at > self.counted {
            self.newlines += bytes[self.counted..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.counted = at;
        }
        self.newlines + 1
    }

    /// The next record that is not blank, with its line number; `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<(usize, &csv::StringRecord)>, ImportError> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(e) => {
                    let line = match e.position() {
                        Some(p) => self.line_at(p.byte()),
                        None => 0,
                    };
                    return Err(ImportError::Rejected(vec![super::RowError::new(
                        line,
                        "(整行)",
                        "",
                        "CSV 格式错误（引号不成对或字段被截断），请检查该行",
                    )]));
                }
            }
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let line = match self.record.position().map(|p| p.byte()) {
                Some(byte) => self.line_at(byte),
                None => 0,
            };
            return Ok(Some((line, &self.record)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_gb18030_are_read() {
        assert_eq!(decode_text("\u{feff}代码".as_bytes()).unwrap(), "代码");
        let (gb, _, _) = encoding_rs::GB18030.encode("示范市,城镇");
        assert_eq!(decode_text(&gb).unwrap(), "示范市,城镇");
    }

    #[test]
    fn records_carry_their_line_numbers_and_skip_blank_rows() {
        let rows = read_csv_records("a,b\n\n c , d \n,\n\"e\nf\",g\nh,i\n").unwrap();
        let lines: Vec<usize> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 3, 5, 7]);
        assert_eq!(rows[1].1, vec!["c", "d"]);
    }

    #[test]
    fn records_read_in_place_count_lines_across_crlf_and_quoted_newlines() {
        let text = "h1,h2\r\n\r\na,\"x\r\ny\"\r\n , \r\nb,c\r\n\n\nd,e";
        let mut records = CsvRecords::new(text);
        let mut got = Vec::new();
        while let Some((line, record)) = records.next_record().unwrap() {
            got.push((line, record.get(0).unwrap_or("").to_string()));
        }
        assert_eq!(
            got,
            vec![
                (1, "h1".to_string()),
                (3, "a".to_string()),
                (6, "b".to_string()),
                (9, "d".to_string()),
            ]
        );
    }
}

/// Characters that make a spreadsheet treat a CSV cell as a formula (CSV injection): a
/// name like `=HYPERLINK(…)` in an exported roster would run when a caseworker opens it.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as written into an exported CSV file: text that a spreadsheet would read as
/// a formula gets a leading `'` (the spreadsheets' own "this is text" mark); numbers such
/// as a negative amount stay as they are.
pub fn guard_csv_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_START) && value.parse::<f64>().is_err() {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// The value of a cell read from a file: the `'` that `guard_csv_cell` put before a
/// formula-like text is taken off again, so an exported ledger imports back unchanged.
pub fn unguard_cell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => value,
    }
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text_and_read_back() {
        assert_eq!(guard_csv_cell("=1+1"), "'=1+1");
        assert_eq!(guard_csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard_csv_cell("-120.50"), "-120.50");
        assert_eq!(guard_csv_cell("张伟"), "张伟");
        for v in ["=1+1", "+86 138", "-x", "@a", "张伟", "'quoted"] {
            assert_eq!(unguard_cell(&guard_csv_cell(v)), v);
        }
    }
}
