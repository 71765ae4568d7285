//! `canopy-proxy relay`: the host-side bridge between two VMs (vhost-vsock has no path from one
//! guest to another). It accepts only the named source CID and copies bytes both ways; it does
//! not read them — the GUI side checks everything. When a connection ends it logs how many
//! bytes went each way (what crosses the host per client: with a shared-memory region, no pixels).

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

use anyhow::{bail, Context as _, Result};
use tracing::{info, warn};

use crate::transport::{Address, Listener, Peer, Stream};

pub fn run(listen: &Address, allow_cid: Option<u32>, to: &Address) -> Result<()> {
    if matches!(listen, Address::Vsock { .. }) && allow_cid.is_none() {
        bail!("listening on {listen} needs --allow-cid");
    }
    let listener = Listener::bind(listen).with_context(|| format!("listening on {listen}"))?;
    info!(listen = %listen, to = %to, "canopy-proxy relay ready");
    loop {
        let (a, peer) = match listener.accept() {
            Ok(x) => x,
            Err(e) => {
                warn!("accept failed: {e}");
                continue;
            }
        };
        if let (Some(allowed), Peer::Vsock { cid, .. }) = (allow_cid, peer) {
            if cid != allowed {
                warn!(cid, allowed, "relay: connection from another VM refused");
                continue;
            }
        }
        let to = to.clone();
        std::thread::spawn(move || match Stream::connect(&to) {
            Ok(b) => match splice(a.into(), b.into()) {
                Ok((forwarded, returned)) => info!(%peer, forwarded, returned, "relay: connection ended"),
                Err(e) => warn!("relay: {e}"),
            },
            Err(e) => warn!("relay: cannot reach {to}: {e}"),
        });
    }
}

/// Copies both ways until both directions end; returns the bytes copied from `a` to `b` and
/// from `b` to `a`.
pub fn splice(a: OwnedFd, b: OwnedFd) -> io::Result<(u64, u64)> {
    // UnixStream gives shutdown() and io::copy for any stream socket fd (vsock too).
    let a = UnixStream::from(a);
    let b = UnixStream::from(b);
    let (a2, b2) = (a.try_clone()?, b.try_clone()?);
    let t = std::thread::spawn(move || {
        let r = io::copy(&mut &a2, &mut &b2);
        let _ = b2.shutdown(std::net::Shutdown::Write);
        r
    });
    let r = io::copy(&mut &b, &mut &a);
    let _ = a.shutdown(std::net::Shutdown::Write);
    let r2 = t.join().unwrap_or_else(|_| Err(io::Error::other("relay thread panicked")));
    Ok((r2?, r?))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::Shutdown;

    use super::*;

    #[test]
    fn splice_copies_both_ways_and_counts_each() {
        let (app, relay_a) = UnixStream::pair().unwrap();
        let (relay_b, gui) = UnixStream::pair().unwrap();
        let relay = std::thread::spawn(move || splice(relay_a.into(), relay_b.into()));
        (&app).write_all(&[1; 5000]).unwrap();
        app.shutdown(Shutdown::Write).unwrap();
        (&gui).write_all(&[2; 300]).unwrap();
        gui.shutdown(Shutdown::Write).unwrap();
        let (mut at_gui, mut at_app) = (Vec::new(), Vec::new());
        (&gui).read_to_end(&mut at_gui).unwrap();
        (&app).read_to_end(&mut at_app).unwrap();
        assert_eq!((at_gui, at_app), (vec![1; 5000], vec![2; 300]));
        assert_eq!(relay.join().unwrap().unwrap(), (5000, 300));
    }
}
