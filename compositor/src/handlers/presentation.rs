//! wp_presentation: when frames were shown, for video and latency-aware clients.

use smithay::delegate_presentation;

use crate::state::State;

delegate_presentation!(State);
