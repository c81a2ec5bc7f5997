//! Fuzz target: `custody::fuzzing::bag` (see src/fuzzing.rs).
//!
//! Must not: do anything but hand the input to the library.

fn main() {
    afl::fuzz!(|data: &[u8]| custody::fuzzing::bag(data));
}
