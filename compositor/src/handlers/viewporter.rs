//! wp_viewporter: clients scale and crop their buffers.

use smithay::delegate_viewporter;

use crate::state::State;

delegate_viewporter!(State);
