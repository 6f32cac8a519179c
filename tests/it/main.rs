//! The integration tests, as one binary: a module per concern, the shared set-up in
//! `common`, linked once (44 binaries each linking the whole crate took minutes to link).

mod adversary;
mod auth_login;
mod bad_input;
#[cfg(all(feature = "cli", unix))]
mod cassettes;
mod chat_post_message;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_messages;
#[cfg(all(feature = "cli", unix))]
mod cli_on_call;
mod common;
mod connect;
mod contacts_delete;
mod contacts_endpoints;
mod contacts_resolve_conflicts;
mod contacts_search;
mod credentials_store;
mod docs;
mod e2e_fake;
mod error_bodies;
#[cfg(feature = "cli")]
mod fake_binary;
mod fake_contacts;
mod fake_profiles;
mod fake_rc_e2e;
mod fake_round3;
mod fake_scale;
mod fake_semantics;
mod fake_server;
mod fake_validation;
mod fake_widget;
mod first_hour;
mod load;
mod openapi;
mod outcome_json;
mod permissions;
mod plan_apply;
#[cfg(all(feature = "cli", unix))]
mod plan_cli;
mod promises;
mod request_options;
mod resolve_all;
mod robustness;
mod security;
#[cfg(all(feature = "cli", unix))]
mod service;
mod session_renewal;
mod soak;
#[cfg(all(feature = "cli", unix))]
mod terminal;
mod tracing_output;
mod tracing_relogin;
mod traits;
mod transport_and_time;
mod typed_mocks;
mod watch_incremental;
mod watch_long_run;
mod workflow;
