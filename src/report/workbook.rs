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

/// `report` for the region, `parts` for each of its child regions (districts of the city),
/// and for the city's report the balance analysis of its districts (METRICS.md: the
/// report carries the balance indicators per district).
pub fn workbook(
    report: &QuarterlyReport,
    parts: &[QuarterlyReport],
    balance: Option<&super::balance::Balance>,
) -> Result<Vec<u8>, String> {
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
    if let Some(funds) = &report.funds {
        let sheet = book.add_worksheet();
        sheet.set_name("救助资金").map_err(e)?;
        let heads = [
            "项目",
            "本季度支出（元）",
            "年度预算",
            "年初至季末下达",
            "年初至季末支出",
            "执行率（%）",
        ];
        for (c, h) in heads.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(e)?;
        }
        for (row, f) in (1u32..).zip(funds) {
            sheet.write_string(row, 0, f.label).map_err(e)?;
            for (c, amount) in [
                &f.spent_in_quarter,
                &f.budget,
                &f.allocated,
                &f.spent_to_date,
            ]
            .into_iter()
            .enumerate()
            {
                let v = amount.parse::<f64>().unwrap_or(0.0);
                sheet
                    .write_number_with_format(row, (c + 1) as u16, v, &money)
                    .map_err(e)?;
            }
            match f.execution_rate {
                Some(r) => sheet.write_number(row, 5, r),
                None => sheet.write_string(row, 5, "—"),
            }
            .map_err(e)?;
        }
        sheet.set_column_width(0, 18).map_err(e)?;
        for c in 1..5 {
            sheet.set_column_width(c, 16).map_err(e)?;
        }
    }
    {
        let sheet = book.add_worksheet();
        sheet.set_name("大数据比对").map_err(e)?;
        let c = &report.comparison;
        let rows: [(&str, Option<i64>); 4] = [
            ("比对人数（本季度最后一次比对）", c.people_compared),
            ("发现疑点（条）", Some(c.findings)),
            ("核实属实（条）", Some(c.confirmed)),
            ("因此停保（户）", Some(c.removed)),
        ];
        for (row, (label, value)) in (0u32..).zip(rows) {
            sheet.write_string(row, 0, label).map_err(e)?;
            match value {
                Some(v) => sheet.write_number_with_format(row, 1, v as f64, &int),
                None => sheet.write_string(row, 1, "—"),
            }
            .map_err(e)?;
        }
        sheet.set_column_width(0, 32).map_err(e)?;
    }
    if let Some(b) = balance {
        balance_sheets(&mut book, b)?;
    }
    book.save_to_buffer().map_err(e)
}

/// The balance analysis as a workbook: indicators by district with their spread, then the
/// urban/rural gap.
pub fn balance_workbook(b: &super::balance::Balance) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    balance_sheets(&mut book, b)?;
    book.save_to_buffer().map_err(|e| e.to_string())
}

/// The two balance sheets: indicators by district with their spread, the urban/rural gap.
fn balance_sheets(book: &mut Workbook, b: &super::balance::Balance) -> Result<(), String> {
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let bold = Format::new().set_bold();
    let num = Format::new().set_num_format("#,##0.00");
    let cv = Format::new().set_num_format("0.000");
    let cell = |sheet: &mut Worksheet, row: u32, col: u16, v: Option<f64>, f: &Format| {
        match v {
            Some(v) => sheet.write_number_with_format(row, col, v, f),
            None => sheet.write_string(row, col, "—"),
        }
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    {
        let sheet = book.add_worksheet();
        sheet.set_name("分区县指标").map_err(e)?;
        sheet
            .write_string_with_format(
                0,
                0,
                format!("区县均衡分析 {}（截至 {}）", b.quarter, b.on),
                &bold,
            )
            .map_err(e)?;
        let mut heads: Vec<String> = vec!["指标".to_string()];
        heads.extend(b.districts.iter().map(|d| d.name.clone()));
        heads.extend(
            [
                "最高",
                "最高区县",
                "最低",
                "最低区县",
                "极差比（最高/最低）",
                "变异系数",
                "说明",
            ]
            .map(String::from),
        );
        for (c, h) in heads.iter().enumerate() {
            sheet
                .write_string_with_format(1, c as u16, h, &bold)
                .map_err(e)?;
        }
        for (row, ind) in (2u32..).zip(&b.indicators) {
            sheet.write_string(row, 0, ind.label).map_err(e)?;
            for (c, v) in ind.values.iter().enumerate() {
                cell(sheet, row, (c + 1) as u16, *v, &num)?;
            }
            let at = (b.districts.len() + 1) as u16;
            if let Some(s) = &ind.spread {
                cell(sheet, row, at, Some(s.max), &num)?;
                sheet
                    .write_string(row, at + 1, &s.max_district)
                    .map_err(e)?;
                cell(sheet, row, at + 2, Some(s.min), &num)?;
                sheet
                    .write_string(row, at + 3, &s.min_district)
                    .map_err(e)?;
                cell(sheet, row, at + 4, s.ratio, &num)?;
                cell(sheet, row, at + 5, s.cv, &cv)?;
            }
            if let Some(m) = ind.missing {
                sheet.write_string(row, at + 6, m).map_err(e)?;
            }
        }
        sheet.set_column_width(0, 32).map_err(e)?;
    }
    {
        let sheet = book.add_worksheet();
        sheet.set_name("城乡差距").map_err(e)?;
        for (c, h) in ["指标", "城镇", "农村", "农村/城镇"].iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(e)?;
        }
        for (row, g) in (1u32..).zip(&b.gaps) {
            sheet.write_string(row, 0, g.label).map_err(e)?;
            cell(sheet, row, 1, g.urban, &num)?;
            cell(sheet, row, 2, g.rural, &num)?;
            cell(sheet, row, 3, g.rural_to_urban, &cv)?;
        }
        sheet.set_column_width(0, 32).map_err(e)?;
    }
    Ok(())
}
