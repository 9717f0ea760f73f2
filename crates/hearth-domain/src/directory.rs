//! Vocabularies of the public directory (C8) and distances between postcodes.

/// Whether a service's address must never be published (directory pages, the open API, maps),
/// for the safety of the people it supports: refuges, and accommodation for people escaping
/// domestic abuse. The store's `CONFIDENTIAL_SQL` is the same rule for filtering rows, and a
/// contract test holds the two together.
pub fn address_confidential(
    accommodation_type: &str,
    client_group: &str,
    service_type: &str,
) -> bool {
    accommodation_type == "refuge"
        || (client_group == "domestic_abuse" && service_type == "accommodation_based")
}

/// Places available at a service: the provider's own figure when it has given one, otherwise
/// contracted units less the clients it has now, never below zero.
pub fn places_available(
    provider_figure: Option<i64>,
    contracted_units: i64,
    current_clients: i64,
) -> i64 {
    provider_figure.unwrap_or_else(|| contracted_units.saturating_sub(current_clients).max(0))
}

/// The places a provider says its service has free (F3.5): a whole number from 0 to
/// [`AvailablePlaces::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AvailablePlaces(u32);

impl AvailablePlaces {
    pub const MAX: u32 = 100_000;

    fn invalid() -> crate::ids::FieldError {
        crate::ids::FieldError::new(
            "available_places_invalid",
            "Enter available places as a whole number, 0 or more, or leave it blank",
        )
    }

    /// Parses the form's field: blank is `None` (the provider gives no figure, so the
    /// directory counts places from the contract).
    pub fn parse(input: &str) -> Result<Option<Self>, crate::ids::FieldError> {
        let input = input.trim();
        if input.is_empty() {
            return Ok(None);
        }
        let n = input.parse::<i64>().map_err(|_| Self::invalid())?;
        Self::new(n).map(Some)
    }

    /// From a number (the JSON API sends one).
    pub fn new(n: i64) -> Result<Self, crate::ids::FieldError> {
        u32::try_from(n)
            .ok()
            .filter(|n| *n <= Self::MAX)
            .map(AvailablePlaces)
            .ok_or_else(Self::invalid)
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

/// Support tasks a service offers (Supporting People eligible tasks).
pub const SUPPORT_TASKS: &[(&str, &str)] = &[
    ("life_skills", "Developing domestic life skills"),
    (
        "tenancy",
        "Help in setting up and maintaining a home or tenancy",
    ),
    ("finances", "Managing finances and benefits"),
    ("social", "Establishing social contacts and activities"),
    ("training", "Access to training, education and work"),
    ("health", "Access to health and care services"),
    ("safety", "Security and personal safety"),
    ("alarm", "Community alarm response"),
    ("resettlement", "Resettlement and moving on"),
    ("substance", "Support to reduce alcohol or drug use"),
];

/// Household types a service takes.
pub const HOUSEHOLD_TYPES: &[(&str, &str)] = &[
    ("single", "Single people"),
    ("couple", "Couples"),
    ("family", "Families with children"),
    ("lone_parent", "Lone parents"),
];

/// Age groups a service works with.
pub const AGE_GROUPS: &[(&str, &str)] = &[
    ("16_25", "16 to 25"),
    ("18_64", "18 to 64"),
    ("55_plus", "55 and over"),
    ("65_plus", "65 and over"),
];

/// Kinds of accommodation of accommodation-based and sheltered services.
pub const ACCOMMODATION_TYPES: &[(&str, &str)] = &[
    ("hostel", "Hostel"),
    ("shared_house", "Shared house"),
    ("self_contained", "Self-contained flats"),
    ("refuge", "Refuge"),
    ("sheltered_scheme", "Sheltered scheme"),
    ("foyer", "Foyer"),
];

/// Communities a service specialises in (ethnicity).
pub const ETHNICITIES: &[(&str, &str)] = &[
    ("all", "All communities"),
    ("asian", "Asian communities"),
    ("black", "Black communities"),
    ("gypsy_traveller", "Gypsy and Traveller communities"),
    ("eastern_european", "Eastern European communities"),
    ("refugee", "Refugees and asylum seekers"),
];

/// The label of a code in a vocabulary (the code itself when unknown).
pub fn label_of<'a>(vocabulary: &'a [(&'a str, &'a str)], code: &'a str) -> &'a str {
    vocabulary
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or(code)
}

/// Labels of a comma-separated list of codes.
pub fn labels_of(vocabulary: &[(&str, &str)], codes: &str) -> Vec<String> {
    codes
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| label_of(vocabulary, c).to_string())
        .collect()
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two (latitude, longitude) points (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// A box (south, west, north, east) holding every point within `radius_m` of `centre`.
pub fn bounding_box(centre: (f64, f64), radius_m: f64) -> (f64, f64, f64, f64) {
    let dlat = (radius_m / EARTH_RADIUS_M).to_degrees();
    let coslat = centre.0.to_radians().cos().max(0.01);
    let dlon = (radius_m / (EARTH_RADIUS_M * coslat)).to_degrees();
    (
        centre.0 - dlat,
        centre.1 - dlon,
        centre.0 + dlat,
        centre.1 + dlon,
    )
}

/// Miles to metres.
pub fn miles_to_m(miles: f64) -> f64 {
    miles * 1_609.344
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn available_places_are_blank_or_a_whole_number_up_to_the_maximum() {
        assert_eq!(AvailablePlaces::parse("").unwrap(), None);
        assert_eq!(AvailablePlaces::parse("   ").unwrap(), None);
        assert_eq!(AvailablePlaces::parse("0").unwrap().unwrap().get(), 0);
        assert_eq!(AvailablePlaces::parse(" 4 ").unwrap().unwrap().get(), 4);
        assert_eq!(
            AvailablePlaces::parse("100000").unwrap().unwrap().get(),
            100_000
        );
        assert_eq!(AvailablePlaces::new(7).unwrap().get(), 7);
        for bad in [
            "-2",
            "-0.5",
            "2.5",
            "100001",
            "four",
            "4 places",
            "1e3",
            "99999999999999999999999",
            "<b>3</b>",
        ] {
            let e = AvailablePlaces::parse(bad).unwrap_err();
            assert_eq!(e.code, "available_places_invalid", "{bad:?}");
            assert_eq!(
                e.message,
                "Enter available places as a whole number, 0 or more, or leave it blank"
            );
        }
        for bad in [-1, 100_001, i64::MAX, i64::MIN] {
            assert_eq!(
                AvailablePlaces::new(bad).unwrap_err().code,
                "available_places_invalid"
            );
        }
    }

    #[test]
    fn refuges_and_domestic_abuse_accommodation_are_never_published() {
        assert!(address_confidential(
            "refuge",
            "single_homeless",
            "floating_support"
        ));
        assert!(address_confidential(
            "",
            "domestic_abuse",
            "accommodation_based"
        ));
        assert!(!address_confidential(
            "",
            "domestic_abuse",
            "floating_support"
        ));
        assert!(!address_confidential(
            "hostel",
            "single_homeless",
            "accommodation_based"
        ));
    }

    #[test]
    fn places_available_are_the_providers_figure_or_what_is_left() {
        assert_eq!(places_available(Some(3), 10, 9), 3);
        assert_eq!(places_available(Some(0), 10, 2), 0);
        assert_eq!(places_available(None, 10, 7), 3);
        assert_eq!(places_available(None, 10, 12), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_examples() {
        // London (51.5074, -0.1278) to Manchester (53.4808, -2.2426): about 262 km.
        let d = distance_m((51.5074, -0.1278), (53.4808, -2.2426));
        assert!((d - 262_000.0).abs() < 2_000.0, "{d}");
        assert_eq!(distance_m((52.5, -1.5), (52.5, -1.5)), 0.0);
        // One degree of latitude is about 111.2 km.
        let d = distance_m((52.0, -1.5), (53.0, -1.5));
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
    }

    #[test]
    fn the_bounding_box_holds_the_circle() {
        let c = (52.5, -1.5);
        let (s, w, n, e) = bounding_box(c, 10_000.0);
        assert!(s < c.0 && n > c.0 && w < c.1 && e > c.1);
        // The edges are 10 km away (within rounding).
        assert!((distance_m(c, (n, c.1)) - 10_000.0).abs() < 1.0);
        assert!((distance_m(c, (c.0, e)) - 10_000.0).abs() < 20.0);
        assert!((miles_to_m(1.0) - 1609.344).abs() < 1e-9);
    }

    #[test]
    fn labels_come_from_codes() {
        assert_eq!(
            labels_of(SUPPORT_TASKS, "tenancy, finances,"),
            vec![
                "Help in setting up and maintaining a home or tenancy",
                "Managing finances and benefits"
            ]
        );
        assert_eq!(label_of(HOUSEHOLD_TYPES, "unknown"), "unknown");
    }
}
