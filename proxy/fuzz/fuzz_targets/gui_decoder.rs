//! The GUI side's view of bytes from a hostile app VM: any input must end in a clean violation
//! or be accepted, never panic, hang or touch memory outside its pools.

#![no_main]

use canopy_proxy::gui::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzzing::feed_after_preamble(data);
});
