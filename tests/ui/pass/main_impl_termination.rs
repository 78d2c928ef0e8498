#[runtime::main]
async fn main() -> impl std::process::Termination {
    Ok::<(), std::io::Error>(())
}
