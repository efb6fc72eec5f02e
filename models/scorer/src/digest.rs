//! The model identity the chain pins with `set_quality_model`: the SHA-256 of a manifest that
//! lists every file of the folder that changes a score, each with its own SHA-256.
//!
//! The manifest is text: the line `poq-model-manifest/v1`, then for each file, sorted by its
//! path relative to the folder (`/`-separated), the line `<sha256 hex>  <path>`, as
//! `sha256sum` prints it; every line ends in `\n`. The files are those [`QualityModel::load`]
//! reads: `config.json`, `tokenizer.json` and the weights always; `tokenizer_config.json`,
//! `modules.json`, `sentence_bert_config.json`, the pooling module's `config.json`, the
//! judge (`judge.json`, which carries its version) and the precision (`precision.json`) when
//! present. Two folders that differ in
//! any of them have different digests.
//!
//! [`QualityModel::load`]: crate::QualityModel::load

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::config::{self, PRECISION_FILE};
use crate::error::{Error, Result};
use crate::judge::JUDGE_FILE;

/// The manifest's first line: bumped if the manifest's form ever changes.
pub const MANIFEST_HEADER: &str = "poq-model-manifest/v1";

/// The files of a model folder that change a score, with their SHA-256s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
	/// `(path relative to the folder, SHA-256)`, sorted by path.
	pub files: Vec<(String, [u8; 32])>,
}

impl Manifest {
	/// Lists and hashes the files of `dir` that [`crate::QualityModel::load`] reads.
	pub fn of(dir: &Path) -> Result<Self> {
		if !dir.is_dir() {
			return Err(Error::MissingDir(dir.to_owned()));
		}
		let weights = config::weights_file(dir)?;
		let weights = weights.file_name().map(|n| n.to_string_lossy().into_owned());
		let mut paths: Vec<String> = ["config.json", "tokenizer.json"]
			.into_iter()
			.map(String::from)
			.chain(weights)
			.collect();
		for optional in [
			"tokenizer_config.json",
			"modules.json",
			"sentence_bert_config.json",
			JUDGE_FILE,
			PRECISION_FILE,
		] {
			if dir.join(optional).is_file() {
				paths.push(optional.into());
			}
		}
		if let Some(pooling) = config::pooling_config_path(dir)? {
			paths.push(pooling);
		}
		paths.sort();
		paths.dedup();
		let files = paths
			.into_iter()
			.map(|p| {
				let path = dir.join(&p);
				if !path.is_file() {
					return Err(Error::MissingFile(path));
				}
				Ok((p, digest_file(&path)?))
			})
			.collect::<Result<_>>()?;
		Ok(Self { files })
	}

	/// The manifest's text (see the module docs).
	pub fn text(&self) -> String {
		let mut text = format!("{MANIFEST_HEADER}\n");
		for (path, digest) in &self.files {
			text.push_str(&format!("{}  {path}\n", to_hex(digest)));
		}
		text
	}

	/// The SHA-256 of [`Self::text`]: the digest the chain pins.
	pub fn digest(&self) -> [u8; 32] {
		Sha256::digest(self.text().as_bytes()).into()
	}
}

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
	fn manifest_text_and_digest_by_hand() {
		let m =
			Manifest { files: vec![("a.json".into(), [0; 32]), ("b/c.json".into(), [0xff; 32])] };
		let text = m.text();
		assert_eq!(
			text,
			format!(
				"poq-model-manifest/v1\n{}  a.json\n{}  b/c.json\n",
				"00".repeat(32),
				"ff".repeat(32)
			)
		);
		assert_eq!(m.digest(), <[u8; 32]>::from(Sha256::digest(text.as_bytes())));
	}

	#[test]
	fn digest_of_a_missing_file_is_an_error() {
		let err = digest_file(Path::new("/nonexistent/poq/weights")).unwrap_err();
		assert!(matches!(err, Error::Io { .. }), "{err}");
	}
}
