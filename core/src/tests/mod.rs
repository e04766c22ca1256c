//! Lifecycle tests, one file per rule family, sharing the fixtures below.

mod approval;
mod boundary;
mod extension;
mod fixtures;
mod gate;
mod lifecycle;
mod request;
mod revocation;
mod sweep;
mod view;
