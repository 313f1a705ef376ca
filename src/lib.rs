//! headroom: does this machine have the headroom this Gunicorn + PostgreSQL + Docker stack needs?
//!
//! The pipeline (see DESIGN.md): cli → discover → rules::load → plan → probe → engine → report.
//! Parsing arguments and loading rules touch nothing on the host; rules see only [`facts::Facts`].

pub mod app;
pub mod budget;
pub mod cli;
pub mod compose;
pub mod diag;
pub mod docker;
pub mod docs;
pub mod engine;
pub mod facts;
pub mod gunicorn;
pub mod postgres;
pub mod probe;
pub mod redact;
pub mod report;
pub mod rules;
pub mod stack;
pub mod tune;
