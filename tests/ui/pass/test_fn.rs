#[runtime::test]
async fn plain() {
    assert_eq!(async { 1 + 1 }.await, 2);
}

#[runtime::test(workers = 2)]
#[ignore = "only checks that the attributes expand"]
async fn returns_result() -> Result<(), String> {
    Ok(())
}

fn main() {}
