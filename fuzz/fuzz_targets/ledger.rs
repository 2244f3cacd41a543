//! A ledger file's bytes, read as CSV and as a workbook, through the header search and
//! every cell reader of the assistance roster's columns: no panic whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minzheng::assistance::roster::COLUMNS;
use minzheng::ledger::sheet::{RowReader, open_source};

fuzz_target!(|data: &[u8]| {
    for name in ["roster.csv", "roster.xlsx"] {
        let Ok(source) = open_source(name, data) else {
            continue;
        };
        let Ok((header, mut rows)) = source.rows(&COLUMNS) else {
            continue;
        };
        while let Ok(Some((row, cells))) = rows.next_row() {
            let mut r = RowReader::over(row, cells, &header, &COLUMNS);
            for c in 0..COLUMNS.len() {
                let _ = r.text(c);
                let _ = r.code(c);
                let _ = r.date(c);
                let _ = r.money(c);
                let _ = r.yes_no(c);
                let _ = r.count(c);
            }
            let _ = minzheng::ledger::checks::person_name(&mut r, 2);
        }
    }
});
