//! The `#[runtime::main]` and `#[runtime::test]` attributes.
//!
//! Both attributes turn an `async fn` into a plain `fn` that builds a
//! `runtime::Runtime` and runs the function's body on its worker 0 while the
//! calling thread waits. They are meant to be
//! used through their re-exports, `runtime::main` and `runtime::test`; the
//! expansions only refer to items under `::runtime`, so the `runtime` crate
//! must be a dependency of the crate that uses them.
//!
//! Both accept one option, `workers = N`, the number of worker threads. Without
//! it, `runtime::Builder::new()` picks the default (which honours the
//! `RUNTIME_WORKERS` environment variable).

#![warn(missing_docs)]

mod entry;

use proc_macro::TokenStream;

/// Marks the `async fn` that is the program's entry point.
///
/// The function is rewritten into a synchronous `fn` with the same name,
/// attributes and visibility, which builds a runtime and runs the original
/// body to completion on it with `Runtime::block_on_pinned`: on worker 0, as a
/// task pinned there, while the calling thread waits. The body may hold `Rc`
/// and other `!Send` values and call `runtime::spawn_local`. `return`
/// statements and `?` in the body keep working.
///
/// Only the output crosses back to the calling thread, so a return type other
/// than `()` is reported on worker 0 as `fn main` reports it
/// (`std::process::Termination`: an `Err` is printed to stderr and the exit
/// code is 1), and the rewritten `fn` returns that `std::process::ExitCode`.
///
/// ```
/// #[runtime::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = runtime::net::TcpListener::bind("127.0.0.1:0")?;
///     println!("listening on {}", listener.local_addr()?);
///     // ... `.await` as needed ...
///     Ok(())
/// }
/// ```
///
/// # Options
///
/// - `workers = N`: run `N` worker threads (a positive integer literal)
///   instead of the default, which `RUNTIME_WORKERS` may set.
///
/// ```
/// #[runtime::main(workers = 4)]
/// async fn main() {
///     assert_eq!(runtime::metrics().workers.len(), 4);
/// }
/// ```
///
/// # Expansion
///
/// ```text
/// fn main() -> ::std::process::ExitCode {  // `fn main()` if it returned `()`
///     let runtime = ::runtime::Builder::new()
///         .workers(4) // only with `workers = 4`
///         .build()
///         .expect("failed to build the runtime");
///     runtime.block_on_pinned(move || async move {
///         let body = async move { /* the original body */ };
///         let output: R = body.await;
///         ::std::process::Termination::report(output) // `output` for `()`
///     })
/// }
/// ```
///
/// The attribute can be put on an `async fn` with another name too, which then
/// runs its body each time it is called, on the calling thread with
/// `Runtime::block_on` (its arguments need not be `Send`); such a function may
/// take arguments and be generic and keeps its return type. The `main`
/// function itself may not take arguments.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Main, args.into(), item.into()).into()
}

/// Marks an `async fn` as a test that runs on its own runtime.
///
/// The function becomes a `#[test]` function that builds a fresh runtime and
/// runs the original body on its worker 0, as `#[runtime::main]` does, so it
/// takes the same return types as any test (`()` or a `Result`, reported as
/// the test harness reports it), and `#[should_panic]` or `#[ignore]` can be
/// added as usual. Do not add `#[test]` itself: this attribute adds it.
///
/// ```
/// #[runtime::test]
/// async fn echoes() -> std::io::Result<()> {
///     let (mut a, mut b) = runtime::net::UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut got = [0; 4];
///     b.read_exact(&mut got).await?;
///     assert_eq!(&got, b"ping");
///     Ok(())
/// }
///
/// #[runtime::test(workers = 2)]
/// async fn with_two_workers() {
///     assert_eq!(runtime::metrics().workers.len(), 2);
/// }
///
/// // The clock stands still, and jumps to the next timer when nothing else
/// // can happen: an hour's timeout is tested at once.
/// #[runtime::test(start_paused = true)]
/// async fn times_out() {
///     let never = std::future::pending::<()>();
///     let hour = std::time::Duration::from_secs(3600);
///     assert!(runtime::time::timeout(hour, never).await.is_err());
/// }
/// # fn main() {}
/// ```
///
/// # Options
///
/// - `workers = N`: run `N` worker threads (a positive integer literal)
///   instead of the default, which `RUNTIME_WORKERS` may set.
/// - `start_paused = true`: pause the runtime's clock before the body runs
///   (see `runtime::time::pause`).
///
/// # Expansion
///
/// ```text
/// #[::core::prelude::v1::test]
/// fn echoes() -> ::std::process::ExitCode {
///     // the same body as `#[runtime::main]` generates
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Test, args.into(), item.into()).into()
}
