//! Who may send requests to a daemon that serves the GUI VM (hostd, canopy-audiod): the
//! `[allow]` table of their configs, and the check of a connection's transport identity.

use canopy_common::transport::Peer;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// The GUI VM's CID, checked on vsock connections.
    #[serde(default)]
    pub gui_cid: Option<u32>,
    /// Users allowed on `unix:` sockets.
    #[serde(default)]
    pub uids: Vec<u32>,
}

impl Allow {
    /// Whether nobody at all may connect (a config error: the daemon would serve no one).
    pub fn nobody(&self) -> bool {
        self.gui_cid.is_none() && self.uids.is_empty()
    }

    /// Whether `peer` may talk to the daemon; the error says why not.
    pub fn check(&self, peer: &Peer) -> Result<(), String> {
        canopy_common::transport::peer_allowed(peer, &self.uids, self.gui_cid, "the GUI VM")
    }
}
