use std::rc::Rc;

// The body does not need to be `Send`.
#[runtime::main(workers = 4)]
async fn main() {
    let shared = Rc::new(5);
    let doubled = async { *shared * 2 }.await;
    assert_eq!(doubled, 10);
}
