//! API keys and their roles (`ASTERISM_API_KEYS="key:Role,…"`), as the reference has them.
//!
//! Takes: the keys' text at start, and each request's `Authorization: Bearer <key>` header.
//! Gives: the role of a request's key, and whether it permits the request's method — Admin any,
//! Execute GET and POST, ReadOnly GET (and HEAD). Guarantees: keys are held only as blake3
//! digests and a presented key is compared with every one of them in constant time; no message
//! ever contains a key; a key shorter than 24 characters, or with control characters, is refused
//! at start.

use axum::http::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Execute,
    ReadOnly,
}

impl Role {
    fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "execute" => Some(Role::Execute),
            "readonly" => Some(Role::ReadOnly),
            _ => None,
        }
    }

    pub fn permits(self, method: &Method) -> bool {
        match self {
            Role::Admin => true,
            Role::Execute => matches!(*method, Method::GET | Method::HEAD | Method::POST),
            Role::ReadOnly => matches!(*method, Method::GET | Method::HEAD),
        }
    }
}

/// The shortest key accepted.
pub const MIN_KEY: usize = 24;

/// The keys a server accepts, as digests.
#[derive(Clone)]
pub struct ApiKeys(Vec<(blake3::Hash, Role)>);

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} keys)", self.0.len())
    }
}

impl ApiKeys {
    /// Keys from `key:Role,key:Role,…`; the first problem, naming the entry by position only.
    pub fn parse(text: &str) -> Result<ApiKeys, String> {
        let mut keys = Vec::new();
        for (i, entry) in text.split(',').enumerate().filter(|(_, e)| !e.trim().is_empty()) {
            let n = i + 1;
            let (key, role) = entry.rsplit_once(':').ok_or(format!("API key {n}: expected KEY:ROLE"))?;
            let role = Role::parse(role).ok_or(format!("API key {n}: the role must be Admin, Execute or ReadOnly"))?;
            let key = key.trim();
            if key.chars().count() < MIN_KEY {
                return Err(format!("API key {n}: keys must be at least {MIN_KEY} characters long"));
            }
            if key.chars().any(char::is_control) {
                return Err(format!("API key {n}: keys may not hold control characters"));
            }
            keys.push((blake3::hash(key.as_bytes()), role));
        }
        if keys.is_empty() {
            return Err("no API keys given".to_string());
        }
        Ok(ApiKeys(keys))
    }

    /// The role of `key`, if it is one of ours. Every digest is compared (`blake3::Hash`'s
    /// equality is constant-time), so the time taken says nothing of which key came close.
    pub fn role(&self, key: &str) -> Option<Role> {
        let presented = blake3::hash(key.as_bytes());
        let mut found = None;
        for (digest, role) in &self.0 {
            if *digest == presented {
                found = Some(*role);
            }
        }
        found
    }
}

/// The key of an `Authorization` header's value: `Bearer <key>`, the scheme in any case.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, key) = header.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty()).then(|| key.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_roles_and_bad_entries_are_refused_without_the_key() {
        let keys = ApiKeys::parse("aaaaaaaaaaaaaaaaaaaaaaaa:Admin, bbbbbbbbbbbbbbbbbbbbbbbb:readonly").unwrap();
        assert_eq!(keys.role("aaaaaaaaaaaaaaaaaaaaaaaa"), Some(Role::Admin));
        assert_eq!(keys.role("bbbbbbbbbbbbbbbbbbbbbbbb"), Some(Role::ReadOnly));
        assert_eq!(keys.role("cccccccccccccccccccccccc"), None);
        let short = ApiKeys::parse("secret-but-short:Admin").unwrap_err();
        assert!(!short.contains("secret"), "{short}");
        assert!(ApiKeys::parse("aaaaaaaaaaaaaaaaaaaaaaaa:Root").is_err());
        assert!(ApiKeys::parse("").is_err());
        assert!(!Role::ReadOnly.permits(&Method::POST) && Role::Execute.permits(&Method::POST));
        assert!(!Role::Execute.permits(&Method::DELETE) && Role::Admin.permits(&Method::DELETE));
        assert_eq!(bearer("bearer  k1 "), Some("k1"));
        assert_eq!(bearer("Basic k1"), None);
    }
}
