//! What the PoQ runtime and its node share. The node executes the runtime's wasm and never
//! compiles the runtime natively, so the types it decodes blocks and accounts with, and the
//! constants both sides must agree on, live here: one definition each.

#![cfg_attr(not(feature = "std"), no_std)]

use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature,
};

pub use sp_consensus_aura::sr25519::AuthorityId as AuraId;

/// Signatures of transactions.
pub type Signature = MultiSignature;
/// Accounts are the public keys of the signature scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
pub type Balance = u128;
pub type Nonce = u32;
pub type Hash = sp_core::H256;
pub type BlockNumber = u32;
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// The block as the node sees it: extrinsics as opaque bytes.
pub mod opaque {
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;
	pub type Block = sp_runtime::generic::Block<super::Header, UncheckedExtrinsic>;
}

/// The relay chain's slot, as on Polkadot and its test relay chains: the one definition the
/// consensus hook, the collator and the dev chain's mocked relay chain use.
pub const RELAY_CHAIN_SLOT_DURATION_MILLIS: u32 = 6000;

/// The parachain id of the presets.
pub const PARACHAIN_ID: u32 = 2000;

/// The name of the production genesis preset.
pub const PRODUCTION_PRESET: &str = "production";
