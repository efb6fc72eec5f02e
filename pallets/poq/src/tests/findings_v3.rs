//! Regression tests for the findings of protocol v3 (issue 24), each written as the attack it
//! stops: it fails on the protocol before the fix and pins the rule that fixed it.
//!
//! - free block stuffing (a free transaction that fails in the block is charged to nobody):
//!   [`a_commitment_padded_with_junk_reveals_of_its_request_is_refused`],
//!   [`copies_of_one_piece_take_one_place_in_a_block`], and by property
//!   [`what_validation_takes_the_dispatch_applies_in_full`];
//! - free transactions of any size (stale pieces rode along): [`stale_padding_is_refused`];
//! - a batch one piece too long: [`too_many_pieces_is_a_named_error`];
//! - one account with 30 % of the validators' stake held a stake majority of 84–87 % of
//!   committees of 5 (drawn one seat per account, then every vote weighted by stake again):
//!   [`a_third_of_the_stake_holds_no_more_votes_than_its_stake_buys`]; seats, votes and pay
//!   follow stake whether it is held whole or split, in `selection::tests` and
//!   `settlement::tests::validators_are_paid_and_penalised_by_seat`;
//! - operator squatting (any bonded account could name a victim's address, whose registration
//!   then failed): [`an_operator_key_must_consent`], [`a_squatted_key_frees_itself_for_free`];
//! - locking every client out (a request nobody answered came back whole, so holding every
//!   live-request slot cost transaction fees only): [`holding_the_slots_costs_more_the_more_are_held`],
//!   [`a_client_must_afford_the_slot_fee_too`];
//! - answers delivered and unpaid (a member holding a committee's stake majority stayed away,
//!   or nobody committed, and the client got the answers with its whole fee back):
//!   [`a_heavy_client_that_stays_away_still_pays_for_its_answers`],
//!   [`answers_no_committee_vouched_for_are_still_paid`], and no free redraw for members who
//!   revealed and blocked a majority: [`a_committee_split_with_everyone_revealing_is_final`];
//!   by property with the pallet's
//!   settlement, `settlement::conserves_the_escrow`; in the simulator,
//!   `a_committee_left_by_its_heaviest_member_is_drawn_again_without_it`.

use super::*;
use frame_support::{assert_noop, dispatch::CheckIfFeeless, pallet_prelude::Weight};
use proptest::prelude::*;
use sp_runtime::Perbill;

const FEE: Balance = 1_000;
const SCORES: [u16; 2] = [6_000, 6_000];

/// Whether the pool takes `work` signed by `who`.
fn takes(who: AccountId, work: Vec<Work>) -> Result<(), TransactionValidityError> {
	validate(who, work_call(work)).map(|_| ())
}

/// Applies `call` from `who` as a block does: `CheckWork` validates it right before the dispatch.
/// `Err` when the block refuses it (it takes no block space); otherwise the dispatch's result
/// and the weight it took.
fn apply_in_block(
	who: AccountId,
	call: RuntimeCall,
) -> Result<(Result<(), DispatchError>, Weight), TransactionValidityError> {
	let info = call.get_dispatch_info();
	let result = CheckWork::<Test>::new().dispatch_transaction(signed(who), call, &info, 0, 0)?;
	let used = match &result {
		Ok(post) => post.actual_weight.unwrap_or(info.call_weight),
		Err(failed) => failed.post_info.actual_weight.unwrap_or(info.call_weight),
	};
	Ok((result.map(|_| ()).map_err(|failed| failed.error), used))
}

/// A request on which every member but the first committed, so its commit phase waits for
/// `VALIDATORS[0]`: the last to commit.
fn waiting_for_the_last_commitment() -> RequestId {
	let id = submit(ALICE, FEE);
	respond_all(id);
	for member in &VALIDATORS[1..] {
		commit(*member, id, &SCORES);
	}
	assert_eq!(request(id).phase, Phase::Committing);
	id
}

#[test]
fn a_commitment_padded_with_junk_reveals_of_its_request_is_refused() {
	ExtBuilder::default().execute(|| {
		let id = waiting_for_the_last_commitment();
		let last = VALIDATORS[0];
		// In the pool the reveals were merely early and the commitment applied; in the block the
		// commitment opened the reveal phase, the junk reveals failed it for good, and the whole
		// call was rolled back after taking its declared weight, paid by nobody.
		let mut attack = vec![commit_of(last, id, &SCORES)];
		attack.extend((1..MAX_WORK).map(|_| reveal_of(last, id, &[1, 2])));
		assert_eq!(takes(last, attack.clone()), Err(refused(Error::<Test>::RepeatedRequest)));
		assert_eq!(
			apply_in_block(last, work_call(attack.clone())),
			Err(refused(Error::<Test>::RepeatedRequest))
		);
		assert_noop!(Poq::submit_work(signed(last), attack), Error::<Test>::RepeatedRequest);
		// The commitment alone applies, free.
		assert_eq!(
			apply_in_block(last, work_call(vec![commit_of(last, id, &SCORES)])).map(|(r, _)| r),
			Ok(Ok(()))
		);
		assert_eq!(request(id).phase, Phase::Revealing);
	});
}

#[test]
fn copies_of_one_piece_take_one_place_in_a_block() {
	ExtBuilder::default().execute(|| {
		let id = submit(ALICE, FEE);
		respond_all(id);
		let last = VALIDATORS[0];
		let copy = || work_call(vec![commit_of(last, id, &SCORES)]);
		// The pool validates every copy against the same state and takes them all (different
		// nonces); the block takes the first and refuses the rest before dispatching them.
		for _ in 0..30 {
			assert_eq!(takes(last, vec![commit_of(last, id, &SCORES)]), Ok(()));
		}
		let outcomes: Vec<_> = (0..30).map(|_| apply_in_block(last, copy())).collect();
		assert_eq!(outcomes[0].as_ref().map(|(result, _)| *result), Ok(Ok(())));
		for later in &outcomes[1..] {
			assert_eq!(later, &Err(refused(Error::<Test>::AlreadyCommitted)));
		}
	});
}

#[test]
fn stale_padding_is_refused() {
	ExtBuilder::default().execute(|| {
		let id = waiting_for_the_last_commitment();
		let last = VALIDATORS[0];
		let commitment = commit_of(last, id, &SCORES);
		// Unknown requests carried anything, free: 400 000 scores rode along a real commitment.
		let megabytes = Work::RevealScores { id: 1_000, scores: vec![7; 400_000], salt: [0; 32] };
		let padded = vec![commitment.clone(), megabytes];
		assert_eq!(takes(last, padded.clone()), Err(refused(Error::<Test>::UnknownRequest)));
		assert_noop!(Poq::submit_work(signed(last), padded), Error::<Test>::UnknownRequest);
		// A request that ended is stale too, and so is one in another phase.
		let other = submit(ALICE, FEE);
		let early = vec![commitment.clone(), reveal_of(last, other, &SCORES)];
		assert_eq!(takes(last, early), Err(refused(Error::<Test>::WrongPhase)));
		let answer = Work::RevealResponse { id: other, output: vec![b'x'; 64], salt: [0; 32] };
		assert_eq!(
			takes(last, vec![commitment.clone(), answer]),
			Err(refused(Error::<Test>::WrongPhase))
		);
		// Oversized before anything is looked up.
		let long = Work::RevealResponse { id: 1_000, output: vec![0; 1 << 20], salt: [0; 32] };
		assert_eq!(takes(last, vec![commitment, long]), Err(refused(Error::<Test>::OutputTooLong)));
	});
}

#[test]
fn too_many_pieces_is_a_named_error() {
	ExtBuilder::default().execute(|| {
		let ids: Vec<RequestId> = (0..=MAX_WORK as RequestId).collect();
		let work: Vec<Work> = ids.iter().map(|id| commit_of(VALIDATORS[0], *id, &SCORES)).collect();
		assert_eq!(work.len(), MAX_WORK as usize + 1);
		assert_eq!(takes(VALIDATORS[0], work.clone()), Err(refused(Error::<Test>::TooMuchWork)));
		assert_noop!(Poq::submit_work(signed(VALIDATORS[0]), work), Error::<Test>::TooMuchWork);
	});
}

#[test]
fn an_operator_key_must_consent() {
	ExtBuilder::default().execute(|| {
		let [squatter, victim_account, _] = VALIDATORS;
		let (victim, victim_key) = operator_key("//Victim");
		let (other, _) = operator_key("//Other");
		let now = System::block_number();
		// The squatter cannot make up a consent: signed by another key, for another account,
		// expired, or for another chain.
		let mut forged = consent(&other, squatter, now + 10);
		forged.key = consent(&victim, squatter, now + 10).key;
		let bad = [
			(forged, Error::<Test>::BadConsent),
			(consent(&victim, victim_account, now + 10), Error::<Test>::BadConsent),
			(consent(&victim, squatter, now - 1), Error::<Test>::ConsentExpired),
		];
		for (consent, error) in bad {
			assert_noop!(Poq::set_operator(signed(squatter), Some(consent)), error);
		}
		let elsewhere = {
			use sp_core::Pair;
			let message = crate::operator_consent(&[7u8; 32], &squatter, &(now + 10));
			crate::OperatorConsent {
				key: victim.public().into(),
				until: now + 10,
				signature: victim.sign(&message).into(),
			}
		};
		assert_noop!(
			Poq::set_operator(signed(squatter), Some(elsewhere)),
			Error::<Test>::BadConsent
		);
		// So the victim still registers; with its consent, the account it chose names it.
		Balances::make_free_balance_be(&victim_key, 10 * MIN_BOND);
		assert_ok!(Poq::register_validator(signed(victim_key), MIN_BOND));
		let (operator, operator_account) = operator_key("//Operator");
		assert_ok!(Poq::set_operator(signed(squatter), Some(consent(&operator, squatter, now))));
		assert_eq!(Principals::<Test>::get(operator_account), Some(squatter));
	});
}

#[test]
fn a_squatted_key_frees_itself_for_free() {
	ExtBuilder::default().execute(|| {
		let squatter = VALIDATORS[0];
		let (_, victim) = operator_key("//Victim");
		// A naming made before consent was needed (protocol v2) stays until the key frees itself.
		Poq::name_operator(&squatter, Some(victim));
		Balances::make_free_balance_be(&victim, 10 * MIN_BOND);
		assert_noop!(Poq::register_validator(signed(victim), MIN_BOND), Error::<Test>::IsOperator);
		let release = RuntimeCall::Poq(crate::Call::release_operator {});
		assert!(release.is_feeless(&signed(victim)), "a key holding nothing can free itself");
		assert_ok!(Poq::release_operator(signed(victim)));
		System::assert_last_event(
			Event::OperatorReleased { who: squatter, operator: victim }.into(),
		);
		assert_eq!(Operators::<Test>::get(squatter), None);
		assert!(!release.is_feeless(&signed(victim)), "once free, it would pay");
		assert_noop!(Poq::release_operator(signed(victim)), Error::<Test>::NotOperator);
		assert_ok!(Poq::register_validator(signed(victim), MIN_BOND));
	});
}

#[test]
fn holding_the_slots_costs_more_the_more_are_held() {
	ExtBuilder::default().execute(|| {
		SlotFee::set(&10);
		let issuance = Balances::total_issuance();
		let before = total(ALICE);
		let mut paid = Vec::new();
		for live in 0..MAX_LIVE {
			assert_eq!(Poq::slot_fee(), crate::pricing::slot_fee(10, live, MAX_LIVE) as Balance);
			submit_only(ALICE, MIN_FEE);
			let Some(Event::RequestSubmitted { slot_fee, fee, .. }) = poq_events().pop() else {
				panic!("submitted");
			};
			assert_eq!(fee, MIN_FEE);
			paid.push(slot_fee);
		}
		assert_eq!(paid, [10, 17, 30, 50, 80, 140, 240, 400]);
		assert_noop!(
			Poq::submit_request(signed(BOB), b"x".to_vec(), MIN_FEE),
			Error::<Test>::TooManyLiveRequests
		);
		// Nobody answers: every request ends with its fee back, and its slot fee gone.
		advance(DRAW_DELAY + 2 * WINDOW);
		assert_eq!(Requests::<Test>::count(), 0);
		assert_eq!(escrow(ALICE), 0);
		let spent: Balance = paid.iter().sum();
		assert_eq!(total(ALICE), before - spent);
		assert_eq!(issuance - Balances::total_issuance(), spent, "burnt by `OnSlotFee`");
	});
}

#[test]
fn a_client_must_afford_the_slot_fee_too() {
	ExtBuilder::default().execute(|| {
		SlotFee::set(&10);
		// One unit stays for the existential deposit.
		Balances::make_free_balance_be(&BOB, MIN_FEE + 9 + 1);
		assert_noop!(
			Poq::submit_request(signed(BOB), b"x".to_vec(), MIN_FEE),
			Error::<Test>::InsufficientBalance
		);
		Balances::make_free_balance_be(&BOB, MIN_FEE + 10 + 1);
		assert_ok!(Poq::submit_request(signed(BOB), b"x".to_vec(), MIN_FEE));
		assert_eq!((escrow(BOB), Balances::free_balance(BOB)), (MIN_FEE, 1));
	});
}

#[test]
fn a_heavy_client_that_stays_away_still_pays_for_its_answers() {
	let [heavy, light, _] = VALIDATORS;
	// Two thirds of the stake: two of the three seats on every committee.
	let validators = vec![(heavy, 2 * BOND), (light, BOND)];
	ExtBuilder::default().validators(validators).execute(|| {
		MaxRedraws::set(&2);
		UnvouchedShare::set(&Perbill::from_percent(50));
		// A client that is also the committee's heaviest member, and stays away from it.
		let id = submit(heavy, FEE);
		respond_all(id);
		let seats = |id| {
			let mut seats: Vec<_> =
				request(id).committee.iter().map(|m| (m.who, m.seats)).collect();
			seats.sort();
			seats
		};
		assert_eq!(seats(id), [(heavy, 2), (light, 1)]);
		commit(light, id, &SCORES);
		run_to_block(request(id).ends_at);
		reveal(light, id, &SCORES);
		// No strict majority stood: under v2 the request ended here with the whole fee back.
		System::assert_has_event(Event::CommitteeFailed { id, redraws_left: 1 }.into());
		assert_eq!(request(id).phase, Phase::DrawingCommittee);
		assert_eq!(bond(heavy), 2 * BOND - 2 * ABSENCE_PENALTY, "staying away costs, per seat");
		// The next committee passes over it and decides.
		advance(DRAW_DELAY);
		assert_eq!(seats(id), [(light, 3)]);
		commit(light, id, &SCORES);
		reveal(light, id, &SCORES);
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Finalized);
		let paid: Balance = result.responses.iter().map(|r| r.paid).sum();
		assert!(paid > 0, "the nodes are paid");
		assert_eq!(
			paid + result.committee.iter().map(|v| v.paid).sum::<Balance>() + result.refund,
			FEE
		);
		assert!(Redraws::<Test>::get(id).is_none());
	});
}

#[test]
fn answers_no_committee_vouched_for_are_still_paid() {
	ExtBuilder::default().execute(|| {
		MaxRedraws::set(&1);
		UnvouchedShare::set(&Perbill::from_percent(50));
		let before = total(ALICE);
		let id = submit(ALICE, FEE);
		respond_all(id);
		// Nobody commits, twice: the committee failed as a whole (a stalled pool, a model not
		// yet loaded), so nobody is penalised or passed over, and it is drawn again.
		run_to_block(request(id).ends_at);
		System::assert_has_event(Event::CommitteeFailed { id, redraws_left: 0 }.into());
		assert!(Redraws::<Test>::get(id).is_some_and(|r| r.excluded.is_empty()));
		advance(DRAW_DELAY);
		assert_eq!(request(id).committee.len(), VALIDATORS.len());
		run_to_block(request(id).ends_at);
		// No committee could vouch for the answers: half the nodes' part (800) in equal parts.
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Expired);
		let paid: Vec<Balance> = result.responses.iter().map(|r| r.paid).collect();
		assert_eq!(paid, [200, 200]);
		assert_eq!(result.refund, FEE - 400);
		assert_eq!(total(ALICE), before - 400, "the client paid for the answers it got");
		for member in VALIDATORS {
			assert_eq!(bond(member), BOND, "nobody is penalised for a failure of all");
		}
	});
}

#[test]
fn a_committee_split_with_everyone_revealing_is_final() {
	ExtBuilder::default().execute(|| {
		MaxRedraws::set(&2);
		UnvouchedShare::set(&Perbill::from_percent(50));
		let id = submit(ALICE, FEE);
		respond_all(id);
		// Every seat reveals something else, none within tolerance of another: nobody stayed
		// away, so another draw would only give the blocking seats another chance to capture
		// the request.
		let split = [[1, 1], SCORES, [10_000, 10_000]];
		for (member, scores) in VALIDATORS.iter().zip(&split) {
			commit(*member, id, scores);
		}
		for (member, scores) in VALIDATORS.iter().zip(&split) {
			reveal(*member, id, scores);
		}
		assert!(!poq_events().iter().any(|e| matches!(e, Event::CommitteeFailed { .. })));
		let result = outcome(id);
		assert_eq!(result.phase, Phase::Expired);
		assert!(result
			.committee
			.iter()
			.all(|v| v.verdict == crate::settlement::Verdict::NoMajority
				&& v.slashed == 0
				&& v.paid == 0));
		let paid: Vec<Balance> = result.responses.iter().map(|r| r.paid).collect();
		assert_eq!(paid, [200, 200], "the answers are paid, unvouched");
	});
}

/// Pieces `VALIDATORS[0]` might send: right and wrong, on a request in its commit phase, one in
/// its reveal phase where it committed, one it already committed on and one that does not exist.
fn candidates(committing: RequestId, revealing: RequestId, committed: RequestId) -> Vec<Work> {
	let me = VALIDATORS[0];
	vec![
		commit_of(me, committing, &SCORES),
		reveal_of(me, committing, &SCORES),
		commit_of(me, revealing, &SCORES),
		reveal_of(me, revealing, &SCORES),
		reveal_of(me, revealing, &[1, 2]),
		reveal_of(me, revealing, &[1, 2, 3]),
		commit_of(me, committed, &SCORES),
		reveal_of(me, 1_000, &SCORES),
		Work::CommitResponse { id: committing, commitment: [0; 32] },
	]
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

	/// Whatever `CheckWork` takes for free applies in full in the block, within its declared
	/// weight; whatever it refuses fails in the dispatch with the same error and changes nothing.
	#[test]
	fn what_validation_takes_the_dispatch_applies_in_full(
		picks in proptest::collection::vec(0usize..9, 0..=(MAX_WORK as usize + 1)),
	) {
		ExtBuilder::default().execute(|| {
			let committing = waiting_for_the_last_commitment();
			let revealing = submit(ALICE, FEE);
			respond_all(revealing);
			for member in VALIDATORS {
				commit(member, revealing, &SCORES);
			}
			let committed = submit(ALICE, FEE);
			respond_all(committed);
			commit(VALIDATORS[0], committed, &SCORES);
			let pool = candidates(committing, revealing, committed);
			let work: Vec<Work> = picks.iter().map(|pick| pool[*pick].clone()).collect();
			let me = VALIDATORS[0];
			let call = work_call(work.clone());
			let declared = call.get_dispatch_info().call_weight;
			match takes(me, work.clone()) {
				Ok(()) => {
					let (result, used) = apply_in_block(me, call).expect("valid in the block too");
					assert_eq!(result, Ok(()));
					assert!(used.all_lte(declared));
					for piece in &work {
						assert!(Poq::check_work(&me, piece).is_err(), "{piece:?} applied");
					}
				},
				Err(refusal) => {
					let before = sp_io::storage::root(sp_runtime::StateVersion::V1);
					let failed = Poq::submit_work(signed(me), work).expect_err("refused");
					let DispatchError::Module(ModuleError { error, .. }) = failed.error else {
						panic!("a module error");
					};
					assert_eq!(refusal, InvalidTransaction::Custom(error[0]).into());
					assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), before);
				},
			}
		});
	}
}

/// The seats held on `count` committees drawn one after another by the pallet, each request
/// left to expire before the next: `(seats of each of accounts, committee's seats)` per
/// committee.
fn seats_on_committees(accounts: &[AccountId], count: usize) -> Vec<(Vec<u32>, u32)> {
	(0..count)
		.map(|_| {
			let id = submit(ALICE, FEE);
			respond_all(id);
			let committee = request(id).committee;
			let held = accounts
				.iter()
				.map(|who| committee.iter().filter(|m| m.who == *who).map(|m| m.seats).sum())
				.collect();
			let seats = committee.iter().map(|m| m.seats).sum();
			run_to_block(request(id).ends_at);
			assert!(Outcomes::<Test>::get(id).is_some());
			(held, seats)
		})
		.collect()
}

#[test]
fn a_third_of_the_stake_holds_no_more_votes_than_its_stake_buys() {
	// One account holds 30 % of the validators' stake, fourteen others 5 % each; committees of
	// five seats. Under v2 it sat on most committees and outweighed the other four members
	// together every time. Now it holds 5 × 30 % = 1.5 seats rounded down or up: never the
	// majority, and 1.5 on average.
	const WHALE: AccountId = 40;
	let others: Vec<AccountId> = (41..55).collect();
	let mut validators = vec![(WHALE, 6 * BOND)];
	validators.extend(others.iter().map(|v| (*v, BOND)));
	ExtBuilder::default().validators(validators).execute(|| {
		CommitteeSeats::set(&5);
		let committees = seats_on_committees(&[WHALE], 200);
		assert!(committees.iter().all(|(_, seats)| *seats == 5));
		let whale: Vec<u32> = committees.iter().map(|(held, _)| held[0]).collect();
		assert!(whale.iter().all(|seats| matches!(seats, 1 | 2)), "{whale:?}");
		let mean = whale.iter().sum::<u32>() as f64 / whale.len() as f64;
		assert!((mean - 1.5).abs() < 0.12, "{mean} seats on average");
	});
	// The same stake split over two accounts holds the same seats on average.
	let split: Vec<AccountId> = vec![WHALE, 55];
	let mut validators: Vec<_> = split.iter().map(|v| (*v, 3 * BOND)).collect();
	validators.extend(others.iter().map(|v| (*v, BOND)));
	ExtBuilder::default().validators(validators).execute(|| {
		CommitteeSeats::set(&5);
		let committees = seats_on_committees(&split, 200);
		// Each holds 5 × 15 % = 0.75 seats rounded down or up: together never the majority.
		assert!(committees.iter().all(|(held, _)| held.iter().all(|seats| *seats <= 1)));
		let held: Vec<u32> = committees.iter().map(|(held, _)| held.iter().sum()).collect();
		let mean = held.iter().sum::<u32>() as f64 / held.len() as f64;
		assert!((mean - 1.5).abs() < 0.15, "{mean} seats on average");
	});
}
