//! The bank's return file (回盘), as CSV and as a workbook: no panic whatever the bytes,
//! and every row it accepts names a reference and an amount that is not negative.
#![no_main]

use libfuzzer_sys::fuzz_target;
use minzheng::payments::bank::parse_return;

fuzz_target!(|data: &[u8]| {
    for name in ["return.csv", "return.xlsx"] {
        if let Ok(rows) = parse_return(name, data) {
            for r in rows {
                assert!(!r.reference.is_empty(), "row {} without a reference", r.row);
                assert!(r.amount.0 >= 0, "row {}: negative amount", r.row);
            }
        }
    }
});
