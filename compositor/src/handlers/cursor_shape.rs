//! wp_cursor_shape: clients name a cursor shape instead of drawing one.

use smithay::delegate_cursor_shape;
use smithay::wayland::tablet_manager::TabletSeatHandler;

use crate::state::State;

impl TabletSeatHandler for State {}

delegate_cursor_shape!(State);
