//! The kind of key each JWT algorithm verifies with: what a configured secret or PEM
//! key is read as (`jwt.rs`), and which keys of a fetched key set can serve an algorithm
//! (`jwks/`), which `jwt.rs` builds on.

use jsonwebtoken::Algorithm;

/// The kind of key an algorithm verifies with.
#[derive(PartialEq)]
pub(super) enum KeyKind {
    Secret,
    Rsa,
    Ec,
    Ed,
}

pub(super) fn family(algorithm: Algorithm) -> KeyKind {
    use Algorithm::*;
    match algorithm {
        HS256 | HS384 | HS512 => KeyKind::Secret,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => KeyKind::Rsa,
        ES256 | ES384 => KeyKind::Ec,
        EdDSA => KeyKind::Ed,
    }
}
