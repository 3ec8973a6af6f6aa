//! Koji's RootExports: the top-level methods, one file per concern.

pub mod listings;
pub mod misc;
pub mod tasks;
pub mod users;

use super::registry::Registry;

pub fn register(r: &mut Registry) {
    listings::register(r);
    misc::register(r);
    tasks::register(r);
    users::register(r);
}
