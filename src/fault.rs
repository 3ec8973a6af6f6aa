//! Koji's fault classes (`koji/__init__.py`), as one error type.
//!
//! Every application error the hub reports travels as an XML-RPC fault with HTTP 200; the stock client maps the
//! fault code back to the Python exception class of the same code, and the CLI matches on some messages
//! (`Invalid method`, `got an unexpected keyword argument`), so codes and texts follow Koji's.

use crate::xmlrpc::ValueError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KojiError {
    #[error("{0}")]
    Generic(String),
    #[error("{0}")]
    Lock(String),
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Tag(String),
    #[error("{0}")]
    ActionNotAllowed(String),
    #[error("{0}")]
    Build(String),
    #[error("{0}")]
    AuthLock(String),
    #[error("{0}")]
    AuthExpired(String),
    #[error("{0}")]
    Sequence(String),
    #[error("{0}")]
    Retry(String),
    #[error("{0}")]
    ServerOffline(String),
    #[error("{0}")]
    Parameter(String),
    #[error("{0}")]
    Import(String),
    #[error("{0}")]
    Configuration(String),
    #[error("{0}")]
    NameValidation(String),
    /// A fault with any code, passed through as stored (a failed task's result re-raised by `getTaskResult`).
    #[error("{message}")]
    Fault { code: i32, message: String },
    /// Not a Koji error class: Koji answers code 1 for unexpected exceptions.
    #[error("{0}")]
    Internal(String),
}

impl KojiError {
    /// The `faultCode` the stock client maps back to its exception class.
    pub fn code(&self) -> i32 {
        match self {
            KojiError::Generic(_) => 1000,
            KojiError::Lock(_) => 1001,
            KojiError::Auth(_) => 1002,
            KojiError::Tag(_) => 1003,
            KojiError::ActionNotAllowed(_) => 1004,
            KojiError::Build(_) => 1005,
            KojiError::AuthLock(_) => 1006,
            KojiError::AuthExpired(_) => 1007,
            KojiError::Sequence(_) => 1008,
            KojiError::Retry(_) => 1009,
            KojiError::ServerOffline(_) => 1014,
            KojiError::Parameter(_) => 1019,
            KojiError::Import(_) => 1020,
            KojiError::Configuration(_) => 1021,
            KojiError::NameValidation(_) => 1024,
            KojiError::Fault { code, .. } => *code,
            KojiError::Internal(_) => 1,
        }
    }

    pub fn generic(msg: impl Into<String>) -> Self {
        KojiError::Generic(msg.into())
    }
    pub fn not_allowed(msg: impl Into<String>) -> Self {
        KojiError::ActionNotAllowed(msg.into())
    }
    pub fn param(msg: impl Into<String>) -> Self {
        KojiError::Parameter(msg.into())
    }
}

impl From<ValueError> for KojiError {
    fn from(e: ValueError) -> Self {
        KojiError::Parameter(e.0)
    }
}

/// Database failures are internal: the message is logged, the client sees a generic fault without SQL details.
impl From<tokio_postgres::Error> for KojiError {
    fn from(e: tokio_postgres::Error) -> Self {
        tracing::error!(error = %e, "database error");
        KojiError::Internal("<class 'koji_rs.DatabaseError'>: database error".into())
    }
}

impl From<deadpool_postgres::PoolError> for KojiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        tracing::error!(error = %e, "database pool error");
        KojiError::ServerOffline("database outage".into())
    }
}

pub type KojiResult<T> = Result<T, KojiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_koji_classes() {
        assert_eq!(KojiError::generic("x").code(), 1000);
        assert_eq!(KojiError::Auth("x".into()).code(), 1002);
        assert_eq!(KojiError::not_allowed("x").code(), 1004);
        assert_eq!(KojiError::AuthExpired("x".into()).code(), 1007);
        assert_eq!(KojiError::Sequence("x".into()).code(), 1008);
        assert_eq!(KojiError::Retry("x".into()).code(), 1009);
        assert_eq!(KojiError::param("x").code(), 1019);
        assert_eq!(KojiError::NameValidation("x".into()).code(), 1024);
    }
}
