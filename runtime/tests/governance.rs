//! The runtime as a chain runs it: each preset builds, the production one with no sudo and no
//! dev account; two thirds of the technical committee change the quality model and dispatch as
//! root through the whitelist (a runtime upgrade), one member alone does neither; and
//! try-runtime's checks pass on a development chain's state.

use codec::Encode;
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
use poq_runtime::{
	genesis, AccountId, Poq, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, System,
	TechnicalCommittee,
};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave};
use sp_runtime::{traits::Hash, DispatchError};

mod common;
use common::chain;

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

/// `call` proposed by //Alice to the technical committee for two thirds of its three members,
/// with the first `ayes` of //Alice, //Bob and //Charlie for it and the others against, closed;
/// returns how its dispatch went, or `None` if it was not dispatched.
fn motion(call: RuntimeCall, ayes: u32) -> Option<Result<(), DispatchError>> {
	let length = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, pallet_collective::Instance1>::get();
	System::reset_events();
	assert_ok!(TechnicalCommittee::propose(signed(Alice), 2, Box::new(call), length));
	// The proposer votes as the others do.
	for (i, voter) in [Alice, Bob, Charlie].into_iter().enumerate() {
		assert_ok!(TechnicalCommittee::vote(signed(voter), hash, index, (i as u32) < ayes));
	}
	assert_ok!(TechnicalCommittee::close(signed(Alice), hash, index, weight, length));
	System::events().into_iter().find_map(|record| match record.event {
		RuntimeEvent::TechnicalCommittee(pallet_collective::Event::Executed { result, .. }) => {
			Some(result)
		},
		_ => None,
	})
}

#[test]
fn the_production_preset_has_no_sudo_and_no_dev_account() {
	let json =
		String::from_utf8(genesis::preset(&genesis::PRODUCTION_PRESET.into()).unwrap()).unwrap();
	chain(genesis::PRODUCTION_PRESET).execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		for dev in Sr25519Keyring::iter() {
			let account: AccountId = dev.to_account_id();
			assert_eq!(System::account(&account).data.free, 0, "{dev:?} is endowed");
			assert!(!json.contains(&format!("{account}")), "{dev:?} is in the preset");
		}
		assert!(
			pallet_collective::Members::<Runtime, pallet_collective::Instance1>::get().is_empty()
		);
		assert_eq!(pallet_poq::QualityModel::<Runtime>::get(), Some(genesis::DEFAULT_MODEL_DIGEST));
	});
}

#[test]
fn two_thirds_of_the_technical_committee_change_the_quality_model_and_one_member_cannot() {
	chain(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let at = System::block_number() + Poq::max_request_lifetime();
		let change = RuntimeCall::Poq(pallet_poq::Call::set_quality_model { digest: [9; 32], at });

		// Not a member's own key, nor one member's motion.
		assert_noop!(Poq::set_quality_model(signed(Dave), [9; 32], at), DispatchError::BadOrigin);
		assert_eq!(motion(change.clone(), 1), None, "voted down, not dispatched");
		assert_eq!(pallet_poq::ModelChange::<Runtime>::get(), None);

		assert_eq!(motion(change, 2), Some(Ok(())));
		assert_eq!(pallet_poq::ModelChange::<Runtime>::get(), Some((at, [9; 32])));
	});
}

#[test]
fn the_technical_committee_dispatches_a_runtime_upgrade_as_root_through_the_whitelist() {
	chain(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let code_hash = [7u8; 32].into();
		let upgrade = RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash });
		let upgrade_hash = <Runtime as frame_system::Config>::Hashing::hash_of(&upgrade);
		// Without the committee, nobody but root: a member's key is refused.
		assert_noop!(
			poq_runtime::Whitelist::whitelist_call(signed(Alice), upgrade_hash),
			DispatchError::BadOrigin
		);
		let whitelist = RuntimeCall::Whitelist(pallet_whitelist::Call::whitelist_call {
			call_hash: upgrade_hash,
		});
		assert_eq!(motion(whitelist, 2), Some(Ok(())));
		let dispatch = RuntimeCall::Whitelist(
			pallet_whitelist::Call::dispatch_whitelisted_call_with_preimage {
				call: Box::new(upgrade),
			},
		);
		assert_eq!(motion(dispatch, 2), Some(Ok(())));
		assert!(System::events().iter().any(|record| record.event
			== RuntimeEvent::System(frame_system::Event::UpgradeAuthorized {
				code_hash,
				check_version: true
			})));
	});
}

#[cfg(feature = "try-runtime")]
#[test]
fn try_runtime_checks_pass_on_a_development_chain() {
	chain(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let client = Sr25519Keyring::Ferdie;
		assert_ok!(Poq::submit_request(
			signed(client),
			b"What is PoQ?".to_vec(),
			poq_runtime::UNIT
		));
		let checks = frame_try_runtime::UpgradeCheckSelect::All;
		let config = frame_executive::TryRuntimeUpgradeConfig::new(checks);
		poq_runtime::Executive::try_runtime_upgrade_with_config(config)
			.expect("every migration's checks and every pallet's try_state pass");
	});
}
