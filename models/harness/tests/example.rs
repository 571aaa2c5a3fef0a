//! The README's example of a scenario written against the library (models/harness/examples/
//! own_driver.rs) compiles and its assertions hold: freeing the notifier at once in
//! `->release` is a use-after-free of notifier A; freeing it after a grace period is safe.

#[path = "../examples/own_driver.rs"]
mod own_driver;

#[test]
fn the_readme_example_runs_and_its_assertions_hold() {
    own_driver::main();
}
