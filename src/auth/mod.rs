//! Identity and access control (等保 level 3): accounts and roles, login with a second
//! factor for administrators, server-side sessions, CSRF protection, re-authentication
//! for sensitive actions, and the route table where every route declares its permission.

pub mod account;
pub mod admin;
pub mod context;
pub mod demo;
pub mod guard;
pub mod login;
pub mod password;
pub mod policy;
pub mod provision;
pub mod roles;
pub mod routes;
pub mod security;
pub mod store;
pub mod throttle;
pub mod totp;

pub use context::{Ctx, CurrentUser, Stage};
pub use roles::Role;
pub use routes::{Access, RouteInfo, Routes};
