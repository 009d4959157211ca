//! The server's HTTP API, end to end: each test starts its own server on a free port with a fresh
//! database holding the demo organisations (see `opora_tests::TestApp`).

mod accounts;
mod admin;
mod analytics;
mod auth;
mod campaigns;
mod client_errors;
mod department;
mod input_checks;
mod limits;
mod live_database;
mod matrix;
mod membership;
mod multi_process;
mod periods;
mod privacy;
mod proxy;
mod reports;
mod seal_race;
mod self_diagnoses;
mod slow_clients;
mod static_files;
mod storage;
mod subjects;
mod sync;
mod throttle;
