//! Socket addresses as written in configs and on command lines: `unix:PATH` or `vsock:CID:PORT`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// `VMADDR_CID_ANY`: listen on every CID of this machine.
pub const CID_ANY: u32 = u32::MAX;
/// `VMADDR_CID_HOST`: the hypervisor host.
pub const CID_HOST: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    Unix(PathBuf),
    /// `vsock:CID:PORT`; the CID may be written `any` (listen on all) or `host` (2).
    Vsock {
        cid: u32,
        port: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad address {text:?}: {reason} (expected unix:PATH or vsock:CID:PORT)")]
pub struct AddressError {
    text: String,
    reason: &'static str,
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| AddressError { text: s.to_string(), reason };
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(err("empty path"));
            }
            if path.contains('\0') {
                return Err(err("NUL in path"));
            }
            return Ok(Address::Unix(path.into()));
        }
        if let Some(rest) = s.strip_prefix("vsock:") {
            let (cid, port) = rest.split_once(':').ok_or_else(|| err("missing port"))?;
            let cid = match cid {
                "any" => CID_ANY,
                "host" => CID_HOST,
                n => n.parse().map_err(|_| err("CID is not a number"))?,
            };
            let port = port.parse().map_err(|_| err("port is not a number"))?;
            return Ok(Address::Vsock { cid, port });
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
        ] {
            assert_eq!(text.parse::<Address>().unwrap(), addr);
            assert_eq!(addr.to_string(), text);
        }
        assert_eq!("vsock:host:5".parse::<Address>().unwrap(), Address::Vsock { cid: 2, port: 5 });
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "unix:", "tcp:1.2.3.4:5", "vsock:3", "vsock:x:1", "vsock:3:99999999999", "/run/x.sock"] {
            let e = bad.parse::<Address>().unwrap_err();
            assert!(e.to_string().contains("expected unix:PATH or vsock:CID:PORT"), "{e}");
        }
    }
}
