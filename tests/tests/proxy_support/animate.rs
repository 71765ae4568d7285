//! A client that plays an animation into one window, for checking that every kind of frame the
//! guest sends (compared, sent without compare, caught up after a buffer sat out) arrives
//! whole: `full` frames that change every pixel, one frame back to the first picture, then
//! `small` frames that each paint one more square and damage only it. Three buffers in one
//! pool; each frame waits for a free buffer and for the compositor to have it. The last picture
//! depends only on the frame counts, so a direct run and a proxied run must match.

#![allow(dead_code)]

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

use wayland_client::protocol::{wl_buffer, wl_callback, wl_compositor, wl_registry, wl_shm, wl_shm_pool, wl_surface};
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle};
use wayland_protocols::xdg::shell::client::{xdg_surface, xdg_toplevel, xdg_wm_base};

pub const TITLE: &str = "animation";

#[derive(Default)]
struct State {
    compositor: Option<wl_compositor::WlCompositor>,
    shm: Option<wl_shm::WlShm>,
    wm: Option<xdg_wm_base::XdgWmBase>,
    configured: bool,
    free: Vec<bool>,
    synced: bool,
}

/// The window, kept open while this lives.
pub struct Animation {
    _conn: Connection,
    _queue: EventQueue<State>,
    _surface: wl_surface::WlSurface,
    _toplevel: xdg_toplevel::XdgToplevel,
}

impl Dispatch<wl_registry::WlRegistry, ()> for State {
    fn event(
        s: &mut Self,
        r: &wl_registry::WlRegistry,
        e: wl_registry::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        if let wl_registry::Event::Global { name, interface, .. } = e {
            match interface.as_str() {
                "wl_compositor" => s.compositor = Some(r.bind(name, 4, qh, ())),
                "wl_shm" => s.shm = Some(r.bind(name, 1, qh, ())),
                "xdg_wm_base" => s.wm = Some(r.bind(name, 1, qh, ())),
                _ => {}
            }
        }
    }
}

impl Dispatch<xdg_wm_base::XdgWmBase, ()> for State {
    fn event(
        _: &mut Self,
        wm: &xdg_wm_base::XdgWmBase,
        e: xdg_wm_base::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = e {
            wm.pong(serial);
        }
    }
}

impl Dispatch<xdg_surface::XdgSurface, ()> for State {
    fn event(
        s: &mut Self,
        x: &xdg_surface::XdgSurface,
        e: xdg_surface::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_surface::Event::Configure { serial } = e {
            x.ack_configure(serial);
            s.configured = true;
        }
    }
}

impl Dispatch<wl_buffer::WlBuffer, usize> for State {
    fn event(
        s: &mut Self,
        _: &wl_buffer::WlBuffer,
        e: wl_buffer::Event,
        i: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_buffer::Event::Release = e {
            s.free[*i] = true;
        }
    }
}

impl Dispatch<wl_callback::WlCallback, ()> for State {
    fn event(
        s: &mut Self,
        _: &wl_callback::WlCallback,
        _: wl_callback::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        s.synced = true;
    }
}

wayland_client::delegate_noop!(State: ignore wl_compositor::WlCompositor);
wayland_client::delegate_noop!(State: ignore wl_shm::WlShm);
wayland_client::delegate_noop!(State: ignore wl_shm_pool::WlShmPool);
wayland_client::delegate_noop!(State: ignore wl_surface::WlSurface);
wayland_client::delegate_noop!(State: ignore xdg_toplevel::XdgToplevel);

/// Frame `f` of the full-window part: every pixel differs from the frame before.
fn full_pixel(x: usize, y: usize, f: usize) -> u32 {
    let r = (x * 7 + y * 13 + f * 29) & 0xff;
    let g = (x ^ y ^ (f * 3)) & 0xff;
    let b = (x * y + f) & 0xff;
    0xff00_0000 | (r << 16 | g << 8 | b) as u32
}

/// The square that small frame `i` paints: (x, y, colour).
fn square(i: usize, width: usize, height: usize) -> (usize, usize, u32) {
    ((i * 37) % (width - 32), (i * 11) % (height - 32), 0xff00_0000 | (i as u32).wrapping_mul(2_654_435_761) >> 8)
}

/// Plays the animation on the compositor (or guest proxy) socket at `socket`.
pub fn play(socket: &Path, width: usize, height: usize, full: usize, small: usize) -> Animation {
    let stream = UnixStream::connect(socket).expect("connecting the animation client");
    let conn = Connection::from_socket(stream).expect("wayland connection");
    let mut queue = conn.new_event_queue();
    let qh = queue.handle();
    conn.display().get_registry(&qh, ());
    let mut s = State::default();
    queue.roundtrip(&mut s).unwrap();
    let surface = s.compositor.as_ref().unwrap().create_surface(&qh, ());
    let xs = s.wm.as_ref().unwrap().get_xdg_surface(&surface, &qh, ());
    let toplevel = xs.get_toplevel(&qh, ());
    toplevel.set_title(TITLE.into());
    surface.commit();
    while !s.configured {
        queue.blocking_dispatch(&mut s).unwrap();
    }
    let stride = width * 4;
    let size = stride * height;
    let nbuf = 3;
    let fd: OwnedFd = rustix::fs::memfd_create("animation", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
    rustix::fs::ftruncate(&fd, (size * nbuf) as u64).unwrap();
    // SAFETY: a fresh shared mapping of our own memfd, unmapped never (the process is a test).
    let base = unsafe {
        rustix::mm::mmap(
            std::ptr::null_mut(),
            size * nbuf,
            rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
            rustix::mm::MapFlags::SHARED,
            &fd,
            0,
        )
        .unwrap()
    };
    let pool = s.shm.as_ref().unwrap().create_pool(fd.as_fd(), (size * nbuf) as i32, &qh, ());
    let buffers: Vec<_> = (0..nbuf)
        .map(|i| {
            pool.create_buffer(
                (i * size) as i32,
                width as i32,
                height as i32,
                stride as i32,
                wl_shm::Format::Xrgb8888,
                &qh,
                i,
            )
        })
        .collect();
    s.free = vec![true; nbuf];
    for f in 0..full + 1 + small {
        while !s.free.iter().any(|&b| b) {
            queue.blocking_dispatch(&mut s).unwrap();
        }
        let i = s.free.iter().position(|&b| b).unwrap();
        s.free[i] = false;
        // SAFETY: buffer i of the mapping, which the compositor has released.
        let px: &mut [u32] = unsafe { std::slice::from_raw_parts_mut(base.cast::<u32>().add(i * size / 4), size / 4) };
        // Frames 0..full change everything; frame `full` goes back to the first picture; the
        // small frames add one square each on top of it, redrawing the whole buffer.
        let picture = if f < full { f } else { 0 };
        for y in 0..height {
            for x in 0..width {
                px[y * width + x] = full_pixel(x, y, picture);
            }
        }
        let mut damage = (0, 0, width as i32, height as i32);
        for k in 0..f.saturating_sub(full) {
            let (sx, sy, colour) = square(k, width, height);
            for y in sy..sy + 32 {
                px[y * width + sx..y * width + sx + 32].fill(colour);
            }
            damage = (sx as i32, sy as i32, 32, 32);
        }
        surface.attach(Some(&buffers[i]), 0, 0);
        surface.damage_buffer(damage.0, damage.1, damage.2, damage.3);
        surface.commit();
        s.synced = false;
        conn.display().sync(&qh, ());
        while !s.synced {
            queue.blocking_dispatch(&mut s).unwrap();
        }
    }
    Animation { _conn: conn, _queue: queue, _surface: surface, _toplevel: toplevel }
}
