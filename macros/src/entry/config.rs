//! The attribute arguments: `#[runtime::main(workers = 4)]` and the like.
//!
//! They are parsed as a comma-separated list of `syn::Meta`, so that a typo
//! is reported as an unknown option at its name rather than as a syntax error.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Meta, Token};

use super::Errors;

/// The attribute's options, e.g. `#[runtime::main(workers = 4)]`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Config {
    /// Number of worker threads; `None` leaves it to `Builder::new()`.
    pub(super) workers: Option<usize>,
    /// Whether the clock is paused before the body runs (`runtime::time::pause`).
    pub(super) start_paused: bool,
}

const WORKERS_MESSAGE: &str = "`workers` must be a positive integer literal, e.g. `workers = 4`";
const START_PAUSED_MESSAGE: &str = "`start_paused` must be `true` or `false`";
const OPTIONS: &str = "the supported options are `workers` and `start_paused`";

impl Config {
    /// Parses the comma-separated options, reporting every bad one at once.
    pub(super) fn parse(args: TokenStream) -> syn::Result<Config> {
        let options = Punctuated::<Meta, Token![,]>::parse_terminated
            .parse2(args)
            .map_err(|error| {
                let hint = "options are written as `workers = 4`";
                syn::Error::new(error.span(), format!("{error}; {hint}"))
            })?;
        let mut config = Config::default();
        let mut errors = Errors::default();
        // Tracked apart from `config` so that a repeated option is reported even when the
        // first value was invalid.
        let mut seen = Vec::new();
        for option in &options {
            let path = option.path();
            let name = path
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            let message = match name.as_str() {
                "workers" => WORKERS_MESSAGE,
                "start_paused" => START_PAUSED_MESSAGE,
                _ => {
                    errors.push(syn::Error::new_spanned(
                        path,
                        format!("unknown option `{name}`; {OPTIONS}"),
                    ));
                    continue;
                }
            };
            if seen.contains(&name) {
                errors.push(syn::Error::new_spanned(
                    path,
                    format!("`{name}` is given more than once; keep only one"),
                ));
                continue;
            }
            seen.push(name.clone());
            let Meta::NameValue(option) = option else {
                errors.push(syn::Error::new_spanned(option, message));
                continue;
            };
            let parsed = match name.as_str() {
                "workers" => parse_workers(&option.value).map(|w| config.workers = Some(w)),
                _ => parse_bool(&option.value, message).map(|b| config.start_paused = b),
            };
            if let Err(error) = parsed {
                errors.push(error);
            }
        }
        errors.finish().map(|()| config)
    }
}

/// Accepts a non-zero integer literal that fits a `usize`.
fn parse_workers(value: &Expr) -> syn::Result<usize> {
    if let Expr::Lit(syn::ExprLit {
        lit: Lit::Int(int), ..
    }) = value
    {
        if let Ok(workers @ 1..) = int.base10_parse::<usize>() {
            return Ok(workers);
        }
    }
    Err(syn::Error::new_spanned(value, WORKERS_MESSAGE))
}

/// Accepts `true` or `false`.
fn parse_bool(value: &Expr, message: &str) -> syn::Result<bool> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(value, message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// The parsed config, or every error message.
    fn parse(args: TokenStream) -> Result<Config, Vec<String>> {
        Config::parse(args).map_err(|error| error.into_iter().map(|e| e.to_string()).collect())
    }

    fn workers(workers: Option<usize>) -> Result<Config, Vec<String>> {
        Ok(Config {
            workers,
            ..Config::default()
        })
    }

    #[test]
    fn start_paused_is_read() {
        let paused = parse(quote!(start_paused = true, workers = 2)).unwrap();
        assert_eq!((paused.workers, paused.start_paused), (Some(2), true));
        assert!(!parse(quote!(start_paused = false)).unwrap().start_paused);
        assert_eq!(
            parse(quote!(start_paused = 1)),
            Err(vec![START_PAUSED_MESSAGE.to_owned()])
        );
    }

    #[test]
    fn no_options_leave_the_default() {
        assert_eq!(parse(quote!()), workers(None));
    }

    #[test]
    fn workers_is_read() {
        assert_eq!(parse(quote!(workers = 4)), workers(Some(4)));
        assert_eq!(parse(quote!(workers = 1,)), workers(Some(1)));
        assert_eq!(parse(quote!(workers = 8usize)), workers(Some(8)));
    }

    #[test]
    fn bad_workers_values_are_rejected() {
        for args in [
            quote!(workers = 0),
            quote!(workers = "two"),
            quote!(workers = -1),
            quote!(workers = 1.5),
            quote!(workers = n),
            quote!(workers = 99999999999999999999999),
            quote!(workers),
            quote!(workers(2)),
        ] {
            assert_eq!(parse(args), Err(vec![WORKERS_MESSAGE.to_owned()]));
        }
    }

    #[test]
    fn unknown_options_are_named() {
        assert_eq!(
            parse(quote!(flavor = "current_thread")),
            Err(vec![
                "unknown option `flavor`; the supported options are `workers` and `start_paused`"
                    .to_owned()
            ])
        );
        assert_eq!(
            parse(quote!(rt::threads)),
            Err(vec![
                "unknown option `rt::threads`; the supported options are `workers` and `start_paused`".to_owned()
            ])
        );
    }

    #[test]
    fn every_error_is_reported() {
        assert_eq!(
            parse(quote!(workers = 0, workers = 2, foo)),
            Err(vec![
                WORKERS_MESSAGE.to_owned(),
                "`workers` is given more than once; keep only one".to_owned(),
                "unknown option `foo`; the supported options are `workers` and `start_paused`"
                    .to_owned(),
            ])
        );
    }

    #[test]
    fn malformed_options_get_a_hint() {
        assert_eq!(
            parse(quote!(4)),
            Err(vec![
                "expected identifier; options are written as `workers = 4`".to_owned()
            ])
        );
    }
}
