//! Selections (clipboard and primary). Offers go only to the focused client.

use smithay::wayland::selection::SelectionHandler;

use crate::state::State;

impl SelectionHandler for State {
    type SelectionUserData = ();
}
