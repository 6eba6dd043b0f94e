//! Bead ids: `<prefix>-<base36 hash>`, the hash growing with the ledger (bd's scheme: short
//! while collisions are unlikely, longer as the prefix fills up); children `<id>.<n>`;
//! convoys `hq-cv-<5>`.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
pub const MIN_LEN: usize = 4;
pub const MAX_LEN: usize = 8;

/// Base36 of the first bytes of a SHA-256 over `seed`, exactly `len` characters.
pub fn hash_suffix(seed: &[u8], len: usize) -> String {
    let digest = Sha256::digest(seed);
    let mut n = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let mut out = vec![b'0'; len];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Smallest hash length whose birthday-collision probability for `count` existing ids stays
/// under 25% (4 chars up to ~700 ids, 5 up to ~4,000, 6 up to ~24,000, …).
pub fn adaptive_len(count: u64) -> usize {
    let n = count as f64;
    (MIN_LEN..=MAX_LEN)
        .find(|&len| {
            let space = 36f64.powi(len as i32);
            1.0 - (-(n * n) / (2.0 * space)).exp() <= 0.25
        })
        .unwrap_or(MAX_LEN)
}

/// A seed that differs between calls even for the same title in the same second.
pub fn seed(prefix: &str, title: &str, attempt: u32) -> Vec<u8> {
    format!(
        "{prefix}\0{title}\0{}\0{}\0{}\0{attempt}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
        uuid::Uuid::new_v4()
    )
    .into_bytes()
}

pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_has_requested_length_and_alphabet() {
        for len in MIN_LEN..=MAX_LEN {
            let s = hash_suffix(b"seed", len);
            assert_eq!(s.len(), len);
            assert!(s.bytes().all(|b| ALPHABET.contains(&b)));
        }
        assert_ne!(hash_suffix(b"a", 6), hash_suffix(b"b", 6));
    }

    #[test]
    fn length_grows_with_ledger() {
        assert_eq!(adaptive_len(0), 4);
        assert_eq!(adaptive_len(500), 4);
        assert_eq!(adaptive_len(2_000), 5);
        assert_eq!(adaptive_len(10_000), 6);
        assert_eq!(adaptive_len(100_000), 7);
        assert!(adaptive_len(u64::MAX) == MAX_LEN);
    }

    #[test]
    fn ids_validate() {
        assert!(is_valid_id("gt-4k2x9"));
        assert!(is_valid_id("hq-cv-abcde"));
        assert!(is_valid_id("gt-4k2x9.1"));
        assert!(!is_valid_id("gt 4k"));
        assert!(!is_valid_id(""));
    }
}
