//! Messages from the relay chain (DMP) and from sibling parachains (XCMP), handed to the handlers
//! `ParachainSystem` is configured with, as it hands them over in a block: each lands in `MessageQueue`, is
//! executed when the queue is serviced, and ends in an event; none is dropped unseen. The relay
//! chain executes for free and may dispatch as root; a sibling executes only what it pays for,
//! and what it pays adds up.

use codec::Encode;
use cumulus_primitives_core::{
	AggregateMessageOrigin, ParaId, XcmpMessageFormat, XcmpMessageHandler,
};
use frame_support::{
	assert_ok,
	traits::{fungible::Inspect, HandleMessage, OnInitialize, ProcessMessageError},
	BoundedSlice,
};
use pallet_message_queue::Event as QueueEvent;
use polkadot_parachain_primitives::primitives::Sibling;
use poq_runtime::{
	AccountId, Balances, MessageQueue, Poq, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin,
	System, UNIT,
};
use sp_keyring::Sr25519Keyring::{Alice, Dave};
use sp_runtime::traits::AccountIdConversion;
use xcm::{latest::prelude::*, VersionedXcm};

mod common;
use common::chain;

const SIBLING: u32 = 2001;

fn encoded(message: Xcm<RuntimeCall>) -> Vec<u8> {
	VersionedXcm::from(message).encode()
}

// What `ParachainSystem` is configured to hand messages to, and the weight it gives XCMP.
type DmpQueue = <Runtime as cumulus_pallet_parachain_system::Config>::DmpQueue;
type XcmpHandler = <Runtime as cumulus_pallet_parachain_system::Config>::XcmpMessageHandler;
type ReservedXcmpWeight = <Runtime as cumulus_pallet_parachain_system::Config>::ReservedXcmpWeight;

/// Downward messages as `ParachainSystem` passes them on: to its `DmpQueue`.
fn from_relay(messages: &[Vec<u8>]) {
	<DmpQueue as HandleMessage>::handle_messages(
		messages.iter().map(|m| BoundedSlice::try_from(&m[..]).expect("a short message")),
	);
}

/// One XCMP page from `SIBLING` with `messages` concatenated, as the relay chain delivers it.
fn from_sibling(messages: &[Xcm<RuntimeCall>]) {
	let mut page = XcmpMessageFormat::ConcatenatedVersionedXcm.encode();
	for message in messages {
		page.extend(encoded(message.clone()));
	}
	<XcmpHandler as XcmpMessageHandler>::handle_xcmp_messages(
		[(ParaId::from(SIBLING), 1, &page[..])].into_iter(),
		ReservedXcmpWeight::get(),
	);
}

/// The message queue's events once the next block's `on_initialize` has serviced the queues.
fn serviced() -> Vec<QueueEvent<Runtime>> {
	System::reset_events();
	let next = System::block_number() + 1;
	System::set_block_number(next);
	MessageQueue::on_initialize(next);
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::MessageQueue(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// What became of each message from `from`, in order: executed (`true` if it completed), or
/// not processed at all, with why.
fn outcomes(
	events: &[QueueEvent<Runtime>],
	from: &AggregateMessageOrigin,
) -> Vec<Result<bool, ProcessMessageError>> {
	events
		.iter()
		.filter_map(|event| match event {
			QueueEvent::Processed { origin, success, .. } if origin == from => Some(Ok(*success)),
			QueueEvent::ProcessingFailed { origin, error, .. } if origin == from => {
				Some(Err(*error))
			},
			_ => None,
		})
		.collect()
}

#[test]
fn the_relay_chain_s_messages_are_queued_and_executed_and_a_corrupt_one_is_reported() {
	chain(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let at = System::block_number() + 1 + Poq::max_request_lifetime();
		let schedule =
			RuntimeCall::Poq(pallet_poq::Call::set_quality_model { digest: [7; 32], at });
		let governance = Xcm(vec![
			UnpaidExecution { weight_limit: Unlimited, check_origin: None },
			Transact {
				origin_kind: OriginKind::Superuser,
				fallback_max_weight: None,
				call: schedule.encode().into(),
			},
		]);
		from_relay(&[encoded(governance), vec![0xff; 16]]);
		// Queued, not yet executed.
		assert_eq!(pallet_poq::ModelChange::<Runtime>::get(), None);

		assert_eq!(
			outcomes(&serviced(), &AggregateMessageOrigin::Parent),
			vec![Ok(true), Err(ProcessMessageError::Corrupt)]
		);
		assert_eq!(pallet_poq::ModelChange::<Runtime>::get(), Some((at, [7; 32])));
		// Nothing is left waiting.
		assert!(serviced().is_empty());
	});
}

#[test]
fn a_sibling_executes_what_it_pays_for_in_the_chain_s_token_and_nothing_unpaid() {
	chain(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		let sovereign: AccountId = Sibling::from(SIBLING).into_account_truncating();
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(Alice.to_account_id()),
			sp_runtime::MultiAddress::Id(sovereign.clone()),
			10 * UNIT,
		));
		let dave = Dave.to_account_id();
		let (dave_before, sovereign_before, issuance_before) =
			(Balances::balance(&dave), Balances::balance(&sovereign), Balances::total_issuance());
		let paid = Xcm(vec![
			WithdrawAsset((Here, 5 * UNIT).into()),
			BuyExecution { fees: (Here, 5 * UNIT).into(), weight_limit: Unlimited },
			DepositAsset {
				assets: AllCounted(1).into(),
				beneficiary: AccountId32 { network: None, id: dave.clone().into() }.into(),
			},
		]);
		// A sibling claiming the relay chain's free execution: the barrier stops it.
		let unpaid = Xcm(vec![UnpaidExecution { weight_limit: Unlimited, check_origin: None }]);
		// A sibling naming Dave's key as its origin and spending Dave's funds: Dave on the
		// sibling is not Dave here, so the withdrawal fails and nothing moves.
		let theft = Xcm(vec![
			DescendOrigin(AccountId32 { network: None, id: dave.clone().into() }.into()),
			WithdrawAsset((Here, UNIT).into()),
			BuyExecution { fees: (Here, UNIT).into(), weight_limit: Unlimited },
			DepositAsset {
				assets: AllCounted(1).into(),
				beneficiary: AccountId32 { network: None, id: [9; 32] }.into(),
			},
		]);
		// A sibling dispatching as root, and one passing for the relay chain's executive body:
		// neither is the relay chain, so neither gets its powers.
		let schedule = RuntimeCall::Poq(pallet_poq::Call::set_quality_model {
			digest: [7; 32],
			at: System::block_number() + 1 + Poq::max_request_lifetime(),
		});
		let as_root = Xcm(vec![
			WithdrawAsset((Here, UNIT).into()),
			BuyExecution { fees: (Here, UNIT).into(), weight_limit: Unlimited },
			Transact {
				origin_kind: OriginKind::Superuser,
				fallback_max_weight: None,
				call: schedule.encode().into(),
			},
		]);
		let as_executive = Xcm(vec![
			DescendOrigin(Plurality { id: BodyId::Executive, part: BodyPart::Voice }.into()),
			UnpaidExecution { weight_limit: Unlimited, check_origin: None },
		]);
		from_sibling(&[paid, unpaid, theft, as_root, as_executive]);

		// Each is reported: the unpaid ones stopped by the barrier, the theft at its
		// withdrawal, the root call at its origin.
		assert_eq!(
			outcomes(&serviced(), &AggregateMessageOrigin::Sibling(SIBLING.into())),
			vec![Ok(true), Ok(false), Ok(false), Ok(false), Ok(false)]
		);
		assert_eq!(pallet_poq::ModelChange::<Runtime>::get(), None);

		// The sovereign account paid 5 UNIT for Dave and 1 for the root call. Dave got his 5 less
		// the execution fee; the fees, and what the failed root call held (not trapped), were
		// burned: nothing else moved.
		let received = Balances::balance(&dave) - dave_before;
		let fee = 5 * UNIT - received;
		assert_eq!(Balances::balance(&sovereign), sovereign_before - 6 * UNIT);
		assert!(fee > 0 && fee < UNIT / 100, "fee {fee}");
		assert_eq!(issuance_before - Balances::total_issuance(), 6 * UNIT - received);
	});
}
