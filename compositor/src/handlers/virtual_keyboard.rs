//! zwp_virtual_keyboard_v1: on-screen keyboards of the GUI VM; hidden from VMs, which could otherwise type into other windows.

use smithay::delegate_virtual_keyboard_manager;

use crate::state::State;

delegate_virtual_keyboard_manager!(State);
