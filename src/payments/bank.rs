//! The bank file (CSV or XLSX, full account numbers: it goes to the bank) written in
//! batches so a million lines stay out of memory, and the bank's return file read with
//! the ledger reader (header found under a title, every row error listed).

use std::io::Write;

use super::rules::{Returned, reference};
use super::store;
use crate::db::Db;
use crate::ledger::ImportError;
use crate::ledger::sheet::{Column, RowReader, find_header, read_sheet};
use crate::protect::{Keyring, SensitiveKind};

/// Lines read per batch while writing a bank file.
const BATCH: i64 = 10_000;

pub const FILE_HEADER: [&str; 6] = ["序号", "参考号", "姓名", "银行账号", "金额", "发放月份"];

/// Writes each line through `row`, batch by batch; answers the number of lines and the
/// total in fen.
async fn each_line(
    db: &Db,
    keyring: &Keyring,
    payroll_id: i64,
    mut row: impl FnMut(usize, [String; 6]) -> Result<(), String>,
) -> Result<(usize, i64), String> {
    let (mut after, mut n, mut total) = (0, 0usize, 0i64);
    loop {
        let lines = store::lines_after(db, payroll_id, after, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = lines.last() else {
            return Ok((n, total));
        };
        after = last.id;
        for l in &lines {
            // Already paid lines (a re-export after part of a return) are not sent again.
            if l.status != "pending" {
                continue;
            }
            let account = match &l.bank_sealed {
                Some(s) => keyring
                    .open(SensitiveKind::BankAccount, s)
                    .map_err(|e| e.to_string())?,
                None => String::new(),
            };
            n += 1;
            total += l.amount.0;
            row(
                n,
                [
                    n.to_string(),
                    reference(l.id),
                    l.payee_name.clone(),
                    account,
                    l.amount.to_yuan_string(),
                    l.month_paid.clone(),
                ],
            )?;
        }
    }
}

/// The bank file as CSV (UTF-8 with BOM, as Excel opens it), streamed into `out`.
pub async fn write_csv(
    db: &Db,
    keyring: &Keyring,
    payroll_id: i64,
    out: impl Write,
) -> Result<(usize, i64), String> {
    let mut w = csv::Writer::from_writer(out);
    w.write_field("\u{feff}序号").map_err(|e| e.to_string())?;
    w.write_record(&FILE_HEADER[1..])
        .map_err(|e| e.to_string())?;
    let counted = each_line(db, keyring, payroll_id, |_, fields| {
        w.write_record(&fields).map_err(|e| e.to_string())
    })
    .await?;
    w.flush().map_err(|e| e.to_string())?;
    Ok(counted)
}

/// The bank file as XLSX, one row per line; the sheet is written in constant memory.
pub async fn write_xlsx(
    db: &Db,
    keyring: &Keyring,
    payroll_id: i64,
    out: impl Write + std::io::Seek + Send,
) -> Result<(usize, i64), String> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = Workbook::new();
    let counted = {
        let sheet = book.add_worksheet_with_constant_memory().map_err(e)?;
        sheet.set_name("发放名册").map_err(e)?;
        let bold = Format::new().set_bold();
        let text = Format::new().set_num_format("@");
        for (c, h) in FILE_HEADER.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *h, &bold)
                .map_err(e)?;
        }
        each_line(db, keyring, payroll_id, |n, f| {
            let r = n as u32;
            sheet.write_number(r, 0, n as f64).map_err(e)?;
            for (c, v) in [(1u16, &f[1]), (2, &f[2]), (5, &f[5])] {
                sheet.write_string(r, c, v.as_str()).map_err(e)?;
            }
            // Accounts are text: as numbers Excel would drop digits.
            sheet
                .write_string_with_format(r, 3, f[3].as_str(), &text)
                .map_err(e)?;
            let yuan: f64 = f[4].parse().unwrap_or(0.0);
            sheet.write_number(r, 4, yuan).map_err(e)?;
            Ok(())
        })
        .await?
    };
    book.save_to_writer(out).map_err(e)?;
    Ok(counted)
}

const RETURN_COLUMNS: [Column; 4] = [
    Column {
        name: "参考号",
        required: true,
    },
    Column {
        name: "金额",
        required: true,
    },
    Column {
        name: "结果",
        required: true,
    },
    Column {
        name: "失败原因",
        required: false,
    },
];

/// The bank's return file (回盘): 参考号, 金额, 结果 (成功/失败), 失败原因. Unreadable rows
/// are listed with their row and column; matching against the payroll is `reconcile`.
pub fn parse_return(file_name: &str, bytes: &[u8]) -> Result<Vec<Returned>, ImportError> {
    let sheet = read_sheet(file_name, bytes)?;
    let (header, first) = find_header(&sheet, &RETURN_COLUMNS)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &RETURN_COLUMNS);
        let reference = r.code(0);
        // A payment is never negative: a minus sign in a return file is a slip (or a
        // reversal the bank must report on its own line), found by the fuzz target.
        let amount = r.money(1).filter(|a| {
            let ok = a.0 >= 0;
            if !ok {
                r.fail(1, "金额不能为负数，请核对回盘文件");
            }
            ok
        });
        let paid = r.choice_index(2, &["成功", "失败"]).map(|i| i == 0);
        let reason = r.text(3).unwrap_or_default();
        errors.append(&mut r.errors);
        if let (Some(reference), Some(amount), Some(paid)) = (reference, amount, paid) {
            out.push(Returned {
                row: *row,
                reference,
                amount,
                paid,
                reason,
            });
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target's first finding (fuzz/corpus/bank_return/return.csv): a negative
    /// amount was taken as a payment of minus five yuan.
    #[test]
    fn a_negative_amount_is_a_row_error() {
        let file = "参考号,金额,结果,失败原因\nMZ0000000001,1900.00,成功,\nMZ0000000002,-5,失败,账户已销户\n";
        let Err(ImportError::Rejected(errors)) = parse_return("r.csv", file.as_bytes()) else {
            panic!("a negative amount must be refused");
        };
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].row, errors[0].column.as_str()), (3, "金额"));
        assert!(errors[0].reason.contains("不能为负数"));
        let good = "参考号,金额,结果,失败原因\nMZ0000000001,1900.00,成功,\n";
        let rows = parse_return("r.csv", good.as_bytes()).unwrap();
        assert_eq!(rows[0].amount.0, 190_000);
    }
}
