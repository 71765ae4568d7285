//! What the test clients (`canopy-test-client`, `canopy-hostile-client`) share: JSON event
//! lines on stdout, command lines on stdin, argument parsing and the four-quadrant pattern they
//! paint.

use std::io::Write;

use smithay_client_toolkit::reexports::calloop::channel;

/// Print one JSON event line on stdout and flush it, for the test to read.
pub fn emit(value: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// The lines of stdin, one message each, for the client's event loop (read on a thread of
/// their own, so that a test's command waits for no Wayland event).
pub fn stdin_lines() -> channel::Channel<String> {
    let (tx, rx) = channel::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// `WIDTHxHEIGHT`.
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once('x').ok_or_else(|| format!("`{s}` is not WIDTHxHEIGHT"))?;
    Ok((
        w.parse().map_err(|_| format!("`{w}` is not a width"))?,
        h.parse().map_err(|_| format!("`{h}` is not a height"))?,
    ))
}

/// `X,Y` (either may be negative).
pub fn parse_point(s: &str) -> Result<(i32, i32), String> {
    let (x, y) = s.split_once(',').ok_or_else(|| format!("`{s}` is not X,Y"))?;
    Ok((
        x.parse().map_err(|_| format!("`{x}` is not a number"))?,
        y.parse().map_err(|_| format!("`{y}` is not a number"))?,
    ))
}

/// `RRGGBB`, with or without `#`.
pub fn parse_colour(s: &str) -> Result<[u8; 3], String> {
    let v = u32::from_str_radix(s.trim_start_matches('#'), 16).map_err(|_| format!("`{s}` is not RRGGBB"))?;
    Ok([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

/// The pattern: top-left the colour, top-right ¾ of it, bottom-left ½, bottom-right white, in
/// wl_shm Argb8888 (B, G, R, A in memory), premultiplied by `alpha`.
pub fn paint(canvas: &mut [u8], w: u32, h: u32, c: [u8; 3], alpha: u8) {
    let scale = |v: u8, f: u32| (v as u32 * f / 4) as u8;
    let pre = |v: u8| (v as u32 * alpha as u32 / 255) as u8;
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = match (x >= w / 2, y >= h / 2) {
                (false, false) => (c[0], c[1], c[2]),
                (true, false) => (scale(c[0], 3), scale(c[1], 3), scale(c[2], 3)),
                (false, true) => (scale(c[0], 2), scale(c[1], 2), scale(c[2], 2)),
                (true, true) => (255, 255, 255),
            };
            let i = ((y * w + x) * 4) as usize;
            canvas[i..i + 4].copy_from_slice(&[pre(b), pre(g), pre(r), alpha]);
        }
    }
}

/// Fill an Argb8888 canvas with one opaque colour.
pub fn fill(canvas: &mut [u8], c: [u8; 3]) {
    for px in canvas.chunks_exact_mut(4) {
        px.copy_from_slice(&[c[2], c[1], c[0], 255]);
    }
}
