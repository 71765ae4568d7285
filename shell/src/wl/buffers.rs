//! wl_shm buffers for one surface, reused once the compositor releases them.
//!
//! Each buffer remembers which regions changed since its contents were last written, so a
//! frame copies only those regions (its "age" damage) instead of the whole image. Pixels go
//! as Abgr8888 (tiny-skia's own byte order, a plain copy) when the compositor takes it, else
//! as Argb8888, which every compositor supports, with red and blue swapped on the way.

use smithay_client_toolkit::shm::slot::{Buffer, SlotPool};
use smithay_client_toolkit::shm::Shm;
use tiny_skia::Pixmap;
use wayland_client::protocol::{wl_shm, wl_surface::WlSurface};

use crate::draw::geometry::{merge_damage, IntRect};
use crate::draw::pixels::{copy_to_abgr8888, copy_to_argb8888};

/// Buffers beyond this many (all held by the compositor) are still created, but the oldest
/// free ones are dropped first.
const KEEP: usize = 3;

struct ShmBuffer {
    buffer: Buffer,
    /// Regions of the image not yet copied into this buffer.
    stale: Vec<IntRect>,
}

pub struct Buffers {
    pool: SlotPool,
    format: wl_shm::Format,
    size: (u32, u32),
    buffers: Vec<ShmBuffer>,
}

impl Buffers {
    pub fn new(shm: &Shm) -> anyhow::Result<Self> {
        let format = if shm.formats().contains(&wl_shm::Format::Abgr8888) {
            wl_shm::Format::Abgr8888
        } else {
            wl_shm::Format::Argb8888
        };
        tracing::debug!("wl_shm buffers in {format:?}");
        Ok(Buffers { pool: SlotPool::new(64 * 1024, shm)?, format, size: (0, 0), buffers: Vec::new() })
    }

    /// Copies what changed into a free buffer, attaches it to `surface` and marks `damage`
    /// (the regions that changed since the last commit). The caller commits.
    pub fn present(&mut self, image: &Pixmap, damage: &[IntRect], surface: &WlSurface) -> anyhow::Result<()> {
        let size = (image.width(), image.height());
        if size != self.size {
            self.buffers.clear();
            self.size = size;
        }
        for b in &mut self.buffers {
            b.stale.extend_from_slice(damage);
        }
        let (w, h) = (size.0 as i32, size.1 as i32);
        let stride = w * 4;
        let free = self.buffers.iter().position(|b| b.buffer.canvas(&mut self.pool).is_some());
        let index = match free {
            Some(i) => i,
            None => {
                if self.buffers.len() >= KEEP {
                    tracing::debug!("all {} buffers are held by the compositor; adding one", self.buffers.len());
                }
                let (buffer, _) = self.pool.create_buffer(w, h, stride, self.format)?;
                self.buffers.push(ShmBuffer { buffer, stale: vec![IntRect::new(0, 0, w, h)] });
                self.buffers.len() - 1
            }
        };
        let b = &mut self.buffers[index];
        let canvas = b.buffer.canvas(&mut self.pool).expect("free buffer");
        for r in merge_damage(std::mem::take(&mut b.stale), 8) {
            match self.format {
                wl_shm::Format::Abgr8888 => copy_to_abgr8888(image, canvas, stride as usize, r),
                _ => copy_to_argb8888(image, canvas, stride as usize, r),
            }
        }
        b.buffer.attach_to(surface)?;
        for r in damage {
            surface.damage_buffer(r.x, r.y, r.w, r.h);
        }
        // Keep the set small when the compositor released several buffers at once (the one
        // just attached is active, so it is never the one dropped).
        while self.buffers.len() > KEEP {
            match self.buffers.iter().position(|b| b.buffer.canvas(&mut self.pool).is_some()) {
                Some(i) => {
                    self.buffers.remove(i);
                }
                None => break,
            }
        }
        Ok(())
    }
}
