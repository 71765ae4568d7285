//! Wayland wire messages: reading them against the interface tables and tracking objects.

pub mod message;
pub mod objects;
pub mod tables;
