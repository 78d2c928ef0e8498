#[runtime::test]
#[test]
async fn runs_once() {}

fn main() {}
