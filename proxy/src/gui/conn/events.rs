//! Events for the VM's client: the compositor's (the proxy's own restore steps taken out,
//! the rest translated to the client's ids and serials) and the proxy's own, all through one
//! path that filters the registry, turns fds into frames and keeps what they tell.

use std::collections::VecDeque;
use std::os::fd::{AsFd, OwnedFd};

use canopy_protocols::wire;

use super::{GuiConn, Kind, MAX_KEYMAP};
use crate::gui::restore::events::{Incoming, Own};
use crate::gui::restore::plan::Ctx;
use crate::pump::{End, Outbox, Pipe};
use crate::shm::map::Mapping;
use crate::wayland::message::{Arg, ProtocolError};
use crate::wayland::objects::Dir;
use crate::wayland::tables::{self, op};

impl GuiConn {
    /// Events the proxy made for the client, through the same path as the compositor's.
    pub(super) fn deliver_synthetic(&mut self, out: &mut Outbox) -> Result<(), End> {
        while let Some(m) = self.restore.synthetic.pop_front() {
            self.deliver(&m, &mut VecDeque::new(), out)?;
        }
        Ok(())
    }

    /// An event from the compositor: the proxy's own, or translated and passed to the VM.
    pub(super) fn event(&mut self, bytes: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End> {
        let mut answers = Vec::new();
        let incoming = self.restore.incoming(&self.objects, bytes, &mut answers)?;
        for m in answers {
            out.wayland.push(&m, Vec::new());
        }
        let ctx = Ctx { region: self.region.as_deref() };
        let bytes = match incoming {
            Incoming::Client(b) => b,
            Incoming::Drop => {
                tracing::debug!("event for an object the client does not have: dropped");
                return Ok(());
            }
            Incoming::Own(Own::Done) => return Ok(()),
            Incoming::Own(Own::Rebuild) => {
                self.restore.rebuild(&mut self.objects, &ctx, out)?;
                return self.deliver_synthetic(out);
            }
            Incoming::Own(Own::Map) => {
                self.restore.map(&mut self.objects, &ctx, out)?;
                tracing::info!(vm = %self.vm, restores = self.restore.restores, "client restored on the new compositor");
                return self.deliver_synthetic(out);
            }
        };
        self.deliver(&bytes, fds, out)?;
        self.deliver_synthetic(out)
    }

    /// An event in the client's terms, passed to the VM (registry filtered, fds turned into
    /// frames, what it tells kept).
    fn deliver(&mut self, bytes: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End> {
        let local = |e: ProtocolError| End::Local(format!("compositor event: {e}"));
        let read = match self.objects.read(bytes, Dir::Event) {
            Ok(r) => r,
            Err(ProtocolError::UnknownObject(id)) => {
                tracing::debug!(id, "event for an object already gone: dropped");
                return Ok(());
            }
            Err(e) => return Err(local(e)),
        };
        let needed = read.msg.fd_count();
        if needed > fds.len() {
            return Err(End::Local(format!(
                "compositor event {}.{} without its fd",
                read.interface.name, read.desc.name
            )));
        }
        self.patched.clear();
        self.patched.extend_from_slice(bytes);
        let mut forward = true;
        match (read.interface.name, read.msg.opcode) {
            ("wl_registry", op::REGISTRY_EV_GLOBAL) => {
                let name = read.msg.args[0].uint();
                let Arg::Str(Some(iface)) = read.msg.args[1] else { unreachable!("global signature") };
                let version = read.msg.args[2].uint();
                match tables::allowed_global(&String::from_utf8_lossy(iface)) {
                    Some(allowed) => {
                        let version = version.min(allowed.version);
                        let at = read.msg.offsets[2];
                        self.patched[at..at + 4].copy_from_slice(&version.to_ne_bytes());
                        if let Some(Kind::Registry(g)) = self.objects.get_mut(read.msg.object).map(|o| &mut o.data.kind)
                        {
                            // Seen already (the registry made again on a new compositor): the
                            // client keeps the version it was told.
                            match g.get(&name) {
                                Some((i, _)) if i.name == allowed.name => forward = false,
                                _ => {
                                    g.insert(name, (allowed, version));
                                }
                            }
                        }
                    }
                    None => forward = false,
                }
            }
            ("wl_registry", op::REGISTRY_EV_GLOBAL_REMOVE) => {
                let name = read.msg.args[0].uint();
                forward = match self.objects.get_mut(read.msg.object).map(|o| &mut o.data.kind) {
                    Some(Kind::Registry(g)) => g.remove(&name).is_some(),
                    _ => false,
                };
            }
            ("wl_keyboard", op::KEYBOARD_EV_KEYMAP) => {
                let fd = fds.pop_front().expect("counted");
                let size = read.msg.args[2].uint() as usize;
                if size > MAX_KEYMAP {
                    return Err(End::Local(format!("keymap of {size} bytes")));
                }
                let map = Mapping::new(fd.as_fd(), size, false).map_err(End::Io)?;
                wire::encode::fd_keymap(out.stream.frames(), map.bytes());
            }
            (iface, _) if needed > 0 => {
                let is_send =
                    read.desc.name == "send" && matches!(iface, "wl_data_source" | "zwp_primary_selection_source_v1");
                if !is_send {
                    return Err(End::Local(format!("compositor event {iface}.{} carries an fd", read.desc.name)));
                }
                let fd = fds.pop_front().expect("counted");
                self.next_pipe = self.next_pipe.wrapping_add(1);
                out.new_pipes.push(Pipe::Sink { id: self.next_pipe, fd });
                wire::encode::fd_pipe_write(out.stream.frames(), self.next_pipe);
            }
            _ => {}
        }
        forward &= self.restore.event(&mut self.objects, &read, &mut self.patched);
        self.objects.apply(&read, Dir::Event).map_err(local)?;
        if forward {
            out.stream.wayland(&self.patched);
        }
        Ok(())
    }
}
