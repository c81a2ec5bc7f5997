//! The one public error type: a kind, a lowercase message naming the thing
//! (path, object id, row), an optional hint saying what to do, and the
//! underlying cause. Operational failures only: bad evidence found by an
//! audit is a finding (see `audit`), never an `Error`.
//!
//! Must not: print, exit, or carry presentation (the binary renders).

use std::fmt;
use std::path::Path;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure this is. Every kind exits 2 (usage or operational
/// error) except `Integrity`, which exits 1 like a finding: the bytes or
/// signatures failed verification (see `exit_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The user asked for something impossible (bad flag combination, bad id).
    Usage,
    /// A named thing (path, item, object, key) does not exist.
    NotFound,
    /// Something the user gave (file, key file, passphrase) is malformed.
    InvalidInput,
    /// The target already exists and must not be overwritten.
    AlreadyExists,
    /// The directory or database is not a custody archive, or is too new.
    NotAnArchive,
    /// A filesystem or device error.
    Io,
    /// The device is full.
    NoSpace,
    /// SQLite failed.
    Database,
    /// The archive is read-only (a read-only mount or no write permission).
    ReadOnly,
    /// Bytes read back did not match their name or signature.
    Integrity,
    /// A secret could not be unlocked (wrong passphrase, corrupt key file).
    Crypto,
}

/// The library's error: kind, message, optional hint and cause.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ErrorKind {
    /// The process exit code for a failure of this kind: 1 when evidence
    /// failed verification (`Integrity`), 2 for everything else.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Integrity => 1,
            _ => 2,
        }
    }
}

impl Error {
    /// A new error of `kind` whose message names the thing that failed.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner { kind, message: message.into(), hint: None, source: None }))
    }

    /// Attach what the user can do about it.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    /// Attach the underlying cause.
    #[must_use]
    pub fn source_err(mut self, err: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(err));
        self
    }

    /// An I/O error about `path`; ENOSPC becomes [`ErrorKind::NoSpace`].
    pub fn io(what: &str, path: &Path, err: std::io::Error) -> Self {
        if err.raw_os_error() == Some(28) || err.kind() == std::io::ErrorKind::StorageFull {
            return Error::new(
                ErrorKind::NoSpace,
                format!("no space left on device ({what} {})", crate::text::shown(path)),
            )
            .hint("free some space and run the command again; nothing partial was kept")
            .source_err(err);
        }
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                ErrorKind::ReadOnly
            }
            _ => ErrorKind::Io,
        };
        Error::new(kind, format!("{what} {}", crate::text::shown(path))).source_err(err)
    }

    /// A database error with what was being done.
    pub fn db(
        what: impl Into<String>,
        err: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::new(ErrorKind::Database, what).source_err(err)
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message without cause or hint.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// What the user can do, if known.
    pub fn hint_text(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        if let Some(src) = &self.0.source {
            write!(f, ": {src}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        if let Some(h) = &self.0.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_integrity_errors_exit_1() {
        assert_eq!(ErrorKind::Integrity.exit_code(), 1);
        for k in [ErrorKind::Usage, ErrorKind::NotFound, ErrorKind::Io, ErrorKind::Crypto] {
            assert_eq!(k.exit_code(), 2, "{k:?}");
        }
    }
}
