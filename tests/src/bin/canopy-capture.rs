//! A small screen-capture client for what no Debian tool in bookworm does: image-copy-capture
//! (`ext`) of an output or a window, and repeated wlr-screencopy `copy_with_damage` (`wlr`, as a
//! recorder does). Each frame is written to `DIR/frame-N.png` and printed as a JSON line
//! `{"frame": N, "file", "size": [w, h], "damage": [[x, y, w, h]…]}`; a frame that fails prints
//! `{"frame": N, "failed": REASON}`. Without a source it prints `{"error": …}` (e.g. the global
//! is not offered, as to a VM's client).
//!
//! `canopy-capture ext (--output NAME | --toplevel TITLE) [--cursor] [--frames N] [--no-file] DIR`
//! `canopy-capture wlr --output NAME [--cursor] [--frames N] [--no-file] DIR`

use std::io::Write as _;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsFd;

use canopy_common::image::RgbaImage;
use wayland_client::globals::{registry_queue_init, GlobalList};
use wayland_client::protocol::{wl_buffer::WlBuffer, wl_output, wl_shm, wl_shm_pool::WlShmPool};
use wayland_client::{event_created_child, Connection, Dispatch, EventQueue, Proxy, QueueHandle};
use wayland_protocols::ext::foreign_toplevel_list::v1::client::{
    ext_foreign_toplevel_handle_v1::{self, ExtForeignToplevelHandleV1},
    ext_foreign_toplevel_list_v1::{self, ExtForeignToplevelListV1},
};
use wayland_protocols::ext::image_capture_source::v1::client::{
    ext_foreign_toplevel_image_capture_source_manager_v1::ExtForeignToplevelImageCaptureSourceManagerV1,
    ext_image_capture_source_v1::ExtImageCaptureSourceV1,
    ext_output_image_capture_source_manager_v1::ExtOutputImageCaptureSourceManagerV1,
};
use wayland_protocols::ext::image_copy_capture::v1::client::{
    ext_image_copy_capture_frame_v1::{self, ExtImageCopyCaptureFrameV1},
    ext_image_copy_capture_manager_v1::{ExtImageCopyCaptureManagerV1, Options},
    ext_image_copy_capture_session_v1::{self, ExtImageCopyCaptureSessionV1},
};
use wayland_protocols_wlr::screencopy::v1::client::{
    zwlr_screencopy_frame_v1::{self, ZwlrScreencopyFrameV1},
    zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1,
};

#[derive(Default)]
struct State {
    outputs: Vec<(wl_output::WlOutput, String)>,
    toplevels: Vec<(ExtForeignToplevelHandleV1, String)>,
    /// The session's buffer size, once its constraints are done; or whether it stopped.
    size: Option<(u32, u32)>,
    pending_size: Option<(u32, u32)>,
    stopped: bool,
    /// wlr: the buffer the frame wants.
    wlr_buffer: Option<(u32, u32, u32)>,
    damage: Vec<[i32; 4]>,
    outcome: Option<Result<(), String>>,
}

canopy_common::ignore_registry_events!(State);
wayland_client::delegate_noop!(State: ignore wl_shm::WlShm);
wayland_client::delegate_noop!(State: ignore WlShmPool);
wayland_client::delegate_noop!(State: ignore WlBuffer);
wayland_client::delegate_noop!(State: ignore ExtOutputImageCaptureSourceManagerV1);
wayland_client::delegate_noop!(State: ignore ExtForeignToplevelImageCaptureSourceManagerV1);
wayland_client::delegate_noop!(State: ignore ExtImageCaptureSourceV1);
wayland_client::delegate_noop!(State: ignore ExtImageCopyCaptureManagerV1);
wayland_client::delegate_noop!(State: ignore ZwlrScreencopyManagerV1);

impl Dispatch<wl_output::WlOutput, ()> for State {
    fn event(
        s: &mut Self,
        o: &wl_output::WlOutput,
        e: wl_output::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_output::Event::Name { name } = e {
            s.outputs.push((o.clone(), name));
        }
    }
}

impl Dispatch<ExtForeignToplevelListV1, ()> for State {
    fn event(
        _: &mut Self,
        _: &ExtForeignToplevelListV1,
        _: ext_foreign_toplevel_list_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }

    event_created_child!(State, ExtForeignToplevelListV1, [
        ext_foreign_toplevel_list_v1::EVT_TOPLEVEL_OPCODE => (ExtForeignToplevelHandleV1, ()),
    ]);
}

impl Dispatch<ExtForeignToplevelHandleV1, ()> for State {
    fn event(
        s: &mut Self,
        h: &ExtForeignToplevelHandleV1,
        e: ext_foreign_toplevel_handle_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let ext_foreign_toplevel_handle_v1::Event::Title { title } = e {
            s.toplevels.retain(|(t, _)| t != h);
            s.toplevels.push((h.clone(), title));
        }
    }
}

impl Dispatch<ExtImageCopyCaptureSessionV1, ()> for State {
    fn event(
        s: &mut Self,
        _: &ExtImageCopyCaptureSessionV1,
        e: ext_image_copy_capture_session_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        use ext_image_copy_capture_session_v1::Event;
        match e {
            Event::BufferSize { width, height } => s.pending_size = Some((width, height)),
            Event::Done => s.size = s.pending_size,
            Event::Stopped => s.stopped = true,
            _ => {}
        }
    }
}

impl Dispatch<ExtImageCopyCaptureFrameV1, ()> for State {
    fn event(
        s: &mut Self,
        _: &ExtImageCopyCaptureFrameV1,
        e: ext_image_copy_capture_frame_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        use ext_image_copy_capture_frame_v1::Event;
        match e {
            Event::Damage { x, y, width, height } => s.damage.push([x, y, width, height]),
            Event::Ready => s.outcome = Some(Ok(())),
            Event::Failed { reason } => s.outcome = Some(Err(format!("{reason:?}"))),
            _ => {}
        }
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, ()> for State {
    fn event(
        s: &mut Self,
        _: &ZwlrScreencopyFrameV1,
        e: zwlr_screencopy_frame_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        use zwlr_screencopy_frame_v1::Event;
        match e {
            Event::Buffer { width, height, stride, .. } => s.wlr_buffer = Some((width, height, stride)),
            Event::Damage { x, y, width, height } => s.damage.push([x as i32, y as i32, width as i32, height as i32]),
            Event::Ready { .. } => s.outcome = Some(Ok(())),
            Event::Failed => s.outcome = Some(Err("failed".into())),
            _ => {}
        }
    }
}

/// One shm buffer (XRGB8888) in a memfd, read back through the file.
struct Buffer {
    file: std::fs::File,
    buffer: WlBuffer,
    size: (u32, u32),
}

impl Buffer {
    fn new(shm: &wl_shm::WlShm, qh: &QueueHandle<State>, (w, h): (u32, u32)) -> anyhow::Result<Self> {
        let fd = rustix::fs::memfd_create("canopy-capture", rustix::fs::MemfdFlags::CLOEXEC)?;
        let file = std::fs::File::from(fd);
        file.set_len(u64::from(w * h * 4))?;
        let pool = shm.create_pool(file.as_fd(), (w * h * 4) as i32, qh, ());
        let buffer = pool.create_buffer(0, w as i32, h as i32, (w * 4) as i32, wl_shm::Format::Xrgb8888, qh, ());
        pool.destroy();
        Ok(Self { file, buffer, size: (w, h) })
    }

    fn image(&self) -> anyhow::Result<RgbaImage> {
        let (w, h) = self.size;
        let mut data = vec![0; (w * h * 4) as usize];
        self.file.read_exact_at(&mut data, 0)?;
        for px in data.chunks_exact_mut(4) {
            px.swap(0, 2);
            px[3] = 255;
        }
        Ok(RgbaImage { width: w, height: h, data })
    }
}

fn wait(queue: &mut EventQueue<State>, s: &mut State, done: impl Fn(&State) -> bool) -> anyhow::Result<()> {
    while !done(s) {
        queue.blocking_dispatch(s)?;
    }
    Ok(())
}

fn print(value: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

fn bind<I: Proxy + 'static>(globals: &GlobalList, qh: &QueueHandle<State>, v: u32) -> anyhow::Result<I>
where
    State: Dispatch<I, ()>,
{
    globals.bind(qh, v..=v, ()).map_err(|e| anyhow::anyhow!("{} not offered: {e}", I::interface().name))
}

struct Args {
    ext: bool,
    output: Option<String>,
    toplevel: Option<String>,
    cursor: bool,
    frames: u32,
    /// Print the frames only (for timing): no PNG is written.
    no_file: bool,
    dir: std::path::PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1);
    let ext = match it.next().as_deref() {
        Some("ext") => true,
        Some("wlr") => false,
        _ => anyhow::bail!(
            "usage: canopy-capture ext|wlr (--output NAME | --toplevel TITLE) [--cursor] [--frames N] DIR"
        ),
    };
    let mut a = Args { ext, output: None, toplevel: None, cursor: false, frames: 1, no_file: false, dir: ".".into() };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--output" => a.output = it.next(),
            "--toplevel" => a.toplevel = it.next(),
            "--cursor" => a.cursor = true,
            "--no-file" => a.no_file = true,
            "--frames" => a.frames = it.next().unwrap_or_default().parse()?,
            dir => a.dir = dir.into(),
        }
    }
    Ok(a)
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    if let Err(e) = run(&a) {
        print(serde_json::json!({ "error": format!("{e:#}") }));
        std::process::exit(1);
    }
    Ok(())
}

fn run(a: &Args) -> anyhow::Result<()> {
    let conn = Connection::connect_to_env()?;
    let (globals, mut queue) = registry_queue_init::<State>(&conn)?;
    let qh = queue.handle();
    let mut s = State::default();
    let shm: wl_shm::WlShm = bind(&globals, &qh, 1)?;
    for g in globals.contents().clone_list().iter().filter(|g| g.interface == "wl_output") {
        globals.registry().bind::<wl_output::WlOutput, _, _>(g.name, g.version.min(4), &qh, ());
    }
    if a.toplevel.is_some() {
        let _list: ExtForeignToplevelListV1 = bind(&globals, &qh, 1)?;
    }
    queue.roundtrip(&mut s)?;
    queue.roundtrip(&mut s)?;
    let output = a.output.as_ref().map(|name| {
        s.outputs
            .iter()
            .find(|(_, n)| n == name)
            .map(|(o, _)| o.clone())
            .ok_or_else(|| anyhow::anyhow!("no output {name}"))
    });
    let output = output.transpose()?;
    if !a.ext {
        return run_wlr(a, &globals, &mut queue, &mut s, &shm, output.as_ref());
    }
    let manager: ExtImageCopyCaptureManagerV1 = bind(&globals, &qh, 1)?;
    let source: ExtImageCaptureSourceV1 = match (&output, &a.toplevel) {
        (Some(o), _) => bind::<ExtOutputImageCaptureSourceManagerV1>(&globals, &qh, 1)?.create_source(o, &qh, ()),
        (None, Some(title)) => {
            let (h, _) =
                s.toplevels.iter().find(|(_, t)| t == title).ok_or_else(|| anyhow::anyhow!("no window {title}"))?;
            bind::<ExtForeignToplevelImageCaptureSourceManagerV1>(&globals, &qh, 1)?.create_source(h, &qh, ())
        }
        _ => anyhow::bail!("--output or --toplevel"),
    };
    let options = if a.cursor { Options::PaintCursors } else { Options::empty() };
    let session = manager.create_session(&source, options, &qh, ());
    wait(&mut queue, &mut s, |s| s.size.is_some() || s.stopped)?;
    let mut buffer: Option<Buffer> = None;
    for n in 0..a.frames {
        let size = s.size.ok_or_else(|| anyhow::anyhow!("the session stopped"))?;
        if buffer.as_ref().is_none_or(|b| b.size != size) {
            buffer = Some(Buffer::new(&shm, &qh, size)?);
        }
        let b = buffer.as_ref().expect("made");
        let frame = session.create_frame(&qh, ());
        frame.attach_buffer(&b.buffer);
        frame.damage_buffer(0, 0, size.0 as i32, size.1 as i32);
        frame.capture();
        wait(&mut queue, &mut s, |s| s.outcome.is_some())?;
        frame.destroy();
        report(a, n, &mut s, Some(b))?;
    }
    Ok(())
}

/// Prints the frame just answered (and writes its image when it is ready).
fn report(a: &Args, n: u32, s: &mut State, b: Option<&Buffer>) -> anyhow::Result<()> {
    let damage = std::mem::take(&mut s.damage);
    match s.outcome.take().expect("answered") {
        Ok(()) => {
            let b = b.ok_or_else(|| anyhow::anyhow!("ready without a buffer"))?;
            let file = a.dir.join(format!("frame-{n}.png"));
            let image = b.image()?;
            if !a.no_file {
                image.save_png(&file)?;
            }
            print(serde_json::json!({ "frame": n, "file": file, "size": [b.size.0, b.size.1], "damage": damage }));
        }
        Err(reason) => print(serde_json::json!({ "frame": n, "failed": reason })),
    }
    Ok(())
}

/// Repeated `copy_with_damage` of one output, as wf-recorder does.
fn run_wlr(
    a: &Args,
    globals: &GlobalList,
    queue: &mut EventQueue<State>,
    s: &mut State,
    shm: &wl_shm::WlShm,
    output: Option<&wl_output::WlOutput>,
) -> anyhow::Result<()> {
    let qh = queue.handle();
    let manager: ZwlrScreencopyManagerV1 = bind(globals, &qh, 3)?;
    let output = output.ok_or_else(|| anyhow::anyhow!("--output"))?;
    let mut buffer: Option<Buffer> = None;
    for n in 0..a.frames {
        s.wlr_buffer = None;
        let frame = manager.capture_output(i32::from(a.cursor), output, &qh, ());
        wait(queue, s, |s| s.wlr_buffer.is_some() || s.outcome.is_some())?;
        let Some((w, h, _)) = s.wlr_buffer else {
            report(a, n, s, None)?;
            continue;
        };
        if buffer.as_ref().is_none_or(|b| b.size != (w, h)) {
            buffer = Some(Buffer::new(shm, &qh, (w, h))?);
        }
        let b = buffer.as_ref().expect("made");
        frame.copy_with_damage(&b.buffer);
        wait(queue, s, |s| s.outcome.is_some())?;
        frame.destroy();
        report(a, n, s, Some(b))?;
    }
    Ok(())
}
