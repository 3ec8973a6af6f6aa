//! koji-rs: a Koji hub and builder, wire-compatible with Koji 1.36, built as an actor system.

pub mod actors;
pub mod auth;
pub mod builder;
pub mod builds;
pub mod config;
pub mod db;
pub mod fault;
pub mod lookup;
pub mod metrics;
pub mod packages;
pub mod repos;
pub mod rpc;
pub mod startup;
pub mod tags;
pub mod targets;
pub mod tasks;
pub mod users;
pub mod web;
pub mod xmlrpc;
