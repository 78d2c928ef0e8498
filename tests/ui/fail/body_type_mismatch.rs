// A body whose value does not match the return type is reported in the body.
#[runtime::main]
async fn main() {
    let answer = async { 42 }.await;
    answer
}
