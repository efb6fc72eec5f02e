//! `try_state`: the invariants that hold after every block.

use crate::{pallet::*, settlement::Finding, types::*};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Zero, TryRuntimeError};

impl<T: Config> Pallet<T> {
	/// Checks that held funds match bonds and escrows, that every bound holds and that the phase
	/// data of every request is consistent.
	pub fn do_try_state(now: BlockNumberFor<T>) -> Result<(), TryRuntimeError> {
		Self::check_participants()?;
		Self::check_operators()?;
		Self::check_requests(now)?;
		Self::check_outcomes()
	}

	/// Every operator key signs for one registered account that named it, and is not
	/// registered itself: so operators are bounded by participants.
	fn check_operators() -> Result<(), TryRuntimeError> {
		for (who, operator) in Operators::<T>::iter() {
			ensure!(
				Participants::<T>::contains_key(&who),
				"an unregistered account has an operator"
			);
			ensure!(!Participants::<T>::contains_key(&operator), "an operator is registered");
			ensure!(
				Principals::<T>::get(&operator) == Some(who),
				"an operator does not sign for the account that named it"
			);
		}
		ensure!(
			Principals::<T>::iter().count() == Operators::<T>::iter().count(),
			"an operator key signs for an account that did not name it"
		);
		Ok(())
	}

	fn check_participants() -> Result<(), TryRuntimeError> {
		let mut busy: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for (id, request) in Requests::<T>::iter() {
			// A disputed committee stays at stake while its jury sits, and every jury that
			// ruled until the dispute ends.
			let dispute = Disputes::<T>::get(id);
			let reviewed = dispute.iter().flat_map(|d| {
				d.reviewed.iter().chain(d.rulings.iter().flat_map(|ruling| ruling.jury.iter()))
			});
			let seats = request
				.nodes
				.iter()
				.map(|s| &s.who)
				.chain(request.committee.iter().map(|m| &m.who))
				.chain(reviewed.map(|m| &m.who));
			for who in seats {
				*busy.entry(who.clone()).or_default() += 1;
			}
		}
		let mut active = 0usize;
		for (who, participant) in Participants::<T>::iter() {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Bond.into(), &who) == participant.bond,
				"held bond differs from the recorded bond"
			);
			ensure!(
				busy.get(&who).copied().unwrap_or_default() == participant.live_requests,
				"live request count differs from the requests the account sits on"
			);
			ensure!(
				participant.strikes < T::MaxStrikes::get()
					|| participant.standing != Standing::Active,
				"an active participant has struck out"
			);
			let pooled = Pools::<T>::get(participant.role)
				.iter()
				.filter(|(account, bond)| *account == who && *bond == participant.bond)
				.count();
			match participant.standing {
				Standing::Active => {
					ensure!(pooled == 1, "an active participant is not in its pool once");
					active += 1;
				},
				// It may still sit on live requests: it left the pool, not them.
				Standing::Unbonding { .. } | Standing::Suspended => {
					ensure!(
						pooled == 0,
						"an unbonding or suspended participant is still in a pool"
					);
				},
			}
		}
		let pooled = Pools::<T>::iter_values().map(|pool| pool.len()).sum::<usize>();
		ensure!(pooled == active, "a pool holds an account that is not an active participant");
		ensure!(
			busy.keys().all(Participants::<T>::contains_key),
			"a request seats an unregistered account"
		);
		Ok(())
	}

	fn check_requests(now: BlockNumberFor<T>) -> Result<(), TryRuntimeError> {
		let live = Requests::<T>::count();
		ensure!(live <= T::MaxLiveRequests::get(), "more live requests than MaxLiveRequests");
		ensure!(live as usize == Requests::<T>::iter_keys().count(), "request counter is off");

		let mut booked: BTreeMap<RequestId, u32> = BTreeMap::new();
		for (at, due) in Deadlines::<T>::iter() {
			ensure!(at > now, "a deadline in the past was not handled");
			for id in due {
				*booked.entry(id).or_default() += 1;
			}
		}
		ensure!(booked.len() as u32 == live, "deadlines and live requests differ");

		let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut disputed: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		ensure!(
			Disputes::<T>::iter_keys().all(Requests::<T>::contains_key),
			"a dispute of a request that is not live"
		);
		let next_id = NextRequestId::<T>::get();
		for (id, request) in Requests::<T>::iter() {
			ensure!(id < next_id, "a live request id was never issued");
			ensure!(booked.get(&id) == Some(&1), "a live request is not booked exactly once");
			ensure!(!Outcomes::<T>::contains_key(id), "a live request already has an outcome");
			ensure!(Prompts::<T>::contains_key(id), "a live request lost its prompt");
			let outputs = Outputs::<T>::iter_key_prefix(id).count();
			ensure!(outputs == request.responders.len(), "outputs differ from responders");
			let committed_node = |node: &T::AccountId| {
				request.nodes.iter().any(|s| s.who == *node && s.commitment.is_some())
			};
			ensure!(
				request
					.responders
					.iter()
					.all(|node| committed_node(node) && Outputs::<T>::contains_key(id, node)),
				"a responder did not commit or has no output"
			);
			let committed = request.nodes.iter().filter(|s| s.commitment.is_some()).count();
			let members = &request.committee;
			let no_committee = members.is_empty();
			let dispute = Disputes::<T>::get(id);
			if let Some(dispute) = &dispute {
				let jury_sits = !dispute.reviewed.is_empty();
				ensure!(
					jury_sits == matches!(request.phase, Phase::Committing | Phase::Revealing),
					"a dispute's committee waits while no jury sits, or the other way round"
				);
				let checked: alloc::vec::Vec<&T::AccountId> = dispute
					.reviewed
					.iter()
					.chain(dispute.rulings.iter().flat_map(|ruling| ruling.jury.iter()))
					.map(|member| &member.who)
					.collect();
				ensure!(
					members.iter().all(|juror| !checked.contains(&&juror.who)),
					"a juror sits on the committee or an earlier jury it checks"
				);
				let appealing = request.phase == Phase::Provisional;
				ensure!(
					(dispute.rulings.len() as u32) < T::DisputeLevels::get()
						&& dispute.appeals.len() + usize::from(appealing) == dispute.rulings.len()
						&& dispute.rulings.iter().all(|ruling| ruling.finding != Finding::Lapsed),
					"a dispute's rulings and appeals do not alternate, or its last ruling stands"
				);
				let stakes = core::iter::once((&dispute.appellant, dispute.deposit))
					.chain(dispute.appeals.iter().map(|(who, deposit)| (who, *deposit)));
				for (who, deposit) in stakes {
					*disputed.entry(who.clone()).or_insert_with(Zero::zero) += deposit;
				}
			}
			match request.phase {
				Phase::DrawingNodes => ensure!(
					no_committee && request.nodes.is_empty() && request.responders.is_empty(),
					"drawing nodes with nodes, answers or a committee"
				),
				Phase::AwaitingResponses => ensure!(
					no_committee
						&& request.responders.is_empty()
						&& committed < request.nodes.len(),
					"awaiting responses with a committee, answers or every commitment in"
				),
				Phase::RevealingResponses => ensure!(
					no_committee && committed > 0 && request.responders.len() < committed,
					"inconsistent answer reveal phase"
				),
				Phase::DrawingCommittee => ensure!(
					no_committee && !request.responders.is_empty(),
					"drawing a committee with one drawn or no answer"
				),
				Phase::Committing => ensure!(
					!members.is_empty()
						&& !request.responders.is_empty()
						&& members.iter().all(|m| m.reveal.is_none())
						&& members.iter().any(|m| m.commitment.is_none()),
					"inconsistent commit phase"
				),
				Phase::Revealing => ensure!(
					members.iter().any(|m| m.commitment.is_some())
						&& members.iter().all(|m| m.commitment.is_some() || m.reveal.is_none())
						// A jury whose every member revealed ends in the next block's hook.
						&& (members.iter().any(|m| m.commitment.is_some() && m.reveal.is_none())
							|| dispute.is_some() && request.ends_at == now + 1u32.into())
						&& members.iter().all(|m| m
							.reveal
							.as_ref()
							.is_none_or(|r| r.len() == request.responders.len() * Pallet::<T>::scores_per_response(id))),
					"inconsistent reveal phase"
				),
				Phase::Provisional => ensure!(
					!no_committee
						&& dispute.is_none_or(|d| d.reviewed.is_empty() && !d.rulings.is_empty())
						&& members.iter().any(|m| m.reveal.is_some()),
					"a provisional outcome with no reveal, or with a dispute no jury ruled on"
				),
				Phase::DrawingJury => ensure!(
					!no_committee && dispute.is_some_and(|d| d.reviewed.is_empty()),
					"drawing a jury with no dispute or no committee"
				),
				Phase::Finalized | Phase::Expired => {
					return Err("a finished request is still live".into())
				},
			}
			let held = escrow.entry(request.client.clone()).or_insert_with(Zero::zero);
			*held += request.fee;
		}
		for (id, redraw) in Redraws::<T>::iter() {
			let request = Requests::<T>::get(id).ok_or("redraws of a request that is not live")?;
			ensure!(redraw.count <= T::MaxRedraws::get(), "more redraws than MaxRedraws");
			ensure!(
				request.committee.iter().all(|m| !redraw.excluded.contains(&m.who)),
				"a member passed over sits on the committee"
			);
		}
		for (client, deposits) in disputed {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Dispute.into(), &client) == deposits,
				"deposits held differ from the live disputes'"
			);
		}
		for (client, fees) in escrow {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &client) == fees,
				"escrow held differs from the fees of live requests"
			);
		}
		Ok(())
	}

	fn check_outcomes() -> Result<(), TryRuntimeError> {
		let (head, tail) = PruneCursor::<T>::get();
		ensure!(head <= tail, "prune cursor crossed");
		ensure!(
			PruneQueue::<T>::iter_keys().all(|slot| (head..tail).contains(&slot)),
			"a prune entry outside the queue"
		);
		ensure!(
			PruneQueue::<T>::iter_keys().count() as u64 == tail - head,
			"a hole in the prune queue"
		);
		let queued: BTreeMap<RequestId, ()> =
			PruneQueue::<T>::iter_values().map(|(id, _)| (id, ())).collect();
		for (id, outcome) in Outcomes::<T>::iter() {
			ensure!(queued.contains_key(&id), "an outcome nobody will prune");
			ensure!(
				matches!(outcome.phase, Phase::Finalized | Phase::Expired),
				"an outcome in a live phase"
			);
			let paid = outcome.responses.iter().map(|r| r.paid).fold(outcome.refund, |a, b| a + b);
			let paid = outcome.committee.iter().map(|v| v.paid).fold(paid, |a, b| a + b);
			ensure!(paid == outcome.fee, "an outcome does not account for its whole fee");
		}
		Ok(())
	}
}
