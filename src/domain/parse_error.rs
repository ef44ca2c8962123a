//! The one error every domain type returns when its input is rejected.

/// Why a value was rejected, as a short lowercase sentence a user can act on.
///
/// The reason never repeats the rejected value: callers add it together with
/// the file, line or field it came from, and values may be personal data that
/// must not end up in logs twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    pub reason: String,
}

impl ParseError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_displays_only_its_reason() {
        let error = ParseError::new("the address has no @");
        assert_eq!(error.to_string(), "the address has no @");
    }
}
