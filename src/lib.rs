//! turntop: a live view of what a coturn TURN server is doing, from its Redis stats DB.
//!
//! The library holds everything testable without a terminal or a Redis: the coturn message
//! parser, the model, the capture format, and the headless output.

pub mod addr;
pub mod app;
pub mod capture;
pub mod check;
pub mod clock;
pub mod column;
pub mod config;
pub mod coturn;
pub mod coturn_cli;
pub mod demo;
pub mod driver;
pub mod filter;
pub mod format;
pub mod headless;
pub mod live;
pub mod logging;
pub mod manual;
pub mod metrics;
pub mod model;
pub mod output;
pub mod problem_out;
pub mod problems_config;
pub mod record;
pub mod sanitize;
pub mod serve;
pub mod source;
pub mod table;
pub mod tui;
pub mod ui;
