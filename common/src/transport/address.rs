//! Socket addresses as written in configs and on command lines: `unix:PATH`, `vsock:CID:PORT`
//! and `vsock-mux:PATH:PORT` (hybrid vsock over a Unix socket, as Firecracker, cloud-hypervisor
//! and vhost-device-vsock offer it on the host).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// `VMADDR_CID_ANY`: listen on every CID of this machine.
pub const CID_ANY: u32 = u32::MAX;
/// `VMADDR_CID_HOST`: the hypervisor host.
pub const CID_HOST: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// `unix:PATH`
    Unix(PathBuf),
    /// `vsock:CID:PORT`; the CID may be written `any` (listen on all) or `host` (2).
    Vsock { cid: u32, port: u32 },
    /// `vsock-mux:PATH:PORT`: connecting sends `CONNECT PORT\n` on the Unix socket PATH and waits
    /// for `OK …`; listening accepts on the Unix socket `PATH_PORT`, where the VMM delivers
    /// connections that the VM makes to PORT.
    VsockMux { path: PathBuf, port: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad address {text:?}: {reason} (expected unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT)")]
pub struct AddressError {
    text: String,
    reason: &'static str,
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| AddressError { text: s.to_string(), reason };
        let path = |p: &str| match p {
            "" => Err(err("empty path")),
            p if p.contains('\0') => Err(err("NUL in path")),
            p => Ok(PathBuf::from(p)),
        };
        let port = |p: &str| p.parse::<u32>().map_err(|_| err("port is not a number"));
        if let Some(p) = s.strip_prefix("unix:") {
            return Ok(Address::Unix(path(p)?));
        }
        if let Some(rest) = s.strip_prefix("vsock:") {
            let (cid, p) = rest.split_once(':').ok_or_else(|| err("missing port"))?;
            let cid = match cid {
                "any" => CID_ANY,
                "host" => CID_HOST,
                n => n.parse().map_err(|_| err("CID is not a number"))?,
            };
            return Ok(Address::Vsock { cid, port: port(p)? });
        }
        if let Some(rest) = s.strip_prefix("vsock-mux:") {
            // The port follows the last colon: the path may hold colons of its own.
            let (p, n) = rest.rsplit_once(':').ok_or_else(|| err("missing port"))?;
            return Ok(Address::VsockMux { path: path(p)?, port: port(n)? });
        }
        Err(err("unknown transport"))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Unix(p) => write!(f, "unix:{}", p.display()),
            Address::Vsock { cid: CID_ANY, port } => write!(f, "vsock:any:{port}"),
            Address::Vsock { cid, port } => write!(f, "vsock:{cid}:{port}"),
            Address::VsockMux { path, port } => write!(f, "vsock-mux:{}:{port}", path.display()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for (text, addr) in [
            ("unix:/run/canopy/hostd.sock", Address::Unix("/run/canopy/hostd.sock".into())),
            ("vsock:3:7100", Address::Vsock { cid: 3, port: 7100 }),
            ("vsock:any:7100", Address::Vsock { cid: CID_ANY, port: 7100 }),
            ("vsock-mux:/run/v.sock:1024", Address::VsockMux { path: "/run/v.sock".into(), port: 1024 }),
        ] {
            assert_eq!(text.parse::<Address>().unwrap(), addr);
            assert_eq!(addr.to_string(), text);
        }
        assert_eq!("vsock:host:5".parse::<Address>().unwrap(), Address::Vsock { cid: 2, port: 5 });
        assert_eq!(
            "vsock-mux:/a:b/c:7".parse::<Address>().unwrap(),
            Address::VsockMux { path: "/a:b/c".into(), port: 7 }
        );
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "unix:",
            "unix:/a\0b",
            "tcp:1.2.3.4:5",
            "vsock:3",
            "vsock:x:1",
            "vsock:3:99999999999",
            "vsock:3:70000000000",
            "vsock-mux::5",
            "vsock-mux:/run/v.sock",
            "vsock-mux:/run/v.sock:x",
            "/run/x.sock",
        ] {
            let e = bad.parse::<Address>().unwrap_err();
            assert!(e.to_string().contains("expected unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT"), "{e}");
        }
    }
}
