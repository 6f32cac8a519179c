//! One module per command. Each returns whether the job is done (exit code 0) or not (1);
//! an `Err` is a failure to run at all.

pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod plan;
pub(crate) mod resolve;
pub(crate) mod review;
pub(crate) mod watch;

pub(crate) type BoxError = Box<dyn std::error::Error>;
