//! The names and SVG sources of canopy's own icons (assets/icons), built into every binary that
//! needs them: the shell draws them, and hostd's and the launcher's config checks refuse an icon
//! name that is not one of them.

/// The icons built into the binaries, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("app", include_str!("../../assets/icons/app.svg")),
    ("android", include_str!("../../assets/icons/android.svg")),
    ("battery", include_str!("../../assets/icons/battery.svg")),
    ("bell", include_str!("../../assets/icons/bell.svg")),
    ("bell-off", include_str!("../../assets/icons/bell-off.svg")),
    ("browser", include_str!("../../assets/icons/browser.svg")),
    ("charging", include_str!("../../assets/icons/charging.svg")),
    ("close", include_str!("../../assets/icons/close.svg")),
    ("keyboard", include_str!("../../assets/icons/keyboard.svg")),
    ("launcher", include_str!("../../assets/icons/launcher.svg")),
    ("lock", include_str!("../../assets/icons/lock.svg")),
    ("logout", include_str!("../../assets/icons/logout.svg")),
    ("pdf", include_str!("../../assets/icons/pdf.svg")),
    ("power", include_str!("../../assets/icons/power.svg")),
    ("reboot", include_str!("../../assets/icons/reboot.svg")),
    ("search", include_str!("../../assets/icons/search.svg")),
    ("shield", include_str!("../../assets/icons/shield.svg")),
    ("suspend", include_str!("../../assets/icons/suspend.svg")),
    ("terminal", include_str!("../../assets/icons/terminal.svg")),
    ("warning", include_str!("../../assets/icons/warning.svg")),
    ("windows", include_str!("../../assets/icons/windows.svg")),
    ("brightness", include_str!("../../assets/icons/brightness.svg")),
    ("mic", include_str!("../../assets/icons/mic.svg")),
    ("mic-off", include_str!("../../assets/icons/mic-off.svg")),
    ("volume", include_str!("../../assets/icons/volume.svg")),
    ("volume-muted", include_str!("../../assets/icons/volume-muted.svg")),
    ("volume-off", include_str!("../../assets/icons/volume-off.svg")),
];

/// What is drawn for an unknown name or an unreadable file.
pub const FALLBACK: &str = "app";

/// Whether `name` is one of the built-in icons.
pub fn is_builtin(name: &str) -> bool {
    BUILTIN.iter().any(|(n, _)| *n == name)
}

/// The built-in names, for error messages.
pub fn builtin_names() -> String {
    BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}
