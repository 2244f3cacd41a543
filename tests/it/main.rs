//! Black-box tests through the router, the CLI and a real browser. One test binary, so
//! the two-core CI machine links the crate once.

mod common;
mod community;
mod compare;

mod access_control;
mod api_document;
mod assistance_api;
mod assistance_pages;
mod assistance_roster;
mod assistance_temporary;
mod assistance_workflow;
mod audit_log;
mod auth_login;
mod browser_assistance;
mod browser_auth;
mod browser_community;
mod browser_compare;
mod browser_elderly;
mod browser_homecare;
mod browser_marriage;
mod browser_payments;
mod browser_relief;
mod browser_report;
mod browser_smoke;
mod calendar;
mod cli;
mod community_people;
mod demo;
mod elderly;
mod elderly_people;
mod funds;
mod funeral;
mod homecare;
mod marriage;
mod payments;
mod personal_data;
mod regions;
mod relief;
mod report;
mod report_balance;
mod storage;
mod web_shell;
