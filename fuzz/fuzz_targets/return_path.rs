//! Fuzzes the sign-in return path check: whatever `safe_return` accepts is a path on this site
//! that no browser can read as a way to another one.
#![no_main]

use hearth_domain::paths::{safe_return, MAX_RETURN_PATH};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(r) = std::str::from_utf8(data) else {
        return;
    };
    if !safe_return(r) {
        return;
    }
    assert!(r.starts_with('/'), "{r:?} does not start with /");
    if let Some(second) = r.chars().nth(1) {
        assert!(second.is_ascii_alphanumeric(), "{r:?}: second character");
    }
    assert!(
        !r.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\'),
        "{r:?} has a control character, whitespace or a backslash"
    );
    assert!(r.len() <= MAX_RETURN_PATH, "{r:?} is too long");
    // Decoded once, as a server would: valid UTF-8, no control character or backslash, and
    // nothing outside ASCII but letters and digits (no invisible or direction characters).
    let bytes = r.as_bytes();
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            decoded.push(u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("{r:?}: bad escape")));
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let text = std::str::from_utf8(&decoded).unwrap_or_else(|_| panic!("{r:?}: not UTF-8 once decoded"));
    for c in text.chars() {
        assert!(!c.is_control() && c != '\\', "{r:?} decodes to {c:?}");
        assert!(c.is_ascii() || c.is_alphanumeric(), "{r:?} decodes to {c:?}");
    }
    assert!(!r.starts_with("//"), "{r:?} starts with //");
});
