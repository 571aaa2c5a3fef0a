//! The README's own-check example is `own_check.rs`, which `cargo test` compiles and runs: the
//! two stay the same.

#[test]
fn the_readme_shows_own_check_rs() {
    let readme = include_str!("../../../README.md");
    let example = include_str!("own_check.rs");
    assert!(
        readme.contains(&format!("```rust\n{example}```")),
        "README.md's example under 'Check your own driver' must be models/harness/tests/own_check.rs"
    );
}
