//! Fuzzes the uploaded-workbook reader: any bytes must give a workbook's figures or a reason,
//! never a panic, a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for q in 1..=4 {
        let _ = hearth_docs::workbook::read_quarter(data, q);
    }
});
