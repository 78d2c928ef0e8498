//! Two simulated fetches, of 2 s and 3 s, run concurrently: the whole takes about 3 s, not 5.

use std::time::{Duration, Instant};

async fn fetch(name: &str, delay: Duration) -> String {
    runtime::time::sleep(delay).await;
    format!("{name} after {delay:?}")
}

#[runtime::main]
async fn main() {
    let start = Instant::now();
    let slow = runtime::spawn(fetch("slow", Duration::from_secs(3)));
    let quick = runtime::spawn(fetch("quick", Duration::from_secs(2)));
    println!("{}", quick.await.expect("the fetch does not panic"));
    println!("{}", slow.await.expect("the fetch does not panic"));
    println!("both done in {:.1?}", start.elapsed());
}
