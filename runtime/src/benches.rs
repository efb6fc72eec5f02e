//! The pallets `poq-node benchmark pallet` measures (with `--features runtime-benchmarks`):
//! `scripts/benchmark.sh` writes `pallets/poq/src/weights.rs` and `runtime/src/weights/`.

/// The benchmarking pallets of `frame_system`, its transaction extensions and `pallet_session`
/// (`apis.rs` imports them where the lists below expand).
pub use cumulus_pallet_session_benchmarking::Pallet as SessionBench;
pub use frame_system_benchmarking::{
	extensions::Pallet as SystemExtensionsBench, Pallet as SystemBench,
};

frame_benchmarking::define_benchmarks!(
	[pallet_poq, Poq]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_session, SessionBench::<Runtime>]
	[pallet_collator_selection, CollatorSelection]
	[pallet_collective, TechnicalCommittee]
	[pallet_preimage, Preimage]
	[pallet_sudo, Sudo]
	[pallet_timestamp, Timestamp]
	[pallet_whitelist, Whitelist]
	[pallet_message_queue, MessageQueue]
	[cumulus_pallet_parachain_system, ParachainSystem]
	[cumulus_pallet_weight_reclaim, WeightReclaim]
	[cumulus_pallet_xcmp_queue, XcmpQueue]
);

/// Transaction fees are burned (`FungibleAdapter<Balances, ()>`): no block author to set up.
impl pallet_transaction_payment::BenchmarkConfig for crate::Runtime {}

/// `frame_system`'s code upgrade on a parachain: the new code is stored for the relay chain to
/// validate (`ParachainSetCode`), not swapped in at once.
impl frame_system_benchmarking::Config for crate::Runtime {
	fn setup_set_code_requirements(
		code: &alloc::vec::Vec<u8>,
	) -> Result<(), frame_benchmarking::BenchmarkError> {
		crate::ParachainSystem::initialize_for_set_code_benchmark(code.len() as u32);
		Ok(())
	}

	fn verify_set_code() {
		crate::System::assert_last_event(
			cumulus_pallet_parachain_system::Event::<crate::Runtime>::ValidationFunctionStored
				.into(),
		);
	}
}

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
