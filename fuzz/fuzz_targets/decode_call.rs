#![no_main]

use libfuzzer_sys::fuzz_target;

// Any byte string must either decode or return a DecodeError: never panic, never overflow
// the stack, never hang.
fuzz_target!(|data: &[u8]| {
    let _ = koji_rs::xmlrpc::parse_method_call(data, Default::default());
});
