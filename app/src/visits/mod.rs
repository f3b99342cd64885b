//! Home visits (家访): the 家访记录表, 拟家访 reports, and the offline
//! recording on the phone.
//!
//! `model` is the contract shared by the phone and the server. Server side
//! (`ssr`): `service` (rules and storage), `plans` (拟家访), `api` (the
//! sync protocol under `/api/v1`).

pub mod model;

pub use model::*;
