//! Closed lists stored in the database as snake_case codes.
//!
//! Every enum has `as_str` (the stored code, also its serde form), `label`
//! (the text people read), `parse` (from a code) and `ALL` (in display
//! order). `Display` shows the label.

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            error: ($error_code:literal, $error_message:literal),
            $( $(#[$vmeta:meta])* $variant:ident => ($code:literal, $label:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// The snake_case code stored in the database.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }

            /// The text shown to people.
            pub fn label(&self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )+
                }
            }

            /// Parses a stored code (surrounding spaces ignored).
            pub fn parse(code: &str) -> Result<Self, $crate::ids::FieldError> {
                match code.trim() {
                    $( $code => Ok(Self::$variant), )+
                    _ => Err($crate::ids::FieldError::new($error_code, $error_message)),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ids::FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::ids::FieldError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.as_str()
            }
        }
    };
}

/// Other modules of the crate declare their closed lists with it too.
pub(crate) use string_enum;

string_enum! {
    /// The kind of housing-related support a service provides.
    pub enum ServiceType {
        error: ("service_type_invalid", "Select a service type"),
        AccommodationBased => ("accommodation_based", "Accommodation based"),
        FloatingSupport => ("floating_support", "Floating support"),
        Sheltered => ("sheltered", "Sheltered"),
        CommunityAlarm => ("community_alarm", "Community alarm"),
        DayActivities => ("day_activities", "Day activities"),
    }
}

string_enum! {
    /// Whether a service is long term (maintaining independence) or short
    /// term (moving on).
    pub enum Term {
        error: ("term_invalid", "Select long term or short term"),
        Long => ("long", "Long term"),
        Short => ("short", "Short term"),
    }
}

string_enum! {
    /// Where a contract stands.
    pub enum ContractStatus {
        error: ("contract_status_invalid", "Select a contract status"),
        SteadyState => ("steady_state", "Steady state"),
        Interim => ("interim", "Interim"),
        Expired => ("expired", "Expired"),
    }
}

string_enum! {
    /// Why a client schedule ended (the source's "Reason For End Date").
    pub enum EndReason {
        error: ("end_reason_invalid", "Select a reason for the end date"),
        ChangeOfService => ("change_of_service", "Change of service"),
        Deceased => ("deceased", "Deceased"),
        LostContact => ("lost_contact", "Lost contact"),
        SupportBrokenDown => ("support_broken_down", "Support broken down"),
        SupportNoLongerRequired => ("support_no_longer_required", "Support no longer required"),
    }
}

string_enum! {
    /// A provider contact's job.
    pub enum PositionType {
        error: ("position_type_invalid", "Select a position"),
        ChiefExecutive => ("chief_executive", "Chief executive"),
        Manager => ("manager", "Manager"),
        ServiceManager => ("service_manager", "Service manager"),
        SupportWorker => ("support_worker", "Support worker"),
        Administrator => ("administrator", "Administrator"),
        FinanceOfficer => ("finance_officer", "Finance officer"),
        // The portal briefing's position types.
        Director => ("director", "Director"),
        Chair => ("chair", "Chair"),
        Treasurer => ("treasurer", "Treasurer"),
        Bursar => ("bursar", "Bursar"),
        FinanceManager => ("finance_manager", "Finance manager"),
        Other => ("other", "Other"),
    }
}

string_enum! {
    /// What a provider contact is responsible for (F3.7).
    pub enum Assignment {
        error: ("assignment_invalid", "Select an assignment"),
        OrganisationContact => ("organisation_contact", "Organisation contact"),
        AccreditationContact => ("accreditation_contact", "Accreditation contact"),
        ContractContact => ("contract_contact", "Contract contact"),
        ServiceManager => ("service_manager", "Service manager"),
        EmergencyContact => ("emergency_contact", "Emergency contact"),
        SelfReferralOfficeHours => ("self_referral_office_hours", "Self-referral (office hours)"),
        SelfReferralOutOfHours => ("self_referral_out_of_hours", "Self-referral (out of hours)"),
        PortalManager => ("portal_manager", "Portal manager"),
    }
}

string_enum! {
    /// What a provider's request asks for (F3.2 to F3.7): each kind carries its own typed
    /// payload (`hearth_app::requests::Payload`) and is applied on approval.
    pub enum RequestKind {
        error: ("request_kind_invalid", "Select a kind of request"),
        NewSchedule => ("new_schedule", "New client schedule"),
        UpdateSchedule => ("update_schedule", "Update client schedule"),
        ChangeService => ("change_service", "Change of service"),
        ServiceDetails => ("service_details", "Service details"),
        ContactAdd => ("contact_add", "New contact"),
        ContactEdit => ("contact_edit", "Contact change"),
        ContactDeactivate => ("contact_deactivate", "Deactivate contact"),
        AssignmentAdd => ("assignment_add", "New assignment"),
        AssignmentRemove => ("assignment_remove", "Assignment removed"),
        LoginRequest => ("login_request", "Login request"),
        ReturnExtension => ("return_extension", "More time for a return"),
        PropertyAdd => ("property_add", "New property"),
        PropertyEdit => ("property_edit", "Property change"),
    }
}

impl Assignment {
    /// Every assignment except portal manager is held by one contact per
    /// service (F3.7).
    pub fn one_per_service(&self) -> bool {
        !matches!(self, Self::PortalManager)
    }
}

string_enum! {
    /// What a user account may do. All but `ProviderUser` belong to the
    /// commissioning authority; `ReadOnly` is for board members and
    /// inspectors.
    pub enum Role {
        error: ("role_invalid", "Select a role"),
        Administrator => ("administrator", "Administrator"),
        Officer => ("officer", "Officer"),
        ContractsManager => ("contracts_manager", "Contracts manager"),
        FinanceOfficer => ("finance_officer", "Finance officer"),
        DataClerk => ("data_clerk", "Data clerk"),
        ReadOnly => ("read_only", "Read only (board member or inspector)"),
        ProviderUser => ("provider_user", "Provider user"),
        // Runs a deployment that hosts several authorities (issue 11): adds authorities and
        // their first administrators, and sees no authority's records.
        HostAdministrator => ("host_administrator", "Host administrator"),
    }
}

impl Role {
    /// Belongs to the commissioning authority's SP team (including
    /// read-only board members and inspectors).
    pub fn is_commissioning(&self) -> bool {
        !matches!(self, Self::ProviderUser | Self::HostAdministrator)
    }

    /// The roles an authority's administrator may give: every role but the host's, which
    /// belongs to no authority and is given only from the command line.
    pub fn of_an_authority() -> impl Iterator<Item = Role> {
        Self::ALL
            .iter()
            .copied()
            .filter(|r| *r != Self::HostAdministrator)
    }

    /// May change anything at all (read-only users may not).
    pub fn can_write(&self) -> bool {
        !matches!(self, Self::ReadOnly)
    }
}

string_enum! {
    /// The Supporting People client groups a service is for.
    pub enum ClientGroup {
        error: ("client_group_invalid", "Select a client group"),
        OlderPeople => ("older_people", "Older people with support needs"),
        MentalHealth => ("mental_health", "People with mental health problems"),
        LearningDisabilities => ("learning_disabilities", "People with learning disabilities"),
        PhysicalDisability => ("physical_disability", "People with a physical or sensory disability"),
        HomelessFamilies => ("homeless_families", "Homeless families with support needs"),
        SingleHomeless => ("single_homeless", "Single homeless with support needs"),
        YoungPeopleAtRisk => ("young_people_at_risk", "Young people at risk"),
        DomesticAbuse => ("domestic_abuse", "Women at risk of domestic violence"),
        Offenders => ("offenders", "Offenders or people at risk of offending"),
        SubstanceMisuse => ("substance_misuse", "People with alcohol or drug problems"),
        TeenageParents => ("teenage_parents", "Teenage parents"),
        RefugeeStatus => ("refugee_status", "Refugees"),
        GenericFloating => ("generic_floating", "Generic"),
    }
}

string_enum! {
    /// Which password rules an authority applies (F2.2). Defaults to `Uk`.
    #[derive(Default)]
    pub enum PasswordPolicyKind {
        error: ("password_policy_invalid", "Select a password policy"),
        /// NCSC guidance: length and a deny-list, no forced changes.
        #[default]
        Uk => ("uk", "UK guidance (NCSC)"),
        /// The source system's rules: 6 characters with a capital letter
        /// and a number, changed every 90 days.
        Legacy => ("legacy", "Legacy (6 characters, capital letter and number, 90-day change)"),
    }
}

string_enum! {
    /// What kind of contract document it is (the portal briefing's "Type" column).
    pub enum DocumentType {
        error: ("document_type_invalid", "Select the type of document"),
        ContractDocument => ("contract_document", "Contract document"),
        Variation => ("variation", "Contract variation"),
        Specification => ("specification", "Service specification"),
        FundingAgreement => ("funding_agreement", "Funding agreement"),
        Other => ("other", "Other"),
    }
}

string_enum! {
    /// How far a contract document has got (F3.6); only the commissioning team moves it.
    pub enum DocumentProgress {
        error: ("document_progress_invalid", "Select draft, agreed or signed"),
        Draft => ("draft", "Draft"),
        Agreed => ("agreed", "Agreed"),
        Signed => ("signed", "Signed"),
    }
}

string_enum! {
    /// What someone asks for from the sign-in page: a password reset or a login.
    pub enum AccountHelpKind {
        error: ("account_help_kind_invalid", "Select forgotten password or request a login"),
        ForgottenPassword => ("forgotten_password", "Forgotten password"),
        LoginRequest => ("login_request", "Login request"),
    }
}

string_enum! {
    /// How the commissioning team closes a login or password request (it is `open` until
    /// then).
    pub enum AccountRequestClosure {
        error: ("account_request_closure_invalid", "Select mark as done or decline"),
        Done => ("done", "Done"),
        Declined => ("declined", "Declined"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::FieldError;
    use serde::de::value::{Error as DeError, StrDeserializer};
    use serde::de::IntoDeserializer;
    use serde::Deserialize;
    use std::collections::HashSet;

    /// Checks the invariants every string enum must keep.
    fn check_enum<T>(
        all: &[T],
        as_str: fn(&T) -> &'static str,
        label: fn(&T) -> &'static str,
        parse: fn(&str) -> Result<T, FieldError>,
    ) where
        T: Copy + PartialEq + std::fmt::Debug,
    {
        assert!(!all.is_empty());
        let mut codes = HashSet::new();
        let mut labels = HashSet::new();
        for v in all {
            let code = as_str(v);
            assert!(codes.insert(code), "duplicate code {code}");
            assert!(labels.insert(label(v)), "duplicate label {}", label(v));
            assert!(
                !code.is_empty()
                    && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    && !code.starts_with('_')
                    && !code.ends_with('_'),
                "code {code} is not snake_case"
            );
            assert!(label(v).chars().next().is_some_and(char::is_uppercase));
            assert_eq!(parse(code).unwrap(), *v);
            assert!(parse(&code.to_uppercase()).is_err());
        }
        let err = parse("no_such_value").unwrap_err();
        assert!(err.code.ends_with("_invalid"));
        assert!(err.message.starts_with("Select"));
        assert!(parse("").is_err());
    }

    #[test]
    fn all_enums_round_trip() {
        check_enum(
            DocumentType::ALL,
            DocumentType::as_str,
            DocumentType::label,
            DocumentType::parse,
        );
        check_enum(
            ServiceType::ALL,
            ServiceType::as_str,
            ServiceType::label,
            ServiceType::parse,
        );
        check_enum(Term::ALL, Term::as_str, Term::label, Term::parse);
        check_enum(
            ContractStatus::ALL,
            ContractStatus::as_str,
            ContractStatus::label,
            ContractStatus::parse,
        );
        check_enum(
            EndReason::ALL,
            EndReason::as_str,
            EndReason::label,
            EndReason::parse,
        );
        check_enum(
            PositionType::ALL,
            PositionType::as_str,
            PositionType::label,
            PositionType::parse,
        );
        check_enum(
            Assignment::ALL,
            Assignment::as_str,
            Assignment::label,
            Assignment::parse,
        );
        check_enum(Role::ALL, Role::as_str, Role::label, Role::parse);
        check_enum(
            RequestKind::ALL,
            RequestKind::as_str,
            RequestKind::label,
            RequestKind::parse,
        );
        check_enum(
            ClientGroup::ALL,
            ClientGroup::as_str,
            ClientGroup::label,
            ClientGroup::parse,
        );
        check_enum(
            PasswordPolicyKind::ALL,
            PasswordPolicyKind::as_str,
            PasswordPolicyKind::label,
            PasswordPolicyKind::parse,
        );
        check_enum(
            DocumentProgress::ALL,
            DocumentProgress::as_str,
            DocumentProgress::label,
            DocumentProgress::parse,
        );
        check_enum(
            AccountHelpKind::ALL,
            AccountHelpKind::as_str,
            AccountHelpKind::label,
            AccountHelpKind::parse,
        );
        check_enum(
            AccountRequestClosure::ALL,
            AccountRequestClosure::as_str,
            AccountRequestClosure::label,
            AccountRequestClosure::parse,
        );
    }

    /// Each refused shape of a parsed form value, with the message shown beside the field.
    fn refuses<T: std::fmt::Debug>(
        parse: fn(&str) -> Result<T, FieldError>,
        code: &str,
        message: &str,
    ) {
        for bad in [
            "",
            "   ",
            "no_such_value",
            "Draft",
            "DONE",
            "draft;drop table",
            "<script>",
            "done\u{0}",
            "login request",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, code, "{bad:?}");
            assert_eq!(e.message, message, "{bad:?}");
        }
    }

    #[test]
    fn document_progress() {
        assert_eq!(
            DocumentProgress::parse("agreed").unwrap(),
            DocumentProgress::Agreed
        );
        assert_eq!(
            DocumentProgress::parse(" signed ").unwrap(),
            DocumentProgress::Signed
        );
        assert_eq!(DocumentProgress::Draft.as_str(), "draft");
        assert_eq!(
            DocumentProgress::ALL
                .iter()
                .map(DocumentProgress::label)
                .collect::<Vec<_>>(),
            ["Draft", "Agreed", "Signed"]
        );
        refuses(
            DocumentProgress::parse,
            "document_progress_invalid",
            "Select draft, agreed or signed",
        );
    }

    #[test]
    fn account_help_kind() {
        assert_eq!(
            AccountHelpKind::parse("forgotten_password").unwrap(),
            AccountHelpKind::ForgottenPassword
        );
        assert_eq!(
            AccountHelpKind::parse("login_request").unwrap(),
            AccountHelpKind::LoginRequest
        );
        // Help from the sign-in page is these two and nothing else (a request kind once
        // slipped in by mistake).
        assert_eq!(AccountHelpKind::ALL.len(), 2);
        assert!(AccountHelpKind::parse("return_extension").is_err());
        refuses(
            AccountHelpKind::parse,
            "account_help_kind_invalid",
            "Select forgotten password or request a login",
        );
    }

    #[test]
    fn account_request_closure() {
        assert_eq!(
            AccountRequestClosure::parse("done").unwrap(),
            AccountRequestClosure::Done
        );
        assert_eq!(
            AccountRequestClosure::parse("declined").unwrap(),
            AccountRequestClosure::Declined
        );
        // "open" is where a request starts, not a way to close one.
        assert!(AccountRequestClosure::parse("open").is_err());
        refuses(
            AccountRequestClosure::parse,
            "account_request_closure_invalid",
            "Select mark as done or decline",
        );
    }

    #[test]
    fn counts_match_the_spec() {
        assert_eq!(ServiceType::ALL.len(), 5);
        assert_eq!(Term::ALL.len(), 2);
        assert_eq!(ContractStatus::ALL.len(), 3);
        assert_eq!(EndReason::ALL.len(), 5);
        assert_eq!(PositionType::ALL.len(), 12);
        assert_eq!(Assignment::ALL.len(), 8);
        assert_eq!(Role::ALL.len(), 8);
        assert_eq!(ClientGroup::ALL.len(), 13);
        assert_eq!(PasswordPolicyKind::ALL.len(), 2);
    }

    #[test]
    fn worked_examples() {
        assert_eq!(
            ServiceType::parse("floating_support").unwrap(),
            ServiceType::FloatingSupport
        );
        assert_eq!(ServiceType::FloatingSupport.label(), "Floating support");
        assert_eq!(Term::Long.label(), "Long term");
        assert_eq!(Term::Short.label(), "Short term");
        assert_eq!(Term::parse(" short ").unwrap(), Term::Short);
        assert_eq!(ContractStatus::SteadyState.as_str(), "steady_state");
        assert_eq!(
            Assignment::SelfReferralOutOfHours.as_str(),
            "self_referral_out_of_hours"
        );
        assert_eq!(Role::ContractsManager.to_string(), "Contracts manager");
        assert_eq!(
            "deceased".parse::<EndReason>().unwrap(),
            EndReason::Deceased
        );
        let err = Term::parse("medium").unwrap_err();
        assert_eq!(err.code, "term_invalid");
        assert_eq!(err.message, "Select long term or short term");
    }

    #[test]
    fn end_reasons_are_the_source_drop_down() {
        let labels: Vec<&str> = EndReason::ALL.iter().map(EndReason::label).collect();
        assert_eq!(
            labels,
            [
                "Change of service",
                "Deceased",
                "Lost contact",
                "Support broken down",
                "Support no longer required"
            ]
        );
    }

    #[test]
    fn roles() {
        for role in Role::ALL {
            assert_eq!(
                role.is_commissioning(),
                !matches!(role, Role::ProviderUser | Role::HostAdministrator),
                "{role:?}"
            );
            assert_eq!(role.can_write(), *role != Role::ReadOnly, "{role:?}");
        }
        assert!(Role::ReadOnly.is_commissioning());
        assert!(!Role::ProviderUser.is_commissioning());
        assert!(Role::ProviderUser.can_write());
        assert!(!Role::HostAdministrator.is_commissioning());
        assert_eq!(Role::of_an_authority().count(), 7);
        assert!(Role::of_an_authority().all(|r| r != Role::HostAdministrator));
    }

    #[test]
    fn assignments_one_per_service_except_portal_manager() {
        let many: Vec<Assignment> = Assignment::ALL
            .iter()
            .copied()
            .filter(|a| !a.one_per_service())
            .collect();
        assert_eq!(many, [Assignment::PortalManager]);
    }

    #[test]
    fn password_policy_defaults_to_uk() {
        assert_eq!(PasswordPolicyKind::default(), PasswordPolicyKind::Uk);
    }

    #[test]
    fn serde_uses_the_code() {
        let d: StrDeserializer<DeError> = "support_broken_down".into_deserializer();
        assert_eq!(
            EndReason::deserialize(d).unwrap(),
            EndReason::SupportBrokenDown
        );
        let d: StrDeserializer<DeError> = "Support broken down".into_deserializer();
        assert!(EndReason::deserialize(d).is_err());
        let code: &'static str = ClientGroup::TeenageParents.into();
        assert_eq!(code, "teenage_parents");
    }
}
