//! zwp_text_input_v3: input methods.

use smithay::delegate_text_input_manager;

use crate::state::State;

delegate_text_input_manager!(State);
