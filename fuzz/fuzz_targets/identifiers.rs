//! Fuzzes the parsers of identifiers, amounts and dates typed into forms: any text must give a
//! value or a field error, never a panic, and a value's own text parses back to the same value.
#![no_main]

use hearth_domain::dates::{parse_date, parse_date_parts, parse_date_parts_for, FinancialYear};
use hearth_domain::ids::{HousingBenefitNumber, NiNumber, Pence, Postcode, Uprn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(ni) = NiNumber::parse(s) {
        assert_eq!(NiNumber::parse(ni.as_str()).as_ref(), Ok(&ni), "{s:?}");
        assert_eq!(NiNumber::parse(&ni.formatted()).as_ref(), Ok(&ni), "{s:?}");
    }
    if let Ok(hb) = HousingBenefitNumber::parse(s) {
        assert_eq!(
            HousingBenefitNumber::parse(hb.as_str()).as_ref(),
            Ok(&hb),
            "{s:?}"
        );
    }
    if let Ok(pc) = Postcode::parse(s) {
        assert_eq!(Postcode::parse(pc.as_str()).as_ref(), Ok(&pc), "{s:?}");
        assert_eq!(format!("{} {}", pc.outward(), pc.inward()), pc.as_str());
    }
    if let Ok(u) = Uprn::parse(s) {
        assert_eq!(Uprn::parse(u.as_str()).as_ref(), Ok(&u), "{s:?}");
        assert_eq!(
            Uprn::parse(&u.value().to_string()).map(|v| v.value()),
            Ok(u.value())
        );
    }
    if let Ok(p) = Pence::parse_pounds(s) {
        assert_eq!(Pence::parse_pounds(&p.to_string()), Ok(p), "{s:?}");
        assert_eq!(Pence::parse_pounds(&p.to_decimal_string()), Ok(p), "{s:?}");
    }
    if let Ok(d) = parse_date(s) {
        assert_eq!(parse_date(&d.to_string()), Ok(d), "{s:?}");
        assert_eq!(
            parse_date(&d.format("%d/%m/%Y").to_string()),
            Ok(d),
            "{s:?}"
        );
    }
    if let Ok(fy) = FinancialYear::parse_label(s) {
        assert_eq!(FinancialYear::parse_label(&fy.label()), Ok(fy), "{s:?}");
    }

    // The three boxes of a GOV.UK date input, split at line breaks.
    let mut boxes = s.splitn(3, '\n');
    let (day, month, year) = (
        boxes.next().unwrap_or(""),
        boxes.next().unwrap_or(""),
        boxes.next().unwrap_or(""),
    );
    let parts = parse_date_parts(day, month, year);
    let parts_for = parse_date_parts_for("Start date", day, month, year);
    assert_eq!(parts.is_ok(), parts_for.is_ok(), "{s:?}");
    if let Ok(d) = parts {
        let again = parse_date_parts(
            &d.format("%d").to_string(),
            &d.format("%m").to_string(),
            &d.format("%Y").to_string(),
        );
        assert_eq!(again, Ok(d), "{s:?}");
        assert_eq!(parts_for, Ok(d), "{s:?}");
    }
});
