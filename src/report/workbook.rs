//! The report as an Excel workbook: one sheet with the region's districts (or streets)
//! side by side, then one sheet per figure group with the urban/rural split, headed as
//! the bureau writes them.

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::{GROUPS, KEYS, QuarterlyReport, Value, label};

fn put(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    v: Option<Value>,
    num: &Format,
) -> Result<(), String> {
    let r = match v {
        Some(Value::Count(n)) => sheet.write_number_with_format(row, col, n as f64, num),
        Some(Value::Hundredths(h)) => {
            sheet.write_number_with_format(row, col, h as f64 / 100.0, num)
        }
        None => sheet.write_string(row, col, "—"),
    };
    r.map(|_| ()).map_err(|e| e.to_string())
}

/// `report` for the region, `parts` for each of its child regions (districts of the city).
pub fn workbook(report: &QuarterlyReport, parts: &[QuarterlyReport]) -> Result<Vec<u8>, String> {
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let int = Format::new().set_num_format("#,##0");
    let money = Format::new().set_num_format("#,##0.00");
    let fmt_of = |key: &str| if key.contains("amount") { &money } else { &int };
    {
        let sheet = book.add_worksheet();
        sheet
            .set_name(format!("{}分区县", report.region_name))
            .map_err(e)?;
        sheet
            .write_string_with_format(
                0,
                0,
                format!(
                    "{} {}（{} 至 {}）",
                    report.region_name, report.quarter, report.from, report.to
                ),
                &bold,
            )
            .map_err(e)?;
        sheet
            .write_string_with_format(1, 0, "区划", &bold)
            .map_err(e)?;
        for (c, (key, _)) in KEYS.iter().enumerate() {
            sheet
                .write_string_with_format(1, (c + 1) as u16, label(key), &bold)
                .map_err(e)?;
        }
        for (row, part) in (2u32..).zip(parts.iter().chain(std::iter::once(report))) {
            let name = if std::ptr::eq(part, report) {
                format!("{}合计", report.region_name)
            } else {
                part.region_name.clone()
            };
            sheet.write_string(row, 0, name).map_err(e)?;
            for (c, (key, _)) in KEYS.iter().enumerate() {
                put(
                    sheet,
                    row,
                    (c + 1) as u16,
                    part.figures.get(key),
                    fmt_of(key),
                )?;
            }
        }
        sheet.set_column_width(0, 16).map_err(e)?;
    }
    for (group, keys) in GROUPS {
        let sheet = book.add_worksheet();
        sheet.set_name(*group).map_err(e)?;
        for (c, h) in ["指标", "合计", "城镇", "农村", "说明"].iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(e)?;
        }
        for (r, key) in keys.iter().enumerate() {
            let row = (r + 1) as u32;
            sheet.write_string(row, 0, label(key)).map_err(e)?;
            put(sheet, row, 1, report.figures.get(key), fmt_of(key))?;
            put(sheet, row, 2, report.urban.get(key), fmt_of(key))?;
            put(sheet, row, 3, report.rural.get(key), fmt_of(key))?;
            if let Some(m) = report.missing.iter().find(|m| m.key == *key) {
                sheet.write_string(row, 4, m.reason).map_err(e)?;
            }
        }
        sheet.set_column_width(0, 28).map_err(e)?;
        sheet.set_column_width(4, 36).map_err(e)?;
    }
    book.save_to_buffer().map_err(e)
}
