use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::{Sealed, SensitiveKind};

type HmacSha256 = Hmac<Sha256>;

/// Keys derived from the 32-byte master key in the key file.
pub struct Keyring {
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "无法读取密钥文件 {path}：{reason}。没有原密钥，加密的身份证号、电话和银行账号无法解密；请从备份恢复密钥文件"
    )]
    Unreadable { path: String, reason: String },
    #[error("密钥文件 {0} 格式不正确（应为 32 字节密钥的 base64 编码）")]
    Malformed(String),
    #[error("无法创建密钥文件 {path}：{reason}")]
    Create { path: String, reason: String },
    #[error("数据无法用当前密钥解密：密钥文件与数据库不匹配，或数据已被篡改")]
    Decrypt,
    #[error(
        "密钥文件 {0} 与数据库不匹配：它解不开库中的密钥校验值。请使用建库（或备份）时的密钥文件；不要换用新密钥，否则已加密的身份证号、电话和银行账号将无法读取"
    )]
    Mismatch(String),
}

/// Where the key file lives when `MINZHENG_KEY_FILE` is not set: beside an SQLite
/// database (`minzheng.db` → `minzheng.db.key`), or `minzheng.key` in the working
/// directory for PostgreSQL.
pub fn default_key_path(database_url: &str) -> PathBuf {
    if let Some(rest) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    {
        let file = rest.split('?').next().unwrap_or(rest);
        if !file.is_empty() && !file.contains(":memory:") {
            return PathBuf::from(format!("{file}.key"));
        }
    }
    PathBuf::from("minzheng.key")
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl Keyring {
    pub fn from_master(master: &[u8; 32]) -> Keyring {
        let enc = derive(master, b"minzheng/seal/v1");
        Keyring {
            cipher: XChaCha20Poly1305::new(&enc.into()),
            index_key: derive(master, b"minzheng/index/v1"),
        }
    }

    /// Loads the key file, or creates it (mode 0600) when `create` is set and it does not
    /// exist yet — on the first run of a new installation.
    pub fn load_or_create(path: &Path, create: bool) -> Result<Keyring, KeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = B64
                    .decode(text.trim())
                    .map_err(|_| KeyError::Malformed(shown.clone()))?;
                let master: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed(shown))?;
                Ok(Keyring::from_master(&master))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut master = [0u8; 32];
                rand::rng().fill_bytes(&mut master);
                write_new_key(path, &B64.encode(master)).map_err(|e| KeyError::Create {
                    path: shown,
                    reason: e.to_string(),
                })?;
                Ok(Keyring::from_master(&master))
            }
            Err(e) => Err(KeyError::Unreadable {
                path: shown,
                reason: e.to_string(),
            }),
        }
    }

    /// A keyring with a random key, for tests and throwaway tools.
    pub fn ephemeral() -> Keyring {
        let mut master = [0u8; 32];
        rand::rng().fill_bytes(&mut master);
        Keyring::from_master(&master)
    }

    /// Seals `value` (already normalised) of the given kind. The kind is bound in as
    /// associated data, so a sealed phone cannot be passed off as an ID number.
    pub fn seal(&self, kind: SensitiveKind, value: &str) -> Sealed {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: kind.code().as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ciphertext);
        Sealed {
            sealed: B64.encode(out),
            index: self.index(kind, value),
        }
    }

    pub fn open(&self, kind: SensitiveKind, sealed: &str) -> Result<String, KeyError> {
        let bytes = B64.decode(sealed).map_err(|_| KeyError::Decrypt)?;
        if bytes.len() < 24 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: kind.code().as_bytes(),
                },
            )
            .map_err(|_| KeyError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| KeyError::Decrypt)
    }

    /// Seals a blob (a chunk of a department's data set): nonce ‖ ciphertext, with `label`
    /// bound in so a blob cannot be passed off as another kind.
    pub fn seal_bytes(&self, label: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: label.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ciphertext);
        out
    }

    pub fn open_bytes(&self, label: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < 24 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, ciphertext) = sealed.split_at(24);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| KeyError::Decrypt)
    }

    /// The blind index of a normalised value: equal values give equal indexes, and
    /// without the key the index says nothing about the value.
    pub fn index(&self, kind: SensitiveKind, value: &str) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.index_key).unwrap_or_else(|_| unreachable!());
        mac.update(kind.code().as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        // One allocation: a roster import computes three indexes per member, and a
        // `format!` per byte made 33 allocations of each (a tenth of an import's time).
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(digest.len() * 2);
        for b in digest {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }
}

fn write_new_key(path: &Path, encoded: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(encoded.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blind_index_is_the_lowercase_hex_of_the_hmac() {
        // Stored registers hold these strings: the encoding must never change.
        let k = Keyring::ephemeral();
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&k.index_key).unwrap();
        mac.update(b"id_number:11010519491231002X");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            k.index(SensitiveKind::IdNumber, "11010519491231002X"),
            expected
        );
        assert_eq!(expected.len(), 64);
    }

    #[test]
    fn seal_open_round_trip_and_kind_binding() {
        let k = Keyring::ephemeral();
        let s = k.seal(SensitiveKind::IdNumber, "11010519491231002X");
        assert!(!s.sealed.contains("11010519491231002X"));
        assert_eq!(
            k.open(SensitiveKind::IdNumber, &s.sealed).unwrap(),
            "11010519491231002X"
        );
        assert!(
            k.open(SensitiveKind::Phone, &s.sealed).is_err(),
            "kind is bound"
        );
        // Fresh nonce each time, same blind index.
        let t = k.seal(SensitiveKind::IdNumber, "11010519491231002X");
        assert_ne!(s.sealed, t.sealed);
        assert_eq!(s.index, t.index);
        assert_ne!(s.index, k.index(SensitiveKind::Phone, "11010519491231002X"));
        // Another key cannot open it.
        assert!(
            Keyring::ephemeral()
                .open(SensitiveKind::IdNumber, &s.sealed)
                .is_err()
        );
    }

    #[test]
    fn key_file_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        assert!(Keyring::load_or_create(&path, false).is_err());
        let a = Keyring::load_or_create(&path, true).unwrap();
        let sealed = a.seal(SensitiveKind::Phone, "13812345678");
        let b = Keyring::load_or_create(&path, false).unwrap();
        assert_eq!(
            b.open(SensitiveKind::Phone, &sealed.sealed).unwrap(),
            "13812345678"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            Keyring::load_or_create(&path, true),
            Err(KeyError::Malformed(_))
        ));
    }

    #[test]
    fn key_path_sits_beside_the_database() {
        assert_eq!(
            default_key_path("sqlite://data/mz.db"),
            PathBuf::from("data/mz.db.key")
        );
        assert_eq!(
            default_key_path("sqlite:///var/lib/mz.db?mode=rwc"),
            PathBuf::from("/var/lib/mz.db.key")
        );
        assert_eq!(
            default_key_path("postgres://u@h/db"),
            PathBuf::from("minzheng.key")
        );
    }
}
