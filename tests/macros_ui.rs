//! Tests of the `#[runtime::main]` and `#[runtime::test]` attributes.
//!
//! The compile-fail cases under `tests/ui/fail/` check the macros' error
//! messages and where they point, against the `.stderr` file beside each case
//! (regenerate those with `TRYBUILD=overwrite cargo test --test macros_ui`,
//! then review the diff). The cases under `tests/ui/pass/` must compile and
//! run successfully.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

// A pass case is built without `--test`, which drops `#[test]` functions, so
// running a `#[runtime::test]` function takes a real test.
#[runtime::test]
async fn test_attribute_runs_the_body() -> Result<(), String> {
    let answer = async { 42 }.await;
    if answer != 42 {
        return Err(format!("expected 42, got {answer}"));
    }
    Ok(())
}

#[runtime::test(workers = 2)]
#[should_panic(expected = "panicked in the body")]
async fn test_attribute_keeps_other_attributes() {
    panic!("panicked in the body");
}
