//! Home visits (家访): the 家访记录表, 拟家访 reports, and the offline
//! recording on the phone.
//!
//! `model` is the contract shared by the phone and the server. Server side
//! (`ssr`): `service` (rules and storage), `plans` (拟家访), `api` (the
//! sync protocol under `/api/v1`).

pub mod detail;
pub mod form;
pub mod list;
pub mod local;
pub mod model;
pub mod plans_page;
pub mod signature;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
mod known;
#[cfg(feature = "ssr")]
pub mod lookup;
#[cfg(feature = "ssr")]
pub mod plans;
#[cfg(feature = "ssr")]
pub mod query;
#[cfg(feature = "ssr")]
pub mod service;

#[cfg(feature = "hydrate")]
pub mod device;
#[cfg(feature = "hydrate")]
pub mod photos;

pub use model::*;
