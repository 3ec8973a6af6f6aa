//! Koji's rule for the names of internal objects (channels, hosts, tags, ...): `verify_name_internal`.

use crate::config::HubConfig;
use crate::fault::{KojiError, KojiResult};

/// Names may not exceed `MaxNameLengthInternal` characters (0 = no limit). `RegexNameInternal` is not enforced:
/// the hub accepts the key and ignores it (see `config.rs`).
pub fn verify_internal(config: &HubConfig, name: &str) -> KojiResult<()> {
    let max = config.max_name_length_internal;
    if max != 0 && name.chars().count() > max {
        return Err(KojiError::generic(format!("Name {name} is too long. Max length is {max} characters")));
    }
    Ok(())
}
