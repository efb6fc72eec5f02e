//! Storage migrations.
//!
//! [`v1::MigrateToV1`] takes a chain from protocol v1 (storage version 0) to protocol v2
//! (storage version 1). A v1 request cannot go on under v2's rules (its answers were sent in the
//! clear, its draws were steerable), so every live request ends: the client gets its whole fee
//! back, its seats are freed, its prompt and answers go, and an `Expired` outcome records it.
//! Finished outcomes are kept, with no node slashed, and every participant starts with no
//! strikes.
//!
//! [`v2::MigrateToV2`] (storage version 1 → 2) gives each live request the quality model its
//! committee scores with: the model in force for a request whose committee is drawn, none yet
//! for the others (they take the one in force at their draw).
//!
//! [`v3::MigrateToV3`] (storage version 2 → 3) gives each member of a live request's committee
//! the one seat it was drawn to: a committee drawn under protocol v2 seated every account once,
//! weighted by stake; protocol v3 seats by stake and weighs every seat the same, so such a
//! committee settles with one vote per member.
//!
//! [`v4::MigrateToV4`] (storage version 3 → 4) gives every kept outcome the dispute field
//! protocol v4 records (`Outcome::dispute`): none, as no request was disputed before v4. Live
//! requests are unchanged: a committee still sitting settles under v4's rules, its outcome
//! provisional for `DisputeWindow` blocks.
//!
//! [`v5::MigrateToV5`] (storage version 4 → 5) gives every live dispute the appeal judge field
//! (`Dispute::appeal_judge`): none, as no appeal judge could be pinned before, so its jury
//! reruns the committee's model alone, as it was drawn to.
//!
//! [`v6::MigrateToV6`] (storage version 5 → 6) gives every live dispute the rulings and
//! appeals protocol v6 records (`Dispute::rulings`, `Dispute::appeals`): none, so its jury is
//! its first, and what it finds can be appealed where the runtime allows more than one jury.

use crate::{pallet::*, types::*};
use frame_support::{
	migrations::VersionedMigration,
	traits::{fungible::MutateHold, tokens::Precision, Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};

/// The live requests, in the layout of `R` before a migration, for its `post_upgrade`.
#[cfg(feature = "try-runtime")]
fn snapshot<R: codec::Encode>(
	requests: impl Iterator<Item = (RequestId, R)>,
) -> alloc::vec::Vec<u8> {
	use codec::Encode;
	requests.collect::<alloc::vec::Vec<_>>().encode()
}

/// The live requests [`snapshot`] took before a migration, once it ran: checks that as many are
/// live now.
#[cfg(feature = "try-runtime")]
fn snapshotted<T: Config, R: codec::Decode>(
	state: &[u8],
) -> Result<alloc::vec::Vec<(RequestId, R)>, sp_runtime::TryRuntimeError> {
	use codec::Decode;
	let before = <alloc::vec::Vec<(RequestId, R)>>::decode(&mut &state[..])
		.map_err(|_| "pre-upgrade state does not decode")?;
	frame_support::ensure!(Requests::<T>::count() == before.len() as u32, "a request was lost");
	Ok(before)
}

/// Rewrites every value of `Map`, a map by request id stored in the layout `Old`, by
/// `upgrade`; returns how many it rewrote.
fn translate_each<Old, New, Map>(upgrade: fn(Old) -> New) -> u64
where
	Old: codec::Decode,
	New: codec::FullCodec,
	Map: frame_support::storage::IterableStorageMap<RequestId, New>,
{
	let mut count = 0u64;
	Map::translate::<Old, _>(|_, old| {
		count += 1;
		Some(upgrade(old))
	});
	count
}

/// The `post_upgrade` of [`translate_each`]: `Map` holds exactly the entries of the
/// `pre_upgrade` snapshot `state` (`(id, Old)` pairs), each as `upgrade` makes it.
#[cfg(feature = "try-runtime")]
fn check_translated<Old, New, Map>(
	state: &[u8],
	upgrade: fn(Old) -> New,
) -> Result<(), sp_runtime::TryRuntimeError>
where
	Old: codec::Decode,
	New: codec::FullCodec + PartialEq,
	Map: frame_support::storage::IterableStorageMap<RequestId, New>
		+ frame_support::storage::StorageMap<RequestId, New>,
{
	use codec::Decode;
	use frame_support::storage::{IterableStorageMap, StorageMap};
	let before = <alloc::vec::Vec<(RequestId, Old)>>::decode(&mut &state[..])
		.map_err(|_| "pre-upgrade state does not decode")?;
	let now = <Map as IterableStorageMap<RequestId, New>>::iter_keys().count();
	frame_support::ensure!(now == before.len(), "an entry was lost");
	for (id, old) in before {
		let new = <Map as StorageMap<RequestId, New>>::try_get(id);
		frame_support::ensure!(new.ok() == Some(upgrade(old)), "an entry was lost or changed");
	}
	Ok(())
}

/// The protocol-v1 layouts of what v2 changed.
pub mod v0 {
	use super::*;
	use codec::{Decode, Encode};
	use frame_support::{storage_alias, BoundedVec, Twox64Concat};
	use frame_system::pallet_prelude::BlockNumberFor;

	/// A v1 request: its nodes were accounts with no commitment.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Request<AccountId, Balance, BlockNumber, Member> {
		pub client: AccountId,
		pub fee: Balance,
		pub phase: Phase,
		pub ends_at: BlockNumber,
		pub nodes: alloc::vec::Vec<AccountId>,
		pub responders: alloc::vec::Vec<AccountId>,
		pub committee: alloc::vec::Vec<Member>,
	}

	/// A v1 participant: no strikes.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Participant<Balance, BlockNumber> {
		pub role: Role,
		pub bond: Balance,
		pub standing: Standing<BlockNumber>,
		pub live_requests: u32,
	}

	/// A v1 node outcome: nothing slashed.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct NodeOutcome<AccountId, Balance> {
		pub node: AccountId,
		pub score: Option<u16>,
		pub paid: Balance,
	}

	/// A v1 outcome.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Outcome<AccountId, Balance, BlockNumber, Validator> {
		pub client: AccountId,
		pub fee: Balance,
		pub phase: Phase,
		pub finished_at: BlockNumber,
		pub responses: alloc::vec::Vec<NodeOutcome<AccountId, Balance>>,
		pub committee: alloc::vec::Vec<Validator>,
		pub refund: Balance,
	}

	/// [`Request`] of a runtime (the bounded vectors encode as plain ones).
	pub type RequestOf<T> = Request<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		super::v2::MemberOf<T>,
	>;

	/// [`Outcome`] of a runtime.
	pub type OutcomeOf<T> = Outcome<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		ValidatorOutcome<<T as frame_system::Config>::AccountId, BalanceOf<T>>,
	>;

	/// Live requests in the v1 layout.
	#[storage_alias]
	pub type Requests<T: Config> =
		CountedStorageMap<Pallet<T>, Twox64Concat, RequestId, RequestOf<T>>;

	/// Outcomes in the v1 layout.
	#[storage_alias]
	pub type Outcomes<T: Config> = StorageMap<Pallet<T>, Twox64Concat, RequestId, OutcomeOf<T>>;

	/// [`Participant`] of a runtime.
	pub type ParticipantOf<T> = Participant<BalanceOf<T>, BlockNumberFor<T>>;

	/// Participants in the v1 layout.
	#[storage_alias]
	pub type Participants<T: Config> = StorageMap<
		Pallet<T>,
		frame_support::Blake2_128Concat,
		<T as frame_system::Config>::AccountId,
		ParticipantOf<T>,
	>;

	/// Converts a v1 outcome; `None` if it does not fit v2's bounds (it cannot: they are the same).
	pub fn upgrade_outcome<T: Config>(old: OutcomeOf<T>) -> Option<crate::OutcomeOf<T>> {
		let responses = old
			.responses
			.into_iter()
			.map(|r| crate::NodeOutcome {
				node: r.node,
				score: r.score,
				paid: r.paid,
				slashed: 0u32.into(),
			})
			.collect::<alloc::vec::Vec<_>>();
		Some(crate::Outcome {
			client: old.client,
			fee: old.fee,
			phase: old.phase,
			finished_at: old.finished_at,
			responses: BoundedVec::try_from(responses).ok()?,
			committee: BoundedVec::try_from(old.committee).ok()?,
			refund: old.refund,
			dispute: None,
		})
	}
}

pub mod v1 {
	use super::*;
	use codec::{Decode, Encode};
	use frame_support::{storage_alias, Twox64Concat};
	use frame_system::pallet_prelude::BlockNumberFor;

	/// A storage-version-1 request: no model of its own, every committee scored with the one in
	/// force.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Request<AccountId, Balance, BlockNumber, Member> {
		pub client: AccountId,
		pub fee: Balance,
		pub phase: Phase,
		pub ends_at: BlockNumber,
		pub nodes: alloc::vec::Vec<NodeSeat<AccountId>>,
		pub responders: alloc::vec::Vec<AccountId>,
		pub committee: alloc::vec::Vec<Member>,
	}

	/// [`Request`] of a runtime (the bounded vectors encode as plain ones).
	pub type RequestOf<T> = Request<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		super::v2::MemberOf<T>,
	>;

	/// Live requests in the storage-version-1 layout.
	#[storage_alias]
	pub type Requests<T: Config> =
		CountedStorageMap<Pallet<T>, Twox64Concat, RequestId, RequestOf<T>>;

	/// Ends every v1 request with a full refund and upgrades the outcomes. Unchecked: wrapped in
	/// [`MigrateToV1`], which runs it only on storage version 0.
	pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let now = Pallet::<T>::now();
			let (mut reads, mut writes) = (0u64, 0u64);
			Participants::<T>::translate::<v0::ParticipantOf<T>, _>(|_, old| {
				(reads, writes) = (reads + 1, writes + 1);
				Some(Participant {
					role: old.role,
					bond: old.bond,
					standing: old.standing,
					live_requests: old.live_requests,
					strikes: 0,
				})
			});
			for (id, request) in v0::Requests::<T>::drain() {
				let refund = T::Currency::release(
					&HoldReason::Escrow.into(),
					&request.client,
					request.fee,
					Precision::BestEffort,
				)
				.unwrap_or_default();
				let seats = request.nodes.iter().chain(request.committee.iter().map(|m| &m.who));
				for who in seats {
					Pallet::<T>::set_busy(who, false);
					(reads, writes) = (reads + 1, writes + 1);
				}
				let _ = Outputs::<T>::clear_prefix(id, T::NodesPerRequest::get(), None);
				Prompts::<T>::remove(id);
				Outcomes::<T>::insert(
					id,
					Outcome {
						client: request.client,
						fee: request.fee,
						phase: Phase::Expired,
						finished_at: now,
						responses: Default::default(),
						committee: Default::default(),
						refund,
						dispute: None,
					},
				);
				Pallet::<T>::queue_prune(id, now);
				Pallet::<T>::deposit_event(Event::RequestExpired {
					id,
					phase: request.phase,
					refund,
				});
				(reads, writes) = (reads + 4, writes + 8 + u64::from(T::NodesPerRequest::get()));
			}
			// Every live request had its one deadline; none is live now.
			let cleared = Deadlines::<T>::clear(u32::MAX, None);
			writes += u64::from(cleared.backend);
			Outcomes::<T>::translate::<v0::OutcomeOf<T>, _>(|_, old| {
				(reads, writes) = (reads + 1, writes + 1);
				v0::upgrade_outcome::<T>(old)
			});
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			let clients: alloc::vec::Vec<(T::AccountId, BalanceOf<T>)> =
				v0::Requests::<T>::iter_values().map(|r| (r.client, r.fee)).collect();
			let outcomes = v0::Outcomes::<T>::iter_keys().count() as u32;
			Ok((clients, outcomes).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use codec::Decode;
			use frame_support::{ensure, traits::fungible::InspectHold};
			use sp_runtime::traits::Zero;
			let (clients, outcomes) =
				<(alloc::vec::Vec<(T::AccountId, BalanceOf<T>)>, u32)>::decode(&mut &state[..])
					.map_err(|_| "pre-upgrade state does not decode")?;
			ensure!(Requests::<T>::count() == 0, "a v1 request is still live");
			ensure!(Deadlines::<T>::iter_keys().next().is_none(), "a deadline is left");
			ensure!(
				Outcomes::<T>::iter_keys().count() as u32 == outcomes + clients.len() as u32,
				"an outcome was lost, or a finished request got none"
			);
			for (client, _) in &clients {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::Escrow.into(), client).is_zero(),
					"an escrow of a v1 request is still held"
				);
			}
			ensure!(
				Participants::<T>::iter_values().all(|p| p.live_requests == 0),
				"an account still sits on a v1 request"
			);
			Pallet::<T>::do_try_state(Pallet::<T>::now())
		}
	}

	/// Protocol v1 → v2 (storage version 0 → 1): see [`InnerMigrateV0ToV1`].
	pub type MigrateToV1<T> = VersionedMigration<
		0,
		1,
		InnerMigrateV0ToV1<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v2 {
	use super::*;
	use codec::{Decode, Encode};
	use frame_support::{storage_alias, Twox64Concat};

	/// A committee member of storage versions 0 to 2: seated once, weighted by its stake.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Member<AccountId, Balance> {
		pub who: AccountId,
		pub stake: Balance,
		pub commitment: Option<[u8; 32]>,
		pub reveal: Option<alloc::vec::Vec<u16>>,
	}

	/// [`Member`] of a runtime.
	pub type MemberOf<T> = Member<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	/// A storage-version-2 request: a version-1 request followed by the model its committee
	/// scores with (SCALE encodes a pair as the one value after the other, which is the layout
	/// version 2 added the model in).
	pub type RequestOf<T> = (v1::RequestOf<T>, Option<[u8; 32]>);

	/// Live requests in the storage-version-2 layout.
	#[storage_alias]
	pub type Requests<T: Config> =
		CountedStorageMap<Pallet<T>, Twox64Concat, RequestId, RequestOf<T>>;

	/// Gives each live request its model. Unchecked: wrapped in [`MigrateToV2`], which runs it
	/// only on storage version 1.
	pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let model = QualityModel::<T>::get();
			let mut requests = 0u64;
			Requests::<T>::translate::<v1::RequestOf<T>, _>(|_, old| {
				requests += 1;
				let drawn = !old.committee.is_empty();
				Some((old, if drawn { model } else { None }))
			});
			T::DbWeight::get().reads_writes(requests + 1, requests)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(snapshot(v1::Requests::<T>::iter()))
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use frame_support::ensure;
			let before = snapshotted::<T, v1::RequestOf<T>>(&state)?;
			let model = QualityModel::<T>::get();
			for (id, old) in before {
				let (new, new_model) = Requests::<T>::get(id).ok_or("a request was lost")?;
				let expected = if old.committee.is_empty() { None } else { model };
				ensure!(new == old, "a request changed");
				ensure!(new_model == expected, "a request got the wrong model");
			}
			// The pallet's invariants are checked in the current layout, after `MigrateToV3`.
			Ok(())
		}
	}

	/// Storage version 1 → 2: see [`InnerMigrateV1ToV2`].
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		2,
		InnerMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v3 {
	use super::*;
	use frame_support::BoundedVec;

	/// Gives each member of a live committee one seat. Unchecked: wrapped in [`MigrateToV3`],
	/// which runs it only on storage version 2.
	pub struct InnerMigrateV2ToV3<T>(core::marker::PhantomData<T>);

	/// The storage-version-3 request a storage-version-2 one becomes: the same, every member
	/// with one seat.
	pub fn upgrade_request<T: Config>((old, model): v2::RequestOf<T>) -> RequestOf<T> {
		let committee = old.committee.into_iter().map(|member| Member {
			who: member.who,
			seats: 1,
			commitment: member.commitment,
			reveal: member.reveal.map(BoundedVec::truncate_from),
		});
		// The bounds are the same as in version 2: nothing is truncated.
		Request {
			client: old.client,
			fee: old.fee,
			phase: old.phase,
			ends_at: old.ends_at,
			nodes: BoundedVec::truncate_from(old.nodes),
			responders: BoundedVec::truncate_from(old.responders),
			committee: BoundedVec::truncate_from(committee.collect()),
			model,
		}
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV2ToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut requests = 0u64;
			Requests::<T>::translate::<v2::RequestOf<T>, _>(|_, old| {
				requests += 1;
				Some(upgrade_request::<T>(old))
			});
			T::DbWeight::get().reads_writes(requests, requests)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(snapshot(v2::Requests::<T>::iter()))
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use frame_support::ensure;
			let before = snapshotted::<T, v2::RequestOf<T>>(&state)?;
			for (id, old) in before {
				let new = Requests::<T>::get(id).ok_or("a request was lost")?;
				ensure!(new == upgrade_request::<T>(old), "a request changed");
				ensure!(new.committee.iter().all(|m| m.seats == 1), "a member has no single seat");
			}
			Pallet::<T>::do_try_state(Pallet::<T>::now())
		}
	}

	/// Protocol v3's seats (storage version 2 → 3): see [`InnerMigrateV2ToV3`].
	pub type MigrateToV3<T> = VersionedMigration<
		2,
		3,
		InnerMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v4 {
	use super::*;
	use codec::{Decode, Encode};
	use frame_support::{storage_alias, BoundedVec, Twox64Concat};
	use frame_system::pallet_prelude::BlockNumberFor;

	/// A storage-version-3 outcome: no dispute.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Outcome<AccountId, Balance, BlockNumber, Responses, Committee> {
		pub client: AccountId,
		pub fee: Balance,
		pub phase: Phase,
		pub finished_at: BlockNumber,
		pub responses: Responses,
		pub committee: Committee,
		pub refund: Balance,
	}

	/// [`Outcome`] of a runtime.
	pub type OutcomeOf<T> = Outcome<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		BoundedVec<
			NodeOutcome<<T as frame_system::Config>::AccountId, BalanceOf<T>>,
			<T as Config>::NodesPerRequest,
		>,
		BoundedVec<
			ValidatorOutcome<<T as frame_system::Config>::AccountId, BalanceOf<T>>,
			JurySizeOf<T>,
		>,
	>;

	/// Outcomes in the storage-version-3 layout.
	#[storage_alias]
	pub type Outcomes<T: Config> = StorageMap<Pallet<T>, Twox64Concat, RequestId, OutcomeOf<T>>;

	/// The storage-version-4 outcome a storage-version-3 one becomes: the same, undisputed.
	pub fn upgrade_outcome<T: Config>(old: OutcomeOf<T>) -> crate::OutcomeOf<T> {
		crate::Outcome {
			client: old.client,
			fee: old.fee,
			phase: old.phase,
			finished_at: old.finished_at,
			responses: old.responses,
			committee: old.committee,
			refund: old.refund,
			dispute: None,
		}
	}

	/// Gives every outcome the dispute field. Unchecked: wrapped in [`MigrateToV4`], which runs
	/// it only on storage version 3.
	pub struct InnerMigrateV3ToV4<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV3ToV4<T> {
		fn on_runtime_upgrade() -> Weight {
			let outcomes =
				translate_each::<OutcomeOf<T>, _, crate::Outcomes<T>>(upgrade_outcome::<T>);
			T::DbWeight::get().reads_writes(outcomes, outcomes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(Outcomes::<T>::iter().collect::<alloc::vec::Vec<_>>().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			check_translated::<OutcomeOf<T>, _, crate::Outcomes<T>>(&state, upgrade_outcome::<T>)?;
			Pallet::<T>::do_try_state(Pallet::<T>::now())
		}
	}

	/// Protocol v4's disputes (storage version 3 → 4): see [`InnerMigrateV3ToV4`].
	pub type MigrateToV4<T> = VersionedMigration<
		3,
		4,
		InnerMigrateV3ToV4<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v5 {
	use super::*;
	use codec::{Decode, Encode};
	use frame_support::{storage_alias, BoundedVec, Twox64Concat};

	/// A storage-version-4 dispute: no appeal judge.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Dispute<AccountId, Balance, Reviewed> {
		pub appellant: AccountId,
		pub deposit: Balance,
		pub reviewed: Reviewed,
	}

	/// [`Dispute`] of a runtime.
	pub type DisputeOf<T> = Dispute<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BoundedVec<crate::MemberOf<T>, JurySizeOf<T>>,
	>;

	/// Disputes in the storage-version-4 layout.
	#[storage_alias]
	pub type Disputes<T: Config> = StorageMap<Pallet<T>, Twox64Concat, RequestId, DisputeOf<T>>;

	/// The storage-version-5 dispute a storage-version-4 one becomes: the same, with no appeal
	/// judge.
	pub fn upgrade_dispute<T: Config>(old: DisputeOf<T>) -> super::v6::DisputeOf<T> {
		super::v6::Dispute {
			appellant: old.appellant,
			deposit: old.deposit,
			reviewed: old.reviewed,
			appeal_judge: None,
		}
	}

	/// Gives every live dispute the appeal judge field. Unchecked: wrapped in [`MigrateToV5`],
	/// which runs it only on storage version 4.
	pub struct InnerMigrateV4ToV5<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV4ToV5<T> {
		fn on_runtime_upgrade() -> Weight {
			let disputes =
				translate_each::<DisputeOf<T>, _, super::v6::Disputes<T>>(upgrade_dispute::<T>);
			T::DbWeight::get().reads_writes(disputes, disputes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(Disputes::<T>::iter().collect::<alloc::vec::Vec<_>>().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			// The disputes are in the storage-version-5 layout: `MigrateToV6` checks the state.
			check_translated::<DisputeOf<T>, _, super::v6::Disputes<T>>(
				&state,
				upgrade_dispute::<T>,
			)
		}
	}

	/// Protocol v5's appeal judge (storage version 4 → 5): see [`InnerMigrateV4ToV5`].
	pub type MigrateToV5<T> = VersionedMigration<
		4,
		5,
		InnerMigrateV4ToV5<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

pub mod v6 {
	use super::*;
	use codec::{Decode, Encode};
	use frame_support::{storage_alias, BoundedVec, Twox64Concat};

	/// A storage-version-5 dispute: no rulings, no appeals.
	#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
	pub struct Dispute<AccountId, Balance, Reviewed> {
		pub appellant: AccountId,
		pub deposit: Balance,
		pub reviewed: Reviewed,
		pub appeal_judge: Option<[u8; 32]>,
	}

	/// [`Dispute`] of a runtime.
	pub type DisputeOf<T> = Dispute<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BoundedVec<crate::MemberOf<T>, JurySizeOf<T>>,
	>;

	/// Disputes in the storage-version-5 layout.
	#[storage_alias]
	pub type Disputes<T: Config> = StorageMap<Pallet<T>, Twox64Concat, RequestId, DisputeOf<T>>;

	/// The storage-version-6 dispute a storage-version-5 one becomes: the same, its jury the
	/// first, with no ruling or appeal yet (a storage-version-5 dispute ends with its jury).
	pub fn upgrade_dispute<T: Config>(old: DisputeOf<T>) -> crate::DisputeOf<T> {
		crate::Dispute {
			appellant: old.appellant,
			deposit: old.deposit,
			reviewed: old.reviewed,
			appeal_judge: old.appeal_judge,
			rulings: BoundedVec::new(),
			appeals: BoundedVec::new(),
		}
	}

	/// Gives every live dispute its rulings and appeals. Unchecked: wrapped in
	/// [`MigrateToV6`], which runs it only on storage version 5.
	pub struct InnerMigrateV5ToV6<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV5ToV6<T> {
		fn on_runtime_upgrade() -> Weight {
			let disputes =
				translate_each::<DisputeOf<T>, _, crate::Disputes<T>>(upgrade_dispute::<T>);
			T::DbWeight::get().reads_writes(disputes, disputes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(Disputes::<T>::iter().collect::<alloc::vec::Vec<_>>().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			check_translated::<DisputeOf<T>, _, crate::Disputes<T>>(&state, upgrade_dispute::<T>)?;
			Pallet::<T>::do_try_state(Pallet::<T>::now())
		}
	}

	/// Protocol v6's appeals (storage version 5 → 6): see [`InnerMigrateV5ToV6`].
	pub type MigrateToV6<T> = VersionedMigration<
		5,
		6,
		InnerMigrateV5ToV6<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
