//! # Relay randomness
//!
//! The best randomness a parachain has: the relay chain's BABE randomness, read from the
//! relay-state proof that every parachain block carries and the relay validators check. No
//! collator can forge it. It is served as [`frame_support::traits::Randomness`].
//!
//! Two relay values are mixed ([`mix`]):
//! - **one epoch ago** (`Babe::NextRandomness`): fixed at the start of a relay epoch, from the
//!   VRFs of the epoch before. Only the last relay block authors of that epoch could bias it, by
//!   withholding blocks. It is public for a whole epoch (hours on Polkadot), so alone it would let
//!   anyone predict the draws of requests not yet made;
//! - **the relay parent's own VRF output** (`Babe::AuthorVrfRandomness`): unknown until that relay
//!   block exists. Its author could withhold it, and the collator picks among the few relay
//!   parents it may build on, so it is biasable a little, but not predictable in advance.
//!
//! Each value is remembered with the first parachain block that saw it, and `random` reports the
//! later of the two as the block since which the output is known: the trait's contract is that
//! it distinguishes only what was committed before that block.
//!
//! Plugged in as `OnSystemEvent` of `cumulus-pallet-parachain-system`, it runs inside the
//! parachain inherent. A proof that does not cover both keys makes the block invalid (the
//! inherent panics, as parachain-system does for a bad proof): otherwise a collator could leave
//! a key's trie nodes out and choose between the new relay value and the old one. A value the
//! relay state proves absent (the relay parent has no VRF output, as at genesis) keeps the old
//! one: that is the relay chain's state, not the collator's choice.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(test)]
mod tests;

pub use pallet::*;

use codec::Encode;
use cumulus_pallet_parachain_system::{OnSystemEvent, RelayChainStateProof};
use cumulus_primitives_core::{relay_chain::well_known_keys, PersistedValidationData};
use frame_support::{
	traits::{Get, Randomness},
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Hash;

/// Domain of [`mix`], so the output is not reused by another consumer of the same relay values.
pub const DOMAIN: &[u8; 19] = b"poq/relay-random/v1";

/// The randomness for `subject` from the two relay values.
pub fn mix(epoch: &[u8; 32], block: &[u8; 32], subject: &[u8]) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(DOMAIN, epoch, block, subject).encode())
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// The relay chain's one-epoch-ago randomness and the first parachain block that saw it.
	#[pallet::storage]
	pub type EpochRandomness<T: Config> = StorageValue<_, ([u8; 32], BlockNumberFor<T>)>;

	/// The VRF output of the latest relay parent and the parachain block that saw it.
	#[pallet::storage]
	pub type BlockRandomness<T: Config> = StorageValue<_, ([u8; 32], BlockNumberFor<T>)>;
}

impl<T: Config> Pallet<T> {
	/// Remembers `value` in `item` unless it is already there.
	fn remember<S>(value: Option<[u8; 32]>) -> u64
	where
		S: frame_support::StorageValue<
			([u8; 32], BlockNumberFor<T>),
			Query = Option<([u8; 32], BlockNumberFor<T>)>,
		>,
	{
		match value {
			Some(value) if S::get().map(|(seen, _)| seen) != Some(value) => {
				S::put((value, frame_system::Pallet::<T>::block_number()));
				1
			},
			_ => 0,
		}
	}
}

impl<T: Config> OnSystemEvent for Pallet<T> {
	fn on_validation_data(_: &PersistedValidationData) {}

	fn on_validation_code_applied() {}

	fn on_relay_state_proof(proof: &RelayChainStateProof) -> Weight {
		let epoch = proof
			.read_optional_entry::<[u8; 32]>(well_known_keys::ONE_EPOCH_AGO_RANDOMNESS)
			.expect("the relay-state proof covers the relay chain's one-epoch-ago randomness");
		let block = proof
			.read_optional_entry::<Option<[u8; 32]>>(well_known_keys::CURRENT_BLOCK_RANDOMNESS)
			.expect("the relay-state proof covers the relay parent's VRF output")
			.flatten();
		let writes = Self::remember::<EpochRandomness<T>>(epoch)
			+ Self::remember::<BlockRandomness<T>>(block);
		T::DbWeight::get().reads_writes(2, writes)
	}
}

impl<T: Config> Randomness<T::Hash, BlockNumberFor<T>> for Pallet<T> {
	fn random(subject: &[u8]) -> (T::Hash, BlockNumberFor<T>) {
		let (epoch, epoch_seen) = EpochRandomness::<T>::get().unwrap_or_default();
		let (block, block_seen) = BlockRandomness::<T>::get().unwrap_or_default();
		let output = mix(&epoch, &block, subject);
		(T::Hashing::hash(&output), epoch_seen.max(block_seen))
	}
}
