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
    // The csv crate does not count blank lines in `Position::line`, so line numbers are
    // taken from byte offsets: a caseworker looks the row up by the number we print.
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    // A record's position is where the reader stood, i.e. before any blank lines that
    // precede it; step over those first.
    let line_of = |byte: u64| {
        let mut at = byte as usize;
        while matches!(text.as_bytes().get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        newlines.partition_point(|&nl| nl < at) + 1
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| line_of(p.byte())).unwrap_or(0);
            ImportError::Rejected(vec![super::RowError::new(
                line,
                "(整行)",
                "",
                "CSV 格式错误（引号不成对或字段被截断），请检查该行",
            )])
        })?;
        let line = record.position().map(|p| line_of(p.byte())).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        out.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(out)
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
}
