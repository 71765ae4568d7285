//! What a client knows by number and a new compositor numbers differently, mapped both ways:
//! object ids (a compositor takes new ids only in sequence, so a client's objects get new ones
//! on a new connection), serials, global names and the ids of objects the compositor made.
//! Before the first restore every map is the identity and costs nothing.

use std::collections::HashMap;

use crate::wayland::message::SERVER_ID_BASE;

/// First id the proxy names its own objects by (a registry to learn the globals, callbacks,
/// and the pools and regions a restore needs for a while); on the compositor connection they
/// get ids in sequence like every other object. Client ids must stay below it (libwayland
/// servers refuse ids above 0xf00000 anyway).
pub const PROXY_ID_BASE: u32 = 0xfe00_0000;

/// Ids of the objects the client (or the proxy) made ↔ their ids on the compositor
/// connection. libwayland servers take a new id only if it is free and no higher than one past
/// the highest so far, so a new connection numbers everything afresh, in the order it is made.
#[derive(Debug, Default)]
pub struct ClientIds {
    active: bool,
    to_comp: HashMap<u32, u32>,
    to_client: HashMap<u32, u32>,
    free: Vec<u32>,
    next: u32,
}

impl ClientIds {
    /// A new compositor connection: only wl_display (1) exists.
    pub fn new_epoch(&mut self) {
        self.active = true;
        self.to_comp.clear();
        self.to_client.clear();
        self.free.clear();
        self.to_comp.insert(1, 1);
        self.to_client.insert(1, 1);
        self.next = 2;
    }

    pub fn active(&self) -> bool {
        self.active
    }

    /// The compositor's id of client object `c`.
    pub fn to_compositor(&self, c: u32) -> Option<u32> {
        if !self.active {
            return Some(c);
        }
        self.to_comp.get(&c).copied()
    }

    /// The client's id of compositor object `k`.
    pub fn to_client(&self, k: u32) -> Option<u32> {
        if !self.active {
            return Some(k);
        }
        self.to_client.get(&k).copied()
    }

    /// A compositor id for the new client object `c`.
    pub fn add(&mut self, c: u32) -> u32 {
        if !self.active {
            return c;
        }
        let k = self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        self.to_comp.insert(c, k);
        self.to_client.insert(k, c);
        k
    }

    /// The compositor deleted its id `k`: the client's id, now unmapped.
    pub fn deleted(&mut self, k: u32) -> Option<u32> {
        if !self.active {
            return Some(k);
        }
        let c = self.to_client.remove(&k)?;
        self.to_comp.remove(&c);
        self.free.push(k);
        Some(c)
    }

    /// Heap bytes of the maps.
    pub fn heap_bytes(&self) -> usize {
        (self.to_comp.capacity() + self.to_client.capacity()) * 9 + self.free.capacity() * 4
    }
}

/// Compositor serials as the client sees them. From the first restore on, a serial of the
/// current compositor `s` is `s + offset` to the client, with `offset` chosen so that every
/// serial of this connection lies above every serial the client saw before: a serial from
/// before a crash can never name an event of the new compositor.
#[derive(Debug, Default)]
pub struct Serials {
    epoch: u32,
    offset: u32,
    /// The first and the latest serial given to the client in this epoch.
    issued: Option<(u32, u32)>,
    /// The latest serial the client was given, in any epoch.
    last: u32,
}

impl Serials {
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// A compositor serial, for the client.
    pub fn to_client(&mut self, s: u32) -> u32 {
        let c = s.wrapping_add(self.offset);
        self.issued = Some(match self.issued {
            None => (c, c),
            Some((lo, hi)) if ahead(c, hi) => (lo, c),
            Some((lo, hi)) if ahead(lo, c) => (c, hi),
            Some(r) => r,
        });
        if ahead(c, self.last) {
            self.last = c;
        }
        c
    }

    /// A serial from the client, for the compositor; `None` if it was not given in this epoch
    /// (from before a crash, or made up): such a serial is never passed on.
    pub fn to_compositor(&self, c: u32) -> Option<u32> {
        if self.epoch == 0 {
            return Some(c);
        }
        let (lo, hi) = self.issued?;
        (c.wrapping_sub(lo) <= hi.wrapping_sub(lo)).then(|| c.wrapping_sub(self.offset))
    }

    /// A serial for an event the proxy makes up (a leave when the compositor is gone); no
    /// compositor serial corresponds to it.
    pub fn synthetic(&mut self) -> u32 {
        self.last = self.last.wrapping_add(1);
        self.last
    }

    /// A new compositor connection: its serials start above everything seen so far.
    pub fn new_epoch(&mut self) {
        self.epoch += 1;
        self.offset = self.last.wrapping_add(1);
        self.issued = None;
    }
}

/// Whether serial `a` comes after `b` (serials wrap).
fn ahead(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 1 << 31
}

/// Client-side names of globals ↔ the compositor's. `None`: the identity (no restore yet).
#[derive(Debug, Default)]
pub struct Names {
    map: Option<(HashMap<u32, u32>, HashMap<u32, u32>)>,
    /// The next name to give a global the client has not seen.
    next: u32,
}

impl Names {
    /// Starts a new mapping: `known` (client name → compositor name) for globals matched up,
    /// `highest` the highest client name in use.
    pub fn remap(&mut self, known: impl IntoIterator<Item = (u32, u32)>, highest: u32) {
        let to_comp: HashMap<u32, u32> = known.into_iter().collect();
        let to_client = to_comp.iter().map(|(&c, &s)| (s, c)).collect();
        self.next = self.next.max(highest.saturating_add(1));
        self.map = Some((to_comp, to_client));
    }

    pub fn to_compositor(&self, client: u32) -> Option<u32> {
        match &self.map {
            None => Some(client),
            Some((to_comp, _)) => to_comp.get(&client).copied(),
        }
    }

    /// The client's name of a compositor global, made up for one it has not seen.
    pub fn to_client(&mut self, comp: u32) -> u32 {
        let Some((to_comp, to_client)) = &mut self.map else { return comp };
        if let Some(&c) = to_client.get(&comp) {
            return c;
        }
        let c = self.next;
        self.next += 1;
        to_client.insert(comp, c);
        to_comp.insert(c, comp);
        c
    }

    pub fn known(&self, comp: u32) -> Option<u32> {
        match &self.map {
            None => Some(comp),
            Some((_, to_client)) => to_client.get(&comp).copied(),
        }
    }

    pub fn forget(&mut self, comp: u32) {
        if let Some((to_comp, to_client)) = &mut self.map {
            if let Some(c) = to_client.remove(&comp) {
                to_comp.remove(&c);
            }
        }
    }
}

/// Ids of objects the compositor made (data offers): the client keeps those of a dead
/// compositor until it destroys them, so a new compositor's ids are moved to free ones.
#[derive(Debug, Default)]
pub struct ServerIds {
    active: bool,
    to_client: HashMap<u32, u32>,
    to_comp: HashMap<u32, u32>,
    next: u32,
}

impl ServerIds {
    /// A new compositor: none of its objects exist yet.
    pub fn new_epoch(&mut self) {
        self.active = true;
        self.to_client.clear();
        self.to_comp.clear();
    }

    pub fn active(&self) -> bool {
        self.active
    }

    pub fn to_client(&self, comp: u32) -> Option<u32> {
        if !self.active || comp < SERVER_ID_BASE {
            return Some(comp);
        }
        self.to_client.get(&comp).copied()
    }

    pub fn to_compositor(&self, client: u32) -> Option<u32> {
        if !self.active || client < SERVER_ID_BASE {
            return Some(client);
        }
        self.to_comp.get(&client).copied()
    }

    /// A client id for a new compositor object, free in the client's map (`taken`).
    pub fn add(&mut self, comp: u32, taken: impl Fn(u32) -> bool) -> u32 {
        if !self.active {
            return comp;
        }
        let mut c = self.next.max(SERVER_ID_BASE);
        while taken(c) || self.to_comp.contains_key(&c) {
            c = c.checked_add(1).unwrap_or(SERVER_ID_BASE);
        }
        self.next = c.checked_add(1).unwrap_or(SERVER_ID_BASE);
        self.to_client.insert(comp, c);
        self.to_comp.insert(c, comp);
        c
    }

    pub fn remove_client(&mut self, client: u32) {
        if let Some(s) = self.to_comp.remove(&client) {
            self.to_client.remove(&s);
        }
    }
}

/// The proxy's own ids on the current compositor connection.
#[derive(Debug, Default)]
pub struct ProxyIds {
    next: u32,
    free: Vec<u32>,
}

impl ProxyIds {
    pub fn take(&mut self) -> u32 {
        if let Some(id) = self.free.pop() {
            return id;
        }
        let id = PROXY_ID_BASE + self.next;
        self.next += 1;
        id
    }

    /// The compositor deleted it (delete_id): it may be used again.
    pub fn give_back(&mut self, id: u32) {
        self.free.push(id);
    }

    /// A new connection: every id is free.
    pub fn reset(&mut self) {
        *self = ProxyIds::default();
    }
}

pub fn is_proxy_id(id: u32) -> bool {
    (PROXY_ID_BASE..SERVER_ID_BASE).contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_of_a_new_compositor_lie_above_the_old_ones_and_old_ones_are_stale() {
        let mut s = Serials::default();
        assert_eq!((s.to_client(5), s.to_client(900)), (5, 900));
        assert_eq!(s.to_compositor(900), Some(900), "identity before any restore");
        let leave = s.synthetic();
        assert_eq!(leave, 901);
        s.new_epoch();
        let c = s.to_client(3);
        assert!(c > leave, "{c}");
        assert_eq!(s.to_compositor(c), Some(3));
        let c2 = s.to_client(40);
        assert_eq!(s.to_compositor(c2), Some(40));
        assert_eq!(s.to_compositor(c + 1), Some(4), "inside this epoch's range");
        for stale in [5, 900, leave, c2 + 1, 0] {
            assert_eq!(s.to_compositor(stale), None, "{stale}");
        }
        // A second restore: the first restore's serials are stale too.
        s.new_epoch();
        assert_eq!(s.to_compositor(c), None);
        let c3 = s.to_client(3);
        assert!(c3 > c2);
        assert_eq!(s.to_compositor(c3), Some(3));
    }

    #[test]
    fn serials_survive_wrapping() {
        let mut s = Serials::default();
        s.to_client(u32::MAX - 10);
        s.new_epoch();
        let c = s.to_client(1);
        assert_eq!(s.to_compositor(c), Some(1));
        assert_eq!(s.to_compositor(u32::MAX - 10), None);
    }

    #[test]
    fn global_names_map_both_ways_and_new_globals_get_fresh_names() {
        let mut n = Names::default();
        assert_eq!((n.to_compositor(7), n.to_client(7)), (Some(7), 7));
        n.remap([(1, 30), (2, 31)], 9);
        assert_eq!(n.to_compositor(1), Some(30));
        assert_eq!(n.to_compositor(3), None, "a global that did not come back");
        assert_eq!(n.to_client(31), 2);
        let fresh = n.to_client(32);
        assert_eq!(fresh, 10);
        assert_eq!(n.to_compositor(10), Some(32));
        n.forget(32);
        assert_eq!(n.known(32), None);
    }

    #[test]
    fn a_new_connection_numbers_objects_in_sequence() {
        let mut ids = ClientIds::default();
        assert_eq!((ids.add(29), ids.to_compositor(29), ids.to_client(7)), (29, Some(29), Some(7)));
        ids.new_epoch();
        assert_eq!((ids.add(29), ids.add(3), ids.add(PROXY_ID_BASE)), (2, 3, 4));
        assert_eq!((ids.to_compositor(3), ids.to_client(2)), (Some(3), Some(29)));
        assert_eq!(ids.to_compositor(5), None, "not made on this connection");
        assert_eq!(ids.deleted(2), Some(29));
        assert_eq!(ids.to_compositor(29), None);
        assert_eq!(ids.add(40), 2, "a freed id is taken again");
    }

    #[test]
    fn new_server_ids_avoid_the_clients_old_ones() {
        let mut ids = ServerIds::default();
        assert_eq!(ids.add(SERVER_ID_BASE, |_| true), SERVER_ID_BASE, "identity before any restore");
        ids.new_epoch();
        let old = [SERVER_ID_BASE, SERVER_ID_BASE + 1];
        let c = ids.add(SERVER_ID_BASE, |id| old.contains(&id));
        assert_eq!(c, SERVER_ID_BASE + 2);
        assert_eq!(ids.to_compositor(c), Some(SERVER_ID_BASE));
        assert_eq!(ids.to_client(SERVER_ID_BASE), Some(c));
        assert_eq!(ids.to_compositor(SERVER_ID_BASE), None, "an old offer is not the compositor's");
        ids.remove_client(c);
        assert_eq!(ids.to_client(SERVER_ID_BASE), None);
        assert_eq!(ids.to_compositor(5), Some(5), "client ids pass");
    }
}
