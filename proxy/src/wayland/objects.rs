//! Which object ids exist on one connection and what interface and version each has.
//!
//! Both proxy ends follow the same bytes, so both keep the same map: requests create objects
//! with client ids, events create them with server ids; a destructor request leaves a client id
//! dead (events may still arrive for it) until wl_display.delete_id frees it.

use std::collections::HashMap;

use wayland_client::backend::protocol::{ArgumentType, Interface, MessageDesc, ANONYMOUS_INTERFACE};

use super::message::{self, Arg, Message, ProtocolError, SERVER_ID_BASE};
use super::tables::{self, op};

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to compositor.
    Request,
    /// Compositor to client.
    Event,
}

#[derive(Debug)]
pub struct Object<D> {
    pub interface: &'static Interface,
    pub version: u32,
    /// False once a destructor was sent and before delete_id frees the id.
    pub alive: bool,
    pub data: D,
}

/// A message read against the map: its arguments, its interface and its description.
pub struct Read<'a> {
    pub msg: Message<'a>,
    pub interface: &'static Interface,
    pub desc: &'static MessageDesc,
    pub version: u32,
}

pub struct Objects<D> {
    map: HashMap<u32, Object<D>>,
    max: usize,
}

impl<D: Default> Objects<D> {
    /// A map holding wl_display (id 1), allowing at most `max` objects.
    pub fn new(max: usize) -> Self {
        let mut map = HashMap::new();
        map.insert(1, Object { interface: tables::display(), version: 1, alive: true, data: D::default() });
        Objects { map, max }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, id: u32) -> Option<&Object<D>> {
        self.map.get(&id)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut Object<D>> {
        self.map.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Object<D>)> {
        self.map.iter().map(|(&id, o)| (id, o))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut Object<D>)> {
        self.map.iter_mut().map(|(&id, o)| (id, o))
    }

    pub fn ids(&self) -> Vec<u32> {
        self.map.keys().copied().collect()
    }

    pub fn contains(&self, id: u32) -> bool {
        self.map.contains_key(&id)
    }

    /// The live object `id` if it has the interface `name`.
    pub fn typed(&self, id: u32, name: &str) -> Option<&Object<D>> {
        self.map.get(&id).filter(|o| o.alive && o.interface.name == name)
    }

    pub fn typed_mut(&mut self, id: u32, name: &str) -> Option<&mut Object<D>> {
        self.map.get_mut(&id).filter(|o| o.alive && o.interface.name == name)
    }

    /// Reads one whole message (`bytes` is exactly one message, size already checked).
    /// Requests must address live objects and name live objects of the right interface;
    /// events are read leniently there, since the client may have destroyed what they name.
    pub fn read<'a>(&self, bytes: &'a [u8], dir: Dir) -> Result<Read<'a>, ProtocolError> {
        let object = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let opcode = (u32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) & 0xffff) as u16;
        let obj = self.map.get(&object).ok_or(ProtocolError::UnknownObject(object))?;
        if dir == Dir::Request && !obj.alive {
            return Err(ProtocolError::DeadObject(object));
        }
        let iface = obj.interface;
        let list = match dir {
            Dir::Request => iface.requests,
            Dir::Event => iface.events,
        };
        let desc = list.get(opcode as usize).ok_or(ProtocolError::BadOpcode { interface: iface.name, opcode })?;
        if desc.since > obj.version {
            return Err(ProtocolError::BadVersion {
                interface: iface.name,
                message: desc.name,
                id: object,
                since: desc.since,
                version: obj.version,
            });
        }
        let msg = message::parse(iface.name, desc, object, opcode, bytes)?;
        if dir == Dir::Request {
            self.check_object_args(iface, desc, &msg)?;
        }
        Ok(Read { msg, interface: iface, desc, version: obj.version })
    }

    fn check_object_args(
        &self,
        iface: &'static Interface,
        desc: &'static MessageDesc,
        msg: &Message<'_>,
    ) -> Result<(), ProtocolError> {
        let mut object_args = desc.arg_interfaces.iter();
        for (ty, arg) in desc.signature.iter().zip(&msg.args) {
            if let (ArgumentType::Object(_), Arg::Object(id)) = (ty, arg) {
                let expected = object_args.next().copied().unwrap_or(&ANONYMOUS_INTERFACE);
                if *id == 0 {
                    continue;
                }
                let target = self.map.get(id).ok_or(ProtocolError::UnknownObject(*id))?;
                if !target.alive {
                    return Err(ProtocolError::DeadObject(*id));
                }
                if expected.name != ANONYMOUS_INTERFACE.name && expected.name != target.interface.name {
                    return Err(ProtocolError::WrongInterface {
                        interface: iface.name,
                        message: desc.name,
                        id: *id,
                        actual: target.interface.name,
                        expected: expected.name,
                    });
                }
            }
        }
        Ok(())
    }

    /// Records what a message that was read (and accepted) does to the map: new objects,
    /// destructors, delete_id. Returns the id and interface of a created object, if any.
    pub fn apply(&mut self, read: &Read<'_>, dir: Dir) -> Result<Option<(u32, &'static Interface)>, ProtocolError> {
        let Read { msg, interface, desc, version } = read;
        let mut created = None;
        for (i, arg) in msg.args.iter().enumerate() {
            let Arg::NewId(id) = *arg else { continue };
            let (child, child_version) = match desc.child_interface {
                Some(child) => (child, *version),
                None => {
                    // Generic new_id (wl_registry.bind): interface name and version come first.
                    let (Some(Arg::Str(Some(name))), Some(Arg::Uint(v))) =
                        (msg.args.get(i.wrapping_sub(2)), msg.args.get(i.wrapping_sub(1)))
                    else {
                        return Err(ProtocolError::BadArguments { interface: interface.name, message: desc.name });
                    };
                    let name = String::from_utf8_lossy(name);
                    let child = tables::allowed_global(&name)
                        .ok_or_else(|| ProtocolError::UnknownInterface(name.into_owned()))?;
                    if *v == 0 || *v > child.version {
                        return Err(ProtocolError::Rule(format!(
                            "bind of {} version {v}: the proxy supports versions 1 to {}",
                            child.name, child.version
                        )));
                    }
                    (child, *v)
                }
            };
            let in_range = match dir {
                Dir::Request => id < SERVER_ID_BASE,
                Dir::Event => id >= SERVER_ID_BASE,
            };
            if !in_range || self.map.contains_key(&id) {
                return Err(ProtocolError::BadNewId { id });
            }
            if self.map.len() >= self.max {
                return Err(ProtocolError::TooManyObjects(self.map.len() + 1));
            }
            self.map.insert(id, Object { interface: child, version: child_version, alive: true, data: D::default() });
            created = Some((id, child));
        }
        if desc.is_destructor {
            if msg.object < SERVER_ID_BASE && msg.object != 1 {
                // The id stays reserved until the compositor's delete_id.
                if let Some(o) = self.map.get_mut(&msg.object) {
                    o.alive = false;
                    o.data = D::default();
                }
            } else if msg.object != 1 {
                self.map.remove(&msg.object);
            }
        }
        if dir == Dir::Event && msg.object == 1 && msg.opcode == op::DISPLAY_EV_DELETE_ID {
            let id = msg.args[0].uint();
            if id != 1 && id < SERVER_ID_BASE {
                self.map.remove(&id);
            }
        }
        Ok(created)
    }

    /// Removes every object (the connection ended), dropping their data.
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wayland::message::Builder;

    fn send(objs: &mut Objects<()>, bytes: &[u8], dir: Dir) -> Result<(), ProtocolError> {
        let read = objs.read(bytes, dir)?;
        objs.apply(&read, dir)?;
        Ok(())
    }

    fn registry_with_compositor(objs: &mut Objects<()>) {
        send(objs, &Builder::new(1, 1).uint(2).build(), Dir::Request).unwrap();
        let bind = Builder::new(2, 0).uint(1).string("wl_compositor").uint(4).uint(3).build();
        send(objs, &bind, Dir::Request).unwrap();
    }

    #[test]
    fn tracks_creation_destruction_and_delete_id() {
        let mut objs = Objects::new(100);
        registry_with_compositor(&mut objs);
        assert_eq!(objs.get(3).unwrap().interface.name, "wl_compositor");
        assert_eq!(objs.get(3).unwrap().version, 4);
        send(&mut objs, &Builder::new(3, 0).uint(4).build(), Dir::Request).unwrap(); // create_surface
        assert_eq!(objs.get(4).unwrap().interface.name, "wl_surface");
        send(&mut objs, &Builder::new(4, 0).build(), Dir::Request).unwrap(); // destroy
        assert!(!objs.get(4).unwrap().alive);
        // Requests to a destroyed surface are refused; its id is not free yet.
        assert_eq!(send(&mut objs, &Builder::new(4, 6).build(), Dir::Request), Err(ProtocolError::DeadObject(4)));
        assert_eq!(
            send(&mut objs, &Builder::new(3, 0).uint(4).build(), Dir::Request),
            Err(ProtocolError::BadNewId { id: 4 })
        );
        send(&mut objs, &Builder::new(1, 1).uint(4).build(), Dir::Event).unwrap(); // delete_id
        assert!(objs.get(4).is_none());
        send(&mut objs, &Builder::new(3, 0).uint(4).build(), Dir::Request).unwrap();
    }

    #[test]
    fn refuses_what_the_tables_forbid() {
        let mut objs = Objects::new(100);
        registry_with_compositor(&mut objs);
        assert_eq!(send(&mut objs, &Builder::new(9, 0).build(), Dir::Request), Err(ProtocolError::UnknownObject(9)));
        assert!(matches!(
            send(&mut objs, &Builder::new(3, 7).build(), Dir::Request),
            Err(ProtocolError::BadOpcode { opcode: 7, .. })
        ));
        // A surface attached to a compositor object is the wrong interface.
        send(&mut objs, &Builder::new(3, 0).uint(4).build(), Dir::Request).unwrap();
        assert!(matches!(
            send(&mut objs, &Builder::new(4, 1).uint(3).int(0).int(0).build(), Dir::Request),
            Err(ProtocolError::WrongInterface { .. })
        ));
        // Server ids from the client, and unknown interfaces in bind.
        assert_eq!(
            send(&mut objs, &Builder::new(3, 0).uint(SERVER_ID_BASE).build(), Dir::Request),
            Err(ProtocolError::BadNewId { id: SERVER_ID_BASE })
        );
        let bind = Builder::new(2, 0).uint(1).string("zwlr_layer_shell_v1").uint(1).uint(9).build();
        assert!(matches!(send(&mut objs, &bind, Dir::Request), Err(ProtocolError::UnknownInterface(_))));
        // wl_surface.offset is version 5; this surface is version 4.
        assert!(matches!(
            send(&mut objs, &Builder::new(4, 10).int(0).int(0).build(), Dir::Request),
            Err(ProtocolError::BadVersion { .. })
        ));
    }

    #[test]
    fn object_count_is_limited() {
        let mut objs = Objects::new(10);
        registry_with_compositor(&mut objs);
        for id in 4..11 {
            send(&mut objs, &Builder::new(3, 0).uint(id).build(), Dir::Request).unwrap();
        }
        assert_eq!(
            send(&mut objs, &Builder::new(3, 0).uint(11).build(), Dir::Request),
            Err(ProtocolError::TooManyObjects(11))
        );
    }
}
