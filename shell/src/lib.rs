//! The canopy panel, power menu and lock screen, and their shared drawing module
