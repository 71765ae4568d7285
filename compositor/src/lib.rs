//! The canopy Wayland compositor
