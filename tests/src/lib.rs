//! End-to-end tests of canopy: real clients, proxy and compositor on the headless backend
