//! Encryption at rest for what must not sit readable in the database (a
//! store's bank account number): AES-256-GCM with a random nonce per value.
//! The key comes from `TONGKA_DATA_KEY`, or a key file beside the data
//! (see `cli`); a database dump without the key shows no account number.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1:";

/// Seals and opens values with one key.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
}

impl Cipher {
    /// A cipher whose 256-bit key is derived from `secret` (any length).
    pub fn from_secret(secret: &[u8]) -> Cipher {
        let mut h = Sha256::new();
        h.update(b"tongka data key v1\n");
        h.update(secret);
        let key: [u8; 32] = h.finalize().into();
        Cipher {
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    /// `plain` sealed: `v1:` + hex(nonce ‖ ciphertext and tag).
    pub fn seal(&self, plain: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", hex::encode(out)))
    }

    /// The plain text of a sealed value; fails if it was sealed with another
    /// key or altered.
    pub fn open(&self, sealed: &str) -> anyhow::Result<String> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > 12)
            .ok_or_else(|| anyhow::anyhow!("not a sealed value"))?;
        let (nonce, body) = bytes.split_at(12);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| anyhow::anyhow!("wrong key or altered value"))?;
        Ok(String::from_utf8(plain)?)
    }
}

#[cfg(test)]
mod tests {
    use super::Cipher;

    #[test]
    fn sealed_values_open_only_with_their_key_and_never_show_the_plain_text() {
        let c = Cipher::from_secret(b"one key");
        let a = c.seal("6222020200112233").expect("works");
        let b = c.seal("6222020200112233").expect("works");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("6222020200112233"));
        assert_eq!(c.open(&a).expect("works"), "6222020200112233");
        assert!(Cipher::from_secret(b"another key").open(&a).is_err());
        let mut altered = a.clone();
        let last = altered.pop().expect("not empty");
        altered.push(if last == '0' { '1' } else { '0' });
        assert!(c.open(&altered).is_err());
    }
}
