//! Which messages the restore cares about, by interface and message name (checked against the
//! wayland-scanner tables in the tests below): those that carry a compositor serial, and the
//! requests that set state which stays until set again (replayed on a new connection).

/// The argument that is a compositor serial, for requests (`Dir::Request`) and events.
///
/// Not here, on purpose: `wl_callback.done` (frame time, or libwayland's display serial that no
/// request takes back) and `zwp_text_input_v3.done` (the client's own commit count, mapped
/// apart in `model`).
pub fn serial_arg(interface: &str, message: &str, request: bool) -> Option<usize> {
    Some(match (request, interface, message) {
        (true, "wl_pointer", "set_cursor") => 0,
        (true, "wl_data_offer", "accept") => 0,
        (true, "wl_data_device", "start_drag") => 3,
        (true, "wl_data_device", "set_selection") => 1,
        (true, "zwp_primary_selection_device_v1", "set_selection") => 1,
        (true, "xdg_wm_base", "pong") => 0,
        (true, "xdg_positioner", "set_parent_configure") => 0,
        (true, "xdg_surface", "ack_configure") => 0,
        (true, "xdg_toplevel", "show_window_menu" | "move" | "resize") => 1,
        (true, "xdg_popup", "grab") => 1,
        (true, "xdg_activation_token_v1", "set_serial") => 0,
        (true, "wp_cursor_shape_device_v1", "set_shape") => 0,
        (false, "wl_pointer", "enter" | "leave" | "button") => 0,
        (false, "wl_keyboard", "enter" | "leave" | "key" | "modifiers") => 0,
        (false, "wl_touch", "down" | "up") => 0,
        (false, "wl_data_device", "enter") => 0,
        (false, "xdg_wm_base", "ping") => 0,
        (false, "xdg_surface", "configure") => 0,
        _ => return None,
    })
}

/// The state slot a request writes: the last request of each slot is what a new connection
/// gets. Requests of one slot replace each other (set/unset pairs share one).
///
/// Not slots: wl_surface (double-buffered, kept in `model::SurfaceRec`), region rectangles and
/// data-source MIME types (they add up), subsurface stacking (a list per parent),
/// maximised/fullscreen (taken from the last configure, which also says what the compositor or
/// the user decided), and everything that carries a serial (stale on a new connection).
pub fn slot(interface: &str, request: &str) -> Option<u8> {
    Some(match (interface, request) {
        ("wl_subsurface", "set_position") => 0,
        ("wl_subsurface", "set_sync" | "set_desync") => 1,
        ("xdg_positioner", "set_size") => 0,
        ("xdg_positioner", "set_anchor_rect") => 1,
        ("xdg_positioner", "set_anchor") => 2,
        ("xdg_positioner", "set_gravity") => 3,
        ("xdg_positioner", "set_constraint_adjustment") => 4,
        ("xdg_positioner", "set_offset") => 5,
        ("xdg_positioner", "set_reactive") => 6,
        ("xdg_positioner", "set_parent_size") => 7,
        ("xdg_surface", "set_window_geometry") => 0,
        ("xdg_toplevel", "set_parent") => 0,
        ("xdg_toplevel", "set_title") => 1,
        ("xdg_toplevel", "set_app_id") => 2,
        ("xdg_toplevel", "set_max_size") => 3,
        ("xdg_toplevel", "set_min_size") => 4,
        ("xdg_toplevel", "set_fullscreen" | "unset_fullscreen") => 5,
        ("wp_viewport", "set_source") => 0,
        ("wp_viewport", "set_destination") => 1,
        ("zxdg_toplevel_decoration_v1", "set_mode" | "unset_mode") => 0,
        ("org_kde_kwin_server_decoration", "request_mode") => 0,
        ("wl_data_source", "set_actions") => 0,
        ("xdg_activation_token_v1", "set_app_id") => 0,
        ("xdg_activation_token_v1", "set_surface") => 1,
        _ => return None,
    })
}

/// Events a re-created object gets from a new compositor that its client has already seen and
/// must not see twice (the protocol sends them once per object). Swallowed while restoring.
pub fn sent_once(interface: &str, event: &str) -> bool {
    matches!(
        (interface, event),
        ("wl_seat", "name")
            | ("wl_output", "name")
            | ("zxdg_output_v1", "name")
            | ("wl_shm", "format")
            | ("wp_presentation", "clock_id")
            | ("org_kde_kwin_server_decoration_manager", "default_mode")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wayland_client::backend::protocol::ArgumentType;

    #[test]
    fn serial_arguments_are_uints_of_real_messages() {
        let all = crate::gui::restore::interfaces();
        let mut found = 0;
        for iface in all {
            for (request, list) in [(true, iface.requests), (false, iface.events)] {
                for m in list {
                    if let Some(at) = serial_arg(iface.name, m.name, request) {
                        assert_eq!(m.signature.get(at), Some(&ArgumentType::Uint), "{}.{}", iface.name, m.name);
                        found += 1;
                    }
                }
            }
        }
        // Every entry of the table names a message of an interface the proxy lets through.
        assert_eq!(found, 26);
    }

    #[test]
    fn slots_name_real_requests_without_serials_or_fds() {
        let all = crate::gui::restore::interfaces();
        let mut found = 0;
        for iface in all {
            for m in iface.requests {
                if slot(iface.name, m.name).is_some() {
                    found += 1;
                    assert!(!m.is_destructor && m.child_interface.is_none(), "{}.{}", iface.name, m.name);
                    assert!(serial_arg(iface.name, m.name, true).is_none(), "{}.{}", iface.name, m.name);
                    assert!(!m.signature.contains(&ArgumentType::Fd), "{}.{}", iface.name, m.name);
                }
            }
        }
        assert_eq!(found, 27);
        let sent_once_found = all
            .iter()
            .flat_map(|i| i.events.iter().map(move |e| (i.name, e.name)))
            .filter(|(i, e)| sent_once(i, e))
            .count();
        assert_eq!(sent_once_found, 6);
    }
}
