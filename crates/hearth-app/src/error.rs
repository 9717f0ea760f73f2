//! Errors with stable codes; the web layer renders them as an error summary or problem+json.

use hearth_domain::FieldError;

/// Field errors of a form, in the order of the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors(Vec::new())
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_string(), message.into()));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    /// Parses with `parse`; on failure records the message against `field`.
    pub fn check<T>(&mut self, field: &str, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.message);
                None
            }
        }
    }
    /// Ok(()) when empty, else the errors.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

/// A value parsed at the edge (a form, the JSON API, the command line) before it reaches a
/// use case: its refusal becomes the field error shown beside `field`, the same answer a use
/// case gives for a field it checks itself.
pub trait ForField<T> {
    fn for_field(self, field: &str) -> Result<T, AppError>;
}

impl<T> ForField<T> for Result<T, FieldError> {
    fn for_field(self, field: &str) -> Result<T, AppError> {
        self.map_err(|e| AppError::invalid(field, e.message))
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        write!(f, "{}", parts.join("; "))
    }
}

/// How a conflict came about: the API's problem `code`, chosen where the conflict is raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictCode {
    /// The request or action was already decided or done, perhaps by someone else a moment ago.
    AlreadyDecided,
    /// The record changed since the request was made, so applying it would overwrite that.
    Stale,
    /// Someone or something already holds it (a second login, an assignment only one contact
    /// may hold).
    Duplicate,
    /// The record's status does not allow it now.
    WrongState,
    /// Any other conflict (plain `conflict`).
    Other,
}

impl ConflictCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictCode::AlreadyDecided => "already_decided",
            ConflictCode::Stale => "stale",
            ConflictCode::Duplicate => "duplicate",
            ConflictCode::WrongState => "wrong_state",
            ConflictCode::Other => "conflict",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Missing, or outside what the principal may see (F2.7: answered as if it did not exist).
    #[error("not found")]
    NotFound,
    /// The principal may see the record but not do this (for example a read-only role writing).
    #[error("you do not have permission to do that")]
    Forbidden,
    /// Not signed in.
    #[error("sign in to continue")]
    Unauthenticated,
    #[error("there is a problem with what was entered: {0}")]
    Invalid(FieldErrors),
    /// The record is not in a state that allows this now; the code says how, for programs.
    #[error("{1}")]
    Conflict(ConflictCode, String),
    /// Too many attempts from this source: try again after this many seconds.
    #[error("too many attempts: try again in {retry_after} seconds")]
    TooMany { retry_after: i64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A stable code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Invalid(_) => "invalid",
            AppError::Conflict(..) => "conflict",
            AppError::TooMany { .. } => "too_many_requests",
            AppError::Internal(_) => "internal",
        }
    }

    /// The stable sub-code of a `Conflict`, for programs (the API's problem `code`); `None`
    /// for other errors.
    pub fn conflict_code(&self) -> Option<&'static str> {
        match self {
            AppError::Conflict(code, _) => Some(code.as_str()),
            _ => None,
        }
    }

    /// A move a workflow refused: bad input is a field error, anything else a conflict with
    /// `not_now` as its code (what "not in a state for this" means for that workflow).
    pub fn refused(r: hearth_domain::workflow::Refusal, not_now: ConflictCode) -> AppError {
        use hearth_domain::workflow::Refusal;
        match r {
            Refusal::Input { field, message } => AppError::invalid(field, message),
            Refusal::NotNow(m) => AppError::Conflict(not_now, m),
            Refusal::NotYours(m) => AppError::Conflict(ConflictCode::WrongState, m),
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        let mut e = FieldErrors::new();
        e.add(field, message);
        AppError::Invalid(e)
    }
}

impl From<hearth_store::StoreError> for AppError {
    fn from(e: hearth_store::StoreError) -> Self {
        AppError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{AppError, ConflictCode};

    #[test]
    fn conflict_codes_are_stable() {
        for (c, name) in [
            (ConflictCode::AlreadyDecided, "already_decided"),
            (ConflictCode::Stale, "stale"),
            (ConflictCode::Duplicate, "duplicate"),
            (ConflictCode::WrongState, "wrong_state"),
            (ConflictCode::Other, "conflict"),
        ] {
            let e = AppError::Conflict(c, "message".into());
            assert_eq!(e.conflict_code(), Some(name));
            assert_eq!(e.code(), "conflict");
            assert_eq!(e.to_string(), "message");
        }
        assert_eq!(AppError::NotFound.conflict_code(), None);
    }
}
