//! ID numbers (GB 11643) and unified social credit codes (GB 32100) from any text: no
//! panic, and whatever parses prints back to something that parses to the same value.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use minzheng::ids::idcard::IdNumber;
use minzheng::ids::uscc::Uscc;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    if let Ok(id) = IdNumber::parse(text, today) {
        let again = IdNumber::parse(id.as_str(), today).expect("a parsed ID parses again");
        assert_eq!(again.as_str(), id.as_str());
        let _ = minzheng::ids::mask::id_number(id.as_str());
    }
    if let Ok(code) = Uscc::parse(text) {
        let again = Uscc::parse(code.as_str()).expect("a parsed USCC parses again");
        assert_eq!(again.as_str(), code.as_str());
    }
});
