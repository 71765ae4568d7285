//! The restore path against a hostile app VM: whatever a client did before and while the
//! compositor was gone, if the live path accepted it, restoring it on a new compositor must
//! pass every check the live path makes and send only messages the protocol tables accept.

#![no_main]

use canopy_proxy::gui::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzzing::restore_after_crash(data);
});
