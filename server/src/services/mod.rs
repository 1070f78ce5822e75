//! Real servers a test starts on free local ports (Debian's packages, installed by
//! `cargo xtask setup`) and that never outlive it.

pub mod coturn;
pub mod smtp;
pub mod watched;
