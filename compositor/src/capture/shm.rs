//! Writing a captured image into a client's shared-memory buffer (XRGB/ARGB8888, which is B, G,
//! R, A in memory), after checking that the buffer is exactly what the capture announced.

use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::protocol::wl_shm;
use smithay::wayland::shm::with_buffer_contents_mut;

use crate::render::screenshot::RgbaImage;

/// The shm formats a capture is offered in.
pub const FORMATS: [wl_shm::Format; 2] = [wl_shm::Format::Xrgb8888, wl_shm::Format::Argb8888];

/// Why a buffer could not take the image.
#[derive(Debug, PartialEq, Eq)]
pub enum BadBuffer {
    NotShm,
    WrongShape,
    BeyondPool,
}

impl BadBuffer {
    pub fn why(&self) -> &'static str {
        match self {
            BadBuffer::NotShm => "the buffer is not a shared-memory buffer",
            BadBuffer::WrongShape => "the buffer is not the size and format the capture announced",
            BadBuffer::BeyondPool => "the buffer lies beyond its pool",
        }
    }
}

/// Copies `image` into `buffer`, which must be shm, of one of [`FORMATS`], and its size.
pub fn copy_into(buffer: &WlBuffer, image: &RgbaImage) -> Result<(), BadBuffer> {
    let (w, h) = (image.width as usize, image.height as usize);
    let result = with_buffer_contents_mut(buffer, |ptr, len, data| {
        let stride = data.stride as usize;
        let shape_ok = FORMATS.contains(&data.format) && data.width as usize == w && data.height as usize == h;
        if !shape_ok || stride < w * 4 || h == 0 {
            return Err(BadBuffer::WrongShape);
        }
        let offset = data.offset as usize;
        // smithay checked that the buffer lies within its pool when it was created.
        if offset + stride * (h - 1) + w * 4 > len {
            return Err(BadBuffer::BeyondPool);
        }
        // SAFETY: `ptr` maps `len` bytes of the pool for this call, and the rows written lie
        // within it (checked above).
        let pool = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
        for (row, src) in image.data.chunks_exact(w * 4).enumerate() {
            let dst = &mut pool[offset + row * stride..][..w * 4];
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                d.copy_from_slice(&[s[2], s[1], s[0], 255]);
            }
        }
        Ok(())
    });
    result.unwrap_or(Err(BadBuffer::NotShm))
}
