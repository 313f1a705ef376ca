//! Compose, read the way Compose reads it.
pub mod envfile;
pub mod interpolate;
pub mod sizes;
pub mod yaml;
pub mod merge;
pub mod discover;
