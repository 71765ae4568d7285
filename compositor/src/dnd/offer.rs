//! wl_data_offer objects of drags: offers relayed from a client's source to a surface of the same
//! domain, and the compositor's own offers that deliver a confirmed cross-domain drop.

use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};

use smithay::reexports::wayland_server::protocol::wl_data_device_manager::DndAction;
use smithay::reexports::wayland_server::protocol::wl_data_offer::{self, WlDataOffer};
use smithay::reexports::wayland_server::protocol::wl_data_source::{self, WlDataSource};
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, Resource};
use smithay::utils::IsAlive;
use smithay::wayland::selection::data_device::default_action_chooser;

use crate::state::State;

/// Where an offer's data comes from.
#[derive(Debug)]
pub enum OfferFrom {
    /// A client's drag source, offered within its own domain.
    Client(WlDataSource),
    /// A cross-domain drop that the compositor holds (its delivery id).
    Compositor(u64),
}

/// The negotiation of one drag with one target surface, shared by its offers.
#[derive(Debug)]
pub struct OfferState {
    /// The offer may still be read.
    pub active: bool,
    pub dropped: bool,
    /// The target accepts one of the offered types.
    pub accepted: bool,
    pub finished: bool,
    pub chosen_action: DndAction,
}

impl OfferState {
    pub fn new(accepted: bool) -> Arc<Mutex<OfferState>> {
        Arc::new(Mutex::new(OfferState {
            active: true,
            dropped: false,
            accepted,
            finished: false,
            chosen_action: DndAction::empty(),
        }))
    }
}

#[derive(Debug)]
pub struct DndOffer {
    pub from: OfferFrom,
    pub mime_types: Vec<String>,
    pub source_actions: DndAction,
    pub state: Arc<Mutex<OfferState>>,
}

/// Create an offer for `client` (at the version of the device it is sent on) and announce its
/// types and actions; the caller sends it in an enter event.
pub fn new_offer(
    dh: &DisplayHandle,
    client: &Client,
    version: u32,
    from: OfferFrom,
    mime_types: Vec<String>,
    source_actions: DndAction,
    state: Arc<Mutex<OfferState>>,
) -> Option<WlDataOffer> {
    let data = DndOffer { from, mime_types, source_actions, state };
    client.create_resource::<WlDataOffer, DndOffer, State>(dh, version, data).ok()
}

/// Send the types and actions of a just-announced offer.
pub fn describe_offer(offer: &WlDataOffer) {
    let Some(data) = offer.data::<DndOffer>() else { return };
    for m in &data.mime_types {
        offer.offer(m.clone());
    }
    if offer.version() >= wl_data_offer::EVT_SOURCE_ACTIONS_SINCE {
        offer.source_actions(data.source_actions);
    }
}

impl Dispatch<WlDataOffer, DndOffer> for State {
    fn request(
        state: &mut State,
        _client: &Client,
        offer: &WlDataOffer,
        request: wl_data_offer::Request,
        data: &DndOffer,
        _dh: &DisplayHandle,
        _init: &mut DataInit<'_, State>,
    ) {
        use wl_data_offer::Request;
        let mut st = data.state.lock().unwrap();
        match request {
            Request::Accept { mime_type, .. } => {
                st.accepted = mime_type.as_ref().is_some_and(|m| data.mime_types.contains(m));
                match &data.from {
                    OfferFrom::Client(source) if st.active && source.alive() => source.target(mime_type),
                    OfferFrom::Client(_) => {}
                    OfferFrom::Compositor(id) => {
                        drop(st);
                        state.canopy.delivery_progress(*id);
                    }
                }
            }
            Request::Receive { mime_type, fd } => {
                if !st.active || !data.mime_types.contains(&mime_type) {
                    return;
                }
                match &data.from {
                    OfferFrom::Client(source) if source.alive() => source.send(mime_type, fd.as_fd()),
                    OfferFrom::Client(_) => {}
                    OfferFrom::Compositor(id) => {
                        drop(st);
                        state.canopy.serve_drop(*id, mime_type, fd);
                    }
                }
            }
            Request::Destroy => {
                if let OfferFrom::Client(source) = &data.from {
                    if source.version() >= 3 && st.dropped && !st.finished && source.alive() {
                        source.cancelled();
                    }
                }
            }
            Request::Finish => {
                let refusal = if !st.active {
                    Some("Cannot finish a data offer that is no longer active.")
                } else if !st.accepted {
                    Some("Cannot finish a data offer that has not been accepted.")
                } else if !st.dropped {
                    Some("Cannot finish a data offer that has not been dropped.")
                } else if st.chosen_action.is_empty() {
                    Some("Cannot finish a data offer with no valid action.")
                } else {
                    None
                };
                if let Some(msg) = refusal {
                    offer.post_error(wl_data_offer::Error::InvalidFinish, msg);
                    return;
                }
                st.active = false;
                st.finished = true;
                if let OfferFrom::Client(source) = &data.from {
                    if source.alive() && source.version() >= wl_data_source::EVT_DND_FINISHED_SINCE {
                        source.dnd_finished();
                    }
                }
            }
            Request::SetActions { dnd_actions, preferred_action } => {
                let actions = dnd_actions.into_result().unwrap_or(DndAction::None);
                let preferred = preferred_action.into_result().unwrap_or(DndAction::None);
                if ![DndAction::None, DndAction::Move, DndAction::Copy, DndAction::Ask].contains(&preferred) {
                    offer.post_error(wl_data_offer::Error::InvalidAction, "Invalid preferred action.");
                    return;
                }
                let chosen = default_action_chooser(data.source_actions & actions, preferred);
                if chosen != st.chosen_action {
                    st.chosen_action = chosen;
                    if offer.version() >= wl_data_offer::EVT_ACTION_SINCE {
                        offer.action(chosen);
                    }
                    if let OfferFrom::Client(source) = &data.from {
                        if source.alive() && source.version() >= wl_data_source::EVT_ACTION_SINCE {
                            source.action(chosen);
                        }
                    }
                }
                if let OfferFrom::Compositor(id) = &data.from {
                    drop(st);
                    state.canopy.delivery_progress(*id);
                }
            }
            _ => {}
        }
    }
}
