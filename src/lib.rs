//! headroom: does this machine have the headroom this Gunicorn + PostgreSQL + Docker stack needs?
//!
//! The pipeline (see DESIGN.md): cli → discover → rules::load → plan → probe → engine → report.
//! Parsing arguments and loading rules touch nothing on the host; rules see only [`facts::Facts`].

pub mod compose;
pub mod docker;
pub mod facts;
pub mod probe;
