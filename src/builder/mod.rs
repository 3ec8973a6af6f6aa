//! The builder side: the Rust `kojid` and the clients it (and `koji-sim`) uses to talk to the hub.
//!
//! - [`hub_client`]: async XML-RPC calls (`login`, `host.*`), as Koji's `ClientSession`.
//! - [`push`]: the push stream (`crate::protocol`): offers, cancels and wakes in, accepts and heartbeats out.
//! - [`config`]: what `kojid.conf` says.
//! - [`daemon`]: the main loop; one runner per running task.
//! - [`task`]: what a handler works with (subsession, `wait`, uploads, downloads, processes).
//! - [`tasks`]: the handler registry, one file per task method.
//! - [`buildroot`]: buildroots through a backend (`rpmbuild` on the host, or `mock`).
//! - [`upload`]: Koji's fast upload, and logs streamed while they grow.
//! - [`restart`]: graceful restart (`restart`/`restartVerify` tasks) and the re-exec.
//! - [`tls`]: the TLS connector of all of them (`cert`, `serverca`).

pub mod arches;
pub mod buildroot;
pub mod config;
pub mod daemon;
pub mod hub_client;
pub mod process;
pub mod push;
pub mod restart;
pub mod scm;
pub mod task;
pub mod tasks;
pub mod tls;
pub mod upload;
