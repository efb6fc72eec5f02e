//! SHA-256 of a weights file: the model identity the chain pins with `set_quality_model`.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Streams `path` through SHA-256 in 64 KiB chunks, so hashing never holds the file in memory.
pub fn digest_file(path: &Path) -> Result<[u8; 32]> {
	let io = |source| Error::Io { path: path.to_owned(), source };
	let mut file = std::fs::File::open(path).map_err(io)?;
	let mut hasher = Sha256::new();
	let mut buf = vec![0u8; 64 * 1024];
	loop {
		let n = file.read(&mut buf).map_err(io)?;
		if n == 0 {
			break;
		}
		hasher.update(&buf[..n]);
	}
	Ok(hasher.finalize().into())
}

/// Lower-case hex of a digest, as `sha256sum` prints it.
pub fn to_hex(digest: &[u8; 32]) -> String {
	digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn digest_of_a_known_file() {
		let dir = std::env::temp_dir().join(format!("poq-digest-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let path = dir.join("abc");
		std::fs::write(&path, b"abc").unwrap();
		let hex = to_hex(&digest_file(&path).unwrap());
		std::fs::remove_dir_all(&dir).unwrap();
		assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	}

	#[test]
	fn digest_of_a_missing_file_is_an_error() {
		let err = digest_file(Path::new("/nonexistent/poq/weights")).unwrap_err();
		assert!(matches!(err, Error::Io { .. }), "{err}");
	}
}
