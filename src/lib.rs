//! koji-rs: a Koji hub and builder, wire-compatible with Koji 1.36, built as an actor system.

pub mod actors;
pub mod auth;
pub mod builder;
pub mod buildroots;
pub mod builds;
pub mod channels;
pub mod config;
pub mod db;
pub mod events;
pub mod fault;
pub mod history;
pub mod hosts;
pub mod lookup;
pub mod metrics;
pub mod names;
pub mod notify;
pub mod packages;
pub mod protocol;
pub mod rpc;
pub mod scheduler;
pub mod startup;
pub mod tasks;
pub mod users;
pub mod web;
pub mod xmlrpc;
