#[runtime::main(workers = "two")]
async fn main() {}
