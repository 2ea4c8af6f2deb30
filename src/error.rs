//! Errors with stable machine codes.
//!
//! Every failure the library reports is one [`Error`]; its [`Error::code`] is a
//! stable string (`BAD_PAYLOAD`, `BAD_ARGUMENT`, `STORAGE_FULL`, `STORAGE_IO`)
//! that the JS bindings copy onto the thrown `Error` object, so callers can
//! branch on it without parsing messages. Per-message problems are *not* errors:
//! they are recorded as rejections in the call's [`crate::Report`].

use std::fmt;

use crate::storage::{StorageError, StorageErrorKind};

/// A failure of a whole call. Nothing that was stored before the call is lost
/// when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The payload is not a batch the call understands (not JSON, not an
    /// array or object of the expected shape). Nothing was changed.
    BadPayload(String),
    /// An argument other than the payload is invalid (unknown mode, malformed
    /// conversation id or cursor, zero limit, bad configuration).
    BadArgument(String),
    /// Storage refused a write for lack of space even after eviction and
    /// retry, or a single value cannot fit under the per-key limit.
    StorageFull(String),
    /// Storage failed for another reason (I/O error, unreadable value).
    StorageIo(String),
}

impl Error {
    /// The stable code the JS `Error` carries as `err.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadPayload(_) => "BAD_PAYLOAD",
            Error::BadArgument(_) => "BAD_ARGUMENT",
            Error::StorageFull(_) => "STORAGE_FULL",
            Error::StorageIo(_) => "STORAGE_IO",
        }
    }

    /// The human-readable part, without the code.
    pub fn message(&self) -> &str {
        match self {
            Error::BadPayload(m)
            | Error::BadArgument(m)
            | Error::StorageFull(m)
            | Error::StorageIo(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Error {}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e.kind {
            StorageErrorKind::KeyTooLarge | StorageErrorKind::Quota => {
                Error::StorageFull(e.message)
            }
            StorageErrorKind::Io => Error::StorageIo(e.message),
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
