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
}

const WORKERS_MESSAGE: &str = "`workers` must be a positive integer literal, e.g. `workers = 4`";

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
        // Tracked apart from `config.workers` so that a repeated option is
        // reported even when the first value was invalid.
        let mut seen_workers = false;
        for option in &options {
            let path = option.path();
            if !path.is_ident("workers") {
                let name = path
                    .segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect::<Vec<_>>()
                    .join("::");
                errors.push(syn::Error::new_spanned(
                    path,
                    format!("unknown option `{name}`; the supported option is `workers`"),
                ));
                continue;
            }
            if seen_workers {
                errors.push(syn::Error::new_spanned(
                    path,
                    "`workers` is given more than once; keep only one",
                ));
                continue;
            }
            seen_workers = true;
            let Meta::NameValue(option) = option else {
                errors.push(syn::Error::new_spanned(option, WORKERS_MESSAGE));
                continue;
            };
            match parse_workers(&option.value) {
                Ok(workers) => config.workers = Some(workers),
                Err(error) => errors.push(error),
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

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// The parsed config, or every error message.
    fn parse(args: TokenStream) -> Result<Config, Vec<String>> {
        Config::parse(args).map_err(|error| error.into_iter().map(|e| e.to_string()).collect())
    }

    fn workers(workers: Option<usize>) -> Result<Config, Vec<String>> {
        Ok(Config { workers })
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
                "unknown option `flavor`; the supported option is `workers`".to_owned()
            ])
        );
        assert_eq!(
            parse(quote!(rt::threads)),
            Err(vec![
                "unknown option `rt::threads`; the supported option is `workers`".to_owned()
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
                "unknown option `foo`; the supported option is `workers`".to_owned(),
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
