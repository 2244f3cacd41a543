//! The funds workbook: the year by program and district (budget, allocated, spent, rates),
//! the budget and allocations by source, and the allocation records.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::model::Execution;
use super::store::Allocation;
use super::summary::FundsYear;
use crate::money::Fen;

fn yuan(sheet: &mut Worksheet, row: u32, col: u16, f: Fen, fmt: &Format) -> Result<(), XlsxError> {
    sheet.write_number_with_format(row, col, f.0 as f64 / 100.0, fmt)?;
    Ok(())
}

fn rate(sheet: &mut Worksheet, row: u32, col: u16, r: Option<f64>) -> Result<(), XlsxError> {
    match r {
        Some(r) => sheet.write_number(row, col, r)?,
        None => sheet.write_string(row, col, "—")?,
    };
    Ok(())
}

fn execution_row(
    sheet: &mut Worksheet,
    row: u32,
    names: [&str; 2],
    e: &Execution,
    money: &Format,
) -> Result<(), XlsxError> {
    sheet.write_string(row, 0, names[0])?;
    sheet.write_string(row, 1, names[1])?;
    yuan(sheet, row, 2, e.budget, money)?;
    yuan(sheet, row, 3, e.allocated, money)?;
    yuan(sheet, row, 4, e.spent, money)?;
    yuan(sheet, row, 5, e.balance(), money)?;
    rate(sheet, row, 6, e.allocation_rate())?;
    rate(sheet, row, 7, e.execution_rate())
}

fn heads(sheet: &mut Worksheet, row: u32, heads: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (c, h) in heads.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *h, bold)?;
    }
    Ok(())
}

pub fn workbook(funds: &FundsYear, allocations: &[Allocation]) -> Result<Vec<u8>, String> {
    build(funds, allocations).map_err(|e| e.to_string())
}

fn build(funds: &FundsYear, allocations: &[Allocation]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let name_of = |code: &str| {
        funds
            .districts
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    };
    {
        let sheet = book.add_worksheet();
        sheet.set_name("执行情况")?;
        sheet.write_string_with_format(
            0,
            0,
            format!(
                "{} 年救助资金执行情况（截至 {}，单位：元，率为 %）",
                funds.year, funds.until
            ),
            &bold,
        )?;
        heads(
            sheet,
            1,
            &[
                "区县",
                "项目",
                "预算",
                "已下达",
                "已支出",
                "结余",
                "到位率",
                "执行率",
            ],
            &bold,
        )?;
        let mut row = 2;
        for d in &funds.districts {
            for p in &d.programs {
                execution_row(sheet, row, [&d.name, p.label], &p.execution, &money)?;
                row += 1;
            }
            execution_row(sheet, row, [&d.name, "合计"], &d.total, &money)?;
            row += 1;
        }
        for p in &funds.programs {
            execution_row(sheet, row, ["全部区县", p.label], &p.execution, &money)?;
            row += 1;
        }
        execution_row(sheet, row, ["全部区县", "合计"], &funds.total, &money)?;
        sheet.set_column_width(0, 12)?;
        sheet.set_column_width(1, 18)?;
        for c in 2..6 {
            sheet.set_column_width(c, 16)?;
        }
    }
    {
        let sheet = book.add_worksheet();
        sheet.set_name("分来源")?;
        heads(sheet, 0, &["区县", "项目", "来源", "预算", "已下达"], &bold)?;
        let mut row = 1;
        for d in &funds.districts {
            for p in &d.programs {
                for s in &p.by_source {
                    sheet.write_string(row, 0, &d.name)?;
                    sheet.write_string(row, 1, p.label)?;
                    sheet.write_string(row, 2, s.label)?;
                    yuan(sheet, row, 3, s.budget, &money)?;
                    yuan(sheet, row, 4, s.allocated, &money)?;
                    row += 1;
                }
            }
        }
    }
    {
        let sheet = book.add_worksheet();
        sheet.set_name("下达记录")?;
        heads(
            sheet,
            0,
            &["下达日期", "区县", "项目", "来源", "金额", "文号", "登记人"],
            &bold,
        )?;
        for (row, a) in (1u32..).zip(allocations) {
            sheet.write_string(row, 0, &a.allocated_on)?;
            sheet.write_string(row, 1, name_of(&a.district_code))?;
            sheet.write_string(row, 2, a.program.label())?;
            sheet.write_string(row, 3, a.source.label())?;
            yuan(sheet, row, 4, a.amount, &money)?;
            sheet.write_string(row, 5, &a.document_no)?;
            sheet.write_string(row, 6, &a.created_by)?;
        }
    }
    book.save_to_buffer()
}
