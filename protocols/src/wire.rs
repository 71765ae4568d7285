//! The canopy-proxy wire format (filled in by issue 3).
