//! Fuzzes the ONS Postcode Directory CSV reader: any bytes must give postcodes or a reason,
//! never a panic, and every postcode read has a name and real coordinates.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((rows, _skipped)) = hearth_docs::postcodes::read_onspd(data) {
        for (postcode, lat, lon) in rows {
            assert!(!postcode.is_empty(), "an empty postcode");
            assert!(
                lat.is_finite() && lon.is_finite(),
                "{postcode} at {lat}, {lon}"
            );
        }
    }
});
