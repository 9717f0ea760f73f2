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
    assert!(!r.starts_with("//"), "{r:?} starts with //");
});
