//! The compositor is gone: what the client is told so that everything it sees stays valid
//! protocol. Focus is left (a held key stops repeating), touches are cancelled, popups are
//! dismissed, drags and selections end (offers withdrawn, sources cancelled), presentation
//! feedback is discarded, buffers no surface shows are released, and ids the dead compositor
//! would have deleted are deleted. The client's objects themselves stay: they are made again
//! on the next compositor.

use super::model::{GuiObj, Kind};
use super::{Mode, Restore};
use crate::wayland::message::SERVER_ID_BASE;
use crate::wayland::objects::Objects;

impl Restore {
    pub fn compositor_lost(&mut self, objects: &mut Objects<GuiObj>) {
        self.mode = Mode::Away;
        self.temps.clear();
        self.globals.clear();
        self.announced.clear();
        let mut ids = objects.ids();
        // Deterministic order, so that a client sees the same events for the same state.
        ids.sort_unstable();
        let shown: Vec<*const super::model::BufferRec> = objects
            .iter()
            .filter_map(|(_, o)| o.data.kind.surface())
            .filter_map(|s| s.current.buffer().map(|b| std::rc::Rc::as_ptr(&b.rec)))
            .collect();
        for id in ids {
            let Some(o) = objects.get(id) else { continue };
            if !o.alive {
                if id < SERVER_ID_BASE {
                    // Destroyed by the client; the dead compositor never confirmed it.
                    self.delete_id(id);
                }
                continue;
            }
            if o.data.ghost {
                continue;
            }
            let iface = o.interface.name;
            match &o.data.kind {
                &Kind::Focus { surface } if surface != 0 => {
                    let serial = self.serials.synthetic();
                    self.send(objects, id, "leave", |b| b.uint(serial).uint(surface));
                    if iface == "wl_pointer" {
                        self.send(objects, id, "frame", |b| b);
                    }
                }
                &Kind::Touch { down } if down > 0 => self.send(objects, id, "cancel", |b| b),
                &Kind::Device { selection, drag } => {
                    if drag != 0 && iface == "wl_data_device" {
                        self.send(objects, id, "leave", |b| b);
                    }
                    if selection != 0 {
                        self.send(objects, id, "selection", |b| b.uint(0));
                    }
                }
                Kind::Source { used: true } => self.send(objects, id, "cancelled", |b| b),
                Kind::Popup { xdg } => {
                    let xdg = *xdg;
                    self.send(objects, id, "popup_done", |b| b);
                    self.ghost(objects, id);
                    self.ghost(objects, xdg);
                }
                Kind::Feedback { committed: true, .. } => self.send(objects, id, "discarded", |b| b),
                &Kind::TextInput { entered, .. } if entered != 0 => {
                    self.send(objects, id, "leave", |b| b.uint(entered))
                }
                Kind::Token { committed: true, done: true } => self.ghost(objects, id),
                Kind::Buffer(rec) if rec.busy.get() && !shown.contains(&std::rc::Rc::as_ptr(rec)) => {
                    rec.busy.set(false);
                    self.send(objects, id, "release", |b| b);
                }
                _ => {}
            }
            if id >= SERVER_ID_BASE {
                // Made by the dead compositor (offers): the client keeps it until it destroys it.
                self.ghost(objects, id);
            }
        }
        for (_, o) in objects.iter_mut() {
            match &mut o.data.kind {
                Kind::XdgSurface(x) => {
                    x.configure = None;
                    x.acked = None;
                }
                Kind::Toplevel(t) => t.keep_size = true,
                _ => {}
            }
        }
    }

    fn ghost(&mut self, objects: &mut Objects<GuiObj>, id: u32) {
        if let Some(o) = objects.get_mut(id) {
            o.data.ghost = true;
        }
    }
}
