//! When phases end, outcomes go and a new quality model takes over: the per-block work of the
//! hooks, bounded.

use crate::{pallet::*, types::RequestId};
use alloc::vec::Vec;
use frame_support::{defensive, dispatch::DispatchResult, ensure, traits::Get, weights::Weight};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Saturating;

impl<T: Config> Pallet<T> {
	/// Books the end of request `id`'s current phase at block `at`.
	pub(crate) fn schedule(id: RequestId, at: BlockNumberFor<T>) {
		// Each live request has one entry, so a block's list cannot outgrow `MaxLiveRequests`.
		if Deadlines::<T>::mutate(at, |due| due.try_push(id)).is_err() {
			defensive!("more deadlines in one block than live requests");
		}
	}

	/// Cancels the booked end of request `id`'s phase at block `at` (its phase ended early).
	pub(crate) fn unschedule(id: RequestId, at: BlockNumberFor<T>) {
		Deadlines::<T>::mutate_exists(at, |due| {
			if let Some(list) = due {
				list.retain(|booked| *booked != id);
				if list.is_empty() {
					*due = None;
				}
			}
		});
	}

	/// Ends the phases due at `now`, oldest first, at most `MaxHookItemsPerBlock` of them. The
	/// rest goes to the front of the next block's list, before that block's own deadlines, so
	/// deadlines end in the order they fell due and none waits more than
	/// [`Self::max_deadline_delay`] blocks, however many new ones fall due meanwhile. Returns
	/// the weight of what ending them did and whether some were carried.
	pub(crate) fn process_deadlines(now: BlockNumberFor<T>) -> (Weight, bool) {
		let mut due: Vec<RequestId> = Deadlines::<T>::take(now).into_inner();
		let budget = T::MaxHookItemsPerBlock::get() as usize;
		let carried = due.len() > budget;
		if carried {
			let late = due.split_off(budget);
			Deadlines::<T>::mutate(now.saturating_add(1u32.into()), |next| {
				// Each live request is booked once, so both lists together fit.
				let merged: Vec<RequestId> = late.into_iter().chain(next.iter().copied()).collect();
				match merged.try_into() {
					Ok(merged) => *next = merged,
					Err(_) => {
						defensive!("more deadlines in one block than live requests");
					},
				}
			});
		}
		let weight = due
			.iter()
			.fold(Weight::zero(), |total, id| total.saturating_add(Self::end_phase(*id, now)));
		(weight, carried)
	}

	/// The most blocks a deadline can wait past its block: every live request has one deadline,
	/// at most `MaxLiveRequests` of them, and they end in order, `MaxHookItemsPerBlock` a block.
	pub fn max_deadline_delay() -> BlockNumberFor<T> {
		T::MaxLiveRequests::get().div_ceil(T::MaxHookItemsPerBlock::get().max(1)).into()
	}

	/// Schedules the quality model `digest` from block `at`, at least
	/// [`Self::max_request_lifetime`] from now: every validator has that long to load it.
	pub(crate) fn do_schedule_model(digest: [u8; 32], at: BlockNumberFor<T>) -> DispatchResult {
		let earliest = Self::now().saturating_add(Self::max_request_lifetime());
		ensure!(at >= earliest, Error::<T>::ModelChangeTooSoon);
		ModelChange::<T>::put((at, digest));
		Self::deposit_event(Event::QualityModelScheduled { digest, at });
		Ok(())
	}

	/// Puts the scheduled model in force once its block has come, before that block's draws;
	/// returns whether it did.
	pub(crate) fn apply_model_change(now: BlockNumberFor<T>) -> bool {
		match ModelChange::<T>::get() {
			Some((at, digest)) if at <= now => {
				ModelChange::<T>::kill();
				QualityModel::<T>::put(digest);
				Self::deposit_event(Event::QualityModelSet { digest });
				true
			},
			_ => false,
		}
	}

	/// Queues request `id`'s outcome to be pruned `RetainFinished` blocks after `now`, and
	/// prunes one outcome whose time has come: every finish pays for one prune, so pruning
	/// keeps pace with finishing however many requests finish in a block.
	pub(crate) fn queue_prune(id: RequestId, now: BlockNumberFor<T>) {
		let (head, tail) = PruneCursor::<T>::get();
		PruneQueue::<T>::insert(tail, (id, now.saturating_add(T::RetainFinished::get())));
		PruneCursor::<T>::put((head, tail.saturating_add(1)));
		Self::prune_outcomes(now, 1);
	}

	/// Removes the outcomes whose time has come, oldest first, at most `budget`. Entries
	/// finish in block order, so the queue is sorted by pruning block. Returns how many were
	/// removed.
	pub(crate) fn prune_outcomes(now: BlockNumberFor<T>, budget: u32) -> u32 {
		let (mut head, tail) = PruneCursor::<T>::get();
		let mut pruned = 0;
		while head < tail && pruned < budget {
			match PruneQueue::<T>::get(head) {
				Some((_, at)) if at > now => break,
				Some((id, _)) => Outcomes::<T>::remove(id),
				None => {
					defensive!("a hole in the prune queue");
				},
			}
			PruneQueue::<T>::remove(head);
			head += 1;
			pruned += 1;
		}
		if pruned > 0 {
			PruneCursor::<T>::put((head, tail));
		}
		pruned
	}

	/// Weight of carrying the deadlines left over to the next block: its list read and
	/// written.
	pub(crate) fn carry_weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 1)
	}
}
