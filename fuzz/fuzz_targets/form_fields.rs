//! Fuzzes the two body parsers of the CSRF check: any bytes must give the `csrf` field or
//! nothing, never a panic, and never a value longer than the body it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(v) = hearth_web::form_urlencoded_field(data, "csrf") {
        // Counted in characters: bytes that aren't UTF-8 become U+FFFD (three bytes each), but
        // every character of the value comes from at least one byte of the body.
        assert!(
            v.chars().count() <= data.len(),
            "form value of {} characters from {} bytes",
            v.chars().count(),
            data.len()
        );
    }
    if let Some(v) = hearth_web::multipart_field(data, "csrf") {
        assert!(
            v.len() <= data.len(),
            "multipart value of {} bytes from {} bytes",
            v.len(),
            data.len()
        );
    }
});
