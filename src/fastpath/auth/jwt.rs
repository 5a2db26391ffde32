//! JSON Web Tokens (jsonwebtoken): checked on every request in Rust, made for
//! `create_jwt_for_user` from Python.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Map, Value};

use super::identity::Identity;
use super::jwks::{Key, KeySet, Missing};
use super::keys::{family, KeyKind};
use super::verdicts::{CurrentKey, Verdicts};

/// `JWTAuthentication(...)`, compiled: the key and what a token must satisfy.
pub struct JwtBackend {
    verifier: Verifier,
    validation: Validation,
    /// Every claim a token must carry (jsonwebtoken checks only the registered ones).
    required_claims: Vec<String>,
    /// The declared token types accepted (lowercase); `None` accepts any.
    token_types: Option<Vec<String>>,
    /// `load_user=False`: the user is the token's, not a database row.
    user_from_claims: bool,
    /// Tokens already judged: accepted ones are checked again only for expiry (and
    /// their key), refused ones that no later check could accept not at all.
    verdicts: Arc<Verdicts>,
}

/// The key of a key set that verified a token, with the token's `kid`.
type SetKey = (Option<String>, Arc<Key>);

/// What checks a token's signature.
enum Verifier {
    Key(DecodingKey),
    /// A JSON Web Key Set: the token's `kid` picks the key.
    Set(Arc<KeySet>),
}

/// Where a backend's keys come from.
pub enum Keys {
    /// The shared secret, or the PEM public key of an asymmetric algorithm.
    Secret(Vec<u8>),
    /// A JWKS document.
    Document(String),
    /// A JWKS URL, fetched again every `refresh_every` seconds.
    Fetched { url: String, refresh_every: u64 },
}

/// What `JWTAuthentication.describe()` hands over.
pub struct JwtSettings {
    pub keys: Keys,
    pub algorithms: Vec<String>,
    pub audience: Vec<String>,
    pub issuer: Vec<String>,
    pub leeway: u64,
    pub required_claims: Vec<String>,
    /// `None`: a token of any declared type is accepted.
    pub token_types: Option<Vec<String>>,
    pub load_user: bool,
}

impl JwtBackend {
    pub fn new(settings: JwtSettings) -> Result<Self, String> {
        let fingerprint = fingerprint(&settings);
        let algorithms = settings
            .algorithms
            .iter()
            .map(|name| algorithm(name))
            .collect::<Result<Vec<_>, _>>()?;
        let first = *algorithms
            .first()
            .ok_or("JWTAuthentication needs an algorithm")?;
        let secret = match &settings.keys {
            Keys::Secret(secret) => Some(secret),
            _ => None,
        };
        if secret.is_some() && algorithms.iter().any(|a| family(*a) != family(first)) {
            return Err("JWTAuthentication's algorithms must share one key type".into());
        }
        if secret.is_none() && algorithms.iter().any(|a| family(*a) == KeyKind::Secret) {
            return Err(
                "JWTAuthentication with a key set takes public-key algorithms \
                        (RS256, ES256, ...), not HS*"
                    .into(),
            );
        }
        let mut validation = Validation::new(first);
        validation.algorithms = algorithms;
        validation.leeway = settings.leeway;
        // Without an expected audience, jsonwebtoken refuses a token that names one:
        // it was meant for some other service.
        let mut required = settings.required_claims.clone();
        if !settings.audience.is_empty() {
            validation.set_audience(&settings.audience);
            required.push("aud".into());
        }
        if !settings.issuer.is_empty() {
            validation.set_issuer(&settings.issuer);
            required.push("iss".into());
        }
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&required);
        let token_types = settings
            .token_types
            .map(|types| types.iter().map(|t| t.to_ascii_lowercase()).collect());
        let verifier = match settings.keys {
            Keys::Secret(secret) => Verifier::Key(decoding_key(first, &secret)?),
            Keys::Document(document) => {
                Verifier::Set(KeySet::from_document(&document, &validation)?)
            }
            Keys::Fetched { url, refresh_every } => Verifier::Set(KeySet::fetched(
                &url,
                Duration::from_secs(refresh_every),
                &validation,
            )?),
        };
        Ok(JwtBackend {
            verifier,
            verdicts: Verdicts::shared(fingerprint, validation.leeway),
            validation,
            required_claims: settings.required_claims,
            token_types,
            user_from_claims: !settings.load_user,
        })
    }

    /// Wait for the first fetch of a key set from a URL (nothing for other keys).
    pub fn wait_for_keys(&self) {
        if let Verifier::Set(set) = &self.verifier {
            set.wait_for_first_fetch();
        }
    }

    /// The identity a token proves, or why it proves none.
    pub fn authenticate(&self, token: &str) -> Result<Identity, String> {
        let current_key = |kid: Option<&str>| match &self.verifier {
            Verifier::Set(set) => set.key(kid).ok(),
            Verifier::Key(_) => None,
        };
        let from_set = matches!(self.verifier, Verifier::Set(_));
        let asked: Option<CurrentKey<'_>> = from_set.then_some(&current_key);
        if let Some(identity) = self.verdicts.accepted(token, asked) {
            return Ok(identity);
        }
        // Only refusals under a fixed key are remembered (below).
        if let Some(reason) = (!from_set).then(|| self.verdicts.refused(token)).flatten() {
            return Err(reason);
        }
        match self.check(token) {
            Ok((identity, key)) => {
                let key = key.as_ref().map(|(kid, key)| (kid.as_deref(), key.clone()));
                self.verdicts.remember_accepted(token, &identity, key);
                Ok(identity)
            }
            Err(refusal) => {
                // A key set may gain the key a token needs; a fixed key never will.
                if refusal.lasting && !from_set {
                    self.verdicts.remember_refused(token, &refusal.reason);
                }
                Err(refusal.reason)
            }
        }
    }

    /// The whole check of a token: its signature, its claims, its type.
    fn check(&self, token: &str) -> Result<(Identity, Option<SetKey>), Refusal> {
        let (data, key) = match &self.verifier {
            Verifier::Key(key) => (jsonwebtoken::decode(token, key, &self.validation), None),
            Verifier::Set(set) => {
                let header = jsonwebtoken::decode_header(token).map_err(Refusal::of)?;
                let key = set.key(header.kid.as_deref()).map_err(|missing| {
                    Refusal::passing(match missing {
                        Missing::UnknownKid => "Token key id is not in the key set",
                        Missing::Unavailable => "Token signing keys are unavailable",
                    })
                })?;
                let data = jsonwebtoken::decode(token, &key.key, &key.validation);
                (data, Some((header.kid, key)))
            }
        };
        let data: jsonwebtoken::TokenData<Map<String, Value>> = data.map_err(Refusal::of)?;
        let claims = data.claims;
        if let Some(missing) = self
            .required_claims
            .iter()
            .find(|name| !claims.contains_key(name.as_str()))
        {
            return Err(Refusal::lasting(format!("Token has no '{missing}' claim")));
        }
        if let Some(accepted) = &self.token_types {
            for declared in declared_types(data.header.typ.as_deref(), &claims) {
                if !accepted.contains(&declared) {
                    return Err(Refusal::lasting(format!(
                        "Token type '{declared}' is not accepted"
                    )));
                }
            }
        }
        Ok((identity(claims, self.user_from_claims), key))
    }
}

/// Why a token proves nothing, and whether that can change for the same text.
struct Refusal {
    reason: String,
    /// No later check could accept the token (with the same keys).
    lasting: bool,
}

impl Refusal {
    fn lasting(reason: String) -> Self {
        Refusal {
            reason,
            lasting: true,
        }
    }

    fn passing(reason: &str) -> Self {
        Refusal {
            reason: reason.into(),
            lasting: false,
        }
    }

    /// Only `nbf` is a verdict time can turn: an expired token stays expired.
    fn of(err: jsonwebtoken::errors::Error) -> Self {
        Refusal {
            reason: refusal(err.kind()),
            lasting: !matches!(err.kind(), ErrorKind::ImmatureSignature),
        }
    }
}

/// Everything that decides which tokens a backend accepts and the identity they prove:
/// backends that agree on it share one memory of accepted tokens.
fn fingerprint(settings: &JwtSettings) -> Vec<u8> {
    let keys = match &settings.keys {
        Keys::Secret(secret) => [b"secret:".as_slice(), secret].concat(),
        Keys::Document(document) => format!("document:{document}").into_bytes(),
        Keys::Fetched { url, refresh_every } => format!("url:{url} {refresh_every}").into_bytes(),
    };
    let rest = format!(
        "|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{}",
        settings.algorithms,
        settings.audience,
        settings.issuer,
        settings.leeway,
        settings.required_claims,
        settings.token_types,
        settings.load_user,
    );
    [keys, rest.into_bytes()].concat()
}

/// Claims other libraries use to say what a token is for: simplejwt's `token_type`
/// ("access", "refresh"), Keycloak's `typ` ("Bearer", "Refresh", "ID"), Cognito's
/// `token_use` ("access", "id").
const TYPE_CLAIMS: [&str; 3] = ["token_type", "typ", "token_use"];

/// Every type a token declares, lowercase, with the names of an access token read as
/// "access": a refresh or ID token signed with the same key is not one.
fn declared_types(header_typ: Option<&str>, claims: &Map<String, Value>) -> Vec<String> {
    let header = header_typ
        .map(|typ| typ.to_ascii_lowercase())
        .map(|typ| {
            typ.strip_prefix("application/")
                .map_or(typ.clone(), str::to_owned)
        })
        // "JWT" says only that this is a JWT (RFC 7519 5.1).
        .filter(|typ| typ != "jwt");
    let in_claims =
        TYPE_CLAIMS
            .iter()
            .filter_map(|name| claims.get(*name))
            .map(|value| match value {
                Value::String(text) => text.to_ascii_lowercase(),
                other => other.to_string(),
            });
    header
        .into_iter()
        .chain(in_claims)
        .map(|declared| match declared.as_str() {
            // RFC 9068's access-token media type; Keycloak's access tokens.
            "at+jwt" | "bearer" => "access".to_owned(),
            _ => declared,
        })
        .collect()
}

fn identity(claims: Map<String, Value>, user_from_claims: bool) -> Identity {
    let flag = |name: &str| claims.get(name).and_then(Value::as_bool).unwrap_or(false);
    let user_id = ["sub", "user_id"]
        .iter()
        .find_map(|name| match claims.get(*name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    let claimed = claims.get("permissions").and_then(Value::as_array);
    let permissions = claimed
        .map(|ps| {
            ps.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Identity {
        backend: "jwt",
        // Without the claim, the user's permissions are Django's to tell; a user read
        // from the claims has none but the claim's.
        permissions_in_database: claimed.is_none() && !user_from_claims && user_id.is_some(),
        user_id,
        is_staff: flag("is_staff"),
        is_superuser: flag("is_superuser"),
        user_from_claims,
        permissions,
        claims: Some(Arc::new(claims)),
        // Shared by the token's later requests (`Verdicts`), each copying it.
        auth_template: Some(Arc::default()),
        ..Identity::default()
    }
}

/// What a 401 says about a token that failed.
pub(super) fn refusal(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "Token has expired".into(),
        ErrorKind::ImmatureSignature => "Token is not valid yet (nbf)".into(),
        ErrorKind::InvalidSignature => "Token signature is invalid".into(),
        ErrorKind::InvalidAlgorithm => "Token algorithm is not accepted".into(),
        ErrorKind::InvalidAudience => "Token audience is not accepted".into(),
        ErrorKind::InvalidIssuer => "Token issuer is not accepted".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("Token has no '{claim}' claim"),
        _ => "Token is malformed".into(),
    }
}

pub(super) fn algorithm(name: &str) -> Result<Algorithm, String> {
    Algorithm::from_str(name).map_err(|_| format!("unknown JWT algorithm {name:?}"))
}

/// The shared secret, or the PEM public key of an asymmetric algorithm.
pub(super) fn decoding_key(algorithm: Algorithm, secret: &[u8]) -> Result<DecodingKey, String> {
    let pem = |err: jsonwebtoken::errors::Error| format!("JWT public key is not valid PEM: {err}");
    match family(algorithm) {
        KeyKind::Secret if secret.is_empty() => Err("JWT secret is empty".into()),
        KeyKind::Secret => Ok(DecodingKey::from_secret(secret)),
        KeyKind::Rsa => DecodingKey::from_rsa_pem(secret).map_err(pem),
        KeyKind::Ec => DecodingKey::from_ec_pem(secret).map_err(pem),
        KeyKind::Ed => DecodingKey::from_ed_pem(secret).map_err(pem),
    }
}

/// Sign `claims` (a JSON object) with `key`: a shared secret, or a PEM private key.
/// `header`: more fields of the JOSE header (a JSON object: `kid`, `typ`, ...).
#[pyfunction]
#[pyo3(signature = (claims, key, algorithm, header=None))]
pub fn encode_jwt(
    claims: &[u8],
    key: &[u8],
    algorithm: &str,
    header: Option<&[u8]>,
) -> PyResult<String> {
    let algorithm = self::algorithm(algorithm).map_err(PyValueError::new_err)?;
    let claims: Map<String, Value> = serde_json::from_slice(claims)
        .map_err(|err| PyValueError::new_err(format!("claims must be a JSON object: {err}")))?;
    let pem = |err: jsonwebtoken::errors::Error| {
        PyValueError::new_err(format!("JWT private key is not valid PEM: {err}"))
    };
    let key = match family(algorithm) {
        KeyKind::Secret if key.is_empty() => {
            return Err(PyValueError::new_err("JWT secret is empty"))
        }
        KeyKind::Secret => EncodingKey::from_secret(key),
        KeyKind::Rsa => EncodingKey::from_rsa_pem(key).map_err(pem)?,
        KeyKind::Ec => EncodingKey::from_ec_pem(key).map_err(pem)?,
        KeyKind::Ed => EncodingKey::from_ed_pem(key).map_err(pem)?,
    };
    let header = match header {
        None => Header::new(algorithm),
        Some(raw) => {
            let invalid = |err: serde_json::Error| {
                PyValueError::new_err(format!("the token header is not valid: {err}"))
            };
            let mut fields: Map<String, Value> = serde_json::from_slice(raw).map_err(invalid)?;
            fields.insert(
                "alg".into(),
                serde_json::to_value(algorithm).map_err(invalid)?,
            );
            serde_json::from_value(Value::Object(fields)).map_err(invalid)?
        }
    };
    jsonwebtoken::encode(&header, &claims, &key)
        .map_err(|err| PyValueError::new_err(format!("cannot sign the token: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(audience: &[&str]) -> JwtBackend {
        JwtBackend::new(JwtSettings {
            keys: Keys::Secret(b"s3cret".to_vec()),
            algorithms: vec!["HS256".into()],
            audience: audience.iter().map(|a| a.to_string()).collect(),
            issuer: Vec::new(),
            leeway: 0,
            required_claims: vec!["exp".into(), "jti".into()],
            token_types: Some(vec!["access".into()]),
            load_user: true,
        })
        .unwrap()
    }

    fn token(claims: serde_json::Value, secret: &[u8]) -> String {
        encode_jwt(claims.to_string().as_bytes(), secret, "HS256", None).unwrap()
    }

    fn in_an_hour() -> u64 {
        jsonwebtoken::get_current_timestamp() + 3600
    }

    #[test]
    fn only_a_token_without_a_permissions_claim_leaves_them_to_the_database() {
        let without = serde_json::json!({"sub": "7", "exp": in_an_hour(), "jti": "j1"});
        let with = serde_json::json!({
            "sub": "7", "exp": in_an_hour(), "jti": "j1", "permissions": [],
        });
        let read = |claims| {
            backend(&[])
                .authenticate(&token(claims, b"s3cret"))
                .unwrap()
        };
        assert!(read(without.clone()).permissions_in_database);
        assert!(!read(with).permissions_in_database);
        let from_claims = JwtBackend {
            user_from_claims: true,
            ..backend(&[])
        };
        let identity = from_claims
            .authenticate(&token(without, b"s3cret"))
            .unwrap();
        assert!(!identity.permissions_in_database);
    }

    #[test]
    fn a_valid_token_gives_its_identity() {
        let claims = serde_json::json!({
            "sub": "7", "exp": in_an_hour(), "jti": "j1", "is_staff": true,
            "permissions": ["blog.add_article"],
        });
        let identity = backend(&[])
            .authenticate(&token(claims, b"s3cret"))
            .unwrap();
        assert_eq!(identity.user_id.as_deref(), Some("7"));
        assert!(identity.is_staff && !identity.is_superuser);
        assert!(identity.has_permission("blog.add_article"));
    }

    #[test]
    fn bad_tokens_say_why() {
        let jwt = backend(&[]);
        let expired = serde_json::json!({"sub": "1", "exp": 1_000, "jti": "j"});
        assert_eq!(
            jwt.authenticate(&token(expired, b"s3cret")).unwrap_err(),
            "Token has expired"
        );
        let forged = serde_json::json!({"sub": "1", "exp": in_an_hour(), "jti": "j"});
        assert_eq!(
            jwt.authenticate(&token(forged, b"other")).unwrap_err(),
            "Token signature is invalid"
        );
        let no_exp = serde_json::json!({"sub": "1"});
        assert_eq!(
            jwt.authenticate(&token(no_exp, b"s3cret")).unwrap_err(),
            "Token has no 'exp' claim"
        );
        let no_jti = serde_json::json!({"sub": "1", "exp": in_an_hour()});
        assert_eq!(
            jwt.authenticate(&token(no_jti, b"s3cret")).unwrap_err(),
            "Token has no 'jti' claim"
        );
        assert_eq!(
            jwt.authenticate("not-a-token").unwrap_err(),
            "Token is malformed"
        );
    }

    #[test]
    fn tokens_declaring_another_type_are_refused() {
        let jwt = backend(&[]);
        let with = |name: &str, value: &str| {
            let claims =
                serde_json::json!({"sub": "1", "exp": in_an_hour(), "jti": "j", name: value});
            jwt.authenticate(&token(claims, b"s3cret"))
        };
        for (name, value) in [
            ("token_type", "access"),
            ("typ", "Bearer"),
            ("token_use", "access"),
        ] {
            assert!(with(name, value).is_ok(), "{name}={value}");
        }
        assert_eq!(
            with("token_type", "refresh").unwrap_err(),
            "Token type 'refresh' is not accepted"
        );
        assert_eq!(
            with("typ", "ID").unwrap_err(),
            "Token type 'id' is not accepted"
        );
        assert_eq!(
            with("token_use", "id").unwrap_err(),
            "Token type 'id' is not accepted"
        );
    }

    #[test]
    fn the_jose_header_type_counts_unless_it_says_only_jwt() {
        let jwt = backend(&[]);
        let claims = serde_json::json!({"sub": "1", "exp": in_an_hour(), "jti": "j"});
        let signed = |typ: &str| {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some(typ.into());
            let key = EncodingKey::from_secret(b"s3cret");
            jsonwebtoken::encode(&header, &claims, &key).unwrap()
        };
        for typ in ["JWT", "at+jwt", "application/at+jwt"] {
            assert!(jwt.authenticate(&signed(typ)).is_ok(), "{typ}");
        }
        assert_eq!(
            jwt.authenticate(&signed("refresh+jwt")).unwrap_err(),
            "Token type 'refresh+jwt' is not accepted"
        );
    }

    #[test]
    fn an_audience_is_required_once_configured() {
        let claims = serde_json::json!({"sub": "1", "exp": in_an_hour(), "jti": "j"});
        let err = backend(&["api"])
            .authenticate(&token(claims, b"s3cret"))
            .unwrap_err();
        assert_eq!(err, "Token has no 'aud' claim");
        let claims =
            serde_json::json!({"sub": "1", "exp": in_an_hour(), "jti": "j", "aud": "other"});
        let err = backend(&["api"])
            .authenticate(&token(claims, b"s3cret"))
            .unwrap_err();
        assert_eq!(err, "Token audience is not accepted");
    }

    #[test]
    fn algorithms_of_different_key_types_are_refused() {
        let settings = JwtSettings {
            keys: Keys::Secret(b"s".to_vec()),
            algorithms: vec!["HS256".into(), "RS256".into()],
            audience: Vec::new(),
            issuer: Vec::new(),
            leeway: 0,
            required_claims: Vec::new(),
            token_types: None,
            load_user: true,
        };
        assert!(JwtBackend::new(settings).is_err());
    }
}
