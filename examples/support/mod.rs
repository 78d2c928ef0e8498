//! What the example servers share: reading their arguments.

/// The listen address: the first command-line argument, or `default`.
pub fn listen_addr(default: &str) -> String {
    std::env::args()
        .nth(1)
        .unwrap_or_else(|| default.to_owned())
}
