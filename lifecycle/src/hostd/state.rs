//! What hostd remembers between runs (`state.json` in the state directory): the disk image
//! paths the user gave. Written atomically, so a crash never leaves half a file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Remembered {
    #[serde(default)]
    disk_images: BTreeMap<String, PathBuf>,
}

#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    data: Remembered,
}

impl StateFile {
    /// Load `DIR/state.json`; a missing file is an empty state, a damaged one an error.
    pub fn load(dir: &Path) -> Result<StateFile, String> {
        let path = dir.join("state.json");
        let data = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("{}: damaged state file: {e} (fix or remove it)", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Remembered::default(),
            Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
        };
        Ok(StateFile { path, data })
    }

    pub fn disk_image(&self, vm: &str) -> Option<&Path> {
        self.data.disk_images.get(vm).map(PathBuf::as_path)
    }

    pub fn set_disk_image(&mut self, vm: &str, image: &Path) -> Result<(), String> {
        let mut data = self.data.clone();
        data.disk_images.insert(vm.to_string(), image.to_path_buf());
        let json = serde_json::to_vec_pretty(&data).expect("state serialises");
        write_atomically(&self.path, &json).map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        self.data = data;
        Ok(())
    }
}

/// Write `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_across_loads_and_reports_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = StateFile::load(dir.path()).unwrap();
        assert_eq!(s.disk_image("win"), None);
        s.set_disk_image("win", Path::new("/img/win.qcow2")).unwrap();
        let s = StateFile::load(dir.path()).unwrap();
        assert_eq!(s.disk_image("win"), Some(Path::new("/img/win.qcow2")));
        std::fs::write(dir.path().join("state.json"), "{\"disk_images\": 3}").unwrap();
        let e = StateFile::load(dir.path()).unwrap_err();
        assert!(e.contains("state.json: damaged state file"), "{e}");
    }
}
