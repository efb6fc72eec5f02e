//! Read-only views for clients and the off-chain worker, served through the runtime API.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;

/// What an account is expected to do next on a live request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub enum Task {
	/// Commit to an answer: it is a drawn inference node that has not committed.
	Respond,
	/// Reveal the answer it committed to.
	RevealResponse,
	/// Commit to scores: it sits on the committee and has not committed.
	Commit,
	/// Reveal the committed scores.
	Reveal,
}

/// A node's or committee member's seat as clients see it: who, and how far it got.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct Seat<AccountId> {
	pub who: AccountId,
	pub committed: bool,
	pub revealed: bool,
}

/// A live request as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct LiveRequest<AccountId, Balance, BlockNumber> {
	pub client: AccountId,
	pub fee: Balance,
	pub phase: Phase,
	/// First block in which the current phase accepts nothing more; while drawing, the first
	/// block whose randomness may seed the draw.
	pub ends_at: BlockNumber,
	/// The drawn nodes, in draw order; empty before the draw.
	pub nodes: Vec<Seat<AccountId>>,
	/// In reveal order: the order of scores.
	pub responders: Vec<AccountId>,
	pub committee: Vec<Seat<AccountId>>,
}

/// Where a request stands.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub enum RequestStatus<AccountId, Balance, BlockNumber, Outcome> {
	Live(LiveRequest<AccountId, Balance, BlockNumber>),
	Finished(Outcome),
}

/// [`RequestStatus`] of this runtime.
pub type RequestStatusOf<T> = RequestStatus<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	OutcomeOf<T>,
>;

impl<T: Config> Pallet<T> {
	/// The status of request `id`: live, finished (until pruned), or unknown.
	pub fn request_status(id: RequestId) -> Option<RequestStatusOf<T>> {
		if let Some(request) = Requests::<T>::get(id) {
			let committee = request
				.committee
				.iter()
				.map(|member| Seat {
					who: member.who.clone(),
					committed: member.commitment.is_some(),
					revealed: member.reveal.is_some(),
				})
				.collect();
			let nodes = request
				.nodes
				.iter()
				.map(|seat| Seat {
					who: seat.who.clone(),
					committed: seat.commitment.is_some(),
					revealed: request.responders.contains(&seat.who),
				})
				.collect();
			return Some(RequestStatus::Live(LiveRequest {
				client: request.client,
				fee: request.fee,
				phase: request.phase,
				ends_at: request.ends_at,
				nodes,
				responders: request.responders.into_inner(),
				committee,
			}));
		}
		Outcomes::<T>::get(id).map(RequestStatus::Finished)
	}

	/// The live requests on which `who` has something to do, oldest first, with what. Reads at
	/// most `MaxLiveRequests` requests.
	pub fn pending_work(who: &T::AccountId) -> Vec<(RequestId, Task)> {
		Self::work_open_at(who, Self::now())
	}

	/// What `who` has to do on the live requests whose current phase still accepts actions in
	/// block `at`, oldest first. The off-chain worker asks for the next block, where what it
	/// sends lands.
	pub(crate) fn work_open_at(
		who: &T::AccountId,
		at: BlockNumberFor<T>,
	) -> Vec<(RequestId, Task)> {
		let mut work: Vec<(RequestId, Task)> = Requests::<T>::iter()
			.filter(|(_, request)| at < request.ends_at)
			.filter_map(|(id, request)| Self::task_of(who, &request).map(|task| (id, task)))
			.collect();
		work.sort_by_key(|(id, _)| *id);
		work
	}

	fn task_of(who: &T::AccountId, request: &RequestOf<T>) -> Option<Task> {
		match request.phase {
			Phase::AwaitingResponses => request
				.nodes
				.iter()
				.any(|seat| seat.who == *who && seat.commitment.is_none())
				.then_some(Task::Respond),
			Phase::RevealingResponses => request
				.nodes
				.iter()
				.any(|seat| {
					seat.who == *who
						&& seat.commitment.is_some()
						&& !request.responders.contains(who)
				})
				.then_some(Task::RevealResponse),
			Phase::Committing => request
				.committee
				.iter()
				.any(|m| m.who == *who && m.commitment.is_none())
				.then_some(Task::Commit),
			Phase::Revealing => request
				.committee
				.iter()
				.any(|m| m.who == *who && m.commitment.is_some() && m.reveal.is_none())
				.then_some(Task::Reveal),
			Phase::DrawingNodes
			| Phase::DrawingCommittee
			| Phase::Provisional
			| Phase::DrawingJury
			| Phase::Finalized
			| Phase::Expired => None,
		}
	}

	/// Prompt and revealed answers (in reveal order) of a live request: what a validator scores
	/// once the committee is drawn.
	pub fn scoring_input(id: RequestId) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
		Self::scoring_input_of(id, &Requests::<T>::get(id)?)
	}

	/// [`Self::scoring_input`] of request `id` already read.
	pub(crate) fn scoring_input_of(
		id: RequestId,
		request: &RequestOf<T>,
	) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
		let prompt = Prompts::<T>::get(id)?.into_inner();
		let outputs = request
			.responders
			.iter()
			.map(|node| Outputs::<T>::get(id, node).map(|output| output.into_inner()))
			.collect::<Option<Vec<_>>>()?;
		Some((prompt, outputs))
	}
}
