//! The commitments of the protocol: a validator's to its scores, an inference node's to its
//! answer; and the consent an operator key signs. The one definition shared by the pallet, the
//! off-chain worker, clients and tests.

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

/// Domain tag that opens every answer commitment preimage (13 bytes, no length prefix).
pub const ANSWER_TAG: [u8; 13] = *b"poq/answer/v1";

/// `sha2_256(SCALE((ANSWER_TAG, id, node, output, salt)))`: an inference node's commitment to
/// its answer.
///
/// `output` encodes as a SCALE `Vec<u8>` (compact length, then the bytes). Every node commits
/// before any answer is revealed, and the commitment binds the node, so an answer seen in a
/// reveal cannot be committed to any more, and a commitment copied from another node cannot be
/// revealed.
pub fn answer_commitment<AccountId: Encode>(
	id: u64,
	node: &AccountId,
	output: &[u8],
	salt: &[u8; 32],
) -> [u8; 32] {
	sp_io::hashing::sha2_256(&(ANSWER_TAG, id, node, output, salt).encode())
}

/// Domain tag that opens an operator key's consent (15 bytes, no length prefix).
pub const OPERATOR_TAG: [u8; 15] = *b"poq/operator/v1";

/// `SCALE((OPERATOR_TAG, genesis, who, until))`: what an operator key signs to consent to sign
/// bonded account `who`'s work (`set_operator`) on the chain whose genesis block hash is
/// `genesis`, if named by block `until`.
///
/// Binding the chain and the account means a consent works for nobody else and on no other
/// chain; `until` lets the key holder bound how long its consent can be used.
pub fn operator_consent<Hash: Encode, AccountId: Encode, BlockNumber: Encode>(
	genesis: &Hash,
	who: &AccountId,
	until: &BlockNumber,
) -> alloc::vec::Vec<u8> {
	(OPERATOR_TAG, genesis, who, until).encode()
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

	/// Golden vector of the answer commitment, computed the same way with Python:
	/// `out = b"The capital of France is Paris."` (31 bytes), then
	/// `hashlib.sha256(b"poq/answer/v1" + (7).to_bytes(8, "little") + bytes(range(32))
	///  + bytes([len(out) << 2]) + out + bytes([0xAB] * 32)).hexdigest()`.
	#[test]
	fn answer_commitment_matches_the_documented_byte_layout() {
		let account: [u8; 32] = core::array::from_fn(|i| i as u8);
		let digest =
			answer_commitment(7, &account, b"The capital of France is Paris.", &[0xAB; 32]);
		assert_eq!(
			hex(&digest),
			"6100c250222fb6d668ee817e9ef345c41d4c1872ec0cdd91582d57c3f263e3b4"
		);
	}

	#[test]
	fn answer_commitment_binds_every_field() {
		let account = [1u8; 32];
		let base = answer_commitment(1, &account, b"ab", &[9; 32]);
		assert_ne!(base, answer_commitment(2, &account, b"ab", &[9; 32]));
		assert_ne!(base, answer_commitment(1, &[2u8; 32], b"ab", &[9; 32]));
		assert_ne!(base, answer_commitment(1, &account, b"ba", &[9; 32]));
		assert_ne!(base, answer_commitment(1, &account, b"ab", &[8; 32]));
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

	/// Golden vector of an operator's consent, its bytes written out with Python:
	/// `(b"poq/operator/v1" + bytes([0xEE] * 32) + bytes(range(32))
	///  + (1234).to_bytes(4, "little")).hex()`: the runtime's block numbers are `u32`.
	#[test]
	fn operator_consent_matches_the_documented_byte_layout() {
		let account: [u8; 32] = core::array::from_fn(|i| i as u8);
		assert_eq!(
			hex(&operator_consent(&[0xEEu8; 32], &account, &1234u32)),
			"706f712f6f70657261746f722f7631eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\
			 eeee000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fd2040000"
		);
	}

	fn hex(bytes: &[u8]) -> alloc::string::String {
		bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
	}
}
