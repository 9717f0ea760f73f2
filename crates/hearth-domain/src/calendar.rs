//! The calendar: bank holidays in each part of the UK, working days, and the authority's
//! four-weekly payment periods.
//!
//! Bank holidays are computed for any year from their rules ([`bank_holidays`]), with the
//! one-off and moved days proclaimed since 1995 written in (see [`ONE_OFFS_FROM`]). Days
//! proclaimed later come from GOV.UK's published list through a [`Calendar`]: for every year
//! the published list covers it is used exactly as given, and the rules everywhere else.
//!
//! hearth-domain has no JSON parser (serde_json is not one of its dependencies), so the file
//! itself is read where one is: check its size with [`check_govuk_json_size`], then
//! `serde_json::from_str::<GovUkBankHolidays>(text)` and [`Calendar::from_govuk`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

use crate::dates::FinancialYear;

/// The parts of the UK with their own bank holidays, as GOV.UK divides them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Region {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Region {
    pub const ALL: [Region; 3] = [
        Region::EnglandAndWales,
        Region::Scotland,
        Region::NorthernIreland,
    ];

    /// GOV.UK's division codes: "england-and-wales", "scotland", "northern-ireland".
    pub fn parse(code: &str) -> Option<Region> {
        match code.trim() {
            "england-and-wales" => Some(Region::EnglandAndWales),
            "scotland" => Some(Region::Scotland),
            "northern-ireland" => Some(Region::NorthernIreland),
            _ => None,
        }
    }

    /// [`Region::parse`] for a form or the command line, with the message to show.
    pub fn parse_field(code: &str) -> Result<Region, crate::FieldError> {
        Region::parse(code).ok_or_else(|| {
            crate::FieldError::new(
                "region_invalid",
                "Choose England and Wales, Scotland or Northern Ireland",
            )
        })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "england-and-wales",
            Region::Scotland => "scotland",
            Region::NorthernIreland => "northern-ireland",
        }
    }

    /// For people: "England and Wales", "Scotland", "Northern Ireland".
    pub const fn label(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "England and Wales",
            Region::Scotland => "Scotland",
            Region::NorthernIreland => "Northern Ireland",
        }
    }

    const fn index(self) -> usize {
        match self {
            Region::EnglandAndWales => 0,
            Region::Scotland => 1,
            Region::NorthernIreland => 2,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One bank holiday: its date and GOV.UK's name for it, with " (substitute day)" on a day
/// given in place of one that fell at a weekend.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub name: String,
}

const NEW_YEARS_DAY: &str = "New Year’s Day";
const SECOND_JANUARY: &str = "2nd January";
const ST_PATRICKS_DAY: &str = "St Patrick’s Day";
const BATTLE_OF_THE_BOYNE: &str = "Battle of the Boyne (Orangemen’s Day)";
const ST_ANDREWS_DAY: &str = "St Andrew’s Day";
const CHRISTMAS_DAY: &str = "Christmas Day";
const BOXING_DAY: &str = "Boxing Day";
const GOOD_FRIDAY: &str = "Good Friday";
const EASTER_MONDAY: &str = "Easter Monday";
const EARLY_MAY: &str = "Early May bank holiday";
const SPRING: &str = "Spring bank holiday";
const SUMMER: &str = "Summer bank holiday";
const SUBSTITUTE: &str = " (substitute day)";

/// The one-off and moved days written into the rules start with this year; for earlier
/// years [`bank_holidays`] gives today's rules only (St Andrew's Day from 2007, when it
/// became a bank holiday).
pub const ONE_OFFS_FROM: i32 = 1995;

/// First year of St Andrew's Day as a bank holiday (St Andrew's Day Bank Holiday
/// (Scotland) Act 2007).
const ST_ANDREWS_FROM: i32 = 2007;

/// The holidays whose date comes from a rule rather than a day of the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moveable {
    GoodFriday,
    EasterMonday,
    EarlyMay,
    Spring,
    Summer,
}

/// A rule's day moved by proclamation, in every region.
struct Moved {
    year: i32,
    rule: Moveable,
    month: u32,
    day: u32,
    name: &'static str,
}

const MOVED: &[Moved] = &[
    // 50th anniversary of VE day.
    Moved {
        year: 1995,
        rule: Moveable::EarlyMay,
        month: 5,
        day: 8,
        name: "Early May bank holiday (VE day)",
    },
    // Moved for the Golden Jubilee (3 June).
    Moved {
        year: 2002,
        rule: Moveable::Spring,
        month: 6,
        day: 4,
        name: SPRING,
    },
    // Moved for the Diamond Jubilee (5 June).
    Moved {
        year: 2012,
        rule: Moveable::Spring,
        month: 6,
        day: 4,
        name: SPRING,
    },
    // 75th anniversary of VE day, moved to a Friday.
    Moved {
        year: 2020,
        rule: Moveable::EarlyMay,
        month: 5,
        day: 8,
        name: "Early May bank holiday (VE day)",
    },
    // Moved to a Thursday for the Platinum Jubilee (Friday 3 June).
    Moved {
        year: 2022,
        rule: Moveable::Spring,
        month: 6,
        day: 2,
        name: SPRING,
    },
];

/// An extra day proclaimed once.
struct Extra {
    regions: &'static [Region],
    year: i32,
    month: u32,
    day: u32,
    name: &'static str,
}

const EVERYWHERE: &[Region] = &Region::ALL;

const EXTRA: &[Extra] = &[
    Extra {
        regions: EVERYWHERE,
        year: 1999,
        month: 12,
        day: 31,
        name: "Millennium bank holiday",
    },
    Extra {
        regions: EVERYWHERE,
        year: 2002,
        month: 6,
        day: 3,
        name: "Golden Jubilee bank holiday",
    },
    Extra {
        regions: EVERYWHERE,
        year: 2011,
        month: 4,
        day: 29,
        name: "Royal wedding",
    },
    Extra {
        regions: EVERYWHERE,
        year: 2012,
        month: 6,
        day: 5,
        name: "Queen’s Diamond Jubilee",
    },
    Extra {
        regions: EVERYWHERE,
        year: 2022,
        month: 6,
        day: 3,
        name: "Platinum Jubilee bank holiday",
    },
    Extra {
        regions: EVERYWHERE,
        year: 2022,
        month: 9,
        day: 19,
        name: "Bank Holiday for the State Funeral of Queen Elizabeth II",
    },
    Extra {
        regions: EVERYWHERE,
        year: 2023,
        month: 5,
        day: 8,
        name: "Bank holiday for the coronation of King Charles III",
    },
    // Royal Proclamation of February 2026: the Monday after Scotland's first match at the
    // men's FIFA World Cup finals.
    Extra {
        regions: &[Region::Scotland],
        year: 2026,
        month: 6,
        day: 15,
        name: "Bank holiday for Scotland’s participation in the FIFA World Cup",
    },
];

/// Easter Sunday in the Gregorian calendar, by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher). `None` only outside the years chrono can represent.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn first_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
}

fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    let last = NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()?;
    let back = last.weekday().num_days_from_monday();
    last.checked_sub_days(Days::new(u64::from(back)))
}

/// The bank holidays of `region` in `year` from the rules and the one-off days written in,
/// sorted by date. Empty only for years chrono cannot represent.
///
/// - Everywhere: New Year's Day, Good Friday, the early May (first Monday) and spring (last
///   Monday of May) bank holidays, Christmas Day and Boxing Day.
/// - England and Wales, Northern Ireland: Easter Monday; summer bank holiday on the last
///   Monday of August.
/// - Scotland: 2nd January, summer bank holiday on the first Monday of August, St Andrew's
///   Day (30 November, from 2007).
/// - Northern Ireland: St Patrick's Day (17 March), Battle of the Boyne (12 July).
///
/// A day of the year that falls at a weekend gives a substitute day: the first weekday after
/// it that is not already a bank holiday, taken in date order. So Christmas on a Saturday
/// gives Monday 27 and Tuesday 28; on a Sunday, Boxing Day stays Monday 26 and Christmas
/// moves to Tuesday 27; and in Scotland 1 January on a Saturday gives Monday 3 and Tuesday 4.
pub fn bank_holidays(region: Region, year: i32) -> Vec<BankHoliday> {
    rule_holidays(region, year).unwrap_or_default()
}

fn rule_holidays(region: Region, year: i32) -> Option<Vec<BankHoliday>> {
    let on = |month: u32, day: u32| NaiveDate::from_ymd_opt(year, month, day);
    let scotland = region == Region::Scotland;
    let northern_ireland = region == Region::NorthernIreland;

    // Days of the year, which give a substitute when they fall at a weekend.
    let mut fixed = vec![(on(1, 1)?, NEW_YEARS_DAY)];
    if scotland {
        fixed.push((on(1, 2)?, SECOND_JANUARY));
    }
    if northern_ireland {
        fixed.push((on(3, 17)?, ST_PATRICKS_DAY));
        fixed.push((on(7, 12)?, BATTLE_OF_THE_BOYNE));
    }
    if scotland && year >= ST_ANDREWS_FROM {
        fixed.push((on(11, 30)?, ST_ANDREWS_DAY));
    }
    fixed.push((on(12, 25)?, CHRISTMAS_DAY));
    fixed.push((on(12, 26)?, BOXING_DAY));

    let easter = easter_sunday(year)?;
    let mut moveable = vec![(
        Moveable::GoodFriday,
        easter.checked_sub_days(Days::new(2))?,
        GOOD_FRIDAY,
    )];
    if !scotland {
        moveable.push((
            Moveable::EasterMonday,
            easter.checked_add_days(Days::new(1))?,
            EASTER_MONDAY,
        ));
    }
    moveable.push((Moveable::EarlyMay, first_monday(year, 5)?, EARLY_MAY));
    moveable.push((Moveable::Spring, last_monday(year, 5)?, SPRING));
    let summer = if scotland {
        first_monday(year, 8)?
    } else {
        last_monday(year, 8)?
    };
    moveable.push((Moveable::Summer, summer, SUMMER));
    for moved in MOVED.iter().filter(|m| m.year == year) {
        for entry in moveable
            .iter_mut()
            .filter(|(rule, _, _)| *rule == moved.rule)
        {
            entry.1 = on(moved.month, moved.day)?;
            entry.2 = moved.name;
        }
    }

    let mut out: Vec<BankHoliday> = moveable
        .iter()
        .map(|&(_, date, name)| BankHoliday {
            date,
            name: name.to_owned(),
        })
        .collect();
    for extra in EXTRA
        .iter()
        .filter(|e| e.year == year && e.regions.contains(&region))
    {
        out.push(BankHoliday {
            date: on(extra.month, extra.day)?,
            name: extra.name.to_owned(),
        });
    }
    for &(date, name) in fixed.iter().filter(|(date, _)| !is_weekend(*date)) {
        out.push(BankHoliday {
            date,
            name: name.to_owned(),
        });
    }
    let mut taken: BTreeSet<NaiveDate> = out.iter().map(|h| h.date).collect();
    fixed.sort_by_key(|&(date, _)| date);
    for &(date, name) in fixed.iter().filter(|(date, _)| is_weekend(*date)) {
        let mut substitute = date.succ_opt()?;
        while is_weekend(substitute) || taken.contains(&substitute) {
            substitute = substitute.succ_opt()?;
        }
        taken.insert(substitute);
        out.push(BankHoliday {
            date: substitute,
            name: format!("{name}{SUBSTITUTE}"),
        });
    }
    out.sort();
    Some(out)
}

/// The most a GOV.UK bank holidays file may hold: 1 MB (1,000,000 bytes)...
pub const MAX_GOVUK_JSON_BYTES: usize = 1_000_000;
/// ...and 2,000 events in all (GOV.UK's own file has about 250).
pub const MAX_GOVUK_EVENTS: usize = 2_000;
/// The longest name accepted for a published bank holiday, in characters.
pub const MAX_HOLIDAY_NAME_CHARS: usize = 200;

/// Refuses a GOV.UK bank holidays file over [`MAX_GOVUK_JSON_BYTES`], before it is parsed.
pub fn check_govuk_json_size(text: &str) -> Result<(), String> {
    if text.len() > MAX_GOVUK_JSON_BYTES {
        return Err(format!(
            "the bank holidays file is {} bytes; the most accepted is {MAX_GOVUK_JSON_BYTES}",
            text.len()
        ));
    }
    Ok(())
}

/// GOV.UK's bank holidays file (<https://www.gov.uk/bank-holidays.json>): one division per
/// region, each a list of events. Parse it with serde_json where that is a dependency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GovUkBankHolidays {
    #[serde(rename = "england-and-wales", default)]
    pub england_and_wales: Option<GovUkDivision>,
    #[serde(default)]
    pub scotland: Option<GovUkDivision>,
    #[serde(rename = "northern-ireland", default)]
    pub northern_ireland: Option<GovUkDivision>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GovUkDivision {
    /// The region's code again, like "scotland".
    #[serde(default)]
    pub division: String,
    #[serde(default)]
    pub events: Vec<GovUkEvent>,
}

/// One event: `{"title": "Boxing Day", "date": "2026-12-28", "notes": "Substitute day",
/// "bunting": true}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GovUkEvent {
    pub title: String,
    /// ISO 8601, like "2026-12-25".
    pub date: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub bunting: bool,
}

/// What a published list changes from the rules in one region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Changes {
    /// Days the rules do not give, or give under another name.
    added: BTreeMap<NaiveDate, String>,
    /// Days the rules give that the published list does not have.
    removed: BTreeSet<NaiveDate>,
}

impl Changes {
    const fn new() -> Self {
        Self {
            added: BTreeMap::new(),
            removed: BTreeSet::new(),
        }
    }
}

/// Bank holidays from the rules, changed per region by published lists: extra days added and
/// rule days removed. For every year a published list covers (has at least one day in), the
/// list is used exactly as given; other years follow the rules.
/// `Calendar::default()` is the rules alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    changes: [Changes; 3],
}

/// The calendar of the rules alone, for [`RegionCalendar::rules`].
static RULES_ONLY: Calendar = Calendar::new();

impl Calendar {
    /// The rules alone.
    pub const fn new() -> Self {
        Self {
            changes: [Changes::new(), Changes::new(), Changes::new()],
        }
    }

    /// The calendar of GOV.UK's file: each region's list is authoritative for the years it
    /// covers. An event whose notes say "Substitute day" is named with " (substitute day)"
    /// as GOV.UK's pages show it. Refuses more than [`MAX_GOVUK_EVENTS`] events, a date that
    /// is not ISO 8601, two events on one date, and a missing, long or unprintable title.
    pub fn from_govuk(file: &GovUkBankHolidays) -> Result<Calendar, String> {
        let divisions = [
            (Region::EnglandAndWales, &file.england_and_wales),
            (Region::Scotland, &file.scotland),
            (Region::NorthernIreland, &file.northern_ireland),
        ];
        let count: usize = divisions
            .iter()
            .filter_map(|&(_, d)| d.as_ref())
            .map(|d| d.events.len())
            .sum();
        if count > MAX_GOVUK_EVENTS {
            return Err(format!(
                "the bank holidays file has {count} events; the most accepted is {MAX_GOVUK_EVENTS}"
            ));
        }
        if count == 0 {
            return Err("the bank holidays file has no events".to_owned());
        }
        let mut calendar = Calendar::new();
        for (region, division) in divisions {
            let Some(division) = division else { continue };
            let code = division.division.trim();
            if !code.is_empty() && code != region.as_str() {
                return Err(format!(
                    "the {} list says it is for {code}",
                    region.as_str()
                ));
            }
            let mut holidays = Vec::with_capacity(division.events.len());
            for event in &division.events {
                holidays.push(govuk_holiday(region, event)?);
            }
            calendar.set_published(region, &holidays)?;
        }
        Ok(calendar)
    }

    /// Makes `holidays` the bank holidays of `region` for every year they cover, replacing
    /// the rules (and any list set before) for those years only.
    pub fn set_published(
        &mut self,
        region: Region,
        holidays: &[BankHoliday],
    ) -> Result<(), String> {
        let mut by_year: BTreeMap<i32, BTreeMap<NaiveDate, &str>> = BTreeMap::new();
        for h in holidays {
            check_name(&h.name).map_err(|e| format!("{} {}: {e}", region.as_str(), h.date))?;
            let year = by_year.entry(h.date.year()).or_default();
            if year.insert(h.date, h.name.trim()).is_some() {
                return Err(format!(
                    "{} has two bank holidays on {}",
                    region.as_str(),
                    h.date
                ));
            }
        }
        let changes = &mut self.changes[region.index()];
        for (year, published) in by_year {
            changes.added.retain(|d, _| d.year() != year);
            changes.removed.retain(|d| d.year() != year);
            let rules = bank_holidays(region, year);
            for rule in &rules {
                if !published.contains_key(&rule.date) {
                    changes.removed.insert(rule.date);
                }
            }
            for (date, name) in published {
                let same = rules.iter().any(|r| r.date == date && r.name == name);
                if !same {
                    changes.added.insert(date, name.to_owned());
                }
            }
        }
        Ok(())
    }

    /// The bank holidays of `region` in `year`, sorted by date.
    pub fn bank_holidays(&self, region: Region, year: i32) -> Vec<BankHoliday> {
        let changes = &self.changes[region.index()];
        let mut out: Vec<BankHoliday> = bank_holidays(region, year)
            .into_iter()
            .filter(|h| !changes.removed.contains(&h.date) && !changes.added.contains_key(&h.date))
            .collect();
        out.extend(
            changes
                .added
                .iter()
                .filter(|(d, _)| d.year() == year)
                .map(|(&date, name)| BankHoliday {
                    date,
                    name: name.clone(),
                }),
        );
        out.sort();
        out
    }

    /// Days the published lists add to the rules (or rename) in `region`.
    pub fn added(&self, region: Region) -> impl Iterator<Item = (NaiveDate, &str)> {
        self.changes[region.index()]
            .added
            .iter()
            .map(|(&d, n)| (d, n.as_str()))
    }

    /// Days the rules give in `region` that the published lists take away.
    pub fn removed(&self, region: Region) -> impl Iterator<Item = NaiveDate> + '_ {
        self.changes[region.index()].removed.iter().copied()
    }

    /// Working-day arithmetic for one region.
    pub fn region(&self, region: Region) -> RegionCalendar<'_> {
        RegionCalendar {
            calendar: self,
            region,
        }
    }
}

fn govuk_holiday(region: Region, event: &GovUkEvent) -> Result<BankHoliday, String> {
    let text = event.date.trim();
    let date = if text.len() == 10 {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    } else {
        None
    }
    .ok_or_else(|| {
        format!(
            "{}: {:?} is not a date like 2026-12-25",
            region.as_str(),
            event.date.chars().take(40).collect::<String>()
        )
    })?;
    let title = event.title.trim();
    let substitute = event.notes.trim().eq_ignore_ascii_case("substitute day")
        && !title.to_lowercase().contains("substitute day");
    let name = if substitute {
        format!("{title}{SUBSTITUTE}")
    } else {
        title.to_owned()
    };
    Ok(BankHoliday { date, name })
}

fn check_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the name is missing".to_owned());
    }
    if name.chars().count() > MAX_HOLIDAY_NAME_CHARS {
        return Err(format!(
            "the name is longer than {MAX_HOLIDAY_NAME_CHARS} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the name has control characters".to_owned());
    }
    Ok(())
}

/// Working days in one region: Monday to Friday, except bank holidays.
#[derive(Debug, Clone, Copy)]
pub struct RegionCalendar<'a> {
    calendar: &'a Calendar,
    region: Region,
}

impl RegionCalendar<'static> {
    /// The region's calendar from the rules alone.
    pub fn rules(region: Region) -> Self {
        RULES_ONLY.region(region)
    }
}

impl RegionCalendar<'_> {
    pub fn region(&self) -> Region {
        self.region
    }

    pub fn bank_holidays(&self, year: i32) -> Vec<BankHoliday> {
        self.calendar.bank_holidays(self.region, year)
    }

    pub fn is_bank_holiday(&self, date: NaiveDate) -> bool {
        self.bank_holidays(date.year())
            .iter()
            .any(|h| h.date == date)
    }

    /// Monday to Friday and not a bank holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_bank_holiday(date)
    }

    /// The `n`th working day after `date` (so the next working day for `n` = 1, whatever
    /// `date` is). For `n` = 0: `date` itself if it is a working day, or else the next
    /// working day, so that "within 0 working days" of a Saturday is the Monday.
    /// `None` only past the last date chrono can represent.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            let mut day = date;
            while !self.is_working_day(day) {
                day = day.succ_opt()?;
            }
            return Some(day);
        }
        let mut day = date;
        let mut left = n;
        while left > 0 {
            if left > 20 {
                // A whole week has at most 5 working days, so this jump never passes the
                // answer; the last few are counted a day at a time.
                let weeks = left / 5;
                let next = day.checked_add_days(Days::new(u64::from(weeks) * 7))?;
                left -= self.working_days_between(day, next).min(left);
                day = next;
            } else {
                day = day.succ_opt()?;
                if self.is_working_day(day) {
                    left -= 1;
                }
            }
        }
        Some(day)
    }

    /// How many working days are in (`from`, `to`]: after `from`, up to and including `to`.
    /// 0 when `to` is not after `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        let days = (to - from).num_days();
        let weeks = days / 7;
        let mut count = weeks * 5;
        let mut day = u64::try_from(weeks * 7)
            .ok()
            .and_then(|d| from.checked_add_days(Days::new(d)))
            .unwrap_or(to);
        for _ in 0..days % 7 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if !is_weekend(day) {
                count += 1;
            }
        }
        let mut holidays = BTreeSet::new();
        for year in from.year()..=to.year() {
            holidays.extend(
                self.bank_holidays(year)
                    .into_iter()
                    .map(|h| h.date)
                    .filter(|&d| d > from && d <= to && !is_weekend(d)),
            );
        }
        let count = count - i64::try_from(holidays.len()).unwrap_or(i64::MAX);
        u32::try_from(count.max(0)).unwrap_or(u32::MAX)
    }
}

/// Days in a four-weekly payment period.
pub const PERIOD_DAYS: i64 = 28;
/// Periods in a payment year.
pub const PERIODS_PER_YEAR: u8 = 13;
/// Days in a payment year of 13 periods: the next year's anchor is this many days after
/// this year's, unless the authority sets another.
pub const PERIOD_YEAR_DAYS: i64 = PERIOD_DAYS * PERIODS_PER_YEAR as i64;

/// A four-weekly payment period: "2026/27 P09".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Period {
    /// The financial year, like "2026/27".
    pub year_label: String,
    /// 1 to 13.
    pub number: u8,
    pub start: NaiveDate,
    /// The period's last day (start + 27 days).
    pub end: NaiveDate,
}

impl Period {
    /// "2026/27 P09".
    pub fn name(&self) -> String {
        format!("{} P{:02}", self.year_label, self.number)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.start..=self.end).contains(&date)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

fn shift(date: NaiveDate, days: i64) -> NaiveDate {
    let moved = match u64::try_from(days) {
        Ok(forward) => date.checked_add_days(Days::new(forward)),
        Err(_) => date.checked_sub_days(Days::new(days.unsigned_abs())),
    };
    moved.unwrap_or(if days < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// The financial year a payment year starting on `anchor` is named after: the one holding
/// the middle of its 364 days, so an anchor a few days either side of 1 April (as 364-day
/// years drift) still names the right year.
fn year_of_anchor(anchor: NaiveDate) -> FinancialYear {
    FinancialYear::for_date(shift(anchor, PERIOD_YEAR_DAYS / 2))
}

fn period_at(anchor: NaiveDate, year_index: i64, number: i64) -> Period {
    let first = year_of_anchor(anchor);
    let start_year = i64::from(first.start_year) + year_index;
    let year = FinancialYear::new(i32::try_from(start_year).unwrap_or(first.start_year));
    let start = shift(
        anchor,
        year_index * PERIOD_YEAR_DAYS + (number - 1) * PERIOD_DAYS,
    );
    Period {
        year_label: year.label(),
        number: u8::try_from(number).unwrap_or(1),
        start,
        end: shift(start, PERIOD_DAYS - 1),
    }
}

/// The payment period `date` falls in, for the payment year whose period 1 starts on
/// `anchor` (the date the authority sets, like 2026-04-06 for 2026/27).
///
/// A date before the anchor or after period 13 is placed by counting whole years of 364 days
/// back or on: with anchor 2026-04-06, 2026-04-05 is "2025/26 P13" (2026-03-09 to
/// 2026-04-05) and 2027-04-05 is "2027/28 P01". That is right only while the authority keeps
/// the 364-day rhythm; when it sets another anchor for a year (as 364-day years drift from
/// April, one needs 14 periods or a later start every five or six years), pass that year's.
pub fn period_of(anchor: NaiveDate, date: NaiveDate) -> Period {
    let offset = (date - anchor).num_days();
    let year_index = offset.div_euclid(PERIOD_YEAR_DAYS);
    let number = offset.rem_euclid(PERIOD_YEAR_DAYS) / PERIOD_DAYS + 1;
    period_at(anchor, year_index, number)
}

/// The 13 periods of the payment year whose period 1 starts on `anchor`.
pub fn periods(anchor: NaiveDate) -> [Period; 13] {
    std::array::from_fn(|i| period_at(anchor, 0, i64::try_from(i).unwrap_or(0) + 1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn computed(region: Region, years: std::ops::RangeInclusive<i32>) -> Vec<(String, String)> {
        years
            .flat_map(|y| bank_holidays(region, y))
            .map(|h| (h.date.to_string(), h.name))
            .collect()
    }

    fn published(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(d, n)| ((*d).to_owned(), (*n).to_owned()))
            .collect()
    }

    /// GOV.UK's published bank holidays, 2020 to 2027.
    const ENGLAND_AND_WALES: &[(&str, &str)] = &[
        ("2020-01-01", "New Year’s Day"),
        ("2020-04-10", "Good Friday"),
        ("2020-04-13", "Easter Monday"),
        ("2020-05-08", "Early May bank holiday (VE day)"),
        ("2020-05-25", "Spring bank holiday"),
        ("2020-08-31", "Summer bank holiday"),
        ("2020-12-25", "Christmas Day"),
        ("2020-12-28", "Boxing Day (substitute day)"),
        ("2021-01-01", "New Year’s Day"),
        ("2021-04-02", "Good Friday"),
        ("2021-04-05", "Easter Monday"),
        ("2021-05-03", "Early May bank holiday"),
        ("2021-05-31", "Spring bank holiday"),
        ("2021-08-30", "Summer bank holiday"),
        ("2021-12-27", "Christmas Day (substitute day)"),
        ("2021-12-28", "Boxing Day (substitute day)"),
        ("2022-01-03", "New Year’s Day (substitute day)"),
        ("2022-04-15", "Good Friday"),
        ("2022-04-18", "Easter Monday"),
        ("2022-05-02", "Early May bank holiday"),
        ("2022-06-02", "Spring bank holiday"),
        ("2022-06-03", "Platinum Jubilee bank holiday"),
        ("2022-08-29", "Summer bank holiday"),
        (
            "2022-09-19",
            "Bank Holiday for the State Funeral of Queen Elizabeth II",
        ),
        ("2022-12-26", "Boxing Day"),
        ("2022-12-27", "Christmas Day (substitute day)"),
        ("2023-01-02", "New Year’s Day (substitute day)"),
        ("2023-04-07", "Good Friday"),
        ("2023-04-10", "Easter Monday"),
        ("2023-05-01", "Early May bank holiday"),
        (
            "2023-05-08",
            "Bank holiday for the coronation of King Charles III",
        ),
        ("2023-05-29", "Spring bank holiday"),
        ("2023-08-28", "Summer bank holiday"),
        ("2023-12-25", "Christmas Day"),
        ("2023-12-26", "Boxing Day"),
        ("2024-01-01", "New Year’s Day"),
        ("2024-03-29", "Good Friday"),
        ("2024-04-01", "Easter Monday"),
        ("2024-05-06", "Early May bank holiday"),
        ("2024-05-27", "Spring bank holiday"),
        ("2024-08-26", "Summer bank holiday"),
        ("2024-12-25", "Christmas Day"),
        ("2024-12-26", "Boxing Day"),
        ("2025-01-01", "New Year’s Day"),
        ("2025-04-18", "Good Friday"),
        ("2025-04-21", "Easter Monday"),
        ("2025-05-05", "Early May bank holiday"),
        ("2025-05-26", "Spring bank holiday"),
        ("2025-08-25", "Summer bank holiday"),
        ("2025-12-25", "Christmas Day"),
        ("2025-12-26", "Boxing Day"),
        ("2026-01-01", "New Year’s Day"),
        ("2026-04-03", "Good Friday"),
        ("2026-04-06", "Easter Monday"),
        ("2026-05-04", "Early May bank holiday"),
        ("2026-05-25", "Spring bank holiday"),
        ("2026-08-31", "Summer bank holiday"),
        ("2026-12-25", "Christmas Day"),
        ("2026-12-28", "Boxing Day (substitute day)"),
        ("2027-01-01", "New Year’s Day"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
        ("2027-05-03", "Early May bank holiday"),
        ("2027-05-31", "Spring bank holiday"),
        ("2027-08-30", "Summer bank holiday"),
        ("2027-12-27", "Christmas Day (substitute day)"),
        ("2027-12-28", "Boxing Day (substitute day)"),
    ];

    const SCOTLAND: &[(&str, &str)] = &[
        ("2020-01-01", "New Year’s Day"),
        ("2020-01-02", "2nd January"),
        ("2020-04-10", "Good Friday"),
        ("2020-05-08", "Early May bank holiday (VE day)"),
        ("2020-05-25", "Spring bank holiday"),
        ("2020-08-03", "Summer bank holiday"),
        ("2020-11-30", "St Andrew’s Day"),
        ("2020-12-25", "Christmas Day"),
        ("2020-12-28", "Boxing Day (substitute day)"),
        ("2021-01-01", "New Year’s Day"),
        ("2021-01-04", "2nd January (substitute day)"),
        ("2021-04-02", "Good Friday"),
        ("2021-05-03", "Early May bank holiday"),
        ("2021-05-31", "Spring bank holiday"),
        ("2021-08-02", "Summer bank holiday"),
        ("2021-11-30", "St Andrew’s Day"),
        ("2021-12-27", "Christmas Day (substitute day)"),
        ("2021-12-28", "Boxing Day (substitute day)"),
        ("2022-01-03", "New Year’s Day (substitute day)"),
        ("2022-01-04", "2nd January (substitute day)"),
        ("2022-04-15", "Good Friday"),
        ("2022-05-02", "Early May bank holiday"),
        ("2022-06-02", "Spring bank holiday"),
        ("2022-06-03", "Platinum Jubilee bank holiday"),
        ("2022-08-01", "Summer bank holiday"),
        (
            "2022-09-19",
            "Bank Holiday for the State Funeral of Queen Elizabeth II",
        ),
        ("2022-11-30", "St Andrew’s Day"),
        ("2022-12-26", "Boxing Day"),
        ("2022-12-27", "Christmas Day (substitute day)"),
        ("2023-01-02", "2nd January"),
        ("2023-01-03", "New Year’s Day (substitute day)"),
        ("2023-04-07", "Good Friday"),
        ("2023-05-01", "Early May bank holiday"),
        (
            "2023-05-08",
            "Bank holiday for the coronation of King Charles III",
        ),
        ("2023-05-29", "Spring bank holiday"),
        ("2023-08-07", "Summer bank holiday"),
        ("2023-11-30", "St Andrew’s Day"),
        ("2023-12-25", "Christmas Day"),
        ("2023-12-26", "Boxing Day"),
        ("2024-01-01", "New Year’s Day"),
        ("2024-01-02", "2nd January"),
        ("2024-03-29", "Good Friday"),
        ("2024-05-06", "Early May bank holiday"),
        ("2024-05-27", "Spring bank holiday"),
        ("2024-08-05", "Summer bank holiday"),
        ("2024-12-02", "St Andrew’s Day (substitute day)"),
        ("2024-12-25", "Christmas Day"),
        ("2024-12-26", "Boxing Day"),
        ("2025-01-01", "New Year’s Day"),
        ("2025-01-02", "2nd January"),
        ("2025-04-18", "Good Friday"),
        ("2025-05-05", "Early May bank holiday"),
        ("2025-05-26", "Spring bank holiday"),
        ("2025-08-04", "Summer bank holiday"),
        ("2025-12-01", "St Andrew’s Day (substitute day)"),
        ("2025-12-25", "Christmas Day"),
        ("2025-12-26", "Boxing Day"),
        ("2026-01-01", "New Year’s Day"),
        ("2026-01-02", "2nd January"),
        ("2026-04-03", "Good Friday"),
        ("2026-05-04", "Early May bank holiday"),
        ("2026-05-25", "Spring bank holiday"),
        (
            "2026-06-15",
            "Bank holiday for Scotland’s participation in the FIFA World Cup",
        ),
        ("2026-08-03", "Summer bank holiday"),
        ("2026-11-30", "St Andrew’s Day"),
        ("2026-12-25", "Christmas Day"),
        ("2026-12-28", "Boxing Day (substitute day)"),
        ("2027-01-01", "New Year’s Day"),
        ("2027-01-04", "2nd January (substitute day)"),
        ("2027-03-26", "Good Friday"),
        ("2027-05-03", "Early May bank holiday"),
        ("2027-05-31", "Spring bank holiday"),
        ("2027-08-02", "Summer bank holiday"),
        ("2027-11-30", "St Andrew’s Day"),
        ("2027-12-27", "Christmas Day (substitute day)"),
        ("2027-12-28", "Boxing Day (substitute day)"),
    ];

    const NORTHERN_IRELAND: &[(&str, &str)] = &[
        ("2020-01-01", "New Year’s Day"),
        ("2020-03-17", "St Patrick’s Day"),
        ("2020-04-10", "Good Friday"),
        ("2020-04-13", "Easter Monday"),
        ("2020-05-08", "Early May bank holiday (VE day)"),
        ("2020-05-25", "Spring bank holiday"),
        (
            "2020-07-13",
            "Battle of the Boyne (Orangemen’s Day) (substitute day)",
        ),
        ("2020-08-31", "Summer bank holiday"),
        ("2020-12-25", "Christmas Day"),
        ("2020-12-28", "Boxing Day (substitute day)"),
        ("2021-01-01", "New Year’s Day"),
        ("2021-03-17", "St Patrick’s Day"),
        ("2021-04-02", "Good Friday"),
        ("2021-04-05", "Easter Monday"),
        ("2021-05-03", "Early May bank holiday"),
        ("2021-05-31", "Spring bank holiday"),
        ("2021-07-12", "Battle of the Boyne (Orangemen’s Day)"),
        ("2021-08-30", "Summer bank holiday"),
        ("2021-12-27", "Christmas Day (substitute day)"),
        ("2021-12-28", "Boxing Day (substitute day)"),
        ("2022-01-03", "New Year’s Day (substitute day)"),
        ("2022-03-17", "St Patrick’s Day"),
        ("2022-04-15", "Good Friday"),
        ("2022-04-18", "Easter Monday"),
        ("2022-05-02", "Early May bank holiday"),
        ("2022-06-02", "Spring bank holiday"),
        ("2022-06-03", "Platinum Jubilee bank holiday"),
        ("2022-07-12", "Battle of the Boyne (Orangemen’s Day)"),
        ("2022-08-29", "Summer bank holiday"),
        (
            "2022-09-19",
            "Bank Holiday for the State Funeral of Queen Elizabeth II",
        ),
        ("2022-12-26", "Boxing Day"),
        ("2022-12-27", "Christmas Day (substitute day)"),
        ("2023-01-02", "New Year’s Day (substitute day)"),
        ("2023-03-17", "St Patrick’s Day"),
        ("2023-04-07", "Good Friday"),
        ("2023-04-10", "Easter Monday"),
        ("2023-05-01", "Early May bank holiday"),
        (
            "2023-05-08",
            "Bank holiday for the coronation of King Charles III",
        ),
        ("2023-05-29", "Spring bank holiday"),
        ("2023-07-12", "Battle of the Boyne (Orangemen’s Day)"),
        ("2023-08-28", "Summer bank holiday"),
        ("2023-12-25", "Christmas Day"),
        ("2023-12-26", "Boxing Day"),
        ("2024-01-01", "New Year’s Day"),
        ("2024-03-18", "St Patrick’s Day (substitute day)"),
        ("2024-03-29", "Good Friday"),
        ("2024-04-01", "Easter Monday"),
        ("2024-05-06", "Early May bank holiday"),
        ("2024-05-27", "Spring bank holiday"),
        ("2024-07-12", "Battle of the Boyne (Orangemen’s Day)"),
        ("2024-08-26", "Summer bank holiday"),
        ("2024-12-25", "Christmas Day"),
        ("2024-12-26", "Boxing Day"),
        ("2025-01-01", "New Year’s Day"),
        ("2025-03-17", "St Patrick’s Day"),
        ("2025-04-18", "Good Friday"),
        ("2025-04-21", "Easter Monday"),
        ("2025-05-05", "Early May bank holiday"),
        ("2025-05-26", "Spring bank holiday"),
        (
            "2025-07-14",
            "Battle of the Boyne (Orangemen’s Day) (substitute day)",
        ),
        ("2025-08-25", "Summer bank holiday"),
        ("2025-12-25", "Christmas Day"),
        ("2025-12-26", "Boxing Day"),
        ("2026-01-01", "New Year’s Day"),
        ("2026-03-17", "St Patrick’s Day"),
        ("2026-04-03", "Good Friday"),
        ("2026-04-06", "Easter Monday"),
        ("2026-05-04", "Early May bank holiday"),
        ("2026-05-25", "Spring bank holiday"),
        (
            "2026-07-13",
            "Battle of the Boyne (Orangemen’s Day) (substitute day)",
        ),
        ("2026-08-31", "Summer bank holiday"),
        ("2026-12-25", "Christmas Day"),
        ("2026-12-28", "Boxing Day (substitute day)"),
        ("2027-01-01", "New Year’s Day"),
        ("2027-03-17", "St Patrick’s Day"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
        ("2027-05-03", "Early May bank holiday"),
        ("2027-05-31", "Spring bank holiday"),
        ("2027-07-12", "Battle of the Boyne (Orangemen’s Day)"),
        ("2027-08-30", "Summer bank holiday"),
        ("2027-12-27", "Christmas Day (substitute day)"),
        ("2027-12-28", "Boxing Day (substitute day)"),
    ];

    #[test]
    fn calendar_region_codes_and_labels() {
        for region in Region::ALL {
            assert_eq!(Region::parse(region.as_str()), Some(region));
        }
        assert_eq!(Region::parse(" scotland "), Some(Region::Scotland));
        assert_eq!(Region::parse("england"), None);
        assert_eq!(Region::parse("Scotland"), None);
        assert_eq!(Region::EnglandAndWales.label(), "England and Wales");
        assert_eq!(Region::NorthernIreland.to_string(), "Northern Ireland");
        assert_eq!(Region::NorthernIreland.as_str(), "northern-ireland");
    }

    #[test]
    fn calendar_easter_sunday_of_known_years() {
        let known = [
            (2024, ymd(2024, 3, 31)),
            (2025, ymd(2025, 4, 20)),
            (2026, ymd(2026, 4, 5)),
            (2027, ymd(2027, 3, 28)),
            (2038, ymd(2038, 4, 25)),
            (2285, ymd(2285, 3, 22)),
            (2000, ymd(2000, 4, 23)),
            (2019, ymd(2019, 4, 21)),
        ];
        for (year, easter) in known {
            assert_eq!(easter_sunday(year), Some(easter), "{year}");
        }
        // Always a Sunday between 22 March and 25 April.
        for year in 1583..=4099 {
            let e = easter_sunday(year).unwrap();
            assert_eq!(e.weekday(), Weekday::Sun);
            assert!((ymd(year, 3, 22)..=ymd(year, 4, 25)).contains(&e), "{e}");
        }
    }

    #[test]
    fn calendar_england_and_wales_2020_to_2027_as_published() {
        assert_eq!(
            computed(Region::EnglandAndWales, 2020..=2027),
            published(ENGLAND_AND_WALES)
        );
    }

    #[test]
    fn calendar_scotland_2020_to_2027_as_published() {
        assert_eq!(computed(Region::Scotland, 2020..=2027), published(SCOTLAND));
    }

    #[test]
    fn calendar_northern_ireland_2020_to_2027_as_published() {
        assert_eq!(
            computed(Region::NorthernIreland, 2020..=2027),
            published(NORTHERN_IRELAND)
        );
    }

    fn names_on(region: Region, year: i32, month: u32) -> Vec<(u32, String)> {
        bank_holidays(region, year)
            .into_iter()
            .filter(|h| h.date.month() == month)
            .map(|h| (h.date.day(), h.name))
            .collect()
    }

    #[test]
    fn calendar_christmas_substitute_days() {
        let s = |d: u32, n: &str| (d, n.to_owned());
        for region in Region::ALL {
            // 2020: Christmas Friday, Boxing Day Saturday.
            assert_eq!(
                names_on(region, 2020, 12)
                    .into_iter()
                    .filter(|(d, _)| *d > 20)
                    .collect::<Vec<_>>(),
                vec![s(25, "Christmas Day"), s(28, "Boxing Day (substitute day)")]
            );
            // 2021 and 2027: Christmas Saturday.
            for year in [2021, 2027] {
                assert_eq!(
                    names_on(region, year, 12)
                        .into_iter()
                        .filter(|(d, _)| *d > 20)
                        .collect::<Vec<_>>(),
                    vec![
                        s(27, "Christmas Day (substitute day)"),
                        s(28, "Boxing Day (substitute day)")
                    ]
                );
            }
            // 2022: Christmas Sunday.
            assert_eq!(
                names_on(region, 2022, 12)
                    .into_iter()
                    .filter(|(d, _)| *d > 20)
                    .collect::<Vec<_>>(),
                vec![s(26, "Boxing Day"), s(27, "Christmas Day (substitute day)")]
            );
        }
    }

    #[test]
    fn calendar_new_year_substitute_days() {
        let s = |d: u32, n: &str| (d, n.to_owned());
        // 2022: 1 January Saturday.
        assert_eq!(
            names_on(Region::EnglandAndWales, 2022, 1),
            vec![s(3, "New Year’s Day (substitute day)")]
        );
        assert_eq!(
            names_on(Region::Scotland, 2022, 1),
            vec![
                s(3, "New Year’s Day (substitute day)"),
                s(4, "2nd January (substitute day)")
            ]
        );
        // 2023: 1 January Sunday.
        assert_eq!(
            names_on(Region::Scotland, 2023, 1),
            vec![s(2, "2nd January"), s(3, "New Year’s Day (substitute day)")]
        );
        // 2021: 2 January Saturday.
        assert_eq!(
            names_on(Region::Scotland, 2021, 1),
            vec![s(1, "New Year’s Day"), s(4, "2nd January (substitute day)")]
        );
        // 2000 (1 January Saturday) again.
        assert_eq!(
            names_on(Region::Scotland, 2000, 1),
            vec![
                s(3, "New Year’s Day (substitute day)"),
                s(4, "2nd January (substitute day)")
            ]
        );
    }

    #[test]
    fn calendar_one_off_days_since_1995() {
        let has = |region: Region, date: NaiveDate, name: &str| {
            bank_holidays(region, date.year())
                .iter()
                .any(|h| h.date == date && h.name == name)
        };
        for region in Region::ALL {
            assert!(has(
                region,
                ymd(1995, 5, 8),
                "Early May bank holiday (VE day)"
            ));
            assert!(!bank_holidays(region, 1995)
                .iter()
                .any(|h| h.date == ymd(1995, 5, 1)));
            assert!(has(region, ymd(1999, 12, 31), "Millennium bank holiday"));
            assert!(has(region, ymd(2002, 6, 3), "Golden Jubilee bank holiday"));
            assert!(has(region, ymd(2002, 6, 4), "Spring bank holiday"));
            assert!(!bank_holidays(region, 2002)
                .iter()
                .any(|h| h.date == ymd(2002, 5, 27)));
            assert!(has(region, ymd(2011, 4, 29), "Royal wedding"));
            assert!(has(region, ymd(2012, 6, 4), "Spring bank holiday"));
            assert!(has(region, ymd(2012, 6, 5), "Queen’s Diamond Jubilee"));
            assert!(!bank_holidays(region, 2012)
                .iter()
                .any(|h| h.date == ymd(2012, 5, 28)));
            assert!(!bank_holidays(region, 2020)
                .iter()
                .any(|h| h.date == ymd(2020, 5, 4)));
            assert!(!bank_holidays(region, 2022)
                .iter()
                .any(|h| h.date == ymd(2022, 5, 30)));
            assert_eq!(
                has(
                    region,
                    ymd(2026, 6, 15),
                    "Bank holiday for Scotland’s participation in the FIFA World Cup"
                ),
                region == Region::Scotland
            );
        }
        // St Andrew's Day is a bank holiday from 2007.
        assert!(!bank_holidays(Region::Scotland, 2006)
            .iter()
            .any(|h| h.name.starts_with("St Andrew")));
        assert!(has(Region::Scotland, ymd(2007, 11, 30), "St Andrew’s Day"));
    }

    #[test]
    fn calendar_every_year_sorted_distinct_weekdays() {
        for region in Region::ALL {
            for year in 1995..=2100 {
                let list = bank_holidays(region, year);
                assert!(
                    list.windows(2).all(|w| w[0].date < w[1].date),
                    "{region} {year}"
                );
                assert!(list
                    .iter()
                    .all(|h| !is_weekend(h.date) && h.date.year() == year));
                let n = list.len();
                let (low, high) = match region {
                    Region::EnglandAndWales => (8, 10),
                    Region::Scotland => (8, 11),
                    Region::NorthernIreland => (10, 12),
                };
                assert!((low..=high).contains(&n), "{region} {year}: {n}");
            }
        }
        assert!(bank_holidays(Region::Scotland, 300_000).is_empty());
    }

    fn rules(region: Region) -> RegionCalendar<'static> {
        RegionCalendar::rules(region)
    }

    #[test]
    fn calendar_working_days_across_easter_weekend() {
        let ew = rules(Region::EnglandAndWales);
        let sc = rules(Region::Scotland);
        // Easter 2026: Good Friday 3 April, Easter Monday 6 April (not in Scotland).
        assert!(ew.is_working_day(ymd(2026, 4, 2)));
        assert!(!ew.is_working_day(ymd(2026, 4, 3)));
        assert!(!ew.is_working_day(ymd(2026, 4, 4)));
        assert!(!ew.is_working_day(ymd(2026, 4, 6)));
        assert!(sc.is_working_day(ymd(2026, 4, 6)));
        assert_eq!(
            ew.add_working_days(ymd(2026, 4, 2), 1),
            Some(ymd(2026, 4, 7))
        );
        assert_eq!(
            sc.add_working_days(ymd(2026, 4, 2), 1),
            Some(ymd(2026, 4, 6))
        );
        assert_eq!(
            ew.add_working_days(ymd(2026, 4, 2), 5),
            Some(ymd(2026, 4, 13))
        );
        assert_eq!(ew.working_days_between(ymd(2026, 4, 2), ymd(2026, 4, 7)), 1);
        assert_eq!(sc.working_days_between(ymd(2026, 4, 2), ymd(2026, 4, 7)), 2);
        assert_eq!(ew.working_days_between(ymd(2026, 4, 7), ymd(2026, 4, 2)), 0);
        assert_eq!(ew.working_days_between(ymd(2026, 4, 7), ymd(2026, 4, 7)), 0);
        // Christmas 2027 (Saturday): 24 December to 29 December is one working day.
        assert_eq!(
            ew.add_working_days(ymd(2027, 12, 24), 1),
            Some(ymd(2027, 12, 29))
        );
        assert_eq!(
            ew.working_days_between(ymd(2027, 12, 24), ymd(2027, 12, 29)),
            1
        );
    }

    #[test]
    fn calendar_add_zero_working_days_rolls_forward() {
        let ew = rules(Region::EnglandAndWales);
        assert_eq!(
            ew.add_working_days(ymd(2026, 4, 7), 0),
            Some(ymd(2026, 4, 7))
        );
        // Saturday before Easter Monday: the Tuesday.
        assert_eq!(
            ew.add_working_days(ymd(2026, 4, 4), 0),
            Some(ymd(2026, 4, 7))
        );
        // n = 1 from a non-working day is still the next working day.
        assert_eq!(
            ew.add_working_days(ymd(2026, 4, 4), 1),
            Some(ymd(2026, 4, 7))
        );
        assert_eq!(ew.add_working_days(NaiveDate::MAX, 1), None);
    }

    #[test]
    fn calendar_working_day_arithmetic_agrees_with_counting_days() {
        for region in Region::ALL {
            let cal = rules(region);
            let start = ymd(2025, 11, 20);
            let mut working = Vec::new();
            let mut d = start;
            while working.len() < 400 {
                d = d.succ_opt().unwrap();
                if cal.is_working_day(d) {
                    working.push(d);
                }
            }
            for (i, &day) in working.iter().enumerate() {
                let n = u32::try_from(i + 1).unwrap();
                assert_eq!(cal.add_working_days(start, n), Some(day), "{region} {n}");
                assert_eq!(cal.working_days_between(start, day), n, "{region} {day}");
            }
            for from in [ymd(2025, 12, 24), ymd(2026, 4, 3), ymd(2026, 1, 1)] {
                let mut to = from;
                for _ in 0..60 {
                    to = to.succ_opt().unwrap();
                    let mut count = 0;
                    let mut d = from;
                    while d < to {
                        d = d.succ_opt().unwrap();
                        count += u32::from(cal.is_working_day(d));
                    }
                    assert_eq!(cal.working_days_between(from, to), count, "{from} {to}");
                }
            }
        }
        // About ten years ahead without stepping every day.
        let ew = rules(Region::EnglandAndWales);
        let far = ew.add_working_days(ymd(2026, 1, 1), 2_500).unwrap();
        assert!(ew.is_working_day(far));
        assert_eq!(ew.working_days_between(ymd(2026, 1, 1), far), 2_500);
    }

    #[test]
    fn calendar_periods_of_2026_27() {
        let anchor = ymd(2026, 4, 6);
        let all = periods(anchor);
        assert_eq!(all[0].name(), "2026/27 P01");
        assert_eq!(
            (all[0].start, all[0].end),
            (ymd(2026, 4, 6), ymd(2026, 5, 3))
        );
        assert_eq!(all[8].to_string(), "2026/27 P09");
        assert_eq!(
            (all[8].start, all[8].end),
            (ymd(2026, 11, 16), ymd(2026, 12, 13))
        );
        assert_eq!(all[12].name(), "2026/27 P13");
        assert_eq!(
            (all[12].start, all[12].end),
            (ymd(2027, 3, 8), ymd(2027, 4, 4))
        );
        for (i, p) in all.iter().enumerate() {
            assert_eq!(usize::from(p.number), i + 1);
            assert_eq!(p.year_label, "2026/27");
            assert_eq!((p.end - p.start).num_days(), 27);
            if i > 0 {
                assert_eq!(all[i - 1].end.succ_opt(), Some(p.start));
            }
            assert_eq!(&period_of(anchor, p.start), p);
            assert_eq!(&period_of(anchor, p.end), p);
        }
        assert_eq!(period_of(anchor, ymd(2026, 12, 1)).name(), "2026/27 P09");
    }

    #[test]
    fn calendar_periods_outside_the_year_count_whole_years() {
        let anchor = ymd(2026, 4, 6);
        let before = period_of(anchor, ymd(2026, 4, 5));
        assert_eq!(before.name(), "2025/26 P13");
        assert_eq!(
            (before.start, before.end),
            (ymd(2026, 3, 9), ymd(2026, 4, 5))
        );
        let after = period_of(anchor, ymd(2027, 4, 5));
        assert_eq!(after.name(), "2027/28 P01");
        assert_eq!(after.start, ymd(2027, 4, 5));
        assert_eq!(period_of(anchor, ymd(2025, 4, 7)).name(), "2025/26 P01");
        // Five 364-day years on, period 1 starts on 31 March and is still 2031/32's.
        assert_eq!(period_of(anchor, ymd(2031, 3, 31)).name(), "2031/32 P01");
        assert_eq!(periods(ymd(2031, 3, 31))[0].name(), "2031/32 P01");
        // The authority's own anchor for a later year.
        assert_eq!(
            period_of(ymd(2032, 4, 5), ymd(2032, 4, 5)).name(),
            "2032/33 P01"
        );
        // Far from the anchor, no panic.
        let _ = period_of(anchor, NaiveDate::MAX);
        let _ = period_of(anchor, NaiveDate::MIN);
    }

    fn event(title: &str, date: &str, notes: &str) -> GovUkEvent {
        GovUkEvent {
            title: title.to_owned(),
            date: date.to_owned(),
            notes: notes.to_owned(),
            bunting: true,
        }
    }

    #[test]
    fn calendar_published_list_is_used_for_the_years_it_covers() {
        // A list for 2028 in Scotland that drops St Andrew's Day and adds a day.
        let mut list: Vec<GovUkEvent> = bank_holidays(Region::Scotland, 2028)
            .into_iter()
            .filter(|h| !h.name.starts_with("St Andrew"))
            .map(|h| {
                let (title, notes) = match h.name.strip_suffix(SUBSTITUTE) {
                    Some(t) => (t.to_owned(), "Substitute day"),
                    None => (h.name.clone(), ""),
                };
                event(&title, &h.date.to_string(), notes)
            })
            .collect();
        list.push(event("Extra bank holiday", "2028-07-14", ""));
        let file = GovUkBankHolidays {
            scotland: Some(GovUkDivision {
                division: "scotland".to_owned(),
                events: list,
            }),
            ..Default::default()
        };
        let cal = Calendar::from_govuk(&file).unwrap();
        let got = cal.bank_holidays(Region::Scotland, 2028);
        assert!(got
            .iter()
            .any(|h| h.date == ymd(2028, 7, 14) && h.name == "Extra bank holiday"));
        assert!(!got.iter().any(|h| h.name.starts_with("St Andrew")));
        // Substitute days keep their GOV.UK names (1 January 2028 is a Saturday).
        assert!(got
            .iter()
            .any(|h| h.date == ymd(2028, 1, 3) && h.name == "New Year’s Day (substitute day)"));
        assert_eq!(got.len(), bank_holidays(Region::Scotland, 2028).len());
        assert_eq!(
            cal.added(Region::Scotland).collect::<Vec<_>>(),
            vec![(ymd(2028, 7, 14), "Extra bank holiday")]
        );
        assert_eq!(
            cal.removed(Region::Scotland).collect::<Vec<_>>(),
            vec![ymd(2028, 11, 30)]
        );
        // Other years and regions follow the rules.
        assert_eq!(
            cal.bank_holidays(Region::Scotland, 2029),
            bank_holidays(Region::Scotland, 2029)
        );
        assert_eq!(
            cal.bank_holidays(Region::EnglandAndWales, 2028),
            bank_holidays(Region::EnglandAndWales, 2028)
        );
        // Working days follow the published list.
        let sc = cal.region(Region::Scotland);
        assert!(!sc.is_working_day(ymd(2028, 7, 14)));
        assert!(sc.is_working_day(ymd(2028, 11, 30)));
        assert!(!rules(Region::Scotland).is_working_day(ymd(2028, 11, 30)));
    }

    #[test]
    fn calendar_published_list_is_bounded_and_checked() {
        let one = |events: Vec<GovUkEvent>| GovUkBankHolidays {
            england_and_wales: Some(GovUkDivision {
                division: "england-and-wales".to_owned(),
                events,
            }),
            ..Default::default()
        };
        let many = (0..=MAX_GOVUK_EVENTS)
            .map(|i| {
                event(
                    "Day",
                    &(ymd(2030, 1, 1) + chrono::Days::new(i as u64)).to_string(),
                    "",
                )
            })
            .collect();
        assert!(Calendar::from_govuk(&one(many))
            .unwrap_err()
            .contains("2000"));
        assert!(Calendar::from_govuk(&GovUkBankHolidays::default()).is_err());
        assert!(Calendar::from_govuk(&one(vec![event("Day", "25/12/2030", "")])).is_err());
        assert!(Calendar::from_govuk(&one(vec![event("Day", "2030-02-30", "")])).is_err());
        assert!(Calendar::from_govuk(&one(vec![event(" ", "2030-12-25", "")])).is_err());
        assert!(Calendar::from_govuk(&one(vec![event("A\u{7}", "2030-12-25", "")])).is_err());
        assert!(Calendar::from_govuk(&one(vec![
            event("Christmas Day", "2030-12-25", ""),
            event("Christmas", "2030-12-25", "")
        ]))
        .is_err());
        let wrong = GovUkBankHolidays {
            scotland: Some(GovUkDivision {
                division: "england-and-wales".to_owned(),
                events: vec![event("Day", "2030-12-25", "")],
            }),
            ..Default::default()
        };
        assert!(Calendar::from_govuk(&wrong).is_err());
        assert!(check_govuk_json_size(&"x".repeat(MAX_GOVUK_JSON_BYTES)).is_ok());
        assert!(check_govuk_json_size(&"x".repeat(MAX_GOVUK_JSON_BYTES + 1)).is_err());
        // A list matching the rules changes nothing.
        let same: Vec<GovUkEvent> = bank_holidays(Region::EnglandAndWales, 2030)
            .into_iter()
            .map(|h| event(&h.name, &h.date.to_string(), ""))
            .collect();
        let cal = Calendar::from_govuk(&one(same)).unwrap();
        assert_eq!(cal, Calendar::new());
    }
}
