//! Stream keys at rest: AES-256-GCM with a fresh random nonce per
//! encryption (the owner's id as associated data, so a ciphertext cannot be
//! moved to another row), plus an HMAC-SHA256 of the key for lookups.

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, OsRng, Payload, rand_core::RngCore},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// An encrypted key and its lookup value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedKey {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
    pub lookup: Vec<u8>,
}

/// A stored key could not be decrypted (wrong key material or tampering).
#[derive(Debug, thiserror::Error)]
#[error("stream key could not be decrypted")]
pub struct DecryptError;

/// Encrypts, decrypts and fingerprints stream keys.
#[derive(Clone)]
pub struct KeyCipher {
    aead: Aes256Gcm,
    hmac_key: Vec<u8>,
}

impl KeyCipher {
    /// A cipher from the AES key and the HMAC key.
    pub fn new(enc_key: &[u8; 32], hmac_key: &[u8]) -> Self {
        Self {
            aead: Aes256Gcm::new(enc_key.into()),
            hmac_key: hmac_key.to_vec(),
        }
    }

    /// The lookup value of a key.
    pub fn lookup(&self, key: &str) -> Vec<u8> {
        // HMAC accepts keys of any length: `new_from_slice` cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.hmac_key) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(key.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Encrypts `key` for `owner` with a fresh nonce.
    pub fn seal(&self, owner: Uuid, key: &str) -> SealedKey {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: key.as_bytes(),
            aad: owner.as_bytes(),
        };
        // Encryption only fails for messages beyond GCM's 64 GiB limit.
        let ciphertext = self
            .aead
            .encrypt(&Nonce::from(nonce), payload)
            .unwrap_or_default();
        SealedKey {
            ciphertext,
            nonce: nonce.to_vec(),
            lookup: self.lookup(key),
        }
    }

    /// Decrypts a stored key of `owner`.
    ///
    /// Fails when the ciphertext, nonce or owner do not match.
    pub fn open(
        &self,
        owner: Uuid,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<String, DecryptError> {
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| DecryptError)?;
        let payload = Payload {
            msg: ciphertext,
            aad: owner.as_bytes(),
        };
        let plain = self
            .aead
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }
}

/// A new random key: a UUID v4 string.
pub fn new_key() -> String {
    Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> KeyCipher {
        KeyCipher::new(&[7u8; 32], &[9u8; 32])
    }

    #[test]
    fn seal_then_open_returns_the_key() {
        let owner = Uuid::new_v4();
        let key = new_key();
        let sealed = cipher().seal(owner, &key);
        assert!(
            !sealed
                .ciphertext
                .windows(key.len())
                .any(|w| w == key.as_bytes())
        );
        assert_eq!(
            cipher()
                .open(owner, &sealed.nonce, &sealed.ciphertext)
                .expect("opens"),
            key
        );
    }

    #[test]
    fn every_encryption_uses_a_fresh_nonce() {
        let owner = Uuid::new_v4();
        let a = cipher().seal(owner, "same");
        let b = cipher().seal(owner, "same");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(a.lookup, b.lookup, "lookup is deterministic");
    }

    #[test]
    fn ciphertext_is_bound_to_its_owner_and_key_material() {
        let owner = Uuid::new_v4();
        let sealed = cipher().seal(owner, "k");
        assert!(
            cipher()
                .open(Uuid::new_v4(), &sealed.nonce, &sealed.ciphertext)
                .is_err()
        );
        let other = KeyCipher::new(&[8u8; 32], &[9u8; 32]);
        assert!(
            other
                .open(owner, &sealed.nonce, &sealed.ciphertext)
                .is_err()
        );
        let mut tampered = sealed.ciphertext.clone();
        tampered[0] ^= 1;
        assert!(cipher().open(owner, &sealed.nonce, &tampered).is_err());
    }

    #[test]
    fn lookup_depends_on_the_hmac_key() {
        let other = KeyCipher::new(&[7u8; 32], &[1u8; 32]);
        assert_ne!(cipher().lookup("k"), other.lookup("k"));
        assert_eq!(cipher().lookup("k").len(), 32);
    }
}
