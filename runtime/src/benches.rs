//! The pallets `poq-node benchmark pallet` measures (with `--features runtime-benchmarks`):
//! `scripts/benchmark.sh` writes `pallets/poq/src/weights.rs` and `runtime/src/weights/`.

frame_benchmarking::define_benchmarks!(
	[pallet_poq, Poq]
	[pallet_balances, Balances]
	[pallet_collator_selection, CollatorSelection]
	[pallet_collective, TechnicalCommittee]
	[pallet_preimage, Preimage]
	[pallet_sudo, Sudo]
	[pallet_timestamp, Timestamp]
	[pallet_whitelist, Whitelist]
);

/// What `pallet_collator_selection`'s benchmarks need of the session: keys, and the proof that
/// the candidate owns them.
impl cumulus_pallet_session_benchmarking::Config for crate::Runtime {
	fn generate_session_keys_and_proof(
		owner: Self::AccountId,
	) -> (Self::Keys, alloc::vec::Vec<u8>) {
		use codec::Encode;
		let keys = crate::SessionKeys::generate(&owner.encode(), None);
		(keys.keys, keys.proof.encode())
	}
}
