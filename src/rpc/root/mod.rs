//! Koji's RootExports: the top-level methods, one file per concern.

pub mod events;
pub mod listings;
pub mod misc;
pub mod packages;
pub mod repos;
pub mod tags;
pub mod targets;
pub mod users;

use super::registry::Registry;

pub fn register(r: &mut Registry) {
    events::register(r);
    listings::register(r);
    misc::register(r);
    packages::register(r);
    repos::register(r);
    tags::register(r);
    targets::register(r);
    users::register(r);
}
