//! Workflows as state machines: the states a record moves through, who may move it, to what,
//! and with what input. Each workflow is an enum of states, an enum of events, the roles that
//! act and the facts a move depends on; `next` is the whole of its rules, so the use case that
//! applies a move only asks it and writes the answer. Quality, contract management and day
//! activities copy this shape.

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The record is not in a state this move starts from (a conflict: someone else may have
    /// moved it first).
    NotNow(String),
    /// This actor may not make this move.
    NotYours(String),
    /// The move is allowed but its input is missing or wrong; `field` is the form field to
    /// mark.
    Input {
        field: &'static str,
        message: String,
    },
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::NotNow(m) | Refusal::NotYours(m) => m,
            Refusal::Input { message, .. } => message,
        }
    }
}

/// The workflow of a provider's request (F3.4): pending until the commissioning team approves
/// or rejects it, once.
pub mod requests {
    use super::Refusal;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Status {
        Pending,
        Approved,
        Rejected,
    }

    impl Status {
        pub const ALL: [Status; 3] = [Status::Pending, Status::Approved, Status::Rejected];

        pub const fn as_str(self) -> &'static str {
            match self {
                Status::Pending => "pending",
                Status::Approved => "approved",
                Status::Rejected => "rejected",
            }
        }

        pub fn parse(s: &str) -> Option<Status> {
            Status::ALL.into_iter().find(|t| t.as_str() == s)
        }

        /// What people read (sentence case, as GOV.UK tags are).
        pub const fn label(self) -> &'static str {
            match self {
                Status::Pending => "Pending",
                Status::Approved => "Approved",
                Status::Rejected => "Rejected",
            }
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Event {
        Approve,
        Reject,
    }

    /// Who decides: only the commissioning team; a provider user cannot decide its own
    /// request.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Actor {
        Provider,
        Team,
    }

    /// Where deciding `from` by `by` takes a request; `remarks` says whether remarks were
    /// written (a rejection must say why).
    pub fn next(from: Status, event: Event, by: Actor, remarks: bool) -> Result<Status, Refusal> {
        if by != Actor::Team {
            return Err(Refusal::NotYours(
                "The commissioning team decides requests.".into(),
            ));
        }
        if event == Event::Reject && !remarks {
            return Err(Refusal::Input {
                field: "remarks",
                message: "Enter remarks telling the provider why the request is rejected".into(),
            });
        }
        match from {
            Status::Pending => Ok(match event {
                Event::Approve => Status::Approved,
                Event::Reject => Status::Rejected,
            }),
            done => Err(Refusal::NotNow(format!(
                "This request was already {}.",
                done.as_str()
            ))),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_pending_request_is_decided_once_by_the_team() {
            assert_eq!(
                next(Status::Pending, Event::Approve, Actor::Team, false),
                Ok(Status::Approved)
            );
            assert_eq!(
                next(Status::Pending, Event::Reject, Actor::Team, true),
                Ok(Status::Rejected)
            );
            for done in [Status::Approved, Status::Rejected] {
                for e in [Event::Approve, Event::Reject] {
                    assert_eq!(
                        next(done, e, Actor::Team, true),
                        Err(Refusal::NotNow(format!(
                            "This request was already {}.",
                            done.as_str()
                        )))
                    );
                }
            }
            for from in Status::ALL {
                assert!(matches!(
                    next(from, Event::Approve, Actor::Provider, true),
                    Err(Refusal::NotYours(_))
                ));
            }
            assert!(matches!(
                next(Status::Pending, Event::Reject, Actor::Team, false),
                Err(Refusal::Input {
                    field: "remarks",
                    ..
                })
            ));
            for s in Status::ALL {
                assert_eq!(Status::parse(s.as_str()), Some(s));
            }
        }
    }
}

/// The workflow of a quarterly performance return (C4).
pub mod returns {
    use super::Refusal;

    /// Where a return is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Status {
        /// Sent by the provider, waiting to be checked.
        Received,
        Accepted,
        /// Sent back to be corrected.
        Incomplete,
        /// Sent back for the provider's explanation of its figures.
        ExplanationRequested,
        /// The provider explained, waiting to be checked again.
        Explained,
        /// Passed to the contracts manager to decide.
        Escalated,
        /// Decided with an action for the provider.
        ActionSet,
        /// A later return for the quarter took its place.
        Replaced,
    }

    impl Status {
        pub const ALL: [Status; 8] = [
            Status::Received,
            Status::Accepted,
            Status::Incomplete,
            Status::ExplanationRequested,
            Status::Explained,
            Status::Escalated,
            Status::ActionSet,
            Status::Replaced,
        ];

        /// The stored name.
        pub const fn as_str(self) -> &'static str {
            match self {
                Status::Received => "received",
                Status::Accepted => "accepted",
                Status::Incomplete => "incomplete",
                Status::ExplanationRequested => "explanation_requested",
                Status::Explained => "explained",
                Status::Escalated => "escalated",
                Status::ActionSet => "action_set",
                Status::Replaced => "replaced",
            }
        }

        pub fn parse(s: &str) -> Option<Status> {
            Status::ALL.into_iter().find(|t| t.as_str() == s)
        }

        /// What people read.
        pub fn label(self) -> &'static str {
            match self {
                Status::Received => "Received, to check",
                Status::Accepted => "Accepted",
                Status::Incomplete => "Returned as incomplete",
                Status::ExplanationRequested => "Explanation requested",
                Status::Explained => "Explained, to check",
                Status::Escalated => "Escalated to the contracts manager",
                Status::ActionSet => "Action set for the provider",
                Status::Replaced => "Replaced",
            }
        }

        /// In the officers' queue.
        pub fn waits_for_check(self) -> bool {
            matches!(
                self,
                Status::Received | Status::Explained | Status::Escalated
            )
        }

        /// Sent back to the provider, who answers with a corrected return.
        pub fn sent_back(self) -> bool {
            matches!(self, Status::Incomplete | Status::ExplanationRequested)
        }
    }

    /// Who acts on a return.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Actor {
        Provider,
        Officer,
        ContractsManager,
    }

    /// What can happen to a return.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Event {
        /// The provider records an explanation of its figures.
        Explain,
        /// The checking officer's decisions.
        Accept,
        MarkIncomplete,
        AskForExplanation,
        Escalate,
        SetAction,
    }

    impl Event {
        pub const ALL: [Event; 6] = [
            Event::Explain,
            Event::Accept,
            Event::MarkIncomplete,
            Event::AskForExplanation,
            Event::Escalate,
            Event::SetAction,
        ];
    }

    crate::enums::string_enum! {
        /// The checking officer's decision on a return, as the check form offers it; each is
        /// one [`Event`].
        pub enum Decision {
            error: ("decision_invalid", "Choose what to do with the return"),
            Accept => ("accept", "Accept"),
            MarkIncomplete => ("incomplete", "Return as incomplete"),
            AskForExplanation => ("explain", "Ask for an explanation"),
            Escalate => ("escalate", "Escalate the explanation to the contracts manager"),
            SetAction => ("action", "Set an action for the provider"),
        }
    }

    impl Decision {
        /// The move on the return this decision asks for.
        pub fn event(self) -> Event {
            match self {
                Decision::Accept => Event::Accept,
                Decision::MarkIncomplete => Event::MarkIncomplete,
                Decision::AskForExplanation => Event::AskForExplanation,
                Decision::Escalate => Event::Escalate,
                Decision::SetAction => Event::SetAction,
            }
        }
    }

    /// What a move depends on besides the state.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Facts {
        /// The provider's explanation is recorded (or, for `Explain`, is being given).
        pub explained: bool,
        /// Figures below (or above a maximum) trigger.
        pub breaches: usize,
        /// The return replaces one already accepted for the quarter.
        pub replaces_accepted: bool,
        /// The officer confirmed the replacement.
        pub replacement_confirmed: bool,
        /// The officer wrote remarks.
        pub remarks: bool,
    }

    /// The one place the rules of a return's checking are written: where `event` by `by`
    /// takes a return that is `from`, given `facts`.
    pub fn next(from: Status, event: Event, by: Actor, facts: Facts) -> Result<Status, Refusal> {
        let not_now = |what: &str| {
            Err(Refusal::NotNow(format!(
                "This return is {}: {what}",
                from.label().to_lowercase()
            )))
        };
        let input = |field: &'static str, message: &str| {
            Err(Refusal::Input {
                field,
                message: message.to_string(),
            })
        };
        if event == Event::Explain {
            if by != Actor::Provider {
                return Err(Refusal::NotYours(
                    "The provider gives the explanation of its figures.".into(),
                ));
            }
            if !facts.explained {
                return input(
                    "explanation",
                    "Explain why the figures are below their triggers",
                );
            }
            return match from {
                Status::Received => Ok(Status::Received),
                Status::ExplanationRequested => Ok(Status::Explained),
                _ => not_now("it cannot be explained now."),
            };
        }
        // Every other event is a checking decision.
        if by == Actor::Provider {
            return Err(Refusal::NotYours(
                "The commissioning team checks returns.".into(),
            ));
        }
        if !from.waits_for_check() {
            return not_now("there is nothing to check.");
        }
        if from == Status::Escalated && by != Actor::ContractsManager {
            return Err(Refusal::NotYours(
                "This return was escalated: the contracts manager decides it.".into(),
            ));
        }
        match event {
            Event::Accept => {
                if facts.breaches > 0 && !facts.explained {
                    return input("decision", "A figure is below its trigger: the return cannot be accepted until the provider's explanation is recorded. Ask for an explanation.");
                }
                if facts.replaces_accepted && !facts.replacement_confirmed {
                    return input("confirm_replacement", "This return replaces one already accepted for the quarter: confirm the replacement to accept it");
                }
                Ok(Status::Accepted)
            }
            Event::MarkIncomplete => {
                if !facts.remarks {
                    return input(
                        "remarks",
                        "Say what is missing or wrong so the provider can correct it",
                    );
                }
                Ok(Status::Incomplete)
            }
            Event::AskForExplanation => Ok(Status::ExplanationRequested),
            Event::Escalate => {
                if !facts.explained {
                    return input("decision", "Only a return with the provider's explanation can be escalated to the contracts manager");
                }
                Ok(Status::Escalated)
            }
            Event::SetAction => {
                if from == Status::Received && !facts.explained {
                    return input(
                        "decision",
                        "Ask for the provider's explanation before setting an action",
                    );
                }
                Ok(Status::ActionSet)
            }
            Event::Explain => not_now("it cannot be explained now."),
        }
    }

    /// What sending a new return for the quarter does to the one already there: None when
    /// there is none (or it was replaced), else whether the new one may be sent and what the
    /// old one becomes.
    pub fn on_resend(existing: Status) -> Result<Resend, Refusal> {
        match existing {
            // Accepted: the new one will replace it once it is accepted in turn.
            Status::Accepted => Ok(Resend::ReplacesOnAcceptance),
            // Sent back: the corrected return takes its place now.
            Status::Incomplete | Status::ExplanationRequested => Ok(Resend::ReplacesNow),
            Status::Received | Status::Explained | Status::Escalated => Err(Refusal::Input {
                field: "quarter",
                message: "A return for this quarter is already waiting to be checked".into(),
            }),
            // Decided with an action, or replaced: the new one stands on its own.
            Status::ActionSet | Status::Replaced => Ok(Resend::First),
        }
    }

    /// See [`on_resend`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Resend {
        First,
        ReplacesOnAcceptance,
        ReplacesNow,
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn facts() -> Facts {
            Facts {
                explained: true,
                breaches: 0,
                replaces_accepted: false,
                replacement_confirmed: false,
                remarks: true,
            }
        }

        /// Every (state, event, actor) with all facts favourable: exactly these moves exist.
        #[test]
        fn the_allowed_moves_and_only_those() {
            use Actor::*;
            use Event::*;
            use Status::*;
            let allowed: &[(Status, Event, Actor, Status)] = &[
                (Received, Explain, Provider, Received),
                (ExplanationRequested, Explain, Provider, Explained),
            ];
            let decisions = [
                (Accept, Accepted),
                (MarkIncomplete, Incomplete),
                (AskForExplanation, ExplanationRequested),
                (Escalate, Escalated),
                (SetAction, ActionSet),
            ];
            let mut expected: Vec<(Status, Event, Actor, Status)> = allowed.to_vec();
            for from in [Received, Explained] {
                for by in [Officer, ContractsManager] {
                    for (e, to) in decisions {
                        expected.push((from, e, by, to));
                    }
                }
            }
            for (e, to) in decisions {
                expected.push((Escalated, e, ContractsManager, to));
            }
            for from in Status::ALL {
                for event in Event::ALL {
                    for by in [Provider, Officer, ContractsManager] {
                        let want = expected
                            .iter()
                            .find(|(f, e, b, _)| *f == from && *e == event && *b == by)
                            .map(|m| m.3);
                        let got = next(from, event, by, facts()).ok();
                        assert_eq!(got, want, "{from:?} {event:?} by {by:?}");
                    }
                }
            }
        }

        #[test]
        fn refusals_say_why() {
            use Actor::*;
            use Event::*;
            use Status::*;
            let f = facts();
            assert!(matches!(
                next(Accepted, Accept, Officer, f),
                Err(Refusal::NotNow(m)) if m == "This return is accepted: there is nothing to check."
            ));
            assert!(matches!(
                next(Escalated, Accept, Officer, f),
                Err(Refusal::NotYours(m)) if m.contains("contracts manager decides")
            ));
            assert!(matches!(
                next(Received, Accept, Provider, f),
                Err(Refusal::NotYours(_))
            ));
            assert!(matches!(
                next(Received, Explain, Officer, f),
                Err(Refusal::NotYours(_))
            ));
            assert!(matches!(
                next(Accepted, Explain, Provider, f),
                Err(Refusal::NotNow(_))
            ));
            let field = |r: Result<Status, Refusal>| match r {
                Err(Refusal::Input { field, .. }) => field,
                other => panic!("expected an input refusal, got {other:?}"),
            };
            // A breach without an explanation cannot be accepted, escalated or actioned.
            let unexplained = Facts {
                explained: false,
                breaches: 1,
                ..f
            };
            assert_eq!(
                field(next(Received, Accept, Officer, unexplained)),
                "decision"
            );
            assert_eq!(
                field(next(Received, Escalate, Officer, unexplained)),
                "decision"
            );
            assert_eq!(
                field(next(Received, SetAction, Officer, unexplained)),
                "decision"
            );
            // ... but an explained one can have an action set without being asked again.
            assert_eq!(
                next(Explained, SetAction, Officer, unexplained),
                Ok(ActionSet)
            );
            // No breach: accepted without an explanation.
            let clean = Facts {
                explained: false,
                ..f
            };
            assert_eq!(next(Received, Accept, Officer, clean), Ok(Accepted));
            assert_eq!(
                field(next(
                    Received,
                    Accept,
                    Officer,
                    Facts {
                        replaces_accepted: true,
                        ..f
                    }
                )),
                "confirm_replacement"
            );
            assert_eq!(
                next(
                    Received,
                    Accept,
                    Officer,
                    Facts {
                        replaces_accepted: true,
                        replacement_confirmed: true,
                        ..f
                    }
                ),
                Ok(Accepted)
            );
            assert_eq!(
                field(next(
                    Received,
                    MarkIncomplete,
                    Officer,
                    Facts {
                        remarks: false,
                        ..f
                    }
                )),
                "remarks"
            );
            assert_eq!(
                field(next(
                    Received,
                    Explain,
                    Provider,
                    Facts {
                        explained: false,
                        ..f
                    }
                )),
                "explanation"
            );
        }

        #[test]
        fn names_and_decisions_parse_back() {
            for s in Status::ALL {
                assert_eq!(Status::parse(s.as_str()), Some(s));
            }
            assert_eq!(Status::parse("nonsense"), None);
            assert_eq!(Decision::parse("accept").unwrap().event(), Event::Accept);
            assert_eq!(Decision::parse("action").unwrap().event(), Event::SetAction);
            assert_eq!(
                Decision::parse(" incomplete ").unwrap(),
                Decision::MarkIncomplete
            );
            // Every checking event has exactly one decision, and the provider's own event none.
            let events: Vec<Event> = Decision::ALL.iter().map(|d| d.event()).collect();
            for e in Event::ALL {
                assert_eq!(
                    events.iter().filter(|x| **x == e).count(),
                    usize::from(e != Event::Explain),
                    "{e:?}"
                );
            }
            for d in Decision::ALL {
                assert_eq!(Decision::parse(d.as_str()).unwrap(), *d);
            }
        }

        #[test]
        fn decisions_refuse_anything_else_with_the_forms_message() {
            for bad in [
                "",
                " ",
                "delete",
                "Accept",
                "ACCEPT",
                "reject",
                "explained",
                "accept;1",
            ] {
                let e = Decision::parse(bad).unwrap_err();
                assert_eq!(e.code, "decision_invalid", "{bad:?}");
                assert_eq!(e.message, "Choose what to do with the return", "{bad:?}");
            }
        }

        #[test]
        fn a_new_return_for_the_quarter() {
            assert_eq!(
                on_resend(Status::Accepted),
                Ok(Resend::ReplacesOnAcceptance)
            );
            assert_eq!(on_resend(Status::Incomplete), Ok(Resend::ReplacesNow));
            assert_eq!(
                on_resend(Status::ExplanationRequested),
                Ok(Resend::ReplacesNow)
            );
            assert_eq!(on_resend(Status::Replaced), Ok(Resend::First));
            assert_eq!(on_resend(Status::ActionSet), Ok(Resend::First));
            for waiting in [Status::Received, Status::Explained, Status::Escalated] {
                assert!(on_resend(waiting).is_err());
            }
        }
    }
}

/// The workflow of a payment run (C6, F6.2–F6.4): prepared as a job run, previewed, approved
/// by a second finance officer (four eyes), then committed once. A run whose records changed
/// since it was prepared is stale and must be prepared again; preparing a period again
/// supersedes the run before it.
pub mod payment_runs {
    use super::Refusal;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Status {
        /// Its job run is working out the lines.
        Preparing,
        /// Ready to preview and approve.
        Prepared,
        /// Approved by a second finance officer, waiting to be committed.
        Approved,
        /// Paid: its lines are written and can never change.
        Committed,
        /// Its records changed after it was prepared.
        Stale,
        /// A later preparation of the same period took its place.
        Superseded,
        /// Its preparation failed (the job run says why).
        Failed,
    }

    impl Status {
        pub const ALL: [Status; 7] = [
            Status::Preparing,
            Status::Prepared,
            Status::Approved,
            Status::Committed,
            Status::Stale,
            Status::Superseded,
            Status::Failed,
        ];

        pub const fn as_str(self) -> &'static str {
            match self {
                Status::Preparing => "preparing",
                Status::Prepared => "prepared",
                Status::Approved => "approved",
                Status::Committed => "committed",
                Status::Stale => "stale",
                Status::Superseded => "superseded",
                Status::Failed => "failed",
            }
        }

        pub fn parse(s: &str) -> Option<Status> {
            Status::ALL.into_iter().find(|t| t.as_str() == s)
        }

        pub const fn label(self) -> &'static str {
            match self {
                Status::Preparing => "Preparing",
                Status::Prepared => "Waiting for approval",
                Status::Approved => "Approved, not yet paid",
                Status::Committed => "Paid",
                Status::Stale => "Stale: prepare again",
                Status::Superseded => "Superseded",
                Status::Failed => "Failed",
            }
        }

        /// Still open: a later preparation of its period supersedes it.
        pub const fn is_open(self) -> bool {
            matches!(
                self,
                Status::Preparing | Status::Prepared | Status::Approved
            )
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Event {
        /// The job run finished working out the lines.
        Ready,
        /// The job run failed.
        Fail,
        Approve,
        Commit,
        /// The records it was prepared from changed.
        FoundStale,
        /// The period was prepared again.
        Supersede,
    }

    /// Who moves a run.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Actor {
        /// A finance officer; `prepared_it` when it is the one who prepared the run.
        Finance { prepared_it: bool },
        /// Anyone else of the authority.
        OtherStaff,
        /// Hearth itself (the job run, a check that found the run stale).
        Hearth,
    }

    /// What a move depends on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Facts {
        /// The run has lines that would be paid.
        pub payable: bool,
    }

    pub fn next(from: Status, event: Event, by: Actor, facts: Facts) -> Result<Status, Refusal> {
        let not_now = || {
            Err(Refusal::NotNow(format!(
                "This payment run is {}.",
                from.label().to_lowercase()
            )))
        };
        match event {
            Event::Ready | Event::Fail | Event::FoundStale | Event::Supersede => {
                if by != Actor::Hearth && event != Event::Supersede {
                    return Err(Refusal::NotYours("Only Hearth moves a run so.".into()));
                }
                match (event, from) {
                    (Event::Ready, Status::Preparing) => Ok(Status::Prepared),
                    (Event::Fail, Status::Preparing) => Ok(Status::Failed),
                    (Event::FoundStale, Status::Prepared | Status::Approved) => Ok(Status::Stale),
                    (Event::Supersede, s) if s.is_open() || s == Status::Stale => {
                        Ok(Status::Superseded)
                    }
                    _ => not_now(),
                }
            }
            Event::Approve | Event::Commit => {
                let Actor::Finance { prepared_it } = by else {
                    return Err(Refusal::NotYours(
                        "Only a finance officer approves and commits a payment run.".into(),
                    ));
                };
                match (event, from) {
                    (Event::Approve, Status::Prepared) => {
                        if prepared_it {
                            return Err(Refusal::NotYours(
                                "A payment run is approved by a finance officer other than the one who prepared it.".into(),
                            ));
                        }
                        if !facts.payable {
                            return Err(Refusal::NotNow(
                                "There is nothing to pay in this run.".into(),
                            ));
                        }
                        Ok(Status::Approved)
                    }
                    (Event::Commit, Status::Approved) => Ok(Status::Committed),
                    _ => not_now(),
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const PAYABLE: Facts = Facts { payable: true };

        #[test]
        fn every_move_of_a_payment_run() {
            let actors = [
                Actor::Finance { prepared_it: true },
                Actor::Finance { prepared_it: false },
                Actor::OtherStaff,
                Actor::Hearth,
            ];
            let events = [
                Event::Ready,
                Event::Fail,
                Event::Approve,
                Event::Commit,
                Event::FoundStale,
                Event::Supersede,
            ];
            let mut allowed = Vec::new();
            for from in Status::ALL {
                for event in events {
                    for by in actors {
                        if let Ok(to) = next(from, event, by, PAYABLE) {
                            allowed.push((from, event, by, to));
                        }
                    }
                }
            }
            use Actor::*;
            use Status::*;
            let other = Finance { prepared_it: false };
            let preparer = Finance { prepared_it: true };
            let mut expected = vec![
                (Preparing, Event::Ready, Hearth, Prepared),
                (Preparing, Event::Fail, Hearth, Failed),
                (Prepared, Event::Approve, other, Approved),
                (Approved, Event::Commit, preparer, Committed),
                (Approved, Event::Commit, other, Committed),
                (Prepared, Event::FoundStale, Hearth, Stale),
                (Approved, Event::FoundStale, Hearth, Stale),
            ];
            for s in [Preparing, Prepared, Approved, Stale] {
                for by in actors {
                    expected.push((s, Event::Supersede, by, Superseded));
                }
            }
            allowed.sort_by_key(|a| format!("{a:?}"));
            expected.sort_by_key(|a| format!("{a:?}"));
            assert_eq!(allowed, expected);
        }

        #[test]
        fn four_eyes_and_nothing_to_pay() {
            assert!(matches!(
                next(
                    Status::Prepared,
                    Event::Approve,
                    Actor::Finance { prepared_it: true },
                    PAYABLE
                ),
                Err(Refusal::NotYours(m)) if m.contains("other than the one who prepared it")
            ));
            assert!(matches!(
                next(
                    Status::Prepared,
                    Event::Approve,
                    Actor::Finance { prepared_it: false },
                    Facts { payable: false }
                ),
                Err(Refusal::NotNow(_))
            ));
            // Committed once: a second commit is refused.
            assert!(matches!(
                next(
                    Status::Committed,
                    Event::Commit,
                    Actor::Finance { prepared_it: false },
                    PAYABLE
                ),
                Err(Refusal::NotNow(m)) if m == "This payment run is paid."
            ));
            for s in Status::ALL {
                assert_eq!(Status::parse(s.as_str()), Some(s));
            }
        }
    }
}

/// The workflow of a provider's week of day activities actuals (F7.2): open while the provider
/// records what happened at each planned session, then confirmed by the provider, which fixes
/// the week for payment. After confirmation the provider changes nothing: a change goes by
/// request, and only the commissioning team's authorisation applies it.
/// A provider's request about day activities (a change of need, a session not planned, a
/// change to a confirmed week, a missing service line): raised by the provider, referred by
/// the team to the allocated social worker if need be, and decided by the team, which alone
/// changes the records.
pub mod day_requests {
    use super::Refusal;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Status {
        /// Raised by the provider: in the team's queue.
        Raised,
        /// Referred by the team to the allocated social worker.
        Referred,
        /// Authorised: the change is made.
        Authorised,
        /// Declined, with the reason: nothing changes.
        Declined,
    }

    impl Status {
        pub const ALL: [Status; 4] = [
            Status::Raised,
            Status::Referred,
            Status::Authorised,
            Status::Declined,
        ];

        pub const fn as_str(self) -> &'static str {
            match self {
                Status::Raised => "raised",
                Status::Referred => "referred",
                Status::Authorised => "authorised",
                Status::Declined => "declined",
            }
        }

        pub fn parse(s: &str) -> Option<Status> {
            Status::ALL.into_iter().find(|t| t.as_str() == s)
        }

        pub const fn label(self) -> &'static str {
            match self {
                Status::Raised => "With the team",
                Status::Referred => "Referred to the social worker",
                Status::Authorised => "Authorised",
                Status::Declined => "Declined",
            }
        }

        /// Still waiting for the team.
        pub const fn is_open(self) -> bool {
            matches!(self, Status::Raised | Status::Referred)
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Event {
        /// The team refers the request to the person's allocated social worker.
        Refer,
        /// The team records the social worker's authorisation, and the change is made.
        Authorise,
        /// The team declines it, with the reason.
        Decline,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Actor {
        Provider,
        Team,
    }

    /// What a move depends on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Facts {
        /// The team wrote what was decided (whose authorisation, or why not).
        pub note_given: bool,
        /// Whom to refer it to is known (an e-mail address).
        pub referee_given: bool,
    }

    pub fn next(from: Status, event: Event, by: Actor, facts: Facts) -> Result<Status, Refusal> {
        if by == Actor::Provider {
            return Err(Refusal::NotYours(
                "Only the team refers and decides a request: providers raise them.".into(),
            ));
        }
        if !from.is_open() {
            return Err(Refusal::NotNow(format!(
                "This request is {} already.",
                from.label().to_lowercase()
            )));
        }
        match event {
            Event::Refer if from == Status::Referred => Err(Refusal::NotNow(
                "This request is referred to the social worker already.".into(),
            )),
            Event::Refer if !facts.referee_given => Err(Refusal::Input {
                field: "referred_to",
                message: "Enter the allocated social worker's e-mail address".into(),
            }),
            Event::Refer => Ok(Status::Referred),
            Event::Authorise | Event::Decline if !facts.note_given => Err(Refusal::Input {
                field: "note",
                message: match event {
                    Event::Decline => "Say why the request is declined".into(),
                    _ => "Record the social worker's authorisation: who agreed it and when".into(),
                },
            }),
            Event::Authorise => Ok(Status::Authorised),
            Event::Decline => Ok(Status::Declined),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const READY: Facts = Facts {
            note_given: true,
            referee_given: true,
        };

        #[test]
        fn every_move_of_a_request() {
            let mut allowed = Vec::new();
            for from in Status::ALL {
                for event in [Event::Refer, Event::Authorise, Event::Decline] {
                    for by in [Actor::Provider, Actor::Team] {
                        if let Ok(to) = next(from, event, by, READY) {
                            allowed.push((from, event, to));
                        }
                    }
                }
            }
            assert_eq!(
                allowed,
                vec![
                    (Status::Raised, Event::Refer, Status::Referred),
                    (Status::Raised, Event::Authorise, Status::Authorised),
                    (Status::Raised, Event::Decline, Status::Declined),
                    (Status::Referred, Event::Authorise, Status::Authorised),
                    (Status::Referred, Event::Decline, Status::Declined),
                ]
            );
        }

        #[test]
        fn a_decision_needs_its_note_and_a_referral_its_address() {
            let none = Facts::default();
            assert!(matches!(
                next(Status::Raised, Event::Decline, Actor::Team, none),
                Err(Refusal::Input { field: "note", .. })
            ));
            assert!(matches!(
                next(Status::Raised, Event::Authorise, Actor::Team, none),
                Err(Refusal::Input { field: "note", .. })
            ));
            assert!(matches!(
                next(Status::Raised, Event::Refer, Actor::Team, none),
                Err(Refusal::Input {
                    field: "referred_to",
                    ..
                })
            ));
            assert!(matches!(
                next(Status::Raised, Event::Authorise, Actor::Provider, READY),
                Err(Refusal::NotYours(_))
            ));
        }
    }
}

pub mod day_weeks {
    use super::Refusal;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Status {
        /// Not confirmed yet: the provider records the sessions.
        Open,
        /// Confirmed by the provider: fixed for payment.
        Confirmed,
    }

    impl Status {
        pub const ALL: [Status; 2] = [Status::Open, Status::Confirmed];

        pub const fn as_str(self) -> &'static str {
            match self {
                Status::Open => "open",
                Status::Confirmed => "confirmed",
            }
        }

        pub fn parse(s: &str) -> Option<Status> {
            Status::ALL.into_iter().find(|t| t.as_str() == s)
        }

        pub const fn label(self) -> &'static str {
            match self {
                Status::Open => "Not confirmed",
                Status::Confirmed => "Confirmed",
            }
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Event {
        /// The provider records what happened at sessions.
        Record,
        /// The provider confirms the week's actuals are correct.
        Confirm,
        /// The team applies a change it authorised to a confirmed week.
        Amend,
    }

    /// Who moves a week.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Actor {
        /// A user of the provider (or, for a limited user, of the service).
        Provider,
        /// The commissioning team, who may change records.
        Team,
    }

    /// What a move depends on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Facts {
        /// Planned sessions with nothing recorded.
        pub unrecorded: usize,
        /// Sessions on the first day of an unplanned absence with no record of the family
        /// being contacted about the person's whereabouts and safety.
        pub family_not_contacted: usize,
        /// The week has ended (a week is confirmed only once it is over).
        pub ended: bool,
    }

    pub fn next(from: Status, event: Event, by: Actor, facts: Facts) -> Result<Status, Refusal> {
        match (event, by) {
            (Event::Record | Event::Confirm, Actor::Team) => Err(Refusal::NotYours(
                "The provider records and confirms its own actuals; the team authorises changes."
                    .into(),
            )),
            (Event::Amend, Actor::Provider) => Err(Refusal::NotYours(
                "After a week is confirmed, a change goes by request, and only the team's authorisation applies it."
                    .into(),
            )),
            (Event::Record, Actor::Provider) => match from {
                Status::Open => Ok(Status::Open),
                Status::Confirmed => Err(Refusal::NotNow(
                    "This week is confirmed: ask for a change by request.".into(),
                )),
            },
            (Event::Confirm, Actor::Provider) => match from {
                Status::Confirmed => Err(Refusal::NotNow("This week is confirmed already.".into())),
                Status::Open if !facts.ended => Err(Refusal::NotNow(
                    "A week is confirmed once it has ended.".into(),
                )),
                Status::Open if facts.unrecorded > 0 => Err(Refusal::Input {
                    field: "sessions",
                    message: format!(
                        "Record what happened at every planned session: {} not recorded",
                        crate::text::plural(facts.unrecorded, "is", "are")
                    ),
                }),
                Status::Open if facts.family_not_contacted > 0 => Err(Refusal::Input {
                    field: "sessions",
                    message: format!(
                        "Record who contacted the family, when, and what they said, on the first day of each unplanned absence: {} not recorded",
                        crate::text::plural(facts.family_not_contacted, "is", "are")
                    ),
                }),
                Status::Open => Ok(Status::Confirmed),
            },
            (Event::Amend, Actor::Team) => match from {
                Status::Confirmed => Ok(Status::Confirmed),
                Status::Open => Err(Refusal::NotNow(
                    "This week is not confirmed: the provider records it.".into(),
                )),
            },
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const READY: Facts = Facts {
            unrecorded: 0,
            family_not_contacted: 0,
            ended: true,
        };

        #[test]
        fn every_move_of_a_week() {
            let mut allowed = Vec::new();
            for from in Status::ALL {
                for event in [Event::Record, Event::Confirm, Event::Amend] {
                    for by in [Actor::Provider, Actor::Team] {
                        if let Ok(to) = next(from, event, by, READY) {
                            allowed.push((from, event, by, to));
                        }
                    }
                }
            }
            assert_eq!(
                allowed,
                vec![
                    (Status::Open, Event::Record, Actor::Provider, Status::Open),
                    (
                        Status::Open,
                        Event::Confirm,
                        Actor::Provider,
                        Status::Confirmed
                    ),
                    (
                        Status::Confirmed,
                        Event::Amend,
                        Actor::Team,
                        Status::Confirmed
                    ),
                ]
            );
        }

        #[test]
        fn a_week_is_confirmed_only_when_over_whole_and_with_each_family_contacted() {
            let confirm = |facts| next(Status::Open, Event::Confirm, Actor::Provider, facts);
            assert!(matches!(
                confirm(Facts {
                    ended: false,
                    ..READY
                }),
                Err(Refusal::NotNow(_))
            ));
            let Err(Refusal::Input { message, .. }) = confirm(Facts {
                unrecorded: 2,
                ..READY
            }) else {
                panic!()
            };
            assert!(message.ends_with("2 are not recorded"), "{message}");
            let Err(Refusal::Input { message, .. }) = confirm(Facts {
                family_not_contacted: 1,
                ..READY
            }) else {
                panic!()
            };
            assert!(
                message.contains("contacted the family") && message.ends_with("1 is not recorded")
            );
            assert_eq!(confirm(READY), Ok(Status::Confirmed));
            for s in Status::ALL {
                assert_eq!(Status::parse(s.as_str()), Some(s));
            }
        }
    }
}
