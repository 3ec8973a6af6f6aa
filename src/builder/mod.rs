//! The builder side: the clients a builder daemon (the future Rust `kojid`, and `koji-sim`) uses to talk to
//! the hub. Task runners and buildroot backends arrive with the builder issue.
//!
//! - [`hub_client`]: async XML-RPC calls (`login`, `host.*`), as Koji's `ClientSession`.
//! - [`push`]: the push stream (`crate::protocol`): offers, cancels and wakes in, accepts and heartbeats out.

pub mod hub_client;
pub mod push;
