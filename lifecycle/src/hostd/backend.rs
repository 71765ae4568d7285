//! Starting, stopping and querying VMs: through systemd units or configured commands.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::command::{expand, run, run_ok};
use crate::hostd::config::Backend;

/// What a backend needs to know about one VM.
#[derive(Debug, Clone)]
pub struct VmRef<'a> {
    pub name: &'a str,
    pub cid: Option<u32>,
    pub disk_image: Option<&'a Path>,
}

/// Runs a VM's backend. Every call blocks until the action is done or `timeout` passes.
#[derive(Debug, Clone)]
pub struct BackendRunner {
    pub backend: Backend,
    pub timeout: Duration,
    /// Where the systemd backend writes `<vm>.env` (`CANOPY_DISK_IMAGE=…`) for the unit's
    /// `EnvironmentFile=`.
    pub state_dir: PathBuf,
}

impl BackendRunner {
    pub fn start(&self, vm: &VmRef) -> Result<(), String> {
        match &self.backend {
            Backend::Systemd { unit } => {
                self.write_env_file(vm)?;
                run_ok(&systemctl(&["start"], unit, vm), &[], self.timeout)
            }
            Backend::Command { start, .. } => self.command(start, vm).map(drop),
        }
    }

    pub fn stop(&self, vm: &VmRef) -> Result<(), String> {
        match &self.backend {
            Backend::Systemd { unit } => run_ok(&systemctl(&["stop"], unit, vm), &[], self.timeout),
            Backend::Command { stop, .. } => self.command(stop, vm).map(drop),
        }
    }

    pub fn is_running(&self, vm: &VmRef) -> Result<bool, String> {
        let cid = vm.cid.map(|c| c.to_string());
        let argv = match &self.backend {
            Backend::Systemd { unit } => systemctl(&["is-active", "--quiet"], unit, vm),
            Backend::Command { status, .. } => expand(status, &vars(vm, cid.as_deref())),
        };
        Ok(run(&argv, &env(vm), self.timeout)?.success())
    }

    fn command(&self, argv: &[String], vm: &VmRef) -> Result<(), String> {
        let cid = vm.cid.map(|c| c.to_string());
        run_ok(&expand(argv, &vars(vm, cid.as_deref())), &env(vm), self.timeout)
    }

    fn write_env_file(&self, vm: &VmRef) -> Result<(), String> {
        let Some(image) = vm.disk_image else { return Ok(()) };
        let path = self.state_dir.join(format!("{}.env", vm.name));
        let text = format!("CANOPY_DISK_IMAGE={}\n", image.display());
        crate::hostd::state::write_atomically(&path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

fn systemctl(verb: &[&str], unit: &str, vm: &VmRef) -> Vec<String> {
    let unit = expand(&[unit.to_string()], &[("vm", vm.name)]).remove(0);
    std::iter::once("systemctl").chain(verb.iter().copied()).map(String::from).chain([unit]).collect()
}

fn vars<'a>(vm: &'a VmRef, cid: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut v = vec![("vm", vm.name)];
    if let Some(cid) = cid {
        v.push(("cid", cid));
    }
    if let Some(img) = vm.disk_image.and_then(Path::to_str) {
        v.push(("disk_image", img));
    }
    v
}

fn env<'a>(vm: &'a VmRef) -> Vec<(&'static str, &'a str)> {
    let mut e = vec![("CANOPY_VM", vm.name)];
    if let Some(img) = vm.disk_image.and_then(Path::to_str) {
        e.push(("CANOPY_DISK_IMAGE", img));
    }
    e
}
