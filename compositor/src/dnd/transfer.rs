//! A drop onto another domain's surface is a cross-VM transfer that the compositor makes itself.
//! The clipboard policy decides (allow; deny; ask: a notice, confirmed with Ctrl+Shift+V); the
//! data is read from the source under the clipboard's size limit and MIME filter; only then is it
//! offered to the target, at the point of the drop, once. Every outcome shows a notice and is
//! logged. The target never sees the drag before that, so it cannot read anything early.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_server::protocol::wl_data_device::WlDataDevice;
use smithay::reexports::wayland_server::protocol::wl_data_device_manager::DndAction;
use smithay::reexports::wayland_server::protocol::wl_data_source::{self, WlDataSource};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{IsAlive, Logical, Point, SERIAL_COUNTER};
use smithay::wayland::selection::data_device::with_source_metadata;

use super::offer::{describe_offer, new_offer, OfferFrom, OfferState};
use super::{data_devices, domain_of};
use crate::clipboard::global::{human, ASK_WINDOW, COPY_TIMEOUT};
use crate::clipboard::pipe::{client_pipe, write_in_background, Received};
use crate::clipboard::policy::Decision;
use crate::clipboard::Domain;
use crate::state::Canopy;

/// How long the target has to accept a delivered drop.
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(3);

/// Where a cross-domain drop goes.
#[derive(Debug, Clone)]
pub struct DropPoint {
    pub from: Domain,
    pub to: Domain,
    pub target: WlSurface,
    /// The drop's place in the target surface's coordinates.
    pub at: Point<f64, Logical>,
}

/// A drop read from its source, waiting for the user to confirm it.
#[derive(Debug)]
pub struct PendingDrop {
    id: u64,
    point: DropPoint,
    mime: String,
    data: Arc<Vec<u8>>,
    asked: Instant,
}

/// A drop being handed to its target through the compositor's own offer.
#[derive(Debug)]
pub struct Delivery {
    id: u64,
    point: DropPoint,
    data: Arc<Vec<u8>>,
    state: Arc<Mutex<OfferState>>,
    devices: Vec<WlDataDevice>,
    dropped: bool,
}

impl Canopy {
    /// A client's drag from `from` was released over `target`, a surface of another domain.
    pub fn drop_across(&mut self, source: WlDataSource, from: Domain, target: WlSurface, at: Point<f64, Logical>) {
        let Some(to) = domain_of(&self.display_handle, &target) else {
            source.cancelled();
            return;
        };
        let point = DropPoint { from, to, target, at };
        let (fl, tl) = (self.domain_label(&point.from), self.domain_label(&point.to));
        let accent = self.domain_accent(&point.to);
        let (f, t) = (point.from.name().to_string(), point.to.name().to_string());
        let decision = self.config.clipboard.decide(&f, &t);
        if decision == Decision::Deny {
            tracing::info!(from = f, to = t, "drop refused by policy");
            self.show_notice(format!("Drop refused: the policy does not let {fl} drop into {tl}"), accent);
            source.cancelled();
            return;
        }
        let (types, actions) = with_source_metadata(&source, |m| (m.mime_types.clone(), m.dnd_action))
            .unwrap_or_else(|_| (Vec::new(), DndAction::empty()));
        let Some(mime) = self.config.clipboard.mime_types.iter().find(|m| types.contains(m)).cloned() else {
            tracing::info!(from = f, to = t, "drop refused: no type may cross");
            let allowed = self.config.clipboard.mime_types.join(", ");
            self.show_notice(
                format!("Nothing dropped: the drag from {fl} holds no type that may cross VMs ({allowed})"),
                accent,
            );
            source.cancelled();
            return;
        };
        let Some((read, write)) = client_pipe() else {
            source.cancelled();
            return;
        };
        // A drop across VMs is a copy: the source is told so when it can be, and never told to
        // delete its data.
        let copy = actions.contains(DndAction::Copy) && source.version() >= wl_data_source::EVT_ACTION_SINCE;
        if copy {
            source.action(DndAction::Copy);
        }
        if source.version() >= wl_data_source::EVT_DND_DROP_PERFORMED_SINCE {
            source.dnd_drop_performed();
        }
        source.send(mime.clone(), write.as_fd());
        drop(write);
        let limit = self.config.clipboard.max_bytes;
        let started = Instant::now();
        self.read_bounded(read, limit, COPY_TIMEOUT, move |state, received| {
            let canopy = &mut state.canopy;
            if source.alive() {
                match &received {
                    Received::Data(_) if copy => source.dnd_finished(),
                    _ => source.cancelled(),
                }
            }
            let ms = started.elapsed().as_millis() as u64;
            match received {
                Received::Data(data) => canopy.drop_read(point, mime, data, decision),
                Received::TooBig => {
                    tracing::info!(from = f, to = t, limit, "drop refused: larger than the limit");
                    canopy.show_notice(
                        format!("Nothing dropped: the drag from {fl} is larger than the limit of {}", human(limit)),
                        accent,
                    );
                }
                Received::TimedOut => {
                    tracing::info!(from = f, to = t, ms, "drop failed: the source did not hand over its data");
                    canopy.show_notice(format!("Nothing dropped: {fl} did not hand over its data in time"), accent);
                }
                Received::Failed => {
                    tracing::info!(from = f, to = t, "drop failed: reading the source failed");
                    canopy.show_notice(format!("Nothing dropped: the drag from {fl} could not be read"), accent);
                }
            }
        });
    }

    /// The drop's data is in hand: deliver it, or ask first.
    fn drop_read(&mut self, point: DropPoint, mime: String, data: Vec<u8>, decision: Decision) {
        let data = Arc::new(data);
        if decision != Decision::Ask {
            self.deliver_drop(point, &mime, data);
            return;
        }
        let (fl, tl) = (self.domain_label(&point.from), self.domain_label(&point.to));
        let accent = self.domain_accent(&point.to);
        tracing::info!(
            from = point.from.name(),
            to = point.to.name(),
            bytes = data.len(),
            "drop waits for confirmation"
        );
        self.show_notice(
            format!("Drop {} from {fl} into {tl}? Press Ctrl+Shift+V to confirm", human(data.len())),
            accent,
        );
        let id = self.dnd.next_id();
        self.dnd.pending = Some(PendingDrop { id, point, mime, data, asked: Instant::now() });
        // An unanswered question is forgotten, and its data with it.
        let _ = self.loop_handle.insert_source(Timer::from_duration(ASK_WINDOW), move |_, _, state| {
            if state.canopy.dnd.pending.as_ref().is_some_and(|p| p.id == id) {
                state.canopy.dnd.pending = None;
                tracing::info!("drop not confirmed in time: nothing dropped");
            }
            TimeoutAction::Drop
        });
    }

    /// Ctrl+Shift+V while a drop waits for confirmation delivers it. Returns whether one was
    /// waiting (the key then does nothing else).
    pub fn confirm_drop(&mut self) -> bool {
        let Some(p) = self.dnd.pending.take() else { return false };
        if p.asked.elapsed() >= ASK_WINDOW {
            return false;
        }
        tracing::info!(from = p.point.from.name(), to = p.point.to.name(), "drop confirmed");
        self.deliver_drop(p.point, &p.mime, p.data);
        true
    }

    /// Offer the data to the target at the drop point through the compositor's own offer; it is
    /// dropped once the target accepts, and served once.
    fn deliver_drop(&mut self, point: DropPoint, mime: &str, data: Arc<Vec<u8>>) {
        let tl = self.domain_label(&point.to);
        let accent = self.domain_accent(&point.to);
        let client = point.target.alive().then(|| self.display_handle.get_client(point.target.id()).ok()).flatten();
        let Some(client) = client else {
            self.show_notice(format!("Nothing dropped: the {tl} window is gone"), accent);
            return;
        };
        let devices = data_devices(&self.display_handle, &client);
        if devices.is_empty() {
            self.show_notice(format!("Nothing dropped: {tl} does not take drops"), accent);
            return;
        }
        self.end_delivery();
        let id = self.dnd.next_id();
        let types = self.config.clipboard.offer_types(mime);
        let state = OfferState::new(false);
        for d in &devices {
            let from = OfferFrom::Compositor(id);
            let Some(offer) = new_offer(
                &self.display_handle,
                &client,
                d.version(),
                from,
                types.clone(),
                DndAction::Copy,
                state.clone(),
            ) else {
                continue;
            };
            d.data_offer(&offer);
            describe_offer(&offer);
            d.enter(SERIAL_COUNTER.next_serial().into(), &point.target, point.at.x, point.at.y, Some(&offer));
        }
        tracing::info!(from = point.from.name(), to = point.to.name(), bytes = data.len(), "drop offered");
        self.dnd.delivery = Some(Delivery { id, point, data, state, devices, dropped: false });
        let _ = self.loop_handle.insert_source(Timer::from_duration(ACCEPT_TIMEOUT), move |_, _, state| {
            let canopy = &mut state.canopy;
            if canopy.dnd.delivery.as_ref().is_some_and(|d| d.id == id) {
                let to = canopy.dnd.delivery.as_ref().map(|d| d.point.to.clone()).expect("checked");
                canopy.end_delivery();
                let tl = canopy.domain_label(&to);
                tracing::info!(to = to.name(), "drop not taken by its target");
                canopy.show_notice(format!("Nothing dropped: {tl} did not take the drop"), canopy.domain_accent(&to));
            }
            TimeoutAction::Drop
        });
    }

    /// Withdraw the delivery in progress, if any.
    fn end_delivery(&mut self) {
        if let Some(d) = self.dnd.delivery.take() {
            d.state.lock().unwrap().active = false;
            if !d.dropped {
                d.devices.iter().filter(|dev| dev.is_alive()).for_each(|dev| dev.leave());
            }
        }
    }

    /// The target answered the offer: drop as soon as it accepts a type and an action.
    pub fn delivery_progress(&mut self, id: u64) {
        let Some(d) = self.dnd.delivery.as_mut().filter(|d| d.id == id && !d.dropped) else { return };
        {
            let mut st = d.state.lock().unwrap();
            // Before version 3 there are no actions to agree on.
            let old = d.devices.iter().all(|dev| dev.version() < 3);
            if !(st.accepted && (old || !st.chosen_action.is_empty())) {
                return;
            }
            st.dropped = true;
            if old {
                st.chosen_action = DndAction::Copy;
            }
        }
        d.dropped = true;
        for dev in d.devices.iter().filter(|dev| dev.is_alive()) {
            dev.drop();
            dev.leave();
        }
    }

    /// The target reads the dropped data: once, and only after the drop.
    pub fn serve_drop(&mut self, id: u64, mime: String, fd: OwnedFd) {
        if !self.dnd.delivery.as_ref().is_some_and(|d| d.id == id && d.dropped) {
            return;
        }
        let d = self.dnd.delivery.take().expect("checked");
        let (fl, tl) = (self.domain_label(&d.point.from), self.domain_label(&d.point.to));
        tracing::info!(
            from = d.point.from.name(),
            to = d.point.to.name(),
            bytes = d.data.len(),
            mime,
            "dropped across VMs"
        );
        self.show_notice(
            format!("Dropped {} from {fl} into {tl}", human(d.data.len())),
            self.domain_accent(&d.point.to),
        );
        write_in_background(fd, d.data, mime);
    }
}
