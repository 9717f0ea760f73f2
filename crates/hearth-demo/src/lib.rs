//! Hearth's deterministic synthetic demo data (F1.5), for `hearth demo` and the tests.
//!
//! `generate(scale, seed, today)` builds authorities, providers, contacts, services,
//! properties, contracts, clients and client schedules in memory, with no I/O. The same
//! `(scale, seed, today)` always gives the same data. hearth-app's `demo` loads it into a
//! database.
//!
//! Everything is invented: organisation and place names, people, streets and towns.
//! Postcodes have a valid UK shape but use area letters that no real postcode area uses
//! ("BK", "FV", ...); their coordinates are invented points in England. Telephone numbers
//! come from the ranges Ofcom keeps for drama, e-mail domains end in the reserved
//! `.example` top-level domain, and NI and housing benefit numbers only have a valid shape.
//!
//! The word lists (names, streets, towns, ethnicities, ...) are the text files in `data/`,
//! built in with `include_str!` and read once.
//!
//! Every `key` is the record's position in its own `Vec`, so a caller can map keys to
//! database ids as it inserts the records in order.

use chrono::{Datelike, Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::LazyLock;

/// How much data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// One authority, 5 providers, about 20 services and 300 current clients.
    Small,
    /// Two neighbouring authorities, about 60 providers, 400 services, 12,000 current schedules.
    County,
    /// The national profile (S1): 150 authorities, 6,000 providers, 37,000 services,
    /// 1,200,000 current schedules.
    National,
}

impl Scale {
    /// "small", "county" or "national" (case and surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Scale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Some(Scale::Small),
            "county" => Some(Scale::County),
            "national" => Some(Scale::National),
            _ => None,
        }
    }
}

/// The generated data set. Keys are positions in the owning `Vec`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemoData {
    pub authorities: Vec<DemoAuthority>,
    pub providers: Vec<DemoProvider>,
    pub contacts: Vec<DemoContact>,
    pub services: Vec<DemoService>,
    pub properties: Vec<DemoProperty>,
    pub contracts: Vec<DemoContract>,
    pub clients: Vec<DemoClient>,
    pub schedules: Vec<DemoSchedule>,
    /// Every postcode used above, once, with its invented coordinates.
    pub postcodes: Vec<DemoPostcode>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoAuthority {
    pub key: usize,
    pub name: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoProvider {
    pub key: usize,
    pub name: String,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    pub limited_access: bool,
    /// Authorities the provider holds contracts with, ascending.
    pub authority_keys: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoContact {
    pub key: usize,
    pub provider_key: usize,
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub position_type: &'static str,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoService {
    pub key: usize,
    pub authority_key: usize,
    pub provider_key: usize,
    pub reference: String,
    pub name: String,
    pub public_name: String,
    pub service_type: &'static str,
    pub term: &'static str,
    pub client_group: &'static str,
    pub contracted_units: i64,
    pub address: String,
    pub postcode: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoProperty {
    pub key: usize,
    pub authority_key: usize,
    pub provider_key: usize,
    pub service_key: Option<usize>,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
    pub uprn: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoContract {
    pub key: usize,
    pub authority_key: usize,
    pub provider_key: usize,
    pub reference: String,
    pub title: String,
    pub service_keys: Vec<usize>,
    pub units: i64,
    pub unit_rate_pence: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub status: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoClient {
    pub key: usize,
    pub authority_key: usize,
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub ethnicity: String,
    pub address: String,
    pub postcode: String,
    pub ni_number: Option<String>,
    pub hb_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoSchedule {
    pub key: usize,
    pub client_key: usize,
    pub service_key: usize,
    pub level: String,
    pub units_per_week: i64,
    pub start_date: NaiveDate,
    /// `None` for a current schedule; ended schedules end before `today`.
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoPostcode {
    pub postcode: String,
    pub latitude: f64,
    pub longitude: f64,
}

// ---------------------------------------------------------------------------------------
// Stored codes
// ---------------------------------------------------------------------------------------

const ACC: &str = "accommodation_based";
const FLOAT: &str = "floating_support";
const SHELTERED: &str = "sheltered";
const ALARM: &str = "community_alarm";
const DAY: &str = "day_activities";

const LONG: &str = "long";
const SHORT: &str = "short";

const OLDER: &str = "older_people";
const MH: &str = "mental_health";
const LD: &str = "learning_disabilities";
const PD: &str = "physical_disability";
const FAMILIES: &str = "homeless_families";
const SINGLE: &str = "single_homeless";
const YOUNG: &str = "young_people_at_risk";
const DA: &str = "domestic_abuse";
const OFFENDERS: &str = "offenders";
const SUBSTANCE: &str = "substance_misuse";
const TEEN: &str = "teenage_parents";
const REFUGEE: &str = "refugee_status";
const GENERIC: &str = "generic_floating";

const GROUPS: [&str; 13] = [
    OLDER, MH, LD, PD, FAMILIES, SINGLE, YOUNG, DA, OFFENDERS, SUBSTANCE, TEEN, REFUGEE, GENERIC,
];

const STEADY: &str = "steady_state";
const INTERIM: &str = "interim";
const EXPIRED: &str = "expired";

const CHANGE_OF_SERVICE: &str = "change_of_service";
const DECEASED: &str = "deceased";
const LOST_CONTACT: &str = "lost_contact";
const BROKEN_DOWN: &str = "support_broken_down";
const NOT_REQUIRED: &str = "support_no_longer_required";

/// Share of current clients who came from another service (change of service).
const COS_SHARE: f64 = 0.08;
/// Share of current clients returning to the same service after an earlier stay.
const RETURN_SHARE: f64 = 0.06;
/// Share of former clients with an earlier ended schedule as well.
const FORMER_PRIOR_SHARE: f64 = 0.15;
/// Ended schedules per current schedule, overall.
const ENDED_RATIO: f64 = 1.5;

// ---------------------------------------------------------------------------------------
// Word lists (all invented combinations), from the files in `data/`
// ---------------------------------------------------------------------------------------

/// A word list: one entry a line; empty lines and lines starting with `#` are skipped.
type Words = LazyLock<Vec<&'static str>>;
/// A weighted list: one entry a line, the entry, a tab and its weight.
type Weighted = LazyLock<Vec<(&'static str, u32)>>;

static FEMALE_OLDER: Words = LazyLock::new(|| words(include_str!("../data/female-older.txt")));
static FEMALE_MODERN: Words = LazyLock::new(|| words(include_str!("../data/female-modern.txt")));
static MALE_OLDER: Words = LazyLock::new(|| words(include_str!("../data/male-older.txt")));
static MALE_MODERN: Words = LazyLock::new(|| words(include_str!("../data/male-modern.txt")));
static FEMALE_DIVERSE: Words = LazyLock::new(|| words(include_str!("../data/female-diverse.txt")));
static MALE_DIVERSE: Words = LazyLock::new(|| words(include_str!("../data/male-diverse.txt")));

static SURNAMES: Words = LazyLock::new(|| words(include_str!("../data/surnames.txt")));
static SURNAMES_DIVERSE: Words =
    LazyLock::new(|| words(include_str!("../data/surnames-diverse.txt")));

/// UK census 2021 categories, weights roughly those of England (per 10,000).
static ETHNICITIES: Weighted = LazyLock::new(|| weighted(include_str!("../data/ethnicities.txt")));
/// People granted refugee status.
static ETHNICITIES_REFUGEE: Weighted =
    LazyLock::new(|| weighted(include_str!("../data/ethnicities-refugee.txt")));

static STREET_A: Words = LazyLock::new(|| words(include_str!("../data/street-names.txt")));
static STREET_B: Words = LazyLock::new(|| words(include_str!("../data/street-kinds.txt")));

/// Street names that can be made from the two lists.
fn street_combos() -> u32 {
    (STREET_A.len() * STREET_B.len()) as u32
}

static TOWN_A: Words = LazyLock::new(|| words(include_str!("../data/town-starts.txt")));
/// Appended to a `TOWN_A` part as they are: " Vale" (a word) or "ford" (joined on).
static TOWN_B: LazyLock<Vec<String>> = LazyLock::new(|| {
    words(include_str!("../data/town-ends.txt"))
        .into_iter()
        .map(|w| match w.strip_prefix('-') {
            Some(joined) => joined.to_string(),
            None => format!(" {w}"),
        })
        .collect()
});

static PLACE_A: Words = LazyLock::new(|| words(include_str!("../data/place-starts.txt")));
static PLACE_B: Words = LazyLock::new(|| words(include_str!("../data/place-ends.txt")));
static AUTHORITY_KINDS: Weighted =
    LazyLock::new(|| weighted(include_str!("../data/authority-kinds.txt")));

static ORG_A: Words = LazyLock::new(|| words(include_str!("../data/organisation-starts.txt")));
static ORG_B: Words = LazyLock::new(|| words(include_str!("../data/organisation-ends.txt")));
static ORG_KIND: Words = LazyLock::new(|| words(include_str!("../data/organisation-kinds.txt")));

/// Two-letter postcode areas in real use (and non-geographic ones); never generated.
static REAL_AREAS: Words = LazyLock::new(|| words(include_str!("../data/real-postcode-areas.txt")));

/// The entries of a word list: its lines, without empty ones and `#` comments.
fn words(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// The entries of a weighted list: "entry<TAB>weight" lines (a test checks every line is one).
fn weighted(text: &'static str) -> Vec<(&'static str, u32)> {
    words(text)
        .into_iter()
        .filter_map(|line| {
            let (entry, weight) = line.split_once('\t')?;
            Some((entry, weight.trim().parse().ok()?))
        })
        .collect()
}
/// Letters used in the inward code of real postcodes.
const INWARD_LETTERS: &[u8; 20] = b"ABDEFGHJLNPQRSTUWXYZ";

/// Valid NI number prefixes (none of the excluded letters or pairs).
const NI_PREFIXES: [&str; 13] = [
    "AB", "CE", "EH", "GY", "HS", "JK", "LP", "MR", "NE", "PA", "RW", "SC", "TW",
];
const NI_SPACE: u64 = NI_PREFIXES.len() as u64 * 1_000_000;
/// Coprime with `NI_SPACE` (2, 5 and 13), so `key * NI_STRIDE mod NI_SPACE` never repeats.
const NI_STRIDE: u64 = 7_654_321;
const HB_SPACE: u64 = 90_000_000;
/// Coprime with `HB_SPACE` (2, 3 and 5).
const HB_STRIDE: u64 = 48_271_877;

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

struct Params {
    authorities: usize,
    providers: usize,
    services: usize,
    current: usize,
    /// Fraction of each unit range used (Small keeps services small).
    unit_span: f64,
    /// Share of providers that also hold contracts with other authorities.
    multi: f64,
}

impl Params {
    fn for_scale(scale: Scale) -> Params {
        match scale {
            Scale::Small => Params {
                authorities: 1,
                providers: 5,
                services: 20,
                current: 300,
                unit_span: 0.35,
                multi: 0.0,
            },
            Scale::County => Params {
                authorities: 2,
                providers: 60,
                services: 400,
                current: 12_000,
                unit_span: 1.0,
                multi: 0.1,
            },
            Scale::National => Params {
                authorities: 150,
                providers: 6_000,
                services: 37_000,
                current: 1_200_000,
                unit_span: 1.0,
                multi: 0.1,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Older,
    Homeless,
    Care,
    General,
}

struct AuthBasic {
    short: String,
    area: String,
    lat: f64,
    lon: f64,
    weight: f64,
    /// Fixed towns for the two named authorities.
    fixed_towns: &'static [(&'static str, u32)],
    /// Spread of town centres around the authority centre, in degrees.
    spread: (f64, f64),
}

struct Town {
    name: String,
    lat: f64,
    lon: f64,
    district: u32,
    weight: u32,
    streets: u32,
    name_offset: u32,
    inward_offset: u32,
}

struct Street {
    name: String,
    town: usize,
    postcode: usize,
}

struct Geo {
    towns: Vec<Town>,
    streets: Vec<Street>,
    street_target: usize,
    town_weight_total: u32,
}

#[derive(Clone, Copy)]
struct ProviderPlan {
    home: usize,
    profile: Profile,
}

#[derive(Clone, Copy)]
struct Pair {
    provider: usize,
    authority: usize,
}

#[derive(Clone, Copy)]
struct Plan {
    pair: usize,
    authority: usize,
    provider: usize,
    stype: &'static str,
    group: &'static str,
    term: &'static str,
    units: i64,
    current_units: i64,
    former: usize,
    /// First property and count (accommodation-based and sheltered only).
    props: (usize, usize),
}

#[derive(Clone, Copy)]
struct Entry {
    service: usize,
    start: NaiveDate,
    end: Option<NaiveDate>,
    reason: Option<&'static str>,
    units: i64,
}

struct Gen {
    rng: StdRng,
    today: NaiveDate,
    out: DemoData,
    auths: Vec<AuthBasic>,
    geo: Vec<Geo>,
    providers: Vec<ProviderPlan>,
    provider_names: Vec<String>,
    plans: Vec<Plan>,
    /// `[authority][group index]` -> services.
    by_group: Vec<Vec<Vec<usize>>>,
    next_uprn: u64,
    property_addresses: HashSet<(usize, u32)>,
}

/// Generates the demo data set for `scale`. Deterministic in `(scale, seed, today)`.
pub fn generate(scale: Scale, seed: u64, today: NaiveDate) -> DemoData {
    let params = Params::for_scale(scale);
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        today,
        out: DemoData::default(),
        auths: Vec::new(),
        geo: Vec::new(),
        providers: Vec::new(),
        provider_names: Vec::new(),
        plans: Vec::new(),
        by_group: Vec::new(),
        next_uprn: 0,
        property_addresses: HashSet::new(),
    };
    g.next_uprn = 100_000_000_000 + g.rng.gen_range(0..50_000_000);
    g.authorities(params.authorities);
    g.provider_plans(params.providers);
    let pairs = g.pairs(&params);
    g.service_plans(&params, &pairs);
    g.fill(&params);
    g.build_geo();
    g.provider_records(&pairs);
    g.services();
    g.contracts(&pairs);
    for s in 0..g.plans.len() {
        g.people_for_service(s);
    }
    g.out
}

impl Gen {
    // ----- authorities -------------------------------------------------------------------

    fn authorities(&mut self, n: usize) {
        const BRACKENSHIRE_TOWNS: [(&str, u32); 9] = [
            ("Bracken Vale", 5),
            ("Kestrel Cross", 4),
            ("Hollin Bridge", 3),
            ("Thornley Green", 2),
            ("Ashcombe Heath", 2),
            ("Merriden", 2),
            ("Wrenford", 1),
            ("Rookley End", 1),
            ("Sorrel Hill", 1),
        ];
        const FERNVALE_TOWNS: [(&str, u32); 5] = [
            ("Fernvale", 5),
            ("Linnet Cross", 3),
            ("Osier Green", 2),
            ("Plover Heath", 1),
            ("Sedgeford", 1),
        ];
        let mut areas = self.area_pool(n);
        let mut names: HashSet<String> = HashSet::new();
        let mut codes: HashSet<String> = HashSet::new();
        for key in 0..n {
            let basic = |short: &str, area: &str, lat: f64, lon: f64| AuthBasic {
                short: short.to_string(),
                area: area.to_string(),
                lat,
                lon,
                weight: 1.0,
                fixed_towns: &[],
                spread: (0.12, 0.15),
            };
            let (name, code, mut auth) = match key {
                0 => (
                    "Brackenshire County Council".to_string(),
                    "BRK".to_string(),
                    AuthBasic {
                        fixed_towns: &BRACKENSHIRE_TOWNS,
                        spread: (0.10, 0.12),
                        ..basic("Brackenshire", "BK", 52.56, -1.62)
                    },
                ),
                1 => (
                    "Fernvale Borough Council".to_string(),
                    "FVL".to_string(),
                    AuthBasic {
                        fixed_towns: &FERNVALE_TOWNS,
                        spread: (0.07, 0.08),
                        ..basic("Fernvale", "FV", 52.36, -1.33)
                    },
                ),
                _ => {
                    let (name, short) = self.authority_name(&names);
                    let code = self.authority_code(&short, &codes);
                    let area = areas.pop().unwrap_or_else(|| "ZX".to_string());
                    let lat = self.rng.gen_range(50.85..54.6);
                    let lon = self.rng.gen_range(-2.9..0.1);
                    (name, code, basic(&short, &area, lat, lon))
                }
            };
            names.insert(auth.short.clone());
            codes.insert(code.clone());
            let u: f64 = self.rng.gen();
            auth.weight = if n == 2 {
                [0.6, 0.4][key]
            } else {
                0.4 + 1.6 * u * u
            };
            self.out.authorities.push(DemoAuthority { key, name, code });
            self.auths.push(auth);
        }
    }

    /// Invented two-letter postcode areas for authorities after the first two.
    fn area_pool(&mut self, n: usize) -> Vec<String> {
        let mut pool = Vec::new();
        for a in b'A'..=b'Z' {
            if matches!(a, b'Q' | b'V' | b'X') {
                continue;
            }
            for b in b'A'..=b'Z' {
                if matches!(b, b'I' | b'J' | b'Z') {
                    continue;
                }
                let s = String::from_utf8_lossy(&[a, b]).into_owned();
                let real = REAL_AREAS.contains(&s.as_str());
                if !real && s != "BK" && s != "FV" {
                    pool.push(s);
                }
            }
        }
        // A deterministic shuffle, then keep what is needed (popped from the end).
        for i in (1..pool.len()).rev() {
            let j = self.rng.gen_range(0..=i);
            pool.swap(i, j);
        }
        pool.truncate(n.saturating_sub(2));
        pool
    }

    fn authority_name(&mut self, used: &HashSet<String>) -> (String, String) {
        for _ in 0..1000 {
            let a = one(&mut self.rng, &PLACE_A);
            let b = one(&mut self.rng, &PLACE_B);
            let kind = pick(&mut self.rng, &AUTHORITY_KINDS);
            let short = if kind == "County Council" {
                format!("{a}shire")
            } else {
                format!("{a}{b}")
            };
            if !used.contains(&short) {
                return (format!("{short} {kind}"), short);
            }
        }
        let short = format!("Newplace {}", used.len());
        (format!("{short} District Council"), short)
    }

    fn authority_code(&mut self, short: &str, used: &HashSet<String>) -> String {
        let letters: Vec<char> = short
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let first = letters.first().copied().unwrap_or('X');
        let candidate: String = letters.iter().take(3).collect();
        if candidate.len() == 3 && !used.contains(&candidate) {
            return candidate;
        }
        loop {
            let c: String = [
                first,
                char::from(self.rng.gen_range(b'A'..=b'Z')),
                char::from(self.rng.gen_range(b'A'..=b'Z')),
            ]
            .iter()
            .collect();
            if !used.contains(&c) {
                return c;
            }
        }
    }

    // ----- providers ---------------------------------------------------------------------

    fn provider_plans(&mut self, n: usize) {
        let weights: Vec<f64> = self.auths.iter().map(|a| a.weight).collect();
        let mut mins = vec![1; self.auths.len()];
        if let Some(m) = mins.first_mut() {
            *m = 2;
        }
        let counts = allocate(n, &weights, &mins);
        let mut used: HashSet<String> = HashSet::new();
        for (home, count) in counts.into_iter().enumerate() {
            for _ in 0..count {
                let key = self.providers.len();
                let profile = if key == 0 {
                    Profile::General
                } else {
                    pick(
                        &mut self.rng,
                        &[
                            (Profile::Older, 25),
                            (Profile::Homeless, 35),
                            (Profile::Care, 20),
                            (Profile::General, 20),
                        ],
                    )
                };
                let name = match key {
                    0 => "Larkspur Housing Trust".to_string(),
                    1 => "Brightwater Support Services".to_string(),
                    _ => self.provider_name(&used),
                };
                used.insert(name.clone());
                self.provider_names.push(name);
                self.providers.push(ProviderPlan { home, profile });
            }
        }
    }

    fn provider_name(&mut self, used: &HashSet<String>) -> String {
        for _ in 0..1000 {
            let a = one(&mut self.rng, &ORG_A);
            let b = one(&mut self.rng, &ORG_B);
            let kind = one(&mut self.rng, &ORG_KIND);
            let name = format!("{a}{b} {kind}");
            if !used.contains(&name) && name != "Larkspur Housing Trust" {
                return name;
            }
        }
        format!("Provider {} Trust", used.len() + 1)
    }

    /// (provider, authority) pairs, ordered by authority then provider.
    fn pairs(&mut self, params: &Params) -> Vec<Pair> {
        let n_auth = self.auths.len();
        let mut pairs: Vec<(Pair, f64, usize)> = Vec::new();
        for p in 0..self.providers.len() {
            let home = self.providers[p].home;
            let w = (normal(&mut self.rng) * 1.1).exp();
            let min = match p {
                0 => 6,
                1 => 2,
                _ => 1,
            };
            pairs.push((
                Pair {
                    provider: p,
                    authority: home,
                },
                w,
                min,
            ));
            if n_auth > 1 && p > 1 && self.rng.gen::<f64>() < params.multi {
                let extra = if n_auth == 2 {
                    1
                } else {
                    pick(&mut self.rng, &[(1usize, 6), (2, 3), (3, 1)])
                };
                let mut taken = vec![home];
                for _ in 0..extra {
                    for _ in 0..10 {
                        let a = if n_auth == 2 {
                            1 - home
                        } else {
                            let d = self.rng.gen_range(1..=5usize);
                            if self.rng.gen::<bool>() {
                                (home + d) % n_auth
                            } else {
                                (home + n_auth - d) % n_auth
                            }
                        };
                        if !taken.contains(&a) {
                            taken.push(a);
                            let w = (normal(&mut self.rng) * 0.8).exp() * 0.5;
                            pairs.push((
                                Pair {
                                    provider: p,
                                    authority: a,
                                },
                                w,
                                1,
                            ));
                            break;
                        }
                    }
                }
            }
        }
        pairs.sort_by_key(|(pair, _, _)| (pair.authority, pair.provider));
        let weights: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let mins: Vec<usize> = pairs.iter().map(|p| p.2).collect();
        let counts = allocate(params.services, &weights, &mins);
        let mut out = Vec::with_capacity(pairs.len());
        for ((pair, _, _), count) in pairs.into_iter().zip(counts) {
            out.push(pair);
            // Remember the count in the plans: one plan per service.
            for _ in 0..count {
                self.plans.push(Plan {
                    pair: out.len() - 1,
                    authority: pair.authority,
                    provider: pair.provider,
                    stype: ACC,
                    group: SINGLE,
                    term: SHORT,
                    units: 0,
                    current_units: 0,
                    former: 0,
                    props: (0, 0),
                });
            }
        }
        out
    }

    // ----- services (plans) --------------------------------------------------------------

    fn service_plans(&mut self, params: &Params, pairs: &[Pair]) {
        const PROVIDER0: [(&str, &str); 6] = [
            (ACC, YOUNG),
            (SHELTERED, OLDER),
            (FLOAT, GENERIC),
            (ALARM, OLDER),
            (ACC, DA),
            (DAY, LD),
        ];
        let mut p0_index = 0;
        for i in 0..self.plans.len() {
            let pair = pairs[self.plans[i].pair];
            let (stype, group) = if pair.provider == 0 && pair.authority == 0 && p0_index < 6 {
                p0_index += 1;
                PROVIDER0[p0_index - 1]
            } else {
                let profile = self.providers[pair.provider].profile;
                self.type_and_group(profile)
            };
            let (lo, hi) = unit_range(stype);
            let span = (hi - lo) as f64 * params.unit_span;
            let u: f64 = self.rng.gen();
            let units = lo + (span * u.powf(1.6)).round() as i64;
            let plan = &mut self.plans[i];
            plan.stype = stype;
            plan.group = group;
            plan.term = term_for(stype, group);
            plan.units = units;
        }
        let n_auth = self.auths.len();
        self.by_group = vec![vec![Vec::new(); GROUPS.len()]; n_auth];
        for (s, plan) in self.plans.iter().enumerate() {
            let gi = group_index(plan.group);
            self.by_group[plan.authority][gi].push(s);
        }
    }

    fn type_and_group(&mut self, profile: Profile) -> (&'static str, &'static str) {
        const ACC_HOMELESS: [(&str, u32); 9] = [
            (SINGLE, 25),
            (YOUNG, 20),
            (FAMILIES, 12),
            (DA, 12),
            (OFFENDERS, 10),
            (SUBSTANCE, 8),
            (TEEN, 6),
            (REFUGEE, 4),
            (MH, 3),
        ];
        const ACC_CARE: [(&str, u32); 3] = [(MH, 40), (LD, 40), (PD, 20)];
        const FLOAT_HOMELESS: [(&str, u32); 8] = [
            (GENERIC, 30),
            (DA, 15),
            (YOUNG, 15),
            (SUBSTANCE, 10),
            (OFFENDERS, 10),
            (REFUGEE, 5),
            (FAMILIES, 10),
            (SINGLE, 5),
        ];
        const FLOAT_CARE: [(&str, u32); 3] = [(MH, 60), (LD, 30), (PD, 10)];
        const DAY_CARE: [(&str, u32); 3] = [(LD, 50), (MH, 30), (PD, 20)];
        let rng = &mut self.rng;
        let older_or_pd = |rng: &mut StdRng, pd: u32| pick(rng, &[(OLDER, 100 - pd), (PD, pd)]);
        match profile {
            Profile::Older => {
                let t = pick(rng, &[(SHELTERED, 55), (ALARM, 15), (FLOAT, 20), (DAY, 10)]);
                let g = match t {
                    SHELTERED => older_or_pd(rng, 10),
                    ALARM => older_or_pd(rng, 15),
                    _ => OLDER,
                };
                (t, g)
            }
            Profile::Homeless => {
                let t = pick(rng, &[(ACC, 70), (FLOAT, 30)]);
                let g = if t == ACC {
                    pick(rng, &ACC_HOMELESS)
                } else {
                    pick(rng, &FLOAT_HOMELESS)
                };
                (t, g)
            }
            Profile::Care => {
                let t = pick(rng, &[(ACC, 60), (FLOAT, 25), (DAY, 15)]);
                let g = match t {
                    ACC => pick(rng, &ACC_CARE),
                    FLOAT => pick(rng, &FLOAT_CARE),
                    _ => pick(rng, &DAY_CARE),
                };
                (t, g)
            }
            Profile::General => {
                let t = pick(
                    rng,
                    &[
                        (ACC, 40),
                        (FLOAT, 30),
                        (SHELTERED, 15),
                        (ALARM, 5),
                        (DAY, 10),
                    ],
                );
                let g = match t {
                    ACC => {
                        if rng.gen::<f64>() < 0.6 {
                            pick(rng, &ACC_HOMELESS)
                        } else {
                            pick(rng, &ACC_CARE)
                        }
                    }
                    FLOAT => {
                        if rng.gen::<f64>() < 0.2 {
                            OLDER
                        } else if rng.gen::<f64>() < 0.7 {
                            pick(rng, &FLOAT_HOMELESS)
                        } else {
                            pick(rng, &FLOAT_CARE)
                        }
                    }
                    SHELTERED => older_or_pd(rng, 5),
                    ALARM => older_or_pd(rng, 10),
                    _ => pick(rng, &[(OLDER, 50), (LD, 30), (MH, 20)]),
                };
                (t, g)
            }
        }
    }

    /// Decides how full each service is and how much ended history it has.
    fn fill(&mut self, params: &Params) {
        // Capacity in schedules: a day-activities client takes about two units.
        let capacity: f64 = self
            .plans
            .iter()
            .map(|p| {
                if p.stype == DAY {
                    p.units as f64 / 2.0
                } else {
                    p.units as f64
                }
            })
            .sum();
        let mean = (params.current as f64 / capacity.max(1.0)).clamp(0.6, 1.0);
        let mut est_current = 0.0;
        for i in 0..self.plans.len() {
            let jitter = self.rng.gen_range(-0.12..0.12);
            let f: f64 = (mean + jitter).clamp(0.6, 1.0);
            let plan = &mut self.plans[i];
            plan.current_units = ((plan.units as f64 * f).round() as i64).clamp(1, plan.units);
            est_current += schedules_estimate(plan);
        }
        let ended_from_current = (COS_SHARE + RETURN_SHARE) * est_current;
        let former_schedules = (ENDED_RATIO * est_current - ended_from_current).max(0.0);
        let former_clients = former_schedules / (1.0 + FORMER_PRIOR_SHARE);
        let turnover = |p: &Plan| schedules_estimate(p) * if p.term == SHORT { 2.5 } else { 1.0 };
        let total_turnover: f64 = self.plans.iter().map(turnover).sum::<f64>().max(1.0);
        for i in 0..self.plans.len() {
            let exact = former_clients * turnover(&self.plans[i]) / total_turnover;
            let whole = exact.floor();
            let extra = if self.rng.gen::<f64>() < exact - whole {
                1.0
            } else {
                0.0
            };
            self.plans[i].former = (whole + extra) as usize;
        }
    }

    // ----- geography ---------------------------------------------------------------------

    fn build_geo(&mut self) {
        let n_auth = self.auths.len();
        let mut demand = vec![0.0f64; n_auth];
        for p in &self.plans {
            demand[p.authority] += schedules_estimate(p) + p.former as f64 + 3.0;
        }
        for p in &self.providers {
            demand[p.home] += 1.0;
        }
        for (a, d) in demand.into_iter().enumerate() {
            let target = ((d / 5.0) as usize).max(30);
            let towns = self.towns(a, target);
            let town_weight_total = towns.iter().map(|t| t.weight).sum();
            self.geo.push(Geo {
                towns,
                streets: Vec::new(),
                street_target: target,
                town_weight_total,
            });
        }
    }

    fn towns(&mut self, a: usize, street_target: usize) -> Vec<Town> {
        let basic = &self.auths[a];
        let (lat0, lon0, spread) = (basic.lat, basic.lon, basic.spread);
        let mut named: Vec<(String, u32)> = basic
            .fixed_towns
            .iter()
            .map(|(n, w)| ((*n).to_string(), *w))
            .collect();
        if named.is_empty() {
            let count = street_target.div_ceil(500).clamp(4, 12);
            let combos = (TOWN_A.len() * TOWN_B.len()) as u32;
            let offset = self.rng.gen_range(0..combos);
            let mut used: HashSet<String> = HashSet::new();
            if !basic.short.ends_with("shire") {
                used.insert(basic.short.clone());
                named.push((basic.short.clone(), 4));
            }
            let mut i = 0u32;
            while named.len() < count && i < combos {
                // 77 is coprime with 540, so this visits every combination once.
                let idx = ((offset + i * 77) % combos) as usize;
                i += 1;
                let name = format!(
                    "{}{}",
                    TOWN_A[idx / TOWN_B.len()],
                    TOWN_B[idx % TOWN_B.len()]
                );
                if used.insert(name.clone()) {
                    let w = if named.is_empty() {
                        4
                    } else if named.len() == 1 {
                        2
                    } else {
                        1
                    };
                    named.push((name, w));
                }
            }
        }
        named
            .into_iter()
            .enumerate()
            .map(|(i, (name, weight))| Town {
                name,
                lat: lat0 + self.rng.gen_range(-spread.0..spread.0),
                lon: lon0 + self.rng.gen_range(-spread.1..spread.1),
                district: i as u32 + 1,
                weight,
                streets: 0,
                name_offset: self.rng.gen_range(0..street_combos()),
                inward_offset: self.rng.gen_range(0..4000),
            })
            .collect()
    }

    /// A street in authority `a`: an existing one, or a new one with its own postcode.
    fn street(&mut self, a: usize) -> usize {
        let target = self.geo[a].street_target.max(1);
        let idx = self.rng.gen_range(0..target);
        let existing = self.geo[a].streets.len();
        if idx < existing {
            return idx;
        }
        let total = self.geo[a].town_weight_total.max(1);
        let mut r = self.rng.gen_range(0..total);
        let n_towns = self.geo[a].towns.len();
        let mut chosen = 0;
        for (i, t) in self.geo[a].towns.iter().enumerate() {
            chosen = i;
            if r < t.weight {
                break;
            }
            r -= t.weight;
        }
        let free = (0..n_towns)
            .map(|k| (chosen + k) % n_towns)
            .find(|&t| self.geo[a].towns[t].streets < street_combos());
        let Some(t) = free else {
            // Every street name is used: reuse a street.
            return self.rng.gen_range(0..existing.max(1));
        };
        let jitter_lat = self.rng.gen_range(-0.015..0.015);
        let jitter_lon = self.rng.gen_range(-0.02..0.02);
        let area = &self.auths[a].area;
        let town = &mut self.geo[a].towns[t];
        let n = town.streets;
        town.streets += 1;
        // 977 and 1597 are coprime with 1200 and 4000: each street gets its own name and
        // inward code within its town (and the town its own district).
        let name_idx = ((town.name_offset + n * 977) % street_combos()) as usize;
        let name = format!(
            "{} {}",
            STREET_A[name_idx / STREET_B.len()],
            STREET_B[name_idx % STREET_B.len()]
        );
        let inward = ((town.inward_offset + n * 1597) % 4000) as usize;
        let letters = INWARD_LETTERS.len();
        let postcode = format!(
            "{}{} {}{}{}",
            area,
            town.district,
            inward / (letters * letters),
            char::from(INWARD_LETTERS[(inward / letters) % letters]),
            char::from(INWARD_LETTERS[inward % letters]),
        );
        let pc_index = self.out.postcodes.len();
        self.out.postcodes.push(DemoPostcode {
            postcode,
            latitude: round5(town.lat + jitter_lat),
            longitude: round5(town.lon + jitter_lon),
        });
        self.geo[a].streets.push(Street {
            name,
            town: t,
            postcode: pc_index,
        });
        existing
    }

    /// "12 Willow Close, Bracken Vale" and its postcode.
    fn home_address(&mut self, a: usize) -> (String, String) {
        let s = self.street(a);
        let number: u32 = self.rng.gen_range(1..=160);
        let street = &self.geo[a].streets[s];
        let town = &self.geo[a].towns[street.town].name;
        (
            format!("{number} {}, {town}", street.name),
            self.out.postcodes[street.postcode].postcode.clone(),
        )
    }

    // ----- provider records and contacts --------------------------------------------------

    fn provider_records(&mut self, pairs: &[Pair]) {
        let mut authority_keys: Vec<Vec<usize>> = vec![Vec::new(); self.providers.len()];
        let mut services: Vec<usize> = vec![0; self.providers.len()];
        for pair in pairs {
            authority_keys[pair.provider].push(pair.authority);
        }
        for plan in &self.plans {
            services[plan.provider] += 1;
        }
        for (key, keys) in authority_keys.into_iter().enumerate() {
            let mut keys = keys;
            keys.sort_unstable();
            keys.dedup();
            let home = self.providers[key].home;
            let name = self.provider_names[key].clone();
            let domain = domain_for(&name);
            let (street_address, postcode) = self.home_address(home);
            let address = if self.rng.gen::<f64>() < 0.4 {
                let building = one(&mut self.rng, &STREET_A);
                format!("{building} House, {street_address}")
            } else {
                street_address
            };
            let limited_access = match key {
                0 => false,
                1 => true,
                _ => self.rng.gen::<f64>() < 0.15,
            };
            let phone = self.landline();
            let mailbox = one(&mut self.rng, &["info", "enquiries", "office", "admin"]);
            self.out.providers.push(DemoProvider {
                key,
                name,
                reference: format!("PRV{:05}", key + 1),
                address,
                postcode,
                phone,
                email: format!("{mailbox}@{domain}"),
                limited_access,
                authority_keys: keys,
            });
            let extra_max = services[key].min(5);
            let count = 3 + self.rng.gen_range(0..=extra_max);
            self.contacts(key, &domain, count);
        }
    }

    fn contacts(&mut self, provider_key: usize, domain: &str, count: usize) {
        const POSITIONS: [&str; 8] = [
            "chief_executive",
            "manager",
            "service_manager",
            "finance_officer",
            "administrator",
            "support_worker",
            "service_manager",
            "other",
        ];
        let mut emails: HashSet<String> = HashSet::new();
        for (i, &position_type) in POSITIONS.iter().enumerate().take(count) {
            let female = self.rng.gen::<f64>() < 0.6;
            let age = self.rng.gen_range(24..=64);
            let (title, first_name, last_name) = self.person_name(female, age, false);
            let local = format!("{}.{}", email_part(&first_name), email_part(&last_name));
            let mut email = format!("{local}@{domain}");
            let mut n = 2;
            while !emails.insert(email.clone()) {
                email = format!("{local}{n}@{domain}");
                n += 1;
            }
            let phone = if i == 0 || self.rng.gen::<f64>() < 0.5 {
                self.mobile()
            } else {
                self.landline()
            };
            let key = self.out.contacts.len();
            self.out.contacts.push(DemoContact {
                key,
                provider_key,
                title,
                first_name,
                last_name,
                position_type,
                email,
                phone,
            });
        }
    }

    /// A number in one of Ofcom's ranges reserved for drama.
    fn landline(&mut self) -> String {
        let n: u32 = self.rng.gen_range(0..1000);
        match self.rng.gen_range(0..3) {
            0 => format!("01632 960{n:03}"),
            1 => format!("0113 496 0{n:03}"),
            _ => format!("020 7946 0{n:03}"),
        }
    }

    fn mobile(&mut self) -> String {
        let n: u32 = self.rng.gen_range(0..1000);
        format!("07700 900{n:03}")
    }

    // ----- services and properties -------------------------------------------------------

    fn services(&mut self) {
        let mut seq = vec![0usize; self.auths.len()];
        for s in 0..self.plans.len() {
            let plan = self.plans[s];
            let a = plan.authority;
            seq[a] += 1;
            let code = &self.out.authorities[a].code;
            let reference = format!("{code}/{}/{:04}", type_abbr(plan.stype), seq[a]);
            let provider_short = first_word(&self.provider_names[plan.provider]).to_string();
            let word = one(&mut self.rng, &STREET_A);
            // Properties first: a scheme's address is its first property's.
            let mut scheme_address: Option<(String, String, String)> = None;
            let mut place_town: Option<String> = None;
            let (name, public_name) = match plan.stype {
                ACC | SHELTERED => {
                    let first_street = self.street(a);
                    let town_idx = self.geo[a].streets[first_street].town;
                    let town = self.geo[a].towns[town_idx].name.clone();
                    let names = scheme_names(plan.stype, plan.group, word, &town, &self.rng_word());
                    place_town = Some(town);
                    // A refuge's address is not advertised on its buildings.
                    let building = if plan.group == DA {
                        ""
                    } else {
                        names.1.as_str()
                    };
                    let props = self.properties(s, first_street, building);
                    self.plans[s].props = props;
                    if let Some(p) = self.out.properties.get(props.0) {
                        let mut lines = p.address_line1.clone();
                        if !p.address_line2.is_empty() {
                            lines = format!("{}, {lines}", p.address_line2);
                        }
                        scheme_address = Some((lines, p.town.clone(), p.postcode.clone()));
                    }
                    names
                }
                FLOAT if plan.group == GENERIC => {
                    let area = self.auths[a].short.clone();
                    (
                        format!("{provider_short} Floating Support ({area})"),
                        format!("Floating Support - {area}"),
                    )
                }
                FLOAT => {
                    let label = group_label(plan.group);
                    let area = if self.rng.gen::<bool>() {
                        self.auths[a].short.clone()
                    } else {
                        let t = self.rng.gen_range(0..self.geo[a].towns.len());
                        self.geo[a].towns[t].name.clone()
                    };
                    (
                        format!("{provider_short} {label} Floating Support ({area})"),
                        format!("{label} Floating Support - {area}"),
                    )
                }
                ALARM => {
                    let short = &self.auths[a].short;
                    (
                        format!("{provider_short} Community Alarm and Telecare ({short})"),
                        format!("{provider_short} Lifeline"),
                    )
                }
                _ => {
                    let t = self.rng.gen_range(0..self.geo[a].towns.len());
                    let town = self.geo[a].towns[t].name.clone();
                    let base = match plan.group {
                        OLDER => format!("{town} Day Centre"),
                        LD => format!("{word} Day Opportunities"),
                        MH => format!("{town} Wellbeing Hub"),
                        _ => format!("{town} Resource Centre"),
                    };
                    place_town = Some(town);
                    (format!("{base} ({})", group_label(plan.group)), base)
                }
            };
            let (address, postcode) = match scheme_address {
                Some((lines, town, postcode)) => (format!("{lines}, {town}"), postcode),
                None => {
                    let (addr, pc) = self.home_address(a);
                    if plan.stype == DAY {
                        (format!("{public_name}, {addr}"), pc)
                    } else {
                        (addr, pc)
                    }
                }
            };
            let town = place_town.unwrap_or_else(|| self.auths[a].short.clone());
            let description = describe(plan.stype, plan.group, plan.term, &town);
            self.out.services.push(DemoService {
                key: s,
                authority_key: a,
                provider_key: plan.provider,
                reference,
                name,
                public_name,
                service_type: plan.stype,
                term: plan.term,
                client_group: plan.group,
                contracted_units: plan.units,
                address,
                postcode,
                description,
            });
        }
    }

    /// A second invented word for names ("House", "Court", ...).
    fn rng_word(&mut self) -> String {
        one(&mut self.rng, &STREET_A).to_string()
    }

    /// Properties of an accommodation-based or sheltered service; returns (first, count).
    fn properties(&mut self, s: usize, first_street: usize, scheme: &str) -> (usize, usize) {
        let plan = self.plans[s];
        let a = plan.authority;
        let count = if plan.stype == SHELTERED {
            pick(&mut self.rng, &[(1usize, 6), (2, 3), (3, 1)])
        } else {
            let per = self.rng.gen_range(2..=6);
            ((plan.units + per - 1) / per).clamp(1, 10) as usize
        };
        let first = self.out.properties.len();
        for i in 0..count {
            // Sheltered blocks share a street; shared houses are spread about.
            let street = if i == 0 || (plan.stype == SHELTERED && self.rng.gen::<f64>() < 0.8) {
                first_street
            } else {
                self.street(a)
            };
            let line2 = if plan.stype == SHELTERED {
                if count > 1 {
                    format!("{scheme}, Block {}", char::from(b'A' + i as u8))
                } else {
                    scheme.to_string()
                }
            } else if i == 0 {
                scheme.to_string()
            } else {
                String::new()
            };
            self.push_property(a, plan.provider, Some(s), street, line2);
        }
        // Now and then a provider holds a property not (yet) used by a service.
        if plan.stype == ACC && self.rng.gen::<f64>() < 0.05 {
            let street = self.street(a);
            self.push_property(a, plan.provider, None, street, String::new());
        }
        (first, count)
    }

    fn push_property(
        &mut self,
        a: usize,
        provider: usize,
        service: Option<usize>,
        street: usize,
        address_line2: String,
    ) {
        let mut number: u32 = self.rng.gen_range(1..=200);
        for _ in 0..20 {
            if self
                .property_addresses
                .insert((street_id(a, street), number))
            {
                break;
            }
            number = self.rng.gen_range(1..=400);
        }
        let st = &self.geo[a].streets[street];
        let town = self.geo[a].towns[st.town].name.clone();
        self.next_uprn += self.rng.gen_range(1..=40);
        let key = self.out.properties.len();
        self.out.properties.push(DemoProperty {
            key,
            authority_key: a,
            provider_key: provider,
            service_key: service,
            address_line1: format!("{number} {}", st.name),
            address_line2,
            town,
            postcode: self.out.postcodes[st.postcode].postcode.clone(),
            uprn: format!("{:012}", self.next_uprn),
        });
    }

    // ----- contracts ---------------------------------------------------------------------

    fn contracts(&mut self, pairs: &[Pair]) {
        let mut by_pair: Vec<Vec<usize>> = vec![Vec::new(); pairs.len()];
        for (s, plan) in self.plans.iter().enumerate() {
            by_pair[plan.pair].push(s);
        }
        let mut seq = vec![0usize; self.auths.len()];
        for (pi, mut services) in by_pair.into_iter().enumerate() {
            let pair = pairs[pi];
            if services.is_empty() {
                continue;
            }
            services.sort_by_key(|&s| (type_order(self.plans[s].stype), s));
            let n = services.len();
            // Where the service type changes: contracts are cut there first.
            let mut boundaries: Vec<usize> = (1..n)
                .filter(|&i| self.plans[services[i]].stype != self.plans[services[i - 1]].stype)
                .collect();
            let picked = match n {
                1 => 1,
                2 => pick(&mut self.rng, &[(1usize, 6), (2, 4)]),
                3..=9 => pick(&mut self.rng, &[(1usize, 5), (2, 3), (3, 2)]),
                _ => pick(&mut self.rng, &[(2usize, 4), (3, 6)]),
            };
            let k = picked.max(boundaries.len() + 1).min(3).min(n);
            // k - 1 distinct cut points between services.
            let mut cuts: Vec<usize> = Vec::new();
            while cuts.len() + 1 < k {
                let c = if boundaries.is_empty() {
                    self.rng.gen_range(1..n)
                } else {
                    boundaries.swap_remove(self.rng.gen_range(0..boundaries.len()))
                };
                if !cuts.contains(&c) {
                    cuts.push(c);
                }
            }
            cuts.sort_unstable();
            cuts.push(n);
            let mut from = 0;
            for (ci, &to) in cuts.iter().enumerate() {
                let chunk: Vec<usize> = services[from..to].to_vec();
                from = to;
                let force_steady = pair.provider == 0 && pair.authority == 0 && ci == 0;
                self.contract(pair, chunk, force_steady, &mut seq);
            }
        }
    }

    fn contract(&mut self, pair: Pair, services: Vec<usize>, steady: bool, seq: &mut [usize]) {
        let a = pair.authority;
        seq[a] += 1;
        let units: i64 = services.iter().map(|&s| self.plans[s].units).sum();
        let mut types: Vec<&'static str> = Vec::new();
        for &s in &services {
            if !types.contains(&self.plans[s].stype) {
                types.push(self.plans[s].stype);
            }
        }
        let main_type = types.first().copied().unwrap_or(ACC);
        let (lo, hi) = rate_range(main_type);
        let unit_rate_pence = self.rng.gen_range(lo..=hi) / 5 * 5;
        let today = self.today;
        let status = if steady {
            STEADY
        } else {
            pick(&mut self.rng, &[(STEADY, 80), (INTERIM, 14), (EXPIRED, 6)])
        };
        let (start_date, end_date) = match status {
            STEADY => {
                let start = minus_days(today, self.rng.gen_range(0..=1400));
                let years = self.rng.gen_range(3..=5);
                let mut end = plus_days(start, years * 365 + years / 4);
                if end <= today {
                    end = plus_days(today, self.rng.gen_range(30..=900));
                }
                (start, end)
            }
            INTERIM => {
                let start = minus_days(today, self.rng.gen_range(0..=300));
                let mut end = plus_days(start, self.rng.gen_range(180..=365));
                if end <= today {
                    end = plus_days(today, self.rng.gen_range(30..=180));
                }
                (start, end)
            }
            _ => {
                let end = minus_days(today, self.rng.gen_range(1..=180));
                (minus_days(end, 3 * 365), end)
            }
        };
        let what = match types.as_slice() {
            [one] => format!("{} services", type_label(one)),
            [a, b] => format!("{} and {} services", type_label(a), type_label(b)),
            _ => "housing-related support services".to_string(),
        };
        let provider_short = first_word(&self.provider_names[pair.provider]);
        let title = if status == INTERIM {
            format!("{provider_short}: {what} (interim)")
        } else {
            format!(
                "{provider_short}: {what} {}-{}",
                start_date.year(),
                end_date.year()
            )
        };
        let key = self.out.contracts.len();
        let code = &self.out.authorities[a].code;
        self.out.contracts.push(DemoContract {
            key,
            authority_key: a,
            provider_key: pair.provider,
            reference: format!("{code}/C/{:04}", seq[a]),
            title,
            service_keys: services,
            units,
            unit_rate_pence,
            start_date,
            end_date,
            status,
        });
    }

    // ----- clients and schedules ---------------------------------------------------------

    fn people_for_service(&mut self, s: usize) {
        let plan = self.plans[s];
        let mut used = 0;
        while used < plan.current_units {
            let units = if plan.stype == DAY {
                self.rng.gen_range(1..=3).min(plan.current_units - used)
            } else {
                1
            };
            used += units;
            let start = self.current_start(plan.stype, plan.term);
            let mut entries: Vec<Entry> = Vec::with_capacity(2);
            let r: f64 = self.rng.gen();
            if r < COS_SHARE {
                if let Some(other) = self.other_service(plan.authority, plan.group, s) {
                    let end = minus_days(start, 1);
                    entries.push(self.ended_entry(other, end, Some(CHANGE_OF_SERVICE)));
                }
            } else if r < COS_SHARE + RETURN_SHARE {
                let end = minus_days(start, self.rng.gen_range(30..=720));
                entries.push(self.ended_entry(s, end, None));
            }
            entries.push(Entry {
                service: s,
                start,
                end: None,
                reason: None,
                units,
            });
            let (address, postcode) = match plan.stype {
                ACC | SHELTERED if plan.props.1 > 0 => self.resident_address(&plan),
                _ => self.home_address(plan.authority),
            };
            self.add_person(plan.authority, plan.group, &entries, address, postcode);
        }
        for _ in 0..plan.former {
            let back = 1 + (self.rng.gen::<f64>().powf(1.2) * 1825.0) as i64;
            let end = minus_days(self.today, back);
            let last = self.ended_entry(s, end, None);
            let mut entries: Vec<Entry> = Vec::with_capacity(2);
            if self.rng.gen::<f64>() < FORMER_PRIOR_SHARE {
                let other = if self.rng.gen::<bool>() {
                    self.other_service(plan.authority, plan.group, s)
                } else {
                    None
                };
                match other {
                    Some(o) => {
                        let e = minus_days(last.start, 1);
                        entries.push(self.ended_entry(o, e, Some(CHANGE_OF_SERVICE)));
                    }
                    None => {
                        let e = minus_days(last.start, self.rng.gen_range(30..=720));
                        let mut earlier = self.ended_entry(s, e, None);
                        if earlier.reason == Some(DECEASED) {
                            earlier.reason = Some(NOT_REQUIRED);
                        }
                        entries.push(earlier);
                    }
                }
            }
            entries.push(last);
            let (address, postcode) = self.home_address(plan.authority);
            self.add_person(plan.authority, plan.group, &entries, address, postcode);
        }
    }

    /// Another service for the same client group in the same authority.
    fn other_service(&mut self, a: usize, group: &str, s: usize) -> Option<usize> {
        let list = &self.by_group[a][group_index(group)];
        if list.len() < 2 {
            return None;
        }
        let pick = list[self.rng.gen_range(0..list.len())];
        if pick == s {
            None
        } else {
            Some(pick)
        }
    }

    /// An ended schedule on service `s` ending on `end`; `reason` or one that fits.
    fn ended_entry(&mut self, s: usize, end: NaiveDate, reason: Option<&'static str>) -> Entry {
        let plan = self.plans[s];
        let u: f64 = self.rng.gen();
        let days = if plan.term == SHORT {
            14 + (u.powf(1.4) * 716.0) as i64
        } else {
            90 + (u.powf(1.5) * 3560.0) as i64
        };
        let reason = match reason {
            Some(r) => r,
            None => {
                if plan.term == SHORT {
                    let deceased = if plan.group == OLDER { 8 } else { 2 };
                    pick(
                        &mut self.rng,
                        &[
                            (NOT_REQUIRED, 50),
                            (LOST_CONTACT, 18),
                            (BROKEN_DOWN, 17),
                            (CHANGE_OF_SERVICE, 12),
                            (DECEASED, deceased),
                        ],
                    )
                } else if plan.group == OLDER {
                    pick(
                        &mut self.rng,
                        &[
                            (DECEASED, 40),
                            (NOT_REQUIRED, 25),
                            (CHANGE_OF_SERVICE, 20),
                            (LOST_CONTACT, 5),
                            (BROKEN_DOWN, 10),
                        ],
                    )
                } else {
                    pick(
                        &mut self.rng,
                        &[
                            (NOT_REQUIRED, 40),
                            (CHANGE_OF_SERVICE, 25),
                            (BROKEN_DOWN, 15),
                            (LOST_CONTACT, 15),
                            (DECEASED, 5),
                        ],
                    )
                }
            }
        };
        let units = if plan.stype == DAY {
            self.rng.gen_range(1..=3)
        } else {
            1
        };
        Entry {
            service: s,
            start: minus_days(end, days),
            end: Some(end),
            reason: Some(reason),
            units,
        }
    }

    fn current_start(&mut self, stype: &str, term: &str) -> NaiveDate {
        let u: f64 = self.rng.gen();
        let back = if term == SHORT {
            u.powf(1.3) * 600.0
        } else {
            match stype {
                SHELTERED => u.powf(1.3) * 5475.0,
                ALARM => u * 3650.0,
                DAY => u * 2900.0,
                FLOAT => u * 1800.0,
                _ => u * 4300.0,
            }
        };
        minus_days(self.today, back as i64)
    }

    /// A resident's address: a room or flat in one of the scheme's properties.
    fn resident_address(&mut self, plan: &Plan) -> (String, String) {
        let (first, count) = plan.props;
        let p = first + self.rng.gen_range(0..count.max(1));
        let per = (plan.units as usize / count.max(1)).max(1);
        let unit = self.rng.gen_range(1..=per);
        match self.out.properties.get(p) {
            Some(prop) => {
                let unit_word = if plan.stype == SHELTERED {
                    "Flat"
                } else {
                    "Room"
                };
                let mut address = format!("{unit_word} {unit}, ");
                if !prop.address_line2.is_empty() {
                    address.push_str(&prop.address_line2);
                    address.push_str(", ");
                }
                address.push_str(&prop.address_line1);
                address.push_str(", ");
                address.push_str(&prop.town);
                (address, prop.postcode.clone())
            }
            None => self.home_address(plan.authority),
        }
    }

    fn add_person(
        &mut self,
        authority_key: usize,
        group: &'static str,
        entries: &[Entry],
        address: String,
        postcode: String,
    ) {
        let earliest = entries.iter().map(|e| e.start).min().unwrap_or(self.today);
        let latest = entries.iter().map(|e| e.start).max().unwrap_or(self.today);
        let long_term = entries.iter().any(|e| self.plans[e.service].term == LONG);
        let date_of_birth = self.date_of_birth(group, earliest, latest);
        let age = age_on(date_of_birth, self.today);
        let female = self.rng.gen::<f64>() < female_share(group);
        let ethnicity = if group == REFUGEE {
            pick(&mut self.rng, &ETHNICITIES_REFUGEE)
        } else {
            pick(&mut self.rng, &ETHNICITIES)
        };
        let diverse = !ethnicity.starts_with("White")
            && ethnicity != "Not known"
            && self.rng.gen::<f64>() < 0.7;
        let (title, first_name, last_name) = self.person_name(female, age, diverse);
        let key = self.out.clients.len();
        let mut has_ni = self.rng.gen::<f64>() < 0.85;
        let mut has_hb = self.rng.gen::<f64>() < 0.6;
        if long_term && !has_ni && !has_hb {
            if self.rng.gen::<f64>() < 0.7 {
                has_hb = true;
            } else {
                has_ni = true;
            }
        }
        let ni_number = if has_ni {
            let suffix = char::from(b"ABCD"[self.rng.gen_range(0..4)]);
            Some(ni_number(key, suffix))
        } else {
            None
        };
        let hb_number = if has_hb { Some(hb_number(key)) } else { None };
        self.out.clients.push(DemoClient {
            key,
            authority_key,
            title,
            first_name,
            last_name,
            date_of_birth,
            ethnicity: ethnicity.to_string(),
            address,
            postcode,
            ni_number,
            hb_number,
        });
        for e in entries {
            let stype = self.plans[e.service].stype;
            let level = match stype {
                FLOAT => pick(&mut self.rng, &[(1u8, 60), (2, 30), (3, 10)]),
                ACC => pick(&mut self.rng, &[(1u8, 80), (2, 20)]),
                _ => 1,
            };
            let schedule_key = self.out.schedules.len();
            self.out.schedules.push(DemoSchedule {
                key: schedule_key,
                client_key: key,
                service_key: e.service,
                level: format!("Service Level {level}"),
                units_per_week: e.units,
                start_date: e.start,
                end_date: e.end,
                end_reason: e.reason,
            });
        }
    }

    /// Date of birth fitting the group's age range at the start of every schedule (from
    /// `earliest` to `latest`), and no older than about 95 today.
    fn date_of_birth(&mut self, group: &str, earliest: NaiveDate, latest: NaiveDate) -> NaiveDate {
        let (lo, hi) = age_range(group);
        let years_since = self.today.signed_duration_since(earliest).num_days() / 365;
        let span = latest.signed_duration_since(earliest).num_days() / 365 + 1;
        let hi = hi.min(94 - years_since).min(hi - span).max(lo);
        let age = self.rng.gen_range(lo..=hi);
        minus_days(earliest, age * 365 + age / 4 + self.rng.gen_range(0..365))
    }

    fn person_name(&mut self, female: bool, age: i64, diverse: bool) -> (String, String, String) {
        let rng = &mut self.rng;
        let title = if rng.gen::<f64>() < 0.004 {
            "Mx"
        } else if !female {
            if age >= 60 && rng.gen::<f64>() < 0.01 {
                "Dr"
            } else {
                "Mr"
            }
        } else if age < 25 {
            pick(rng, &[("Miss", 70), ("Ms", 30)])
        } else if age >= 60 {
            pick(rng, &[("Mrs", 65), ("Miss", 10), ("Ms", 25)])
        } else {
            pick(rng, &[("Mrs", 35), ("Ms", 45), ("Miss", 20)])
        };
        let first = if diverse {
            if female {
                one(rng, &FEMALE_DIVERSE)
            } else {
                one(rng, &MALE_DIVERSE)
            }
        } else {
            let older = if age >= 60 {
                rng.gen::<f64>() < 0.85
            } else if age < 40 {
                rng.gen::<f64>() < 0.03
            } else {
                rng.gen::<f64>() < 0.4
            };
            match (female, older) {
                (true, true) => one(rng, &FEMALE_OLDER),
                (true, false) => one(rng, &FEMALE_MODERN),
                (false, true) => one(rng, &MALE_OLDER),
                (false, false) => one(rng, &MALE_MODERN),
            }
        };
        let last = if diverse {
            one(rng, &SURNAMES_DIVERSE)
        } else {
            one(rng, &SURNAMES)
        };
        (title.to_string(), first.to_string(), last.to_string())
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A weighted choice from a non-empty list.
fn pick<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut r = rng.gen_range(0..total.max(1));
    let mut chosen = items[0].0;
    for &(v, w) in items {
        chosen = v;
        if r < w {
            break;
        }
        r -= w;
    }
    chosen
}

/// A uniform choice from a non-empty list.
fn one<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// Standard normal deviate (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.gen::<f64>().max(1e-12);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Splits `total` in proportion to `weights`, each share at least its minimum
/// (largest remainder method, so the shares add up to `total` when it covers the minimums).
fn allocate(total: usize, weights: &[f64], mins: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = mins.to_vec();
    let rest = total.saturating_sub(mins.iter().sum());
    let wsum: f64 = weights.iter().sum();
    if rest == 0 || wsum <= 0.0 {
        return out;
    }
    let mut given = 0;
    let mut fracs: Vec<(f64, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = rest as f64 * w / wsum;
        let whole = exact.floor() as usize;
        out[i] += whole;
        given += whole;
        fracs.push((exact - whole as f64, i));
    }
    fracs.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    for &(_, i) in fracs.iter().take(rest.saturating_sub(given)) {
        out[i] += 1;
    }
    out
}

fn minus_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_sub_days(Days::new(n as u64)).unwrap_or(d)
    } else {
        d.checked_add_days(Days::new(n.unsigned_abs())).unwrap_or(d)
    }
}

fn plus_days(d: NaiveDate, n: i64) -> NaiveDate {
    minus_days(d, -n)
}

/// Whole years from `dob` to `on`.
fn age_on(dob: NaiveDate, on: NaiveDate) -> i64 {
    let mut age = i64::from(on.year() - dob.year());
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

fn round5(x: f64) -> f64 {
    (x * 100_000.0).round() / 100_000.0
}

fn street_id(a: usize, street: usize) -> usize {
    a * 1_000_000 + street
}

/// `key` mapped one-to-one onto the NI number space, so numbers never repeat.
fn ni_number(key: usize, suffix: char) -> String {
    let v = (key as u64 % NI_SPACE * NI_STRIDE + 424_242) % NI_SPACE;
    let prefix = NI_PREFIXES[(v / 1_000_000) as usize % NI_PREFIXES.len()];
    format!("{prefix}{:06}{suffix}", v % 1_000_000)
}

/// `key` mapped one-to-one onto 8-digit numbers without a leading zero.
fn hb_number(key: usize) -> String {
    let v = (key as u64 % HB_SPACE * HB_STRIDE + 1_357_913) % HB_SPACE;
    format!("{}", 10_000_000 + v)
}

fn schedules_estimate(p: &Plan) -> f64 {
    if p.stype == DAY {
        p.current_units as f64 / 2.0
    } else {
        p.current_units as f64
    }
}

fn group_index(group: &str) -> usize {
    GROUPS.iter().position(|g| *g == group).unwrap_or(0)
}

fn unit_range(stype: &str) -> (i64, i64) {
    match stype {
        ACC => (4, 40),
        FLOAT => (10, 120),
        SHELTERED => (20, 60),
        ALARM => (50, 400),
        _ => (10, 40),
    }
}

/// Weekly unit rates in pence.
fn rate_range(stype: &str) -> (i64, i64) {
    match stype {
        ACC => (9_000, 25_000),
        FLOAT => (3_500, 9_000),
        SHELTERED => (2_000, 4_500),
        ALARM => (2_000, 2_800),
        _ => (4_000, 12_000),
    }
}

fn term_for(stype: &str, group: &str) -> &'static str {
    match stype {
        SHELTERED | ALARM | DAY => LONG,
        ACC => match group {
            MH | LD | PD | OLDER => LONG,
            _ => SHORT,
        },
        _ => match group {
            OLDER | LD | PD => LONG,
            _ => SHORT,
        },
    }
}

fn type_order(stype: &str) -> usize {
    match stype {
        ACC => 0,
        SHELTERED => 1,
        FLOAT => 2,
        ALARM => 3,
        _ => 4,
    }
}

fn type_abbr(stype: &str) -> &'static str {
    match stype {
        ACC => "AB",
        FLOAT => "FS",
        SHELTERED => "SH",
        ALARM => "CA",
        _ => "DA",
    }
}

fn type_label(stype: &str) -> &'static str {
    match stype {
        ACC => "accommodation-based",
        FLOAT => "floating support",
        SHELTERED => "sheltered housing",
        ALARM => "community alarm",
        _ => "day activities",
    }
}

fn group_label(group: &str) -> &'static str {
    match group {
        OLDER => "Older People",
        MH => "Mental Health",
        LD => "Learning Disabilities",
        PD => "Physical Disability",
        FAMILIES => "Homeless Families",
        SINGLE => "Single Homeless",
        YOUNG => "Young People",
        DA => "Domestic Abuse",
        OFFENDERS => "Offenders",
        SUBSTANCE => "Substance Misuse",
        TEEN => "Teenage Parents",
        REFUGEE => "Refugee",
        _ => "Generic",
    }
}

/// Age range (years) at the start of support.
fn age_range(group: &str) -> (i64, i64) {
    match group {
        OLDER => (60, 92),
        MH => (18, 70),
        LD => (18, 65),
        PD => (18, 85),
        FAMILIES => (18, 50),
        SINGLE => (18, 64),
        YOUNG => (16, 24),
        DA => (18, 60),
        OFFENDERS => (18, 60),
        SUBSTANCE => (18, 60),
        TEEN => (16, 19),
        REFUGEE => (18, 60),
        _ => (18, 80),
    }
}

fn female_share(group: &str) -> f64 {
    match group {
        OLDER => 0.62,
        MH | LD => 0.45,
        FAMILIES => 0.8,
        SINGLE => 0.25,
        DA => 0.93,
        OFFENDERS => 0.12,
        SUBSTANCE => 0.3,
        TEEN => 0.9,
        REFUGEE => 0.4,
        _ => 0.5,
    }
}

/// (name, public name) of an accommodation-based or sheltered scheme.
fn scheme_names(stype: &str, group: &str, word: &str, town: &str, word2: &str) -> (String, String) {
    if stype == SHELTERED {
        let kind = match word.len() % 3 {
            0 => "Gardens",
            1 => "Court",
            _ => "Lodge",
        };
        let public = format!("{word} {kind}");
        let suffix = if group == OLDER {
            "Sheltered Scheme"
        } else {
            "Sheltered Scheme (Physical Disability)"
        };
        return (format!("{public} {suffix}"), public);
    }
    let house = format!("{word} House");
    match group {
        YOUNG => match word2.len() % 2 {
            0 => (format!("{town} Foyer"), format!("{town} Foyer")),
            _ => (format!("{house} Young Persons Project"), house),
        },
        SINGLE => (format!("{house} Hostel"), house),
        FAMILIES => (
            format!("{word} Lodge Family Centre"),
            format!("{word} Lodge"),
        ),
        DA => (
            format!("{town} Women's Refuge"),
            "Refuge accommodation".to_string(),
        ),
        OFFENDERS => (format!("{house} Resettlement Project"), house),
        SUBSTANCE => (
            format!("{word} Recovery House"),
            format!("{word} Recovery House"),
        ),
        TEEN => (format!("{house} Young Parents Project"), house),
        REFUGEE => (format!("{house} Refugee Housing Project"), house),
        MH => (format!("{house} Mental Health Supported Housing"), house),
        LD => (
            format!("{word} {word2} Supported Living"),
            format!("{word} Supported Living"),
        ),
        PD => (
            format!("{word} Court Accessible Housing"),
            format!("{word} Court"),
        ),
        _ => (format!("{house} Supported Housing"), house),
    }
}

fn describe(stype: &str, group: &str, term: &str, town: &str) -> String {
    let who = match group {
        OLDER => "older people aged 60 and over",
        MH => "adults with mental health problems",
        LD => "adults with learning disabilities",
        PD => "people with a physical disability",
        FAMILIES => "homeless families with children",
        SINGLE => "single people who are homeless or at risk of homelessness",
        YOUNG => "young people aged 16 to 25 at risk of homelessness",
        DA => "women and children escaping domestic abuse",
        OFFENDERS => "ex-offenders and people at risk of offending",
        SUBSTANCE => "people recovering from drug or alcohol misuse",
        TEEN => "teenage parents and their babies",
        REFUGEE => "people recently granted refugee status",
        _ => "adults who need help to keep their home",
    };
    let what = match stype {
        ACC => format!("Supported accommodation in {town} for {who}."),
        FLOAT => format!("Floating support for {who}, visiting people in their own homes across {town}."),
        SHELTERED => format!("A sheltered housing scheme in {town} for {who}, with a scheme manager and an alarm in every flat."),
        ALARM => format!("A 24-hour community alarm and telecare response service for {who} living in {town} and the surrounding area."),
        _ => format!("Day activities in {town} for {who}, open on weekdays."),
    };
    let focus = match group {
        OLDER => "Staff help residents stay safe, well and independent, with benefits checks and links to health and social care.",
        MH => "Support covers managing a tenancy, staying well, budgeting and building confidence and routines.",
        LD => "Support covers everyday living skills, managing money, keeping safe and taking part in the community.",
        PD => "Support covers adaptations, managing a tenancy and access to equipment and care.",
        FAMILIES => "Support covers finding settled housing, schools, benefits and health services.",
        SINGLE | GENERIC => "Support covers managing a tenancy, budgeting, benefits, and links to training and work.",
        YOUNG | TEEN => "Support covers independent living skills, education, training and work, and managing a first tenancy.",
        DA => "Support covers safety planning, legal and housing advice and rebuilding independent lives.",
        OFFENDERS => "Support covers resettlement, managing a tenancy and keeping to licence conditions.",
        SUBSTANCE => "Support covers recovery, relapse prevention and managing a tenancy.",
        _ => "Support covers settling in, benefits, English classes and finding a permanent home.",
    };
    let how_long = if term == SHORT {
        "Support is short-term, usually up to two years, with a planned move on to independent living."
    } else {
        "Support is long-term and continues for as long as it is needed."
    };
    format!("{what} {focus} {how_long}")
}

fn first_word(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// "Larkspur Housing Trust" -> "larkspur-housing-trust.example" (a reserved domain).
fn domain_for(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if (c == ' ' || c == '-') && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    format!("{}.example", slug.trim_matches('-'))
}

fn email_part(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 2).unwrap()
    }

    fn current_by_service(d: &DemoData) -> HashMap<usize, (usize, i64)> {
        let mut m: HashMap<usize, (usize, i64)> = HashMap::new();
        for s in d.schedules.iter().filter(|s| s.end_date.is_none()) {
            let e = m.entry(s.service_key).or_default();
            e.0 += 1;
            e.1 += s.units_per_week;
        }
        m
    }

    fn check_invariants(d: &DemoData, today: NaiveDate) {
        // Keys are positions.
        assert!(d.authorities.iter().enumerate().all(|(i, x)| x.key == i));
        assert!(d.providers.iter().enumerate().all(|(i, x)| x.key == i));
        assert!(d.contacts.iter().enumerate().all(|(i, x)| x.key == i));
        assert!(d.services.iter().enumerate().all(|(i, x)| x.key == i));
        assert!(d.properties.iter().enumerate().all(|(i, x)| x.key == i));
        assert!(d.contracts.iter().enumerate().all(|(i, x)| x.key == i));
        assert!(d.clients.iter().enumerate().all(|(i, x)| x.key == i));
        assert!(d.schedules.iter().enumerate().all(|(i, x)| x.key == i));

        // Every service is in exactly one contract of its provider and authority.
        let mut contract_of: HashMap<usize, usize> = HashMap::new();
        for c in &d.contracts {
            assert!(!c.service_keys.is_empty());
            let units: i64 = c
                .service_keys
                .iter()
                .map(|&s| d.services[s].contracted_units)
                .sum();
            assert_eq!(
                units, c.units,
                "contract units are the sum of its services'"
            );
            assert!((2_000..=25_000).contains(&c.unit_rate_pence));
            assert!(c.start_date < c.end_date);
            assert!(["steady_state", "interim", "expired"].contains(&c.status));
            if c.status == "expired" {
                assert!(c.end_date < today);
            } else {
                assert!(c.end_date > today);
            }
            for &s in &c.service_keys {
                assert_eq!(d.services[s].provider_key, c.provider_key);
                assert_eq!(d.services[s].authority_key, c.authority_key);
                assert!(
                    contract_of.insert(s, c.key).is_none(),
                    "service in two contracts"
                );
            }
        }
        let mut per_pair: HashMap<(usize, usize), usize> = HashMap::new();
        for c in &d.contracts {
            *per_pair
                .entry((c.provider_key, c.authority_key))
                .or_default() += 1;
        }
        assert!(per_pair.values().all(|&n| (1..=3).contains(&n)));
        for s in &d.services {
            let c = contract_of.get(&s.key).expect("service has a contract");
            assert!(d.contracts[*c].service_keys.contains(&s.key));
            assert!(d.providers[s.provider_key]
                .authority_keys
                .contains(&s.authority_key));
            let (lo, hi) = unit_range(s.service_type);
            assert!((lo..=hi).contains(&s.contracted_units));
            assert_eq!(s.term, term_for(s.service_type, s.client_group));
            assert!(GROUPS.contains(&s.client_group));
        }

        // Current schedules never exceed contracted units.
        for (s, (count, units)) in current_by_service(d) {
            let cap = d.services[s].contracted_units;
            assert!(
                count as i64 <= cap && units <= cap,
                "service {s} over capacity"
            );
        }

        // Postcodes: unique, valid shape, every used one listed.
        let mut seen = HashSet::new();
        for p in &d.postcodes {
            assert!(seen.insert(p.postcode.clone()), "duplicate {}", p.postcode);
            assert!(valid_postcode(&p.postcode), "bad postcode {}", p.postcode);
            assert!((49.9..55.9).contains(&p.latitude));
            assert!((-6.0..1.8).contains(&p.longitude));
        }
        let used = d
            .providers
            .iter()
            .map(|p| &p.postcode)
            .chain(d.services.iter().map(|s| &s.postcode))
            .chain(d.properties.iter().map(|p| &p.postcode))
            .chain(d.clients.iter().map(|c| &c.postcode));
        let mut used_set = HashSet::new();
        for pc in used {
            assert!(seen.contains(pc), "postcode {pc} not listed");
            used_set.insert(pc.clone());
        }
        assert_eq!(used_set.len(), seen.len(), "every listed postcode is used");

        // UPRNs unique and 12 digits.
        let mut uprns = HashSet::new();
        for p in &d.properties {
            assert_eq!(p.uprn.len(), 12);
            assert!(p.uprn.bytes().all(|b| b.is_ascii_digit()));
            assert!(uprns.insert(p.uprn.clone()), "duplicate UPRN");
            if let Some(s) = p.service_key {
                let st = d.services[s].service_type;
                assert!(st == "accommodation_based" || st == "sheltered");
            }
        }
        let mut props_per_service: HashMap<usize, usize> = HashMap::new();
        for p in &d.properties {
            if let Some(s) = p.service_key {
                *props_per_service.entry(s).or_default() += 1;
            }
        }
        for s in &d.services {
            let n = props_per_service.get(&s.key).copied().unwrap_or(0);
            if s.service_type == "accommodation_based" || s.service_type == "sheltered" {
                assert!((1..=10).contains(&n));
            } else {
                assert_eq!(n, 0);
            }
        }

        // Clients: identifiers, long-term rule, ages.
        let mut ni_seen = HashSet::new();
        let mut hb_seen = HashSet::new();
        for c in &d.clients {
            if let Some(ni) = &c.ni_number {
                assert!(valid_ni(ni), "bad NI {ni}");
                assert!(ni_seen.insert(ni[..8].to_string()), "duplicate NI {ni}");
            }
            if let Some(hb) = &c.hb_number {
                assert_eq!(hb.len(), 8);
                assert!(hb.bytes().all(|b| b.is_ascii_digit()));
                assert!(hb_seen.insert(hb.clone()));
            }
            assert!(c.date_of_birth < today);
        }
        for s in &d.schedules {
            let svc = &d.services[s.service_key];
            let client = &d.clients[s.client_key];
            assert_eq!(client.authority_key, svc.authority_key);
            if svc.term == "long" {
                assert!(
                    client.ni_number.is_some() || client.hb_number.is_some(),
                    "long-term client {} has no identifier",
                    client.key
                );
            }
            let age_at_start = age_on(client.date_of_birth, s.start_date);
            assert!(age_at_start >= 16, "client too young");
            match svc.client_group {
                "older_people" => {
                    assert!(age_at_start >= 60);
                    assert!(age_on(client.date_of_birth, today) <= 96);
                }
                "young_people_at_risk" => assert!((16..=25).contains(&age_at_start)),
                _ => {}
            }
            match (s.end_date, s.end_reason) {
                (None, None) => assert!(s.start_date <= today),
                (Some(end), Some(reason)) => {
                    assert!(end < today && s.start_date <= end);
                    assert!([
                        "change_of_service",
                        "deceased",
                        "lost_contact",
                        "support_broken_down",
                        "support_no_longer_required"
                    ]
                    .contains(&reason));
                }
                _ => panic!("end date and reason go together"),
            }
            assert!(s.units_per_week >= 1);
            assert!(s.level.starts_with("Service Level "));
        }

        // Contacts.
        for p in &d.providers {
            let contacts: Vec<_> = d
                .contacts
                .iter()
                .filter(|c| c.provider_key == p.key)
                .collect();
            assert!((3..=8).contains(&contacts.len()));
            assert_eq!(contacts[0].position_type, "chief_executive");
            assert!(p.email.ends_with(".example"));
        }

        // Provider 0 and 1.
        let p0 = &d.providers[0];
        assert!(!p0.limited_access);
        assert!(d.providers[1].limited_access);
        assert!(p0.authority_keys.contains(&0));
        let p0_services: Vec<_> = d
            .services
            .iter()
            .filter(|s| s.provider_key == 0 && s.authority_key == 0)
            .collect();
        assert!(p0_services.len() >= 4);
        assert!(p0_services.iter().any(|s| s.term == "long"));
        assert!(p0_services.iter().any(|s| s.term == "short"));
        assert_eq!(d.authorities[0].name, "Brackenshire County Council");
        assert_eq!(d.authorities[0].code, "BRK");
    }

    fn valid_postcode(p: &str) -> bool {
        let Some((out, inward)) = p.split_once(' ') else {
            return false;
        };
        let ob = out.as_bytes();
        let ib = inward.as_bytes();
        ob.len() >= 3
            && ob.len() <= 4
            && ob[..2].iter().all(|b| b.is_ascii_uppercase())
            && ob[2..].iter().all(|b| b.is_ascii_digit())
            && ib.len() == 3
            && ib[0].is_ascii_digit()
            && INWARD_LETTERS.contains(&ib[1])
            && INWARD_LETTERS.contains(&ib[2])
            && !REAL_AREAS.contains(&&out[..2])
    }

    fn valid_ni(ni: &str) -> bool {
        let b = ni.as_bytes();
        b.len() == 9
            && !b"DFIQUV".contains(&b[0])
            && !b"DFIOQUV".contains(&b[1])
            && b[0].is_ascii_uppercase()
            && b[1].is_ascii_uppercase()
            && !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&&ni[..2])
            && b[2..8].iter().all(|c| c.is_ascii_digit())
            && b"ABCD".contains(&b[8])
    }

    #[test]
    fn scale_parses() {
        assert_eq!(Scale::parse("small"), Some(Scale::Small));
        assert_eq!(Scale::parse("County"), Some(Scale::County));
        assert_eq!(Scale::parse(" national "), Some(Scale::National));
        assert_eq!(Scale::parse("huge"), None);
    }

    #[test]
    fn small_has_expected_sizes_and_invariants() {
        for seed in [1, 2, 42, 2025] {
            let d = generate(Scale::Small, seed, today());
            check_invariants(&d, today());
            assert_eq!(d.authorities.len(), 1);
            assert_eq!(d.providers.len(), 5);
            assert_eq!(d.services.len(), 20);
            let current: HashSet<usize> = d
                .schedules
                .iter()
                .filter(|s| s.end_date.is_none())
                .map(|s| s.client_key)
                .collect();
            assert!(
                (220..=400).contains(&current.len()),
                "seed {seed}: {} current clients",
                current.len()
            );
            assert!(d.schedules.iter().any(|s| s.end_date.is_some()));
            assert!(d.providers.iter().all(|p| p.authority_keys == vec![0]));
            for p in &d.postcodes {
                assert!((p.latitude - 52.5).abs() <= 0.3 && (p.longitude + 1.5).abs() <= 0.3);
            }
        }
    }

    #[test]
    fn county_has_expected_sizes_and_invariants() {
        let d = generate(Scale::County, 7, today());
        check_invariants(&d, today());
        assert_eq!(d.authorities.len(), 2);
        assert_eq!(d.authorities[1].name, "Fernvale Borough Council");
        assert_eq!(d.providers.len(), 60);
        assert_eq!(d.services.len(), 400);
        let current = d.schedules.iter().filter(|s| s.end_date.is_none()).count();
        let ended = d.schedules.len() - current;
        assert!((10_500..=13_500).contains(&current), "{current} current");
        let ratio = ended as f64 / current as f64;
        assert!((1.3..=1.7).contains(&ratio), "ended ratio {ratio}");
        let both = d
            .providers
            .iter()
            .filter(|p| p.authority_keys.len() == 2)
            .count();
        assert!(
            (2..=14).contains(&both),
            "{both} providers in both authorities"
        );
        for p in &d.postcodes {
            assert!((p.latitude - 52.5).abs() <= 0.3 && (p.longitude + 1.5).abs() <= 0.3);
        }
        let with_ni = d.clients.iter().filter(|c| c.ni_number.is_some()).count() as f64;
        let with_hb = d.clients.iter().filter(|c| c.hb_number.is_some()).count() as f64;
        let n = d.clients.len() as f64;
        assert!((0.8..0.92).contains(&(with_ni / n)));
        assert!((0.55..0.72).contains(&(with_hb / n)));
        let statuses: HashSet<&str> = d.contracts.iter().map(|c| c.status).collect();
        assert_eq!(statuses.len(), 3);
        let types: HashSet<&str> = d.services.iter().map(|s| s.service_type).collect();
        assert_eq!(types.len(), 5);
    }

    #[test]
    fn deterministic() {
        for scale in [Scale::Small, Scale::County] {
            let a = generate(scale, 99, today());
            let b = generate(scale, 99, today());
            assert!(a == b, "{scale:?} is not deterministic");
        }
        let a = generate(Scale::Small, 1, today());
        let b = generate(Scale::Small, 2, today());
        assert!(a != b, "the seed matters");
    }

    #[test]
    fn identifiers_never_repeat() {
        let mut ni = HashSet::new();
        let mut hb = HashSet::new();
        for key in (0..3_000_000).step_by(7) {
            assert!(ni.insert(ni_number(key, 'A')));
            assert!(hb.insert(hb_number(key)));
        }
        assert!(valid_ni(&ni_number(12_345, 'C')));
    }

    /// Run with `cargo test --release -- --ignored national` to check the national profile.
    #[test]
    #[ignore]
    fn national_profile() {
        let started = std::time::Instant::now();
        let d = generate(Scale::National, 1, today());
        let elapsed = started.elapsed();
        let current = d.schedules.iter().filter(|s| s.end_date.is_none()).count();
        println!(
            "national: {} authorities, {} providers, {} services, {} properties, {} contracts, {} clients, {} schedules ({} current), {} postcodes in {:?}",
            d.authorities.len(),
            d.providers.len(),
            d.services.len(),
            d.properties.len(),
            d.contracts.len(),
            d.clients.len(),
            d.schedules.len(),
            current,
            d.postcodes.len(),
            elapsed
        );
        assert_eq!(d.authorities.len(), 150);
        assert_eq!(d.providers.len(), 6_000);
        assert_eq!(d.services.len(), 37_000);
        assert!((1_100_000..=1_300_000).contains(&current));
        check_invariants(&d, today());
    }

    /// The data as generated when the generator moved out of hearth-app (same seed, same
    /// data): a SHA-256 of the `Debug` text of the whole data set, and a few values in full.
    #[test]
    fn same_seed_same_data_as_before() {
        use sha2::{Digest, Sha256};
        let digest = |scale, seed| {
            let d = generate(scale, seed, today());
            format!("{:x}", Sha256::digest(format!("{d:?}").as_bytes()))
        };
        assert_eq!(
            digest(Scale::Small, 7),
            "ceafaa60d4cbdf27a5f4ab9a2c7af90f0672872e1d61630e553ad63173dbc31b"
        );
        assert_eq!(
            digest(Scale::Small, 1),
            "c74d9c2aaa608c20110eaeabdcb9e03d076e434fe51056db4e814f4d722bd834"
        );
        assert_eq!(
            digest(Scale::County, 7),
            "c2bed530bc83fb7334737d3f48cd27c960a293a640e190d6d2227ce0fdc0ae33"
        );

        let d = generate(Scale::Small, 7, today());
        assert_eq!(d.authorities[0].name, "Brackenshire County Council");
        assert_eq!(d.providers[0].address, "59 Brook Green, Bracken Vale");
        assert_eq!(d.services[0].name, "Hazel House Young Persons Project");
        assert_eq!(
            d.services[0].address,
            "Hazel House, 97 Albert Place, Bracken Vale"
        );
        let c = &d.clients[0];
        assert_eq!(
            (
                c.first_name.as_str(),
                c.last_name.as_str(),
                c.ethnicity.as_str()
            ),
            ("Rebecca", "Atkinson", "White: Other White")
        );
        assert_eq!(c.address, "Room 1, 26 Chapel Square, Merriden");
        assert_eq!(
            c.date_of_birth,
            NaiveDate::from_ymd_opt(2007, 5, 15).unwrap()
        );
        assert_eq!(
            (d.clients.len(), d.schedules.len(), d.postcodes.len()),
            (625, 716, 135)
        );
    }

    /// Every line of the data files is read: none is lost to a stray blank or a bad weight.
    #[test]
    fn word_lists_read_every_line() {
        let entries = |text: &str| {
            text.lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .count()
        };
        let sizes = [
            (FEMALE_OLDER.len(), 25),
            (FEMALE_MODERN.len(), 25),
            (MALE_OLDER.len(), 25),
            (MALE_MODERN.len(), 25),
            (FEMALE_DIVERSE.len(), 10),
            (MALE_DIVERSE.len(), 10),
            (SURNAMES.len(), 130),
            (SURNAMES_DIVERSE.len(), 20),
            (ETHNICITIES.len(), 20),
            (ETHNICITIES_REFUGEE.len(), 8),
            (STREET_A.len(), 60),
            (STREET_B.len(), 20),
            (TOWN_A.len(), 30),
            (TOWN_B.len(), 18),
            (PLACE_A.len(), 30),
            (PLACE_B.len(), 19),
            (AUTHORITY_KINDS.len(), 6),
            (ORG_A.len(), 40),
            (ORG_B.len(), 24),
            (ORG_KIND.len(), 20),
            (REAL_AREAS.len(), 118),
        ];
        for (i, (got, want)) in sizes.into_iter().enumerate() {
            assert_eq!(got, want, "list {i}");
        }
        assert_eq!(
            ETHNICITIES.len(),
            entries(include_str!("../data/ethnicities.txt"))
        );
        assert_eq!(
            ETHNICITIES_REFUGEE.len(),
            entries(include_str!("../data/ethnicities-refugee.txt"))
        );
        assert_eq!(
            AUTHORITY_KINDS.len(),
            entries(include_str!("../data/authority-kinds.txt"))
        );
        assert_eq!(ETHNICITIES.iter().map(|e| e.1).sum::<u32>(), 10_050);
        assert_eq!(TOWN_B[0], " Vale");
        assert_eq!(TOWN_B[10], "ford");
        assert_eq!(street_combos(), 1_200);
        for list in [
            &*FEMALE_OLDER,
            &*SURNAMES,
            &*STREET_A,
            &*ORG_KIND,
            &*REAL_AREAS,
        ] {
            assert!(list.iter().all(|w| !w.is_empty() && w.trim() == *w));
        }
    }
}
