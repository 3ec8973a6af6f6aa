//! Koji's RootExports: the top-level methods, one file per concern.

pub mod build_tasks;
pub mod buildroots;
pub mod builds;
pub mod channels;
pub mod groups;
pub mod history;
pub mod hosts;
pub mod imports;
pub mod listings;
pub mod misc;
pub mod packages;
pub mod repos;
pub mod restart;
pub mod rpms;
pub mod search;
pub mod tagging;
pub mod tags;
pub mod targets;
pub mod tasks;
pub mod users;

use super::registry::Registry;

pub fn register(r: &mut Registry) {
    build_tasks::register(r);
    buildroots::register(r);
    builds::register(r);
    channels::register(r);
    groups::register(r);
    history::register(r);
    hosts::register(r);
    imports::register(r);
    listings::register(r);
    misc::register(r);
    packages::register(r);
    repos::register(r);
    restart::register(r);
    rpms::register(r);
    search::register(r);
    tagging::register(r);
    tags::register(r);
    targets::register(r);
    tasks::register(r);
    users::register(r);
}
