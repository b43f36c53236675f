//! The server's secret keys, from `--secret-key-file`: they seal TOTP secrets
//! and key the hashes of codes, so a copy of the database alone holds no
//! usable secret.
//!
//! - **Sealed** (TOTP secrets, active and pending): XChaCha20-Poly1305 with
//!   a random 192-bit nonce, the account id as associated data (a ciphertext
//!   copied to another row does not open), stored as
//!   `v1:<key id>:<base64url(nonce ‖ ciphertext)>`.
//! - **Keyed hashes** (recovery codes, app passwords, e-mailed codes):
//!   HMAC-SHA-256 of the SHA-256 digest the rule made before keys existed,
//!   stored as `v1:<key id>:<hex>`. Wrapping the old digest lets the rows of
//!   an older version be converted without their codes ([`super::sealed`]).
//!
//! The file holds one key per line (base64, 32 bytes), the current one
//! first; the others still open and verify what was made under them. A key's
//! id is a fingerprint of it, so a wrong file names itself: the start-up
//! check finds ids in the database that the file does not hold.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::totp::TotpSecret;
use super::{Result, ServiceError, random_bytes};

/// What every sealed value and keyed hash starts with: the format's version.
pub const PREFIX: &str = "v1:";
/// `v1:` and the 8 hex digits of a key id, then `:`.
pub const TAGGED_LEN: usize = PREFIX.len() + 9;

const NONCE_BYTES: usize = 24;

/// A key's fingerprint: the first 4 bytes of a SHA-256 of it, 8 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 4]);

impl KeyId {
    /// The id a stored value names, if it is in the `v1:` format.
    pub fn of_stored(stored: &str) -> Option<Self> {
        let id = stored.strip_prefix(PREFIX)?.get(..9)?.strip_suffix(':')?;
        let mut bytes = [0u8; 4];
        hex::decode_to_slice(id, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// One key and the two it derives: one that seals, one that keys hashes.
struct Key {
    id: KeyId,
    material: [u8; 32],
    seal: XChaCha20Poly1305,
    hash: Hmac<Sha256>,
}

impl Key {
    fn new(material: [u8; 32]) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = hmac_sha256(&material);
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let id = derive(b"tessera/key-id");
        Self {
            id: KeyId([id[0], id[1], id[2], id[3]]),
            material,
            seal: XChaCha20Poly1305::new(&derive(b"tessera/seal").into()),
            hash: hmac_sha256(&derive(b"tessera/keyed-hash")),
        }
    }

    fn tagged(&self, body: &str) -> String {
        format!("{PREFIX}{}:{body}", self.id)
    }

    fn keyed_hash(&self, digest: &str) -> String {
        let mut mac = self.hash.clone();
        mac.update(digest.as_bytes());
        self.tagged(&hex::encode(mac.finalize().into_bytes()))
    }
}

/// HMAC-SHA-256 under a 32-byte key, zero-padded to the 64-byte block as
/// RFC 2104 pads a short key (so no error to handle).
fn hmac_sha256(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
}

/// The keys of one version of the file, the current one first.
pub struct Ring {
    keys: Vec<Key>,
}

impl Ring {
    /// A ring of one new key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        Ok(Self {
            keys: vec![Key::new(random_bytes()?)],
        })
    }

    /// This ring with a new key in front, the others kept to open old rows.
    pub fn with_new_key(&self) -> Result<Self> {
        let mut keys = vec![Key::new(random_bytes()?)];
        keys.extend(self.keys.iter().map(|k| Key::new(k.material)));
        Ok(Self { keys })
    }

    /// This ring without the keys `keep` says no.
    pub fn retain(&self, keep: impl Fn(KeyId) -> bool) -> Self {
        let keys = self.keys.iter().enumerate();
        Self {
            keys: keys
                .filter(|(i, k)| *i == 0 || keep(k.id))
                .map(|(_, k)| Key::new(k.material))
                .collect(),
        }
    }

    pub fn current_id(&self) -> KeyId {
        self.current().id
    }

    pub fn ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.keys.iter().map(|k| k.id)
    }

    pub fn holds(&self, id: KeyId) -> bool {
        self.get(id).is_some()
    }

    fn current(&self) -> &Key {
        &self.keys[0]
    }

    fn get(&self, id: KeyId) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id)
    }

    fn parse(text: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let material: [u8; 32] = STANDARD
                .decode(line)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .with_context(|| format!("line {}: not a key (32 bytes in base64)", number + 1))?;
            keys.push(Key::new(material));
        }
        if keys.is_empty() {
            bail!("no key in it");
        }
        Ok(Self { keys })
    }

    fn to_text(&self) -> String {
        let mut text = String::from(
            "# Tessera's secret keys (see `tessera keys --help`). The first one seals new secrets; all of them\n\
             # open what was sealed under them. Back this file up apart from the database: one without the\n\
             # other opens nothing.\n",
        );
        for key in &self.keys {
            text.push_str(&STANDARD.encode(key.material));
            text.push('\n');
        }
        text
    }

    /// Makes `path` (mode 0600) holding one new key, unless it exists (another
    /// instance starting at the same time made it): answers whether it did.
    /// Written aside and linked into place, so nobody reads it half written.
    pub fn create(path: &Path) -> anyhow::Result<bool> {
        let aside = path.with_extension(format!("key-new-{}", hex::encode(random_bytes::<4>()?)));
        Self::generate()?.write_to(&aside)?;
        let linked = std::fs::hard_link(&aside, path);
        std::fs::remove_file(&aside).with_context(|| format!("removing {}", aside.display()))?;
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }

    /// Writes the ring to `path` (mode 0600), replacing it in one rename.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let aside = path.with_extension(format!("key-new-{}", hex::encode(random_bytes::<4>()?)));
        self.write_to(&aside)?;
        std::fs::rename(&aside, path).with_context(|| format!("replacing {}", path.display()))
    }

    fn write_to(&self, path: &Path) -> anyhow::Result<()> {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        file.write_all(self.to_text().as_bytes())?;
        file.sync_all()?;
        Ok(())
    }

    /// Seals a TOTP secret of `account_id` under the current key.
    pub fn seal_totp(&self, account_id: i32, secret: &TotpSecret) -> Result<String> {
        let key = self.current();
        let nonce: [u8; NONCE_BYTES] = random_bytes()?;
        let aad = totp_aad(account_id);
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: &aad,
        };
        let mut sealed = nonce.to_vec();
        sealed.extend(
            key.seal
                .encrypt(XNonce::from_slice(&nonce), payload)
                .map_err(|_| ServiceError::internal("sealing a TOTP secret failed"))?,
        );
        Ok(key.tagged(&URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// The keyed hash of `digest` under the current key: what is stored.
    pub fn keyed_hash(&self, digest: &str) -> String {
        self.current().keyed_hash(digest)
    }
}

fn totp_aad(account_id: i32) -> Vec<u8> {
    format!("tessera/totp-secret/account/{account_id}").into_bytes()
}

/// Why a stored value does not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not in the v1 format")]
    Format,
    #[error("sealed under key {0}, which the key file does not hold")]
    UnknownKey(KeyId),
    #[error("does not open under key {0}: altered, or moved from another row")]
    Tampered(KeyId),
}

impl Ring {
    /// Opens a TOTP secret of `account_id` sealed by [`Self::seal_totp`].
    pub fn open_totp(&self, account_id: i32, stored: &str) -> std::result::Result<TotpSecret, OpenError> {
        let id = KeyId::of_stored(stored).ok_or(OpenError::Format)?;
        let key = self.get(id).ok_or(OpenError::UnknownKey(id))?;
        let sealed = URL_SAFE_NO_PAD
            .decode(&stored[TAGGED_LEN..])
            .map_err(|_| OpenError::Format)?;
        if sealed.len() <= NONCE_BYTES {
            return Err(OpenError::Format);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let aad = totp_aad(account_id);
        let payload = Payload {
            msg: ciphertext,
            aad: &aad,
        };
        let plain = key
            .seal
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| OpenError::Tampered(id))?;
        TotpSecret::from_bytes(plain).ok_or(OpenError::Tampered(id))
    }

    /// What `digest` is stored as under each key: the values a lookup matches.
    pub fn keyed_hash_candidates(&self, digest: &str) -> Vec<String> {
        self.keys.iter().map(|k| k.keyed_hash(digest)).collect()
    }
}

/// The ring of a running server, read again when the file changes (a
/// `tessera keys rotate` beside it), so what it seals is under the current
/// key and what the rotation re-sealed opens.
pub struct Keys {
    file: PathBuf,
    loaded: RwLock<Loaded>,
}

struct Loaded {
    ring: Arc<Ring>,
    modified: Option<SystemTime>,
}

impl Keys {
    /// The ring in `file`, which must exist.
    pub fn load(file: &Path) -> anyhow::Result<Self> {
        let loaded = read(file)?;
        warn_if_readable_by_others(file);
        Ok(Self {
            file: file.to_owned(),
            loaded: RwLock::new(loaded),
        })
    }

    /// The ring to seal and hash with: the file's, read again if it changed.
    pub fn current(&self) -> Arc<Ring> {
        let modified = modified(&self.file);
        {
            let loaded = self.loaded.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if modified.is_none() || loaded.modified == modified {
                return loaded.ring.clone();
            }
        }
        self.reload()
    }

    /// The ring to open `stored` with: read again if it names a key this one lacks.
    fn for_stored(&self, stored: &str) -> Arc<Ring> {
        let ring = self
            .loaded
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .ring
            .clone();
        match KeyId::of_stored(stored) {
            Some(id) if !ring.holds(id) => self.reload(),
            _ => ring,
        }
    }

    fn reload(&self) -> Arc<Ring> {
        let mut loaded = self.loaded.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match read(&self.file) {
            Ok(fresh) => {
                tracing::info!(file = %self.file.display(), current = %fresh.ring.current_id(), "read the key file again");
                *loaded = fresh;
            }
            // Half written by hand, say: keep what worked, and say so.
            Err(e) => tracing::error!(file = %self.file.display(), "the key file changed and does not read: {e:#}"),
        }
        loaded.ring.clone()
    }

    pub fn seal_totp(&self, account_id: i32, secret: &TotpSecret) -> Result<String> {
        self.current().seal_totp(account_id, secret)
    }

    pub fn open_totp(&self, account_id: i32, stored: &str) -> Result<TotpSecret> {
        self.for_stored(stored)
            .open_totp(account_id, stored)
            .map_err(|e| ServiceError::internal(format!("account {account_id}: its TOTP secret {e}")))
    }

    pub fn keyed_hash(&self, digest: &str) -> String {
        self.current().keyed_hash(digest)
    }

    pub fn keyed_hash_candidates(&self, digest: &str) -> Vec<String> {
        self.current().keyed_hash_candidates(digest)
    }
}

fn modified(file: &Path) -> Option<SystemTime> {
    std::fs::metadata(file).and_then(|m| m.modified()).ok()
}

fn read(file: &Path) -> anyhow::Result<Loaded> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let ring = Ring::parse(&text).with_context(|| format!("{}", file.display()))?;
    Ok(Loaded {
        ring: Arc::new(ring),
        modified: modified(file),
    })
}

fn warn_if_readable_by_others(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            tracing::warn!(file = %file.display(), "--secret-key-file: others may read this file; chmod 600 it");
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn secret() -> TotpSecret {
        TotpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").expect("base32")
    }

    #[test]
    fn a_sealed_secret_opens_for_its_own_row_only() -> Result<()> {
        let ring = Ring::generate()?;
        let sealed = ring.seal_totp(7, &secret())?;
        assert!(sealed.starts_with(&format!("v1:{}:", ring.current_id())), "{sealed}");
        assert!(!sealed.contains("JBSWY3DP"));
        assert_eq!(
            ring.open_totp(7, &sealed).map(|s| s.to_base32()).ok(),
            Some(secret().to_base32())
        );
        assert!(matches!(ring.open_totp(8, &sealed), Err(OpenError::Tampered(_))));
        // A new nonce each time: the same secret never seals the same way twice.
        assert_ne!(ring.seal_totp(7, &secret())?, sealed);
        Ok(())
    }

    #[test]
    fn another_key_names_itself_and_opens_nothing() -> Result<()> {
        let (ring, other) = (Ring::generate()?, Ring::generate()?);
        let sealed = ring.seal_totp(1, &secret())?;
        assert!(matches!(other.open_totp(1, &sealed), Err(OpenError::UnknownKey(id)) if id == ring.current_id()));
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ASCII");
        assert!(ring.open_totp(1, &altered).is_err());
        for broken in ["JBSWY3DPEHPK3PXP", "v1:", "v1:zzzzzzzz:abc", &sealed[..TAGGED_LEN]] {
            assert!(ring.open_totp(1, broken).is_err(), "{broken}");
        }
        Ok(())
    }

    #[test]
    fn a_new_key_seals_while_the_old_ones_still_open() -> Result<()> {
        let old = Ring::generate()?;
        let sealed = old.seal_totp(3, &secret())?;
        let hashed = old.keyed_hash("digest");
        let new = old.with_new_key()?;
        assert_ne!(new.current_id(), old.current_id());
        assert!(new.open_totp(3, &sealed).is_ok());
        assert!(new.keyed_hash_candidates("digest").contains(&hashed));
        assert_ne!(new.keyed_hash("digest"), hashed);
        let pruned = new.retain(|_| false);
        assert_eq!(
            pruned.ids().collect::<Vec<_>>(),
            [new.current_id()],
            "the current key always stays"
        );
        Ok(())
    }

    #[test]
    fn the_file_reads_back_the_same_keys_in_order() -> anyhow::Result<()> {
        let ring = Ring::generate()?.with_new_key()?;
        let again = Ring::parse(&ring.to_text())?;
        assert_eq!(again.ids().collect::<Vec<_>>(), ring.ids().collect::<Vec<_>>());
        assert!(Ring::parse("# only a comment\n").is_err());
        assert!(Ring::parse("bm90IDMyIGJ5dGVz\n").is_err());
        Ok(())
    }

    #[test]
    fn the_padded_key_is_hmacs_own_short_key() {
        use hmac::Mac as _;
        let key = [7u8; 32];
        let mut ours = hmac_sha256(&key);
        ours.update(b"message");
        let mut theirs = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any length");
        theirs.update(b"message");
        assert_eq!(ours.finalize().into_bytes(), theirs.finalize().into_bytes());
    }

    #[test]
    fn keyed_hashes_are_tagged_with_their_key_and_depend_on_it() -> Result<()> {
        let (a, b) = (Ring::generate()?, Ring::generate()?);
        let hashed = a.keyed_hash("digest");
        assert_eq!(KeyId::of_stored(&hashed), Some(a.current_id()));
        assert_eq!(hashed.len(), TAGGED_LEN + 64);
        assert_ne!(a.keyed_hash("digest"), b.keyed_hash("digest"));
        assert_eq!(a.keyed_hash("digest"), hashed, "deterministic, so a lookup finds it");
        Ok(())
    }
}
