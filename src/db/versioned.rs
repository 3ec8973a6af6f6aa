//! Koji's event-versioned tables: a row is current while `active` is TRUE; as of an event it is the row created at
//! or before the event and not yet revoked by then.

use super::query::Select;

/// Restricts `table` to its current rows, or to the rows in force at `event`.
pub fn in_force(q: &mut Select, table: &str, event: Option<i32>) {
    match event {
        None => {
            q.condition(&format!("{table}.active = TRUE"));
        }
        Some(e) => {
            q.filter(
                &format!("{table}.create_event <= $? AND ({table}.revoke_event IS NULL OR $? < {table}.revoke_event)"),
                e,
            );
        }
    }
}
