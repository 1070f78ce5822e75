//! End-to-end browser tests live here once the front ends exist.
