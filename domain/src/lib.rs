//! Opora's shared core: the domain model, the scoring and aggregation rules and the sync protocol.
//!
//! The browser (compiled to wasm32) and the server (native) both depend on this crate, so a teacher's
//! result computed offline on her phone is the same number the department later sees. Nothing here
//! does I/O, reads a clock or touches the network: callers pass time and data in, and get plans and
//! results back. That is what makes the rules testable table-style and the protocol checkable by a
//! property test.

pub mod accounts;
pub mod aggregate;
pub mod analytics;
pub mod api;
pub mod campaign;
pub mod coverage;
pub mod diagnosis;
pub mod form;
pub mod history;
pub mod ids;
pub mod membership;
pub mod merge;
pub mod org;
pub mod period;
pub mod report;
pub mod report_draft;
pub mod report_layout;
pub mod roadmap;
pub mod ru_input;
pub mod scoring;
pub mod sheets;
pub mod sync;
pub mod text;

pub use ids::*;
