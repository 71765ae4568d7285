//! The control IPC: `canopy msg <command>` over a Unix socket in XDG_RUNTIME_DIR. One JSON
//! request per connection, one JSON reply: `{"ok": …}` or `{"error": "…"}`. The types are
//! `canopy_ipc`'s, shared with `canopy msg`, the tests and the wlcs module.

pub mod client;
mod commands;
pub mod server;

pub use canopy_ipc::socket::{runtime_dir, socket_path};
pub use canopy_ipc::{Reply, Request, Response};

/// `WIDTHxHEIGHT[@SCALE]` for headless outputs.
pub fn parse_output_mode(s: &str) -> Result<(i32, i32, f64), String> {
    let (size, scale) = match s.split_once('@') {
        Some((size, scale)) => (size, scale.parse::<f64>().map_err(|_| format!("`{scale}` is not a scale"))?),
        None => (s, 1.0),
    };
    let bad = || format!("`{s}` is not an output mode; write WIDTHxHEIGHT or WIDTHxHEIGHT@SCALE");
    let (w, h, _) = crate::config::parse_mode(size).map_err(|_| bad())?;
    if !(0.5..=4.0).contains(&scale) {
        return Err(format!("scale {scale} is not between 0.5 and 4"));
    }
    Ok((w, h, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_mode_errors_name_the_scale() {
        assert_eq!(parse_output_mode("800x600@2").unwrap(), (800, 600, 2.0));
        let e = parse_output_mode("800xsix").unwrap_err();
        assert!(e.contains("WIDTHxHEIGHT@SCALE") && !e.contains("HZ"), "{e}");
    }

    #[test]
    fn output_modes() {
        assert_eq!(parse_output_mode("1920x1080@2"), Ok((1920, 1080, 2.0)));
        assert_eq!(parse_output_mode("800x600"), Ok((800, 600, 1.0)));
        assert!(parse_output_mode("800x600@9").is_err());
        assert!(parse_output_mode("800").is_err());
    }
}
