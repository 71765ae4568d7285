//! canopy-hostd, canopy-agent and canopy-ctl: starting apps and VMs, power actions
