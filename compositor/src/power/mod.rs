//! Sleep and wake: the lock before every suspend ([`machine`]), fed by the lid, the power menu,
//! the idle chain, the power key and the host, and carried out on the compositor.

pub mod machine;
