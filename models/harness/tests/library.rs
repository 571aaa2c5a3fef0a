//! The library seen from a user's tests, in one test binary: each file below is a module (the
//! kernel model's generic code is compiled once for all of them). The tests that change
//! process-wide state or look at a whole process's output — the panic hook (`panic_hook.rs`),
//! process isolation (`isolation.rs`) — and the crate built outside the workspace
//! (`outside_crate.rs`) are test binaries of their own.

mod distinct_traces;
mod front_door;
mod own_check;
mod readme_example;
