//! Black-box tests through the router, the CLI and a real browser. One test binary, so
//! the two-core CI machine links the crate once.

mod common;

mod auth_login;
mod browser_smoke;
mod calendar;
mod cli;
mod demo;
mod regions;
mod storage;
mod web_shell;
