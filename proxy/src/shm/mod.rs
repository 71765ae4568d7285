//! wl_shm pool contents: mappings, damage, diffing and compression, the shared region.

pub mod damage;
pub mod diff;
pub mod map;
pub mod ranges;
pub mod region;
pub mod send;
pub mod sigbus;
