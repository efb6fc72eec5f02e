//! When phases end and outcomes go: the per-block work of the hooks, bounded.

use crate::{pallet::*, types::RequestId, weights::WeightInfo};
use alloc::vec::Vec;
use frame_support::{defensive, traits::Get, weights::Weight};
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

	/// Ends the phases due at `now`, at most `MaxHookItemsPerBlock` of them; the rest moves to
	/// the next block. Returns how many were ended.
	pub(crate) fn process_deadlines(now: BlockNumberFor<T>) -> u32 {
		let mut due: Vec<RequestId> = Deadlines::<T>::take(now).into_inner();
		let budget = T::MaxHookItemsPerBlock::get() as usize;
		if due.len() > budget {
			for id in due.split_off(budget) {
				Self::schedule(id, now.saturating_add(1u32.into()));
			}
		}
		for id in &due {
			Self::end_phase(*id, now);
		}
		due.len() as u32
	}

	/// Queues request `id`'s outcome to be pruned `RetainFinished` blocks after `now`.
	pub(crate) fn queue_prune(id: RequestId, now: BlockNumberFor<T>) {
		let (head, tail) = PruneCursor::<T>::get();
		PruneQueue::<T>::insert(tail, (id, now.saturating_add(T::RetainFinished::get())));
		PruneCursor::<T>::put((head, tail.saturating_add(1)));
	}

	/// Removes the outcomes whose time has come, oldest first, at most `MaxHookItemsPerBlock`.
	/// Entries finish in block order, so the queue is sorted by pruning block. Returns how many
	/// were removed.
	pub(crate) fn prune_outcomes(now: BlockNumberFor<T>) -> u32 {
		let (mut head, tail) = PruneCursor::<T>::get();
		let mut pruned = 0;
		while head < tail && pruned < T::MaxHookItemsPerBlock::get() {
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

	/// Weight of ending one phase in a hook: the dearer of drawing a committee and settling.
	pub(crate) fn deadline_weight() -> Weight {
		T::WeightInfo::end_response_window().max(T::WeightInfo::end_reveal_window())
	}
}
