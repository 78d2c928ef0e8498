use std::io;

async fn parse(text: &str) -> io::Result<u32> {
    text.parse()
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

#[runtime::main]
async fn main() -> io::Result<()> {
    let value = parse("7").await?;
    if value == 7 {
        // `return` leaves the body early, as in a plain `fn main`.
        return Ok(());
    }
    Err(io::Error::other("unreachable"))
}
