//! The score commitment of protocol v1, the one definition shared by the pallet, the off-chain
//! worker, clients and tests.

use codec::Encode;

/// Domain tag that opens every commitment preimage (13 bytes, SCALE-encoded as a fixed array,
/// so without a length prefix).
pub const COMMIT_TAG: [u8; 13] = *b"poq/commit/v1";

/// `sha2_256(SCALE((COMMIT_TAG, id, validator, scores, salt)))`.
///
/// `scores` encodes as a SCALE `Vec<u16>` (compact length, then each score little-endian). Binding
/// the request id and the committer means a copied commitment cannot be revealed by anyone else
/// and a reveal cannot be replayed on another request.
pub fn commitment<AccountId: Encode>(
	id: u64,
	validator: &AccountId,
	scores: &[u16],
	salt: &[u8; 32],
) -> [u8; 32] {
	sp_io::hashing::sha2_256(&(COMMIT_TAG, id, validator, scores, salt).encode())
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Golden vector computed outside Rust from the byte layout of DESIGN.md, with Python:
	/// `hashlib.sha256(b"poq/commit/v1" + (7).to_bytes(8, "little") + bytes(range(32))
	///  + bytes([3 << 2]) + b"".join(s.to_bytes(2, "little") for s in (0, 5000, 10000))
	///  + bytes([0xAB] * 32)).hexdigest()`.
	#[test]
	fn matches_the_documented_byte_layout() {
		let account: [u8; 32] = core::array::from_fn(|i| i as u8);
		let digest = commitment(7, &account, &[0, 5_000, 10_000], &[0xAB; 32]);
		assert_eq!(
			hex(&digest),
			"35b2efc29cd62997e400db63f386cc2db0d5bab745ab6dc2969c0acba27cf231"
		);
	}

	#[test]
	fn binds_every_field() {
		let account = [1u8; 32];
		let base = commitment(1, &account, &[1, 2], &[9; 32]);
		assert_ne!(base, commitment(2, &account, &[1, 2], &[9; 32]));
		assert_ne!(base, commitment(1, &[2u8; 32], &[1, 2], &[9; 32]));
		assert_ne!(base, commitment(1, &account, &[2, 1], &[9; 32]));
		assert_ne!(base, commitment(1, &account, &[1, 2], &[8; 32]));
	}

	fn hex(bytes: &[u8]) -> alloc::string::String {
		bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
	}
}
