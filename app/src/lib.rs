//! 家访通: the Leptos application (components, routes, server functions,
//! shared types) and, with the `ssr` feature, the server-side domain logic.
//!
//! Organised by domain: `auth` (accounts, sessions, access control),
//! `roster` (students), `home` (landing page and the areas to come), with
//! `layout` for the app frame. Server-only plumbing: `config`, `state`,
//! `db`, `api` (REST router + OpenAPI), `audit`.
#![recursion_limit = "256"]

pub mod attachments;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod classes;
pub mod dropout;
pub mod error;
pub mod home;
pub mod home_teaching;
pub mod layout;
pub mod notifications;
pub mod quotas;
pub mod remote;
pub mod reports;
pub mod reviews;
pub mod roster;
pub mod semesters;
pub mod staff;
pub mod sync;
pub mod visits;

mod app;
pub use app::{App, shell};

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod state;
