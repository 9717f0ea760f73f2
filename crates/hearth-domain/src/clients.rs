//! Clients of the authority's services: who counts as the same person.

/// What identifies a person when a provider asks for a schedule for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct PersonKeys<'a> {
    pub ni_number: Option<&'a str>,
    pub hb_number: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    /// ISO date.
    pub date_of_birth: Option<&'a str>,
}

fn given(v: Option<&str>) -> Option<String> {
    v.map(|s| s.split_whitespace().collect::<String>().to_uppercase())
        .filter(|s| !s.is_empty())
}

/// Whether a new request is about a client the authority already has, who then keeps their
/// client ID: the same National Insurance number, or the same housing benefit number, or the
/// same first and last names (ignoring case and spaces around them) with the same date of
/// birth. Names alone never match.
pub fn same_person(new: &PersonKeys, existing: &PersonKeys) -> bool {
    let same = |a: Option<&str>, b: Option<&str>| matches!((given(a), given(b)), (Some(a), Some(b)) if a == b);
    if same(new.ni_number, existing.ni_number) || same(new.hb_number, existing.hb_number) {
        return true;
    }
    let name = |s: &str| s.trim().to_lowercase();
    same(new.date_of_birth, existing.date_of_birth)
        && name(new.first_name) == name(existing.first_name)
        && name(new.last_name) == name(existing.last_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<'a>(
        ni: &'a str,
        hb: &'a str,
        first: &'a str,
        last: &'a str,
        dob: &'a str,
    ) -> PersonKeys<'a> {
        let opt = |s: &'a str| (!s.is_empty()).then_some(s);
        PersonKeys {
            ni_number: opt(ni),
            hb_number: opt(hb),
            first_name: first,
            last_name: last,
            date_of_birth: opt(dob),
        }
    }

    #[test]
    fn the_same_person_by_ni_number_benefit_number_or_name_and_birth_date() {
        let held = keys("QQ 12 34 56 C", "HB1001", "Sam", "Okafor", "1990-04-02");
        assert!(same_person(
            &keys("qq123456c", "", "Samuel", "Smith", ""),
            &held
        ));
        assert!(same_person(&keys("", "hb1001", "", "", ""), &held));
        assert!(same_person(
            &keys("", "", " sam ", "OKAFOR", "1990-04-02"),
            &held
        ));
    }

    #[test]
    fn names_alone_or_a_different_birth_date_are_someone_else() {
        let held = keys("", "", "Sam", "Okafor", "1990-04-02");
        assert!(!same_person(&keys("", "", "Sam", "Okafor", ""), &held));
        assert!(!same_person(
            &keys("", "", "Sam", "Okafor", "1990-04-03"),
            &held
        ));
        assert!(!same_person(
            &keys("", "", "", "", ""),
            &keys("", "", "", "", "")
        ));
    }
}
