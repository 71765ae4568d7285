//! Cross-VM Wayland proxy: guest side, GUI side and host relay
