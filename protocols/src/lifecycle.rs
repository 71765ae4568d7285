//! The lifecycle protocol (filled in by issue 4).
