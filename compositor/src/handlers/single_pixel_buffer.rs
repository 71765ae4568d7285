//! wp_single_pixel_buffer: one-colour buffers without shared memory.

use smithay::delegate_single_pixel_buffer;

use crate::state::State;

delegate_single_pixel_buffer!(State);
