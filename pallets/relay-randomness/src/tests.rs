//! The pallet fed with relay-state proofs built like the relay chain's.

use super::*;
use crate as pallet_relay_randomness;
use cumulus_primitives_core::ParaId;
use cumulus_test_relay_sproof_builder::RelayStateSproofBuilder;
use frame_support::{derive_impl, traits::Randomness as _};
use sp_runtime::{traits::BlakeTwo256, BuildStorage};

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		RelayRandomness: pallet_relay_randomness,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = frame_system::mocking::MockBlock<Test>;
}

impl Config for Test {}

const EPOCH: [u8; 32] = [1; 32];
const VRF: [u8; 32] = [2; 32];

/// A relay-state proof with `epoch` as the one-epoch-ago randomness and, if given, `vrf` as the
/// relay parent's VRF output.
fn proof(epoch: [u8; 32], vrf: Option<[u8; 32]>) -> RelayChainStateProof {
	let mut builder = RelayStateSproofBuilder { randomness: epoch.into(), ..Default::default() };
	if let Some(vrf) = vrf {
		builder
			.additional_key_values
			.push((well_known_keys::CURRENT_BLOCK_RANDOMNESS.to_vec(), Some(vrf).encode()));
	}
	let para_id: ParaId = builder.para_id;
	let (root, proof) = builder.into_state_root_and_proof();
	RelayChainStateProof::new(para_id, root, proof).expect("the proof matches its root")
}

/// [`proof`] with the trie nodes holding `vrf` left out, as a collator would build it to keep
/// the old value: the proof still matches the relay parent's root but does not cover the key.
fn proof_without(epoch: [u8; 32], vrf: [u8; 32]) -> RelayChainStateProof {
	let mut builder = RelayStateSproofBuilder { randomness: epoch.into(), ..Default::default() };
	builder
		.additional_key_values
		.push((well_known_keys::CURRENT_BLOCK_RANDOMNESS.to_vec(), Some(vrf).encode()));
	let para_id: ParaId = builder.para_id;
	let (root, proof) = builder.into_state_root_and_proof();
	let nodes = proof.into_iter_nodes().filter(|node| !node.windows(32).any(|w| w == vrf));
	RelayChainStateProof::new(para_id, root, sp_trie::StorageProof::new(nodes))
		.expect("the root node is still there")
}

fn at_block(n: u64, proof: RelayChainStateProof) {
	System::set_block_number(n);
	RelayRandomness::on_relay_state_proof(&proof);
}

fn new_test_ext() -> sp_io::TestExternalities {
	frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
}

#[test]
fn mixes_both_relay_values_known_since_the_block_that_saw_them() {
	new_test_ext().execute_with(|| {
		at_block(5, proof(EPOCH, Some(VRF)));
		let (output, known_since) = RelayRandomness::random(b"subject");
		assert_eq!(output, BlakeTwo256::hash(&mix(&EPOCH, &VRF, b"subject")));
		assert_eq!(known_since, 5);
		assert_ne!(RelayRandomness::random(b"other").0, output, "subjects draw apart");
	});
}

#[test]
fn a_value_keeps_the_block_that_first_saw_it() {
	new_test_ext().execute_with(|| {
		at_block(5, proof(EPOCH, Some(VRF)));
		at_block(6, proof(EPOCH, Some([3; 32])));
		assert_eq!(EpochRandomness::<Test>::get(), Some((EPOCH, 5)));
		assert_eq!(BlockRandomness::<Test>::get(), Some(([3; 32], 6)));
		assert_eq!(
			RelayRandomness::random(b"s"),
			(BlakeTwo256::hash(&mix(&EPOCH, &[3; 32], b"s")), 6)
		);
	});
}

#[test]
#[should_panic(expected = "covers the relay parent's VRF output")]
fn a_proof_that_leaves_a_key_out_is_rejected() {
	new_test_ext().execute_with(|| {
		at_block(5, proof(EPOCH, Some(VRF)));
		at_block(6, proof_without(EPOCH, [3; 32]));
	});
}

#[test]
fn a_value_the_relay_chain_lacks_keeps_the_last_one() {
	new_test_ext().execute_with(|| {
		at_block(5, proof(EPOCH, Some(VRF)));
		at_block(6, proof([4; 32], None));
		assert_eq!(BlockRandomness::<Test>::get(), Some((VRF, 5)));
		assert_eq!(EpochRandomness::<Test>::get(), Some(([4; 32], 6)));
		assert_eq!(RelayRandomness::random(b"s").1, 6);
	});
}

#[test]
fn a_new_relay_value_changes_every_draw() {
	new_test_ext().execute_with(|| {
		at_block(5, proof(EPOCH, Some(VRF)));
		let before = RelayRandomness::random(b"s").0;
		at_block(6, proof(EPOCH, Some([9; 32])));
		assert_ne!(RelayRandomness::random(b"s").0, before);
	});
}
