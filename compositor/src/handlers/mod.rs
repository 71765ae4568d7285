//! Wayland protocol handlers: one smithay handler per file, with its delegate macro beside it.

pub mod canopy_shell;
pub mod compositor;
pub mod cursor_shape;
pub mod data_control;
pub mod data_device;
pub mod foreign_toplevel_list;
pub mod fractional_scale;
pub mod kde_decoration;
pub mod layer_shell;
pub mod output;
pub mod presentation;
pub mod primary_selection;
pub mod relative_pointer;
pub mod seat;
pub mod security_context;
pub mod selection;
pub mod session_lock;
pub mod shm;
pub mod single_pixel_buffer;
pub mod text_input;
pub mod viewporter;
pub mod virtual_keyboard;
pub mod xdg_activation;
pub mod xdg_decoration;
pub mod xdg_shell;
