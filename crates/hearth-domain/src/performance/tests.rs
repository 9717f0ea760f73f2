use super::*;

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn fy(start_year: i32) -> FinancialYear {
    FinancialYear::new(start_year)
}

fn quarter(label: &str) -> Quarter {
    Quarter::parse(label).unwrap()
}

// --- Quarters ---------------------------------------------------------

#[test]
fn quarters_have_labels_dates_and_lengths() {
    let q3 = Quarter::new(fy(2026), 3).unwrap();
    assert_eq!(q3.label(), "2026/27 Q3");
    assert_eq!(q3.to_string(), "2026/27 Q3");
    assert_eq!(q3.months_label(), "October to December 2026");
    assert_eq!(q3.start(), ymd(2026, 10, 1));
    assert_eq!(q3.end(), ymd(2026, 12, 31));
    assert_eq!(q3.days(), 92);
    assert_eq!(q3.year(), fy(2026));
    assert_eq!(q3.number(), 3);

    let days: Vec<u32> = Quarter::all_of(fy(2026))
        .iter()
        .map(Quarter::days)
        .collect();
    assert_eq!(days, [91, 92, 92, 90]);
    // January to March 2028 has 29 February.
    let days: Vec<u32> = Quarter::all_of(fy(2027))
        .iter()
        .map(Quarter::days)
        .collect();
    assert_eq!(days, [91, 92, 92, 91]);
    assert_eq!(days.iter().sum::<u32>(), 366);

    let q4 = Quarter::new(fy(2026), 4).unwrap();
    assert_eq!(q4.months_label(), "January to March 2027");
    assert_eq!(q4.start(), ymd(2027, 1, 1));
    assert_eq!(q4.end(), ymd(2027, 3, 31));

    assert_eq!(
        Quarter::new(fy(2026), 0).unwrap_err().code,
        "quarter_invalid"
    );
    assert_eq!(
        Quarter::new(fy(2026), 5).unwrap_err().message,
        "Select a quarter"
    );
}

#[test]
fn quarters_of_dates_and_neighbours() {
    assert_eq!(Quarter::for_date(ymd(2026, 11, 22)), quarter("2026/27 Q3"));
    assert_eq!(Quarter::for_date(ymd(2027, 3, 31)), quarter("2026/27 Q4"));
    assert_eq!(Quarter::for_date(ymd(2027, 4, 1)), quarter("2027/28 Q1"));
    assert!(quarter("2026/27 Q1").contains(ymd(2026, 6, 30)));
    assert!(!quarter("2026/27 Q1").contains(ymd(2026, 7, 1)));

    assert_eq!(quarter("2026/27 Q4").next(), quarter("2027/28 Q1"));
    assert_eq!(quarter("2026/27 Q2").next(), quarter("2026/27 Q3"));
    assert_eq!(quarter("2026/27 Q1").previous(), quarter("2025/26 Q4"));
    assert_eq!(quarter("2026/27 Q3").previous(), quarter("2026/27 Q2"));
    assert!(quarter("2025/26 Q4") < quarter("2026/27 Q1"));
    assert!(quarter("2026/27 Q1") < quarter("2026/27 Q2"));
    // Consecutive quarters meet without a gap.
    for q in Quarter::all_of(fy(2026)) {
        assert_eq!(q.end().succ_opt().unwrap(), q.next().start());
    }
}

#[test]
fn quarter_labels_parse() {
    assert_eq!(quarter("2026/27 Q3"), Quarter::new(fy(2026), 3).unwrap());
    assert_eq!(
        quarter("  2026-27   q1 "),
        Quarter::new(fy(2026), 1).unwrap()
    );
    assert_eq!(quarter("2026/2027 Q4"), Quarter::new(fy(2026), 4).unwrap());
    let err = Quarter::parse("").unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        ("quarter_required", "Enter a quarter")
    );
    for bad in [
        "2026/27",
        "2026/27 Q5",
        "2026/27 Q0",
        "2026/27 3",
        "Q3 2026/27",
        "2026/28 Q3",
        "2026/27 Q3x",
        "2026/27 Q+3",
    ] {
        let err = Quarter::parse(bad).unwrap_err();
        assert_eq!(err.code, "quarter_invalid", "{bad}");
        assert_eq!(
            err.message,
            "Enter a quarter in the correct format, like 2026/27 Q3"
        );
    }
    let q: Quarter = "2026/27 Q2".parse().unwrap();
    assert_eq!(q.number(), 2);
}

#[test]
fn quarters_serialise_as_their_label() {
    use serde::de::value::{Error as DeError, StringDeserializer};
    use serde::de::IntoDeserializer;
    let d: StringDeserializer<DeError> = "2026/27 Q3".to_owned().into_deserializer();
    assert_eq!(Quarter::deserialize(d).unwrap(), quarter("2026/27 Q3"));
    let d: StringDeserializer<DeError> = "2026/27 Q9".to_owned().into_deserializer();
    assert!(Quarter::deserialize(d).is_err());
    assert_eq!(String::from(quarter("2026/27 Q3")), "2026/27 Q3");
}

// --- Indicators -------------------------------------------------------

#[test]
fn indicators_have_codes_labels_and_units() {
    let codes: Vec<&str> = Indicator::NATIONAL.iter().map(Indicator::code).collect();
    assert_eq!(
        codes,
        [
            "kpi_1",
            "kpi_2",
            "availability",
            "utilisation",
            "staffing",
            "throughput",
            "departures"
        ]
    );
    let short: Vec<&str> = Indicator::NATIONAL
        .iter()
        .map(Indicator::short_label)
        .collect();
    assert_eq!(
        short,
        [
            "KPI 1",
            "KPI 2",
            "SPI 1",
            "SPI 2",
            "SPI 3",
            "SPI 4",
            "Departures"
        ]
    );
    for i in Indicator::NATIONAL {
        assert_eq!(Indicator::parse(i.code()).unwrap(), *i);
        assert_eq!(i.unit(), Unit::Percent);
        assert!(i.higher_is_better());
        assert!(i.label().chars().next().is_some_and(char::is_uppercase));
    }
    assert_eq!(
        Indicator::Kpi1.to_string(),
        "KPI 1: service users supported to establish and maintain independent living"
    );
    let local = Indicator::parse(" referrals_received ").unwrap();
    assert_eq!(local, Indicator::Local("referrals_received".to_owned()));
    assert_eq!(local.code(), "referrals_received");
    assert_eq!(local.label(), "referrals_received");
    assert_eq!(local.unit(), Unit::Number);
    for bad in [
        "",
        "Referrals",
        "2nd_quarter",
        "referrals-received",
        &"x".repeat(51),
    ] {
        assert_eq!(
            Indicator::parse(bad).unwrap_err().code,
            "indicator_invalid",
            "{bad}"
        );
    }
    assert_eq!(String::from(Indicator::Staffing), "staffing");
    assert_eq!(String::from(local), "referrals_received");
}

#[test]
fn which_services_report_which_indicators() {
    use Indicator::*;
    use ServiceType::*;
    assert_eq!(
        Indicator::national_for(Sheltered, Term::Long),
        [Kpi1, Availability, Utilisation, Staffing, Departures]
    );
    assert_eq!(
        Indicator::national_for(AccommodationBased, Term::Short),
        [Kpi2, Availability, Utilisation, Staffing, Throughput]
    );
    assert_eq!(
        Indicator::national_for(AccommodationBased, Term::Long),
        [Kpi1, Availability, Utilisation, Staffing, Departures]
    );
    // Floating support is measured by KPI 1 whatever its term, has no
    // units to be unavailable and no accommodation to depart from.
    assert_eq!(
        Indicator::national_for(FloatingSupport, Term::Short),
        [Kpi1, Utilisation, Staffing, Throughput]
    );
    assert_eq!(
        Indicator::national_for(FloatingSupport, Term::Long),
        [Kpi1, Utilisation, Staffing]
    );
    assert_eq!(
        Indicator::national_for(CommunityAlarm, Term::Long),
        [Kpi1, Utilisation, Staffing]
    );
    assert!(Local("x".to_owned()).applies_to(DayActivities, Term::Short));
}

#[test]
fn local_indicators_are_defined_by_the_authority() {
    let li = LocalIndicator::new(
        " referrals_received ",
        " Referrals received ",
        Unit::People,
        vec![
            ServiceType::Sheltered,
            ServiceType::FloatingSupport,
            ServiceType::Sheltered,
        ],
        true,
    )
    .unwrap();
    assert_eq!(li.code, "referrals_received");
    assert_eq!(li.name, "Referrals received");
    assert_eq!(
        li.service_types,
        [ServiceType::Sheltered, ServiceType::FloatingSupport]
    );
    assert_eq!(
        li.indicator(),
        Indicator::Local("referrals_received".to_owned())
    );
    assert!(li.applies_to(ServiceType::Sheltered));
    assert!(!li.applies_to(ServiceType::AccommodationBased));
    let everyone = LocalIndicator::new(
        "waiting",
        "On the waiting list",
        Unit::People,
        vec![],
        false,
    )
    .unwrap();
    assert!(everyone.applies_to(ServiceType::FloatingSupport));

    let err = |code: &str, name: &str| {
        LocalIndicator::new(code, name, Unit::Number, vec![], true).unwrap_err()
    };
    assert_eq!(
        err("", "Referrals").message,
        "Enter a code for the local indicator"
    );
    assert_eq!(
        err("Referrals!", "Referrals").code,
        "local_indicator_code_invalid"
    );
    assert_eq!(
        err("kpi_1", "Referrals").message,
        "Code is already used by a national indicator"
    );
    assert_eq!(
        err("referrals", "  ").message,
        "Enter a name for the local indicator"
    );
    assert_eq!(
        err("referrals", &"a".repeat(101)).message,
        "Name must be 100 characters or fewer"
    );
}

#[test]
fn local_indicator_codes() {
    assert_eq!(
        LocalIndicatorCode::parse(" referrals_received ")
            .unwrap()
            .as_str(),
        "referrals_received"
    );
    assert_eq!(LocalIndicatorCode::parse("r2").unwrap().to_string(), "r2");
    let fifty = format!("a{}", "b".repeat(MAX_LOCAL_CODE_CHARS - 1));
    assert!(LocalIndicatorCode::parse(&fifty).is_ok());
    for (bad, code, message) in [
        (
            "",
            "local_indicator_code_required",
            "Enter a code for the local indicator",
        ),
        (
            "   ",
            "local_indicator_code_required",
            "Enter a code for the local indicator",
        ),
        (
            "kpi_1",
            "local_indicator_code_taken",
            "Code is already used by a national indicator",
        ),
    ] {
        let e = LocalIndicatorCode::parse(bad).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (code, message), "{bad:?}");
    }
    let too_long = format!("{fifty}c");
    for bad in [
        "Referrals",
        "1st",
        "_private",
        "referrals received",
        "referrals-received",
        "réferrals",
        "kpi;drop",
        too_long.as_str(),
    ] {
        let e = LocalIndicatorCode::parse(bad).unwrap_err();
        assert_eq!(e.code, "local_indicator_code_invalid", "{bad:?}");
        assert_eq!(
            e.message,
            "Code must start with a letter and use only lower case letters, numbers and underscores, up to 50 characters"
        );
    }
}

#[test]
fn units_format_figures() {
    assert_eq!(Unit::Percent.format(92.5), "92.5%");
    assert_eq!(Unit::Percent.format(90.0), "90.0%");
    assert_eq!(Unit::People.format(12.0), "12 people");
    assert_eq!(Unit::People.format(1.0), "1 person");
    assert_eq!(Unit::Hours.format(40.0), "40 hours");
    assert_eq!(Unit::Hours.format(1.0), "1 hour");
    assert_eq!(Unit::Number.format(7.0), "7");
    assert_eq!(Unit::Percent.symbol(), "%");
    assert_eq!(Unit::People.symbol(), "people");
    assert_eq!(Unit::Hours.symbol(), "hours");
    for u in Unit::ALL {
        assert_eq!(Unit::parse(u.as_str()).unwrap(), *u);
    }
    assert_eq!(Unit::parse("miles").unwrap_err().message, "Select a unit");
}

// --- Formulas ---------------------------------------------------------

/// A short-term hostel of 20 units in 2026/27 Q3 (92 days): 1,840
/// contracted unit-days.
fn hostel_q3() -> QuarterReturn {
    QuarterReturn {
        service_users_supported: 48,
        maintained_independent_living: 45,
        new_service_users: 10,
        departures: 12,
        planned_departures: 9,
        departure_reasons: DepartureReasons {
            change_of_service: 2,
            deceased: 0,
            lost_contact: 1,
            support_broken_down: 2,
            support_no_longer_required: 7,
        },
        // One unit out for repairs all quarter.
        unavailable_unit_days: 92,
        occupied_unit_days: 1_656,
        // 40 hours a week for 13 weeks, of which 468 delivered.
        support_hours_contracted: 520,
        support_hours_delivered: 468,
        local: BTreeMap::from([("referrals_received".to_owned(), 31)]),
    }
}

#[test]
fn worked_example_every_indicator() {
    let r = hostel_q3();
    assert!(r
        .validate_for(ServiceType::AccommodationBased, 20, 92)
        .is_empty());
    let days = quarter("2026/27 Q3").days();
    let value = |i: Indicator| compute(&i, &r, 20, days);
    // 45 of 48 = 93.75%, rounded half up.
    assert_eq!(value(Indicator::Kpi1), Some(93.8));
    // 9 of 12 planned.
    assert_eq!(value(Indicator::Kpi2), Some(75.0));
    // (1,840 - 92) / 1,840 = 95%.
    assert_eq!(value(Indicator::Availability), Some(95.0));
    // 1,656 / 1,840 = 90%.
    assert_eq!(value(Indicator::Utilisation), Some(90.0));
    // 468 / 520 = 90%.
    assert_eq!(value(Indicator::Staffing), Some(90.0));
    // 12 left a 20-unit service.
    assert_eq!(value(Indicator::Throughput), Some(60.0));
    // Same ratio as KPI 2.
    assert_eq!(value(Indicator::Departures), Some(75.0));
    assert_eq!(
        value(Indicator::Local("referrals_received".to_owned())),
        Some(31.0)
    );
    assert_eq!(value(Indicator::Local("not_reported".to_owned())), None);
}

#[test]
fn more_worked_examples() {
    let r = QuarterReturn {
        service_users_supported: 3,
        maintained_independent_living: 2,
        departures: 3,
        planned_departures: 1,
        occupied_unit_days: 1_655,
        support_hours_contracted: 2_000,
        support_hours_delivered: 1_799,
        ..QuarterReturn::default()
    };
    assert_eq!(compute(&Indicator::Kpi1, &r, 20, 92), Some(66.7));
    assert_eq!(compute(&Indicator::Kpi2, &r, 20, 92), Some(33.3));
    // 1,655 / 1,840 = 89.945...%.
    assert_eq!(compute(&Indicator::Utilisation, &r, 20, 92), Some(89.9));
    // 1,799 / 2,000 = 89.95%, which rounds up to 90.0%.
    assert_eq!(compute(&Indicator::Staffing, &r, 20, 92), Some(90.0));
    // Nothing unavailable: fully available.
    assert_eq!(compute(&Indicator::Availability, &r, 20, 92), Some(100.0));
    // A ten-unit hostel that three people left: 30%.
    assert_eq!(compute(&Indicator::Throughput, &r, 10, 92), Some(30.0));
    // Over-delivery and over-use are not capped.
    let busy = QuarterReturn {
        occupied_unit_days: 1_100,
        support_hours_contracted: 100,
        support_hours_delivered: 125,
        ..QuarterReturn::default()
    };
    assert_eq!(
        compute(&Indicator::Utilisation, &busy, 10, 100),
        Some(110.0)
    );
    assert_eq!(compute(&Indicator::Staffing, &busy, 10, 100), Some(125.0));
}

#[test]
fn percentages_round_half_up_to_one_decimal() {
    assert_eq!(percentage(1, 8), Some(12.5));
    assert_eq!(percentage(1, 16), Some(6.3)); // 6.25
    assert_eq!(percentage(1, 3), Some(33.3));
    assert_eq!(percentage(2, 3), Some(66.7));
    assert_eq!(percentage(0, 7), Some(0.0));
    assert_eq!(percentage(7, 7), Some(100.0));
    assert_eq!(percentage(1, 0), None);
    // Large unit-days do not overflow.
    assert_eq!(percentage(u64::MAX / 2, u64::MAX), Some(50.0));
}

#[test]
fn zero_denominators_give_no_figure() {
    let empty = QuarterReturn::default();
    for i in Indicator::NATIONAL {
        assert_eq!(compute(i, &empty, 0, 92), None, "{i:?} with no units");
    }
    // With units but nobody supported, no departures and no hours:
    // only the unit-based figures exist.
    let values: Vec<Option<f64>> = Indicator::NATIONAL
        .iter()
        .map(|i| compute(i, &empty, 20, 92))
        .collect();
    assert_eq!(
        values,
        [None, None, Some(100.0), Some(0.0), None, Some(0.0), None]
    );
    // No days (a quarter outside the contract) gives no unit-day figures.
    assert_eq!(compute(&Indicator::Availability, &hostel_q3(), 20, 0), None);
    assert_eq!(compute(&Indicator::Utilisation, &hostel_q3(), 20, 0), None);
}

#[test]
fn compute_for_skips_indicators_that_do_not_apply() {
    let r = hostel_q3();
    let floating = ServiceType::FloatingSupport;
    assert_eq!(
        compute_for(&Indicator::Availability, floating, Term::Short, &r, 20, 92),
        None
    );
    assert_eq!(
        compute_for(&Indicator::Kpi2, floating, Term::Short, &r, 20, 92),
        None
    );
    assert_eq!(
        compute_for(&Indicator::Kpi1, floating, Term::Short, &r, 20, 92),
        Some(93.8)
    );
    let sheltered = ServiceType::Sheltered;
    assert_eq!(
        compute_for(&Indicator::Departures, sheltered, Term::Long, &r, 20, 92),
        Some(75.0)
    );
    assert_eq!(
        compute_for(&Indicator::Throughput, sheltered, Term::Long, &r, 20, 92),
        None
    );
}

// --- Validation -------------------------------------------------------

#[test]
fn validation_finds_parts_larger_than_their_whole() {
    let r = QuarterReturn {
        service_users_supported: 10,
        maintained_independent_living: 11,
        new_service_users: 12,
        departures: 13,
        planned_departures: 14,
        ..QuarterReturn::default()
    };
    let errors = r.validate();
    let got: Vec<(&str, &str, &str)> = errors
        .iter()
        .map(|e| (e.field, e.error.code, e.error.message.as_str()))
        .collect();
    assert_eq!(
            got,
            [
                (
                    "maintained_independent_living",
                    "maintained_independent_living_too_many",
                    "Service users who maintained independent living must be 10 or fewer (the number of service users supported)"
                ),
                (
                    "new_service_users",
                    "new_service_users_too_many",
                    "New service users must be 10 or fewer (the number of service users supported)"
                ),
                (
                    "departures",
                    "departures_too_many",
                    "Departures must be 10 or fewer (the number of service users supported)"
                ),
                (
                    "planned_departures",
                    "planned_departures_too_many",
                    "Planned departures must be 13 or fewer (the number of departures)"
                ),
            ]
        );
    assert_eq!(
        errors[3].to_string(),
        "planned_departures: Planned departures must be 13 or fewer (the number of departures)"
    );
}

#[test]
fn departure_reasons_must_balance() {
    let mut r = hostel_q3();
    assert!(r.validate().is_empty());
    r.departure_reasons.set(EndReason::Deceased, 1);
    assert_eq!(r.departure_reasons.count(EndReason::Deceased), 1);
    assert_eq!(r.departure_reasons.total(), 13);
    let errors = r.validate();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "departure_reasons");
    assert_eq!(errors[0].error.code, "departure_reasons_unbalanced");
    assert_eq!(
        errors[0].error.message,
        "Departures by reason must add up to 12 (the number of departures), not 13"
    );
    // No reasons at all is not an imbalance (completeness is checked on
    // upload).
    r.departure_reasons = DepartureReasons::default();
    assert!(r.validate().is_empty());
}

#[test]
fn accommodation_unit_days_are_bounded() {
    let mut r = hostel_q3();
    // 20 units for 92 days = 1,840 unit-days; 92 unavailable leaves 1,748.
    r.occupied_unit_days = 1_748;
    assert!(r.validate_for(ServiceType::Sheltered, 20, 92).is_empty());
    r.occupied_unit_days = 1_749;
    let errors = r.validate_for(ServiceType::Sheltered, 20, 92);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "occupied_unit_days");
    assert_eq!(
            errors[0].error.message,
            "Occupied unit days must be 1748 or fewer (20 units for 92 days, less unit days not available)"
        );
    r.unavailable_unit_days = 1_841;
    let errors = r.validate_for(ServiceType::AccommodationBased, 20, 92);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "unavailable_unit_days");
    assert_eq!(errors[0].error.code, "unavailable_unit_days_too_many");
    assert_eq!(
        errors[0].error.message,
        "Unit days not available for letting must be 1840 or fewer (20 units for 92 days)"
    );
    // Support services may use more than they are contracted for.
    assert!(r
        .validate_for(ServiceType::FloatingSupport, 20, 92)
        .is_empty());
    // The intra-return checks still run.
    r.planned_departures = 99;
    assert_eq!(
        r.validate_for(ServiceType::FloatingSupport, 20, 92).len(),
        1
    );
}

// --- Triggers ---------------------------------------------------------

#[test]
fn equal_to_the_trigger_is_not_a_breach() {
    let min = Trigger::minimum(Indicator::Utilisation, None, 90.0);
    assert!(!breaches(&min, 90.0));
    assert!(!breaches(&min, 90.1));
    assert!(breaches(&min, 89.9));
    assert!(!breaches(&min, f64::NAN));
    assert!(min.is_breached_by(0.0));
    let max = Trigger::maximum(Indicator::Local("evictions".to_owned()), None, 2.0);
    assert!(!breaches(&max, 2.0));
    assert!(breaches(&max, 3.0));
    assert!(!breaches(&max, 0.0));
    assert_eq!(min.breach_text(), "Below trigger of 90.0%");
    assert_eq!(max.breach_text(), "Above trigger of 2");
}

// Usability review (issue 10): the Trigger column of a return was blank for every figure that
// met its trigger; it says what the trigger asks, met or not.
#[test]
fn a_trigger_says_what_it_asks_of_a_figure() {
    let min = Trigger::minimum(Indicator::Utilisation, None, 90.0);
    assert_eq!(min.requirement_text(), "At least 90.0%");
    let max = Trigger::maximum(Indicator::Local("evictions".to_owned()), None, 5.0);
    assert_eq!(max.requirement_text(), "At most 5");
}

#[test]
fn breaches_use_the_rounded_figure() {
    let set = TriggerSet::authority_defaults(fy(2026));
    let st = ServiceType::AccommodationBased;
    let r = hostel_q3();
    // Utilisation exactly 90.0%: meets the 90% trigger.
    let utilisation = compute(&Indicator::Utilisation, &r, 20, 92);
    assert_eq!(set.breach(&Indicator::Utilisation, st, utilisation), None);
    // One unit-day fewer: 89.9%, a breach.
    let less = QuarterReturn {
        occupied_unit_days: 1_655,
        ..r.clone()
    };
    let utilisation = compute(&Indicator::Utilisation, &less, 20, 92);
    let breached = set
        .breach(&Indicator::Utilisation, st, utilisation)
        .unwrap();
    assert_eq!(breached.threshold, Threshold::Minimum(90.0));
    // 89.95% shows as 90.0% and is not a breach.
    let staffing = QuarterReturn {
        support_hours_contracted: 2_000,
        support_hours_delivered: 1_799,
        ..r.clone()
    };
    let value = compute(&Indicator::Staffing, &staffing, 20, 92);
    assert_eq!(value, Some(90.0));
    assert_eq!(set.breach(&Indicator::Staffing, st, value), None);
    // KPI 2 exactly at 75%: not a breach; no figure: not a breach.
    assert_eq!(
        set.breach(&Indicator::Kpi2, st, compute(&Indicator::Kpi2, &r, 20, 92)),
        None
    );
    assert_eq!(set.breach(&Indicator::Kpi1, st, None), None);
    // No trigger for departures.
    assert_eq!(set.breach(&Indicator::Departures, st, Some(0.0)), None);
}

#[test]
fn the_most_specific_trigger_wins() {
    let mut set = TriggerSet::authority_defaults(fy(2026));
    set.set(Trigger::minimum(
        Indicator::Utilisation,
        Some(ServiceType::Sheltered),
        97.0,
    ));
    set.set(Trigger::minimum(
        Indicator::Utilisation,
        Some(ServiceType::FloatingSupport),
        85.0,
    ));

    let t = set
        .find(&Indicator::Utilisation, ServiceType::Sheltered)
        .unwrap();
    assert_eq!(
        (t.service_type, t.threshold),
        (Some(ServiceType::Sheltered), Threshold::Minimum(97.0))
    );
    let t = set
        .find(&Indicator::Utilisation, ServiceType::FloatingSupport)
        .unwrap();
    assert_eq!(t.threshold, Threshold::Minimum(85.0));
    // Other service types fall back to the trigger for every type.
    let t = set
        .find(&Indicator::Utilisation, ServiceType::AccommodationBased)
        .unwrap();
    assert_eq!(
        (t.service_type, t.threshold),
        (None, Threshold::Minimum(90.0))
    );
    // 92% is fine for a hostel but breaches the sheltered trigger.
    assert!(set
        .breach(
            &Indicator::Utilisation,
            ServiceType::AccommodationBased,
            Some(92.0)
        )
        .is_none());
    assert!(set
        .breach(&Indicator::Utilisation, ServiceType::Sheltered, Some(92.0))
        .is_some());
    assert!(set
        .breach(
            &Indicator::Utilisation,
            ServiceType::FloatingSupport,
            Some(86.0)
        )
        .is_none());

    // A specific trigger with no general one applies only to its type.
    set.set(Trigger::minimum(
        Indicator::Departures,
        Some(ServiceType::Sheltered),
        50.0,
    ));
    assert!(set
        .find(&Indicator::Departures, ServiceType::Sheltered)
        .is_some());
    assert!(set
        .find(&Indicator::Departures, ServiceType::AccommodationBased)
        .is_none());

    // Setting again replaces; removing falls back to the general one.
    set.set(Trigger::minimum(
        Indicator::Utilisation,
        Some(ServiceType::Sheltered),
        95.0,
    ));
    assert_eq!(
        set.triggers()
            .iter()
            .filter(|t| t.indicator == Indicator::Utilisation)
            .count(),
        3
    );
    assert_eq!(
        set.find(&Indicator::Utilisation, ServiceType::Sheltered)
            .unwrap()
            .threshold
            .value(),
        95.0
    );
    assert!(set.remove(&Indicator::Utilisation, Some(ServiceType::Sheltered)));
    assert!(!set.remove(&Indicator::Utilisation, Some(ServiceType::Sheltered)));
    assert_eq!(
        set.find(&Indicator::Utilisation, ServiceType::Sheltered)
            .unwrap()
            .service_type,
        None
    );
}

#[test]
fn authority_defaults_cover_the_triggered_measures() {
    let set = TriggerSet::authority_defaults(fy(2026));
    let got: Vec<(&str, f64)> = set
        .triggers()
        .iter()
        .map(|t| (t.indicator.code(), t.threshold.value()))
        .collect();
    assert_eq!(
        got,
        [
            ("kpi_1", 90.0),
            ("kpi_2", 75.0),
            ("availability", 90.0),
            ("utilisation", 90.0),
            ("staffing", 90.0),
            ("throughput", 10.0),
        ]
    );
    assert!(set
        .triggers()
        .iter()
        .all(|t| t.service_type.is_none() && matches!(t.threshold, Threshold::Minimum(_))));
}

#[test]
fn trigger_sets_by_year_carry_forward() {
    let sets = [
        TriggerSet::with(fy(2025), [Trigger::minimum(Indicator::Kpi1, None, 85.0)]),
        TriggerSet::with(fy(2027), [Trigger::minimum(Indicator::Kpi1, None, 92.0)]),
        TriggerSet::with(fy(2026), [Trigger::minimum(Indicator::Kpi1, None, 90.0)]),
    ];
    let kpi1 = |year| {
        TriggerSet::for_year(&sets, fy(year))
            .and_then(|s| s.find(&Indicator::Kpi1, ServiceType::Sheltered))
            .map(|t| t.threshold.value())
    };
    assert_eq!(kpi1(2024), None);
    assert_eq!(kpi1(2025), Some(85.0));
    assert_eq!(kpi1(2026), Some(90.0));
    assert_eq!(kpi1(2027), Some(92.0));
    // 2028/29 not set yet: 2027/28's carry forward.
    let set = TriggerSet::for_year(&sets, fy(2028)).unwrap();
    assert_eq!(set.year, fy(2027));
    assert_eq!(kpi1(2028), Some(92.0));
}

#[test]
fn trigger_values_parse_from_the_form() {
    let ok = |i: &Indicator, s: &str| parse_threshold(i, s).unwrap();
    let err = |i: &Indicator, s: &str| {
        let e = parse_threshold(i, s).unwrap_err();
        (e.code, e.message)
    };
    assert_eq!(ok(&Indicator::Kpi1, "90"), 90.0);
    assert_eq!(ok(&Indicator::Kpi1, " 92.5% "), 92.5);
    assert_eq!(ok(&Indicator::Kpi1, "100"), 100.0);
    assert_eq!(ok(&Indicator::Staffing, "110"), 110.0);
    assert_eq!(ok(&Indicator::Throughput, "0"), 0.0);
    assert_eq!(
        err(&Indicator::Kpi1, " "),
        ("trigger_required", "Enter the trigger".to_owned())
    );
    assert_eq!(
        err(&Indicator::Kpi1, "ninety"),
        (
            "trigger_invalid",
            "Trigger must be a number, like 90 or 92.5".to_owned()
        )
    );
    for bad in ["9 0", "90.", ".5", "1e2", "+90", "90%%"] {
        assert_eq!(err(&Indicator::Kpi1, bad).0, "trigger_invalid", "{bad}");
    }
    assert_eq!(
        err(&Indicator::Kpi1, "-5"),
        ("trigger_negative", "Trigger must be 0 or more".to_owned())
    );
    assert_eq!(
        err(&Indicator::Kpi1, "92.55"),
        (
            "trigger_decimals",
            "Trigger must have no more than 1 decimal place".to_owned()
        )
    );
    assert_eq!(
        err(&Indicator::Availability, "100.1"),
        ("trigger_too_high", "Trigger must be 100 or less".to_owned())
    );
}

#[test]
fn indicators_deserialise_from_their_code() {
    use serde::de::value::{Error as DeError, StrDeserializer};
    use serde::de::IntoDeserializer;
    let d: StrDeserializer<DeError> = "kpi_2".into_deserializer();
    assert_eq!(Indicator::deserialize(d).unwrap(), Indicator::Kpi2);
    let d: StrDeserializer<DeError> = "local_referrals".into_deserializer();
    assert_eq!(
        Indicator::deserialize(d).unwrap(),
        Indicator::Local("local_referrals".to_owned())
    );
    let d: StrDeserializer<DeError> = "KPI 2".into_deserializer();
    assert!(Indicator::deserialize(d).is_err());
}

// Issue 9: the chart and the analysis coloured only figures below a trigger, so a figure above
// a maximum (a local indicator where lower is better) was never marked.
#[test]
fn a_maximum_is_breached_from_above_and_a_minimum_from_below() {
    assert!(Threshold::Maximum(5.0).breached_by(5.1));
    assert!(!Threshold::Maximum(5.0).breached_by(5.0));
    assert!(!Threshold::Maximum(5.0).breached_by(1.0));
    assert!(Threshold::Minimum(90.0).breached_by(89.9));
    assert!(!Threshold::Minimum(90.0).breached_by(95.0));
    assert_eq!(Threshold::Maximum(5.0).breach_word(), "Above trigger");
    assert_eq!(Threshold::Minimum(5.0).breach_word(), "Below trigger");
}
