//! Parsing and expansion shared by `#[runtime::main]` and `#[runtime::test]`.
//!
//! The attribute arguments become a [`Config`] (parsed in [`config`]), the
//! annotated item an [`EntryFn`]. Both are checked, and the function is
//! rewritten into a plain `fn` that builds a `::runtime::Runtime` and blocks
//! on the original body.
//!
//! Every error is reported as a `compile_error!` spanned at the offending
//! token, but the function is still expanded (with the default config if the
//! arguments were wrong), as tokio-macros does: that way the rest of the crate,
//! and an IDE's view of the body, keep working while the error is fixed.

mod config;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{braced, token, Attribute, Signature, Visibility};

use config::Config;

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as users write it, for messages.
    fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[runtime::main]",
            Kind::Test => "#[runtime::test]",
        }
    }
}

/// An `fn` item whose body is kept as unparsed tokens.
///
/// Parsing the body into statements would gain nothing, cost compile time,
/// and turn a syntax error in the body into a failed expansion; kept as
/// tokens, the body reaches rustc as written and rustc reports such errors.
struct EntryFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    brace: token::Brace,
    inner_attrs: Vec<Attribute>,
    body: TokenStream,
}

impl Parse for EntryFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body = content.parse()?;
        Ok(EntryFn {
            attrs,
            vis,
            sig,
            brace,
            inner_attrs,
            body,
        })
    }
}

/// Collects errors so that they are all reported together.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Expands `#[runtime::main]` or `#[runtime::test]` on `item`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let input: EntryFn = match syn::parse2(item.clone()) {
        Ok(input) => input,
        // Not a function: nothing to rewrite, so give the item back untouched.
        Err(error) => {
            let hint = format!("{} goes on an `async fn`", kind.attribute());
            let error = syn::Error::new(error.span(), format!("{error}; {hint}"));
            return with_error(item, error);
        }
    };
    let mut errors = Errors::default();
    let config = Config::parse(args).unwrap_or_else(|error| {
        errors.push(error);
        Config::default()
    });
    let callable = check_signature(kind, &input, &mut errors);
    let expanded = expand_fn(kind, input, &config, callable);
    match errors.finish() {
        Ok(()) => expanded,
        Err(error) => with_error(expanded, error),
    }
}

fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

/// Reports what makes `input` unfit for `kind`. Returns whether it can be
/// called without arguments, as the entry point and tests are.
fn check_signature(kind: Kind, input: &EntryFn, errors: &mut Errors) -> bool {
    let sig = &input.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    if kind == Kind::Test {
        for attr in input.attrs.iter().filter(|attr| is_test_attr(attr)) {
            errors.push(syn::Error::new_spanned(
                attr,
                "the #[test] attribute is added by #[runtime::test]; remove it",
            ));
        }
    }
    // Any other function under `#[runtime::main]` is called by the user, so
    // it may take arguments and be generic.
    if kind == Kind::Main && sig.ident != "main" {
        return true;
    }
    let mut callable = true;
    if !sig.inputs.is_empty() {
        let message = match kind {
            Kind::Main => {
                "the `main` function cannot take arguments; \
                 read command-line arguments with `std::env::args()`"
            }
            Kind::Test => "test functions cannot take arguments",
        };
        errors.push(syn::Error::new_spanned(&sig.inputs, message));
        callable = false;
    }
    if !sig.generics.params.is_empty() {
        let message = match kind {
            Kind::Main => "the `main` function cannot have generic parameters",
            Kind::Test => "test functions cannot have generic parameters",
        };
        errors.push(syn::Error::new_spanned(&sig.generics, message));
        callable = false;
    }
    callable
}

/// Whether `attr` is the built-in `#[test]`, however it is spelled.
fn is_test_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    let first = path.segments.first().map(|segment| &segment.ident);
    let last = path.segments.last().map(|segment| &segment.ident);
    path.is_ident("test")
        || (first.is_some_and(|first| first == "core" || first == "std")
            && last.is_some_and(|last| last == "test"))
}

/// Rewrites `input` into a synchronous function that runs its body on a new runtime.
///
/// The entry point and tests run the body on worker 0 as a pinned task
/// (`Runtime::block_on_pinned`), created there from a closure that captures
/// nothing, so the body may hold `!Send` values and spawn pinned tasks. Only
/// the output crosses back to the calling thread, so a return type other than
/// `()` is turned into an exit code there (`Termination::report`, which prints
/// an error as `fn main` would) and the function returns that `ExitCode`.
///
/// Any other function under `#[runtime::main]` takes arguments, which need
/// not be `Send`: it blocks on its body on the calling thread
/// (`Runtime::block_on`).
///
/// `callable` is false when the function was reported as taking arguments or
/// being generic. It is then kept out of the entry point's and the test
/// harness's way, so that rustc adds no errors of its own about it.
fn expand_fn(kind: Kind, input: EntryFn, config: &Config, callable: bool) -> TokenStream {
    let EntryFn {
        mut attrs,
        vis,
        mut sig,
        brace,
        inner_attrs,
        body,
    } = input;
    sig.asyncness = None;
    if kind == Kind::Test {
        // Already reported; ours replaces it.
        attrs.retain(|attr| !is_test_attr(attr));
    }
    // The body keeps its braces (and their spans) as the async block's.
    let mut block = TokenStream::new();
    brace.surround(&mut block, |tokens| body.to_tokens(tokens));
    let workers = config.workers.map(|workers| quote!(.workers(#workers)));
    let pause = config
        .start_paused
        .then(|| quote!(::runtime::time::pause();));
    // Rustc reports a body whose output is not `R` as a type mismatch on the
    // expression that yields it. Giving that expression the span of the
    // body's last statement makes the error point there, in the user's code,
    // with rustc's usual hints (as tokio-macros does). Only that expression
    // gets that span, so that lints such as `clippy::expect_used` see the
    // rest as macro-generated.
    let (start, end) = last_statement_span(&body, brace.span.close());
    let entry = callable && (kind == Kind::Test || sig.ident == "main");
    let run = if entry {
        let body = quote_spanned!(start=> body);
        let awaited = quote_spanned!(end=> #body.await);
        let finish = match &sig.output {
            syn::ReturnType::Type(_, ty) if !is_unit(ty) => {
                // `impl Termination` cannot name a `let`'s type: its body is checked by the
                // call alone, spanned at the return type.
                let ty = ty.clone();
                let output = match *ty {
                    syn::Type::ImplTrait(_) => quote!(#awaited),
                    _ => quote!({
                        let output: #ty = #awaited;
                        output
                    }),
                };
                sig.output = syn::parse_quote!(-> ::std::process::ExitCode);
                quote_spanned!(ty.span()=> ::std::process::Termination::report(#output))
            }
            _ => quote! {
                let output: () = #awaited;
                output
            },
        };
        quote! {
            runtime.block_on_pinned(move || async move {
                #pause
                let body = async move #block;
                #finish
            })
        }
    } else {
        let runtime = quote_spanned!(start=> runtime);
        let block_on = quote_spanned!(end=> #runtime.block_on(body));
        quote! {
            let body = async move {
                #pause
                #block
            };
            #block_on
        }
    };
    let function = quote! {
        #(#attrs)*
        #vis #sig {
            #(#inner_attrs)*
            let runtime = ::runtime::Builder::new()
                #workers
                .build()
                .expect("failed to build the runtime");
            #run
        }
    };
    match (kind, callable) {
        (Kind::Main, true) => function,
        // Nested, it is no longer the entry point, which a placeholder provides.
        (Kind::Main, false) => quote!(fn main() { #function }),
        (Kind::Test, true) => quote!(#[::core::prelude::v1::test] #function),
        (Kind::Test, false) => function,
    }
}

/// Whether `ty` is `()`.
fn is_unit(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// The spans of the first and last tokens of the body's last statement, or
/// `close` (the closing brace) twice for an empty body.
///
/// Statements are told apart by top-level `;`s only, which is exact enough
/// for pointing at code and saves parsing the body.
fn last_statement_span(body: &TokenStream, close: Span) -> (Span, Span) {
    let tokens: Vec<TokenTree> = body.clone().into_iter().collect();
    let Some((last, rest)) = tokens.split_last() else {
        return (close, close);
    };
    let is_semicolon =
        |token: &TokenTree| matches!(token, TokenTree::Punct(p) if p.as_char() == ';');
    let start = rest
        .iter()
        .rposition(is_semicolon)
        .map_or(&tokens[0], |semicolon| &tokens[semicolon + 1]);
    (start.span(), last.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_to_string(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        expand(kind, args, item).to_string()
    }

    #[test]
    fn main_runs_its_body_on_worker_0() {
        let expanded = expand_to_string(
            Kind::Main,
            quote!(workers = 2),
            quote!(
                pub async fn main() -> Result<(), String> {
                    Ok(())
                }
            ),
        );
        assert!(
            expanded.starts_with("pub fn main () -> :: std :: process :: ExitCode {"),
            "{expanded}"
        );
        assert!(expanded.contains("block_on_pinned"), "{expanded}");
        assert!(expanded.contains("async move { Ok (()) }"), "{expanded}");
        assert!(
            expanded.contains("let output : Result < () , String >"),
            "{expanded}"
        );
        assert!(expanded.contains("Termination :: report"), "{expanded}");
        assert!(expanded.contains(". workers (2usize)"), "{expanded}");
        assert!(!expanded.contains("compile_error"), "{expanded}");
    }

    #[test]
    fn test_gets_a_single_test_attribute() {
        let expanded = expand_to_string(
            Kind::Test,
            quote!(),
            quote!(
                #[test]
                #[ignore]
                async fn t() {}
            ),
        );
        assert!(
            expanded.starts_with("# [:: core :: prelude :: v1 :: test] # [ignore] fn t () {"),
            "{expanded}"
        );
        assert!(expanded.contains("let output : () ="), "{expanded}");
        assert!(!expanded.contains("Termination"), "{expanded}");
        assert!(!expanded.contains("# [test]"), "{expanded}");
        assert!(expanded.contains("compile_error"), "{expanded}");
    }

    #[test]
    fn main_with_arguments_is_moved_out_of_the_way() {
        let expanded = expand_to_string(
            Kind::Main,
            quote!(),
            quote!(
                async fn main(n: u8) {}
            ),
        );
        assert!(
            expanded.starts_with("fn main () { fn main (n : u8) {"),
            "{expanded}"
        );
        assert!(expanded.contains("compile_error"), "{expanded}");
    }

    #[test]
    fn other_functions_may_take_arguments() {
        let expanded = expand_to_string(
            Kind::Main,
            quote!(),
            quote!(
                async fn run<T>(n: T) -> T {
                    n
                }
            ),
        );
        assert!(
            expanded.starts_with("fn run < T > (n : T) -> T {"),
            "{expanded}"
        );
        assert!(expanded.contains("runtime . block_on (body)"), "{expanded}");
        assert!(!expanded.contains("compile_error"), "{expanded}");
    }
}
