//! Lifecycle tests, one file per rule family, sharing the fixtures below.

mod approval;
mod boundary;
mod comments;
mod evidence;
mod extension;
mod fixtures;
mod gate;
mod health;
mod lifecycle;
mod notices;
mod policy_change;
mod policy_guard;
mod request;
mod revocation;
mod sweep;
mod view;
