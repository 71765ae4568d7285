//! The pointer grab of a drag that a client started. Offers go only to surfaces of the drag's
//! own domain; while the pointer is over another domain's surface, that client hears nothing,
//! and a release there hands the drop to the compositor ([`super::transfer`]).

use std::sync::{Arc, Mutex};

use smithay::input::pointer::{
    AxisFrame, ButtonEvent, Focus, GestureHoldBeginEvent, GestureHoldEndEvent, GesturePinchBeginEvent,
    GesturePinchEndEvent, GesturePinchUpdateEvent, GestureSwipeBeginEvent, GestureSwipeEndEvent,
    GestureSwipeUpdateEvent, GrabStartData, MotionEvent, PointerGrab, PointerInnerHandle, RelativeMotionEvent,
};
use smithay::reexports::wayland_server::protocol::wl_data_device::{self, WlDataDevice};
use smithay::reexports::wayland_server::protocol::wl_data_source::{self, WlDataSource};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Client, DisplayHandle, Resource};
use smithay::utils::{IsAlive, Logical, Point, Serial};
use smithay::wayland::compositor::give_role;
use smithay::wayland::selection::data_device::{with_source_metadata, DND_ICON_ROLE};

use super::offer::{describe_offer, new_offer, OfferFrom, OfferState};
use super::{data_devices, domain_of};
use crate::clipboard::Domain;
use crate::state::State;
use crate::wm::grabs::pass_through_gestures;

pub struct DragGrab {
    start: GrabStartData<State>,
    dh: DisplayHandle,
    /// None for a drag that stays within its client (the client moves the data itself).
    source: Option<WlDataSource>,
    origin: WlSurface,
    domain: Domain,
    /// The surface of the drag's domain under the pointer, and the negotiation with it.
    target: Option<WlSurface>,
    offer: Option<Arc<Mutex<OfferState>>>,
    /// A surface of another domain under the pointer, and the pointer's place on it.
    foreign: Option<(WlSurface, Point<f64, Logical>)>,
    /// The buttons were released: ending the grab is a drop, not a cancel.
    released: bool,
}

impl State {
    /// `wl_data_device.start_drag`: only during the client's own implicit pointer grab, which
    /// began on one of its surfaces.
    pub fn start_drag(
        &mut self,
        client: &Client,
        device: &WlDataDevice,
        source: Option<WlDataSource>,
        origin: WlSurface,
        icon: Option<WlSurface>,
        serial: Serial,
    ) {
        let Some(pointer) = self.canopy.seat.get_pointer() else { return };
        let start = pointer.grab_start_data().filter(|_| pointer.has_grab(serial));
        let own = |s: &WlSurface| s.client().is_some_and(|c| c.id() == client.id());
        let Some(start) = start.filter(|s| s.focus.as_ref().is_some_and(|(f, _)| own(f)) && own(&origin)) else {
            tracing::debug!("a drag was refused: it did not start from the client's own pointer press");
            return;
        };
        if let Some(icon) = &icon {
            if give_role(icon, DND_ICON_ROLE).is_err() {
                device.post_error(wl_data_device::Error::Role, "the icon surface has another role");
                return;
            }
        }
        let domain = Domain::of_client(client);
        tracing::info!(domain = domain.name(), with_data = source.is_some(), "drag started");
        let grab = DragGrab {
            start,
            dh: self.canopy.display_handle.clone(),
            source,
            origin,
            domain,
            target: None,
            offer: None,
            foreign: None,
            released: false,
        };
        pointer.set_grab(self, grab, serial, Focus::Clear);
        // The drag passes over other windows: a cursor image the client set stays behind.
        self.canopy.cursor_status = smithay::input::pointer::CursorImageStatus::default_named();
        self.canopy.queue_redraw_all();
    }
}

impl DragGrab {
    fn devices_of(&self, surface: &WlSurface) -> Vec<WlDataDevice> {
        match self.dh.get_client(surface.id()) {
            Ok(c) => data_devices(&self.dh, &c),
            Err(_) => Vec::new(),
        }
    }

    /// Whether `surface`'s client hears of this drag: any client of its domain when there is
    /// data, only the dragging client itself when there is none.
    fn reaches(&self, surface: &WlSurface) -> bool {
        self.source.is_some() || self.origin.id().same_client_as(&surface.id())
    }

    fn leave_target(&mut self) {
        if let Some(surface) = self.target.take() {
            if self.reaches(&surface) {
                for d in self.devices_of(&surface) {
                    d.leave();
                }
            }
        }
        if let Some(offer) = self.offer.take() {
            offer.lock().unwrap().active = false;
        }
    }

    fn update_focus(
        &mut self,
        focus: Option<(WlSurface, Point<f64, Logical>)>,
        location: Point<f64, Logical>,
        serial: Serial,
        time: u32,
    ) {
        let mut same = None;
        self.foreign = None;
        if let Some((surface, origin)) = focus {
            match domain_of(&self.dh, &surface) {
                Some(d) if d == self.domain => same = Some((surface, origin)),
                Some(_) => self.foreign = Some((surface, location - origin)),
                None => {}
            }
        }
        if same.as_ref().map(|(s, _)| s) != self.target.as_ref() {
            self.leave_target();
        }
        let Some((surface, origin)) = same else { return };
        let (x, y) = (location - origin).into();
        if self.target.is_some() {
            if self.reaches(&surface) {
                for d in self.devices_of(&surface) {
                    d.motion(time, x, y);
                }
            }
            return;
        }
        let Ok(client) = self.dh.get_client(surface.id()) else { return };
        match &self.source {
            Some(source) => {
                let Ok((types, actions)) = with_source_metadata(source, |m| (m.mime_types.clone(), m.dnd_action))
                else {
                    return;
                };
                let state = OfferState::new(true);
                for d in data_devices(&self.dh, &client) {
                    let from = OfferFrom::Client(source.clone());
                    let Some(offer) =
                        new_offer(&self.dh, &client, d.version(), from, types.clone(), actions, state.clone())
                    else {
                        continue;
                    };
                    d.data_offer(&offer);
                    describe_offer(&offer);
                    d.enter(serial.into(), &surface, x, y, Some(&offer));
                }
                self.offer = Some(state);
            }
            None if self.reaches(&surface) => {
                for d in data_devices(&self.dh, &client) {
                    d.enter(serial.into(), &surface, x, y, None);
                }
            }
            None => {}
        }
        self.target = Some(surface);
    }

    /// The buttons were released: drop on the surface of the drag's domain under the pointer,
    /// or hand a drop on another domain's surface to the compositor.
    fn finish(&mut self, state: &mut State) {
        if let Some(surface) = self.target.clone() {
            let devices = if self.reaches(&surface) { self.devices_of(&surface) } else { Vec::new() };
            match (&self.source, &self.offer) {
                (Some(source), Some(offer)) => {
                    let mut st = offer.lock().unwrap();
                    if st.accepted && !st.chosen_action.is_empty() {
                        st.dropped = true;
                        devices.iter().for_each(|d| d.drop());
                        if source.version() >= wl_data_source::EVT_DND_DROP_PERFORMED_SINCE {
                            source.dnd_drop_performed();
                        }
                    } else {
                        st.active = false;
                        source.cancelled();
                    }
                }
                // Without data the client moves it itself; it only needs to know where.
                (None, _) => devices.iter().for_each(|d| d.drop()),
                (Some(source), None) => source.cancelled(),
            }
            devices.iter().for_each(|d| d.leave());
            self.target = None;
            return;
        }
        match (self.source.clone(), self.foreign.take()) {
            (Some(source), Some((surface, at))) => {
                let from = self.domain.clone();
                // Later, outside the pointer's lock: the transfer shows notices and reads pipes.
                state.canopy.loop_handle.insert_idle(move |state| state.canopy.drop_across(source, from, surface, at));
            }
            (Some(source), None) => source.cancelled(),
            (None, _) => {}
        }
    }

    /// The grab was taken away (the session locked, another grab): nothing is dropped.
    fn cancel(&mut self) {
        self.leave_target();
        if let Some(source) = &self.source {
            if source.alive() {
                source.cancelled();
            }
        }
    }
}

impl PointerGrab<State> for DragGrab {
    fn motion(
        &mut self,
        data: &mut State,
        handle: &mut PointerInnerHandle<'_, State>,
        focus: Option<(WlSurface, Point<f64, Logical>)>,
        event: &MotionEvent,
    ) {
        // While dragging, no client has the pointer itself.
        handle.motion(data, None, event);
        self.update_focus(focus, event.location, event.serial, event.time);
    }

    fn button(&mut self, data: &mut State, handle: &mut PointerInnerHandle<'_, State>, event: &ButtonEvent) {
        if handle.current_pressed().is_empty() {
            self.released = true;
            handle.unset_grab(self, data, event.serial, event.time, true);
        }
    }

    fn unset(&mut self, data: &mut State) {
        if self.released {
            self.finish(data);
        } else {
            self.cancel();
        }
    }

    pass_through_gestures!();
}
