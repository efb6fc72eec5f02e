//! The runtime API as this node calls it, without the runtime compiled natively.
//!
//! A client calls a runtime API through a `RuntimeApi` type whose methods encode the arguments,
//! execute the named function of the on-chain wasm, and decode its result. `impl_runtime_apis!`
//! generates that type from a set of implementations; their bodies only ever run inside the
//! wasm, so here, where only the client side is wanted, they are never called. The real
//! implementations are in `runtime/src/apis.rs`; this list is what the node and the Substrate
//! and Cumulus crates it drives call (one missing does not compile). What goes over the wire
//! cannot drift from the runtime's: each signature is its API trait's, and the types the traits
//! leave open (accounts, nonces, balances, Aura keys, the block) are `poq-primitives`', which the
//! runtime uses too.

use poq_primitives::{opaque::Block, AccountId, AuraId, Balance, Nonce};
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::Block as BlockT,
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode,
};
use sp_weights::Weight;

/// The type the implementations below hang on.
#[expect(dead_code, reason = "never constructed: only the generated client side is used")]
struct Runtime;

/// Each body: the native side of a runtime API is never executed (see the module's comment).
macro_rules! wasm_only {
	() => {
		unreachable!("a runtime API executes in the runtime's wasm, never natively in the node")
	};
}

sp_api::impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> sp_version::RuntimeVersion {
			wasm_only!()
		}
		fn execute_block(_: <Block as BlockT>::LazyBlock) {
			wasm_only!()
		}
		fn initialize_block(_: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			wasm_only!()
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			wasm_only!()
		}
		fn metadata_at_version(_: u32) -> Option<OpaqueMetadata> {
			wasm_only!()
		}
		fn metadata_versions() -> Vec<u32> {
			wasm_only!()
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(_: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			wasm_only!()
		}
		fn finalize_block() -> <Block as BlockT>::Header {
			wasm_only!()
		}
		fn inherent_extrinsics(_: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			wasm_only!()
		}
		fn check_inherents(
			_: <Block as BlockT>::LazyBlock,
			_: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			wasm_only!()
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			_: TransactionSource,
			_: <Block as BlockT>::Extrinsic,
			_: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			wasm_only!()
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(_: &<Block as BlockT>::Header) {
			wasm_only!()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(_: Vec<u8>, _: Option<Vec<u8>>) -> sp_session::OpaqueGeneratedSessionKeys {
			wasm_only!()
		}
		fn decode_session_keys(_: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			wasm_only!()
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			wasm_only!()
		}
		fn authorities() -> Vec<AuraId> {
			wasm_only!()
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(_: AccountId) -> Nonce {
			wasm_only!()
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			_: <Block as BlockT>::Extrinsic,
			_: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			wasm_only!()
		}
		fn query_fee_details(
			_: <Block as BlockT>::Extrinsic,
			_: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::FeeDetails<Balance> {
			wasm_only!()
		}
		fn query_weight_to_fee(_: Weight) -> Balance {
			wasm_only!()
		}
		fn query_length_to_fee(_: u32) -> Balance {
			wasm_only!()
		}
	}

	impl cumulus_primitives_core::GetParachainInfo<Block> for Runtime {
		fn parachain_id() -> cumulus_primitives_core::ParaId {
			wasm_only!()
		}
	}

	impl cumulus_primitives_core::CollectCollationInfo<Block> for Runtime {
		fn collect_collation_info(_: &<Block as BlockT>::Header) -> cumulus_primitives_core::CollationInfo {
			wasm_only!()
		}
	}

	impl cumulus_primitives_aura::AuraUnincludedSegmentApi<Block> for Runtime {
		fn can_build_upon(_: <Block as BlockT>::Hash, _: cumulus_primitives_aura::Slot) -> bool {
			wasm_only!()
		}
	}

	impl cumulus_primitives_core::KeyToIncludeInRelayProof<Block> for Runtime {
		fn keys_to_prove() -> cumulus_primitives_core::RelayProofRequest {
			wasm_only!()
		}
	}
}
