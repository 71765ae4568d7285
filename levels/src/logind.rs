//! logind's `Session.SetBrightness` on the system bus: how an unprivileged session changes its
//! seat's backlight. One connection, made on first use and kept.

use std::sync::OnceLock;

use zbus::blocking::Connection;

static BUS: OnceLock<Result<Connection, String>> = OnceLock::new();

/// Set the raw brightness of backlight `device` through this process's logind session; an error
/// when there is no system bus, no session, or logind refuses.
pub fn set_brightness(device: &str, value: u64) -> Result<(), String> {
    let bus = BUS.get_or_init(|| Connection::system().map_err(|e| format!("no system bus: {e}")));
    let bus = bus.as_ref().map_err(Clone::clone)?;
    let value = u32::try_from(value).map_err(|_| format!("brightness {value} is out of range"))?;
    bus.call_method(
        Some("org.freedesktop.login1"),
        "/org/freedesktop/login1/session/auto",
        Some("org.freedesktop.login1.Session"),
        "SetBrightness",
        &("backlight", device, value),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}
