//! A job run's status as a small state machine: long work is a run kept in the database
//! (queued, then running on one node under a lease, then done, failed or cancelled).
//!
//! ```text
//!            claim              finish
//!   queued ---------> running ---------> done
//!     |               |  ^  |
//!     | cancel        |  |  | fail (an error, or the lease ran out with no attempts left)
//!     v               |  |  v
//!  cancelled <--------+  |  failed
//!            cancel      |
//!                        reclaim (the lease ran out: the node died; attempts left)
//! ```
//!
//! Done, failed and cancelled are final: nothing moves a run on from them.

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Waiting for a node to claim it.
    Queued,
    /// Claimed by a node, which holds its lease and beats its heartbeat.
    Running,
    /// Finished, with its result.
    Done,
    /// Gave up, with the error.
    Failed,
    /// Stopped by a person before it finished.
    Cancelled,
}

/// What happens to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunEvent {
    /// A node takes a queued run.
    Claim,
    /// A node takes a running run whose lease has run out (its node died) and resumes it from
    /// its checkpoint.
    Reclaim,
    /// The node holding the lease finished the work.
    Finish,
    /// The work failed, or its lease ran out once too often.
    Fail,
    /// A person stopped it.
    Cancel,
}

/// A move the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusedTransition {
    pub from: RunStatus,
    pub event: RunEvent,
}

impl std::fmt::Display for RefusedTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a {} run cannot {}",
            self.from.label().to_lowercase(),
            self.event.verb()
        )
    }
}

impl RunEvent {
    pub const ALL: [RunEvent; 5] = [
        RunEvent::Claim,
        RunEvent::Reclaim,
        RunEvent::Finish,
        RunEvent::Fail,
        RunEvent::Cancel,
    ];

    fn verb(self) -> &'static str {
        match self {
            RunEvent::Claim => "be claimed",
            RunEvent::Reclaim => "be taken over",
            RunEvent::Finish => "finish",
            RunEvent::Fail => "fail",
            RunEvent::Cancel => "be cancelled",
        }
    }
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Done,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    /// The stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Queued => "Queued",
            RunStatus::Running => "Running",
            RunStatus::Done => "Done",
            RunStatus::Failed => "Failed",
            RunStatus::Cancelled => "Cancelled",
        }
    }

    /// Queued or running: the work is still to do or being done.
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }

    /// Done, failed or cancelled: nothing moves it on.
    pub fn is_final(self) -> bool {
        !self.is_active()
    }

    /// The status after `event`, or the refusal.
    pub fn next(self, event: RunEvent) -> Result<RunStatus, RefusedTransition> {
        use RunEvent::*;
        use RunStatus::*;
        match (self, event) {
            (Queued, Claim) => Ok(Running),
            (Queued, Cancel) => Ok(Cancelled),
            (Running, Reclaim) => Ok(Running),
            (Running, Finish) => Ok(Done),
            (Running, Fail) => Ok(Failed),
            (Running, Cancel) => Ok(Cancelled),
            (from, event) => Err(RefusedTransition { from, event }),
        }
    }
}

/// Work done as a whole percentage (rounded down, so 100 means all of it), or None while the
/// total is not known.
pub fn percent(done: i64, total: Option<i64>) -> Option<i64> {
    match total {
        Some(t) if t > 0 => Some((done.clamp(0, t) * 100) / t),
        Some(_) => Some(100),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::RunEvent::*;
    use super::RunStatus::*;
    use super::*;

    #[test]
    fn every_allowed_transition() {
        assert_eq!(Queued.next(Claim), Ok(Running));
        assert_eq!(Queued.next(Cancel), Ok(Cancelled));
        assert_eq!(Running.next(Reclaim), Ok(Running));
        assert_eq!(Running.next(Finish), Ok(Done));
        assert_eq!(Running.next(Fail), Ok(Failed));
        assert_eq!(Running.next(Cancel), Ok(Cancelled));
    }

    #[test]
    fn every_refused_transition() {
        let refused = [
            (Queued, Reclaim),
            (Queued, Finish),
            (Queued, Fail),
            (Running, Claim),
            (Done, Claim),
            (Done, Reclaim),
            (Done, Finish),
            (Done, Fail),
            (Done, Cancel),
            (Failed, Claim),
            (Failed, Reclaim),
            (Failed, Finish),
            (Failed, Fail),
            (Failed, Cancel),
            (Cancelled, Claim),
            (Cancelled, Reclaim),
            (Cancelled, Finish),
            (Cancelled, Fail),
            (Cancelled, Cancel),
        ];
        for (from, event) in refused {
            assert_eq!(
                from.next(event),
                Err(RefusedTransition { from, event }),
                "{from:?} {event:?}"
            );
        }
        // Together with the six allowed ones, that is every pair.
        assert_eq!(
            refused.len() + 6,
            RunStatus::ALL.len() * RunEvent::ALL.len()
        );
        assert_eq!(
            Done.next(Cancel).unwrap_err().to_string(),
            "a done run cannot be cancelled"
        );
    }

    #[test]
    fn final_states_are_the_ones_nothing_leaves() {
        for s in RunStatus::ALL {
            let leaves = RunEvent::ALL.iter().any(|e| s.next(*e).is_ok());
            assert_eq!(leaves, s.is_active(), "{s:?}");
            assert_eq!(s.is_final(), !s.is_active());
        }
    }

    #[test]
    fn codes_parse_back() {
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RunStatus::parse("paused"), None);
    }

    #[test]
    fn percentages_round_down_and_stay_in_bounds() {
        assert_eq!(percent(0, Some(10)), Some(0));
        assert_eq!(percent(3, Some(10)), Some(30));
        assert_eq!(percent(2, Some(3)), Some(66));
        assert_eq!(percent(12, Some(10)), Some(100));
        assert_eq!(percent(-1, Some(10)), Some(0));
        assert_eq!(percent(0, Some(0)), Some(100));
        assert_eq!(percent(5, None), None);
    }
}
