//! The canopy app launcher grid
