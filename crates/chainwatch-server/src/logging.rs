//! What a response carries for the access log: the name of the token it answered (for
//! refusals too), and the cause of a failure of ours.

/// The token name a response answered, for the access log.
#[derive(Debug, Clone)]
pub(crate) struct TokenName(pub(crate) String);

/// The cause of a 5xx answer, for the access log.
#[derive(Debug, Clone)]
pub(crate) struct Cause(pub(crate) String);
