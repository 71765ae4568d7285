//! The rules a request from a VM must keep, as pure functions: used on the live path for every
//! request, and again on every message a restore sends, so that nothing reaches a compositor
//! through the restore that the live path would refuse.

use std::collections::HashMap;

use wayland_client::backend::protocol::Interface;

use crate::wayland::message::{Arg, ProtocolError};
use crate::wayland::objects::Read;

/// A bind on a registry that advertised `globals` (name → interface, version).
pub fn bind(globals: &HashMap<u32, (&'static Interface, u32)>, read: &Read<'_>) -> Result<(), String> {
    let name = read.msg.args[0].uint();
    let Arg::Str(Some(iface)) = read.msg.args[1] else { unreachable!("bind signature") };
    let version = read.msg.args[2].uint();
    let Some(&(advertised, max)) = globals.get(&name) else {
        return Err(ProtocolError::UnadvertisedGlobal { name }.to_string());
    };
    if iface != advertised.name.as_bytes() || version == 0 || version > max {
        return Err(ProtocolError::BadBind {
            name,
            interface: String::from_utf8_lossy(iface).into_owned(),
            version,
            advertised: advertised.name,
            max,
        }
        .to_string());
    }
    Ok(())
}

/// wl_shm_pool.create_buffer on a pool of `pool_len` bytes; buffers at most `max_side` wide
/// and high.
pub fn buffer(read: &Read<'_>, pool_len: i64, max_side: i32) -> Result<(), String> {
    let a = &read.msg.args;
    let (offset, width, height, stride, format) = (a[1].int(), a[2].int(), a[3].int(), a[4].int(), a[5].uint());
    if width <= 0 || height <= 0 || width > max_side || height > max_side {
        return Err(format!("buffer of {width}x{height} (limit {max_side})"));
    }
    let min_stride = i64::from(width) * i64::from(bytes_per_pixel(format).unwrap_or(1));
    if offset < 0 || i64::from(stride) < min_stride {
        return Err(format!("buffer offset {offset} stride {stride} for width {width}"));
    }
    let end = i64::from(offset) + i64::from(stride) * i64::from(height);
    if end > pool_len {
        return Err(format!("buffer ends at {end}, beyond its pool of {pool_len} bytes"));
    }
    Ok(())
}

/// A size in surface coordinates (viewport destination, window geometry, popup size): no
/// larger than the largest buffer, so the compositor never lays out or draws a giant.
pub fn surface_size(what: &str, w: i32, h: i32, max: i32) -> Result<(), String> {
    if w > max || h > max {
        return Err(format!("{what} of {w}x{h} (limit {max}, as for buffers)"));
    }
    Ok(())
}

/// The size a request sets that [`surface_size`] bounds, if it is one.
pub fn sized(interface: &str, opcode: u16, args: &[Arg<'_>]) -> Option<(&'static str, i32, i32)> {
    use crate::wayland::tables::op;
    match (interface, opcode) {
        ("wp_viewport", op::VIEWPORT_SET_DESTINATION) => Some(("viewport destination", args[0].int(), args[1].int())),
        ("xdg_surface", op::XDG_SURFACE_SET_WINDOW_GEOMETRY) => Some(("window geometry", args[2].int(), args[3].int())),
        ("xdg_positioner", op::XDG_POSITIONER_SET_SIZE) => Some(("popup size", args[0].int(), args[1].int())),
        _ => None,
    }
}

/// Bytes per pixel of the common wl_shm formats (others are checked as one byte per pixel).
pub fn bytes_per_pixel(format: u32) -> Option<u32> {
    use wayland_client::protocol::wl_shm::Format as F;
    Some(match F::try_from(format).ok()? {
        F::Argb8888
        | F::Xrgb8888
        | F::Abgr8888
        | F::Xbgr8888
        | F::Rgba8888
        | F::Rgbx8888
        | F::Bgra8888
        | F::Bgrx8888
        | F::Argb2101010
        | F::Xrgb2101010
        | F::Abgr2101010
        | F::Xbgr2101010 => 4,
        F::Rgb565 | F::Bgr565 | F::Argb4444 | F::Xrgb4444 | F::Argb1555 | F::Xrgb1555 => 2,
        F::Rgb888 | F::Bgr888 => 3,
        F::Abgr16161616f | F::Xbgr16161616f | F::Abgr16161616 | F::Xbgr16161616 => 8,
        F::R8 => 1,
        _ => return None,
    })
}
