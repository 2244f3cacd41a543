//! Ledgers (台账): the files bureaus keep their registers in. This module holds what every
//! import shares — reading the bytes as text whatever the encoding, and the per-row error
//! list that lets a caseworker fix a whole file in one pass (FORMATS.md).

pub mod checks;
mod errors;
pub mod sheet;
mod text;

pub use errors::{ImportError, RowError, write_errors_csv};
pub use text::{decode_text, read_csv_records};

/// Writes a ledger as CSV (UTF-8 with BOM, so Excel opens it right) or XLSX, by the file
/// name's extension, with the ledger's own headers so it imports back unchanged.
pub fn write_ledger(
    file_name: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    if file_name.to_lowercase().ends_with(".xlsx") {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        // Codes stay text: Excel must not turn an ID number into a number.
        let text = rust_xlsxwriter::Format::new().set_num_format("@");
        for (c, h) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(|e| e.to_string())?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet
                    .write_string_with_format((r + 1) as u32, c as u16, v, &text)
                    .map_err(|e| e.to_string())?;
            }
        }
        book.save_to_buffer().map_err(|e| e.to_string())
    } else {
        let mut out = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(headers).map_err(|e| e.to_string())?;
            for row in rows {
                w.write_record(row.iter().map(|v| text::guard_csv_cell(v).into_owned()))
                    .map_err(|e| e.to_string())?;
            }
            w.flush().map_err(|e| e.to_string())?;
        }
        Ok(out)
    }
}
