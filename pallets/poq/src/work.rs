//! The work of drawn nodes and committee members: one or many pieces per transaction, free of
//! fees when valid, checked before it enters a block.
//!
//! Committee and node work is paid out of the request's escrow, not by its sender, so valid work
//! pays no transaction fee (`#[pallet::feeless_if]`, honoured by a runtime that wraps its payment
//! extension in `pallet_skip_feeless_payment::SkipCheckIfFeeless`). Free block space is what an
//! attacker wants, so [`CheckWork`] validates work in the transaction pool and again in the block,
//! right before it is dispatched, and takes a transaction only when every piece applies now,
//! each on a request of its own ([`Pallet::validate_work`]). Pieces on different requests
//! touch different requests, so what validation saw is what the dispatch does: a free
//! transaction never fails in a block (which would charge its declared weight to nobody), carries
//! no piece that does nothing (a late, repeated or unknown piece makes the whole transaction
//! invalid, so nothing can ride along for free), and every byte of it is the sender's own work on
//! its own seats, bounded by `MaxOutputLen` or `NodesPerRequest` scores a piece (twice that for
//! a juror's rerun and grades under an appeal judge) and
//! `MaxWorkItems` pieces. Valid work gets a priority above ordinary transactions and a longevity
//! that ends with the earliest window it acts in.
//!
//! Work that went stale between the pool and the block (its window closed, the same work landed
//! from another transaction) is dropped whole before the block, and the worker sends what is
//! still due in its next round. Work is signed by the bonded account or by the operator key it
//! named ([`Pallet::principal`]).

use crate::{pallet::*, types::*, WeightInfo};
use alloc::{borrow::Cow, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	dispatch::{DispatchInfo, DispatchResultWithPostInfo, PostDispatchInfo},
	ensure,
	pallet_prelude::{TransactionSource, Weight},
	traits::{Get, IsSubType},
	CloneNoBound, DefaultNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::{BlockNumberFor, OriginFor};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{
		AsSystemOriginSigner, Bounded, DispatchInfoOf, Dispatchable, Implication,
		SaturatedConversion, TransactionExtension, ValidateResult,
	},
	transaction_validity::{
		InvalidTransaction, TransactionPriority, TransactionValidityError, ValidTransaction,
	},
	DispatchError, Saturating,
};

/// Pool priority of valid work: above any ordinary transaction that does not tip a fortune, so
/// a full pool delays transfers, not the work windows wait for.
pub const WORK_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

impl<T: Config> Pallet<T> {
	/// The bonded account `signer` acts for: the account that named it operator, or itself.
	pub fn principal(signer: T::AccountId) -> T::AccountId {
		Principals::<T>::get(&signer).unwrap_or(signer)
	}

	/// How the pool and a block take `work` signed by `signer`: the first block in which one of
	/// its pieces no longer applies (the end of the earliest window it acts in), or the first
	/// error that refuses it. Every piece must apply now and act on a request no other piece of
	/// `work` acts on: then no piece changes what another meets, and the dispatch does exactly
	/// what this saw.
	pub fn validate_work(
		signer: &T::AccountId,
		work: &[Work],
	) -> Result<BlockNumberFor<T>, Error<T>> {
		Self::check_batch(work)?;
		let who = Self::principal(signer.clone());
		work.iter().try_fold(BlockNumberFor::<T>::max_value(), |valid_until, item| {
			Self::check_work(&who, item).map(|request| valid_until.min(request.ends_at))
		})
	}

	/// The rules of a batch as a whole, before any piece is looked at: some work, at most
	/// `MaxWorkItems` pieces, each on a request of its own.
	fn check_batch(work: &[Work]) -> Result<(), Error<T>> {
		ensure!(!work.is_empty(), Error::<T>::NoWork);
		ensure!(work.len() <= T::MaxWorkItems::get() as usize, Error::<T>::TooMuchWork);
		let mut ids: Vec<RequestId> = work.iter().map(Work::id).collect();
		ids.sort_unstable();
		ensure!(ids.windows(2).all(|pair| pair[0] != pair[1]), Error::<T>::RepeatedRequest);
		Ok(())
	}

	/// Whether `work` from `origin` pays no fee: it is signed and valid ([`Self::validate_work`]).
	pub(crate) fn is_free_work(origin: &OriginFor<T>, work: &[Work]) -> bool {
		frame_system::ensure_signed(origin.clone())
			.is_ok_and(|signer| Self::validate_work(&signer, work).is_ok())
	}

	/// Declared weight of one piece of work: its dearest path, which for a reveal of scores is
	/// the last one, settling the request.
	pub fn work_weight(work: &Work) -> Weight {
		match work {
			Work::CommitResponse { .. } => T::WeightInfo::commit_response(),
			Work::RevealResponse { output, .. } => {
				T::WeightInfo::reveal_response(output.len() as u32)
			},
			Work::CommitScores { .. } => T::WeightInfo::commit_scores(),
			Work::RevealScores { .. } => Self::settling_reveal_weight(),
		}
	}

	/// Weight of the reveal of scores that settles its request, or fails its committee and
	/// draws another.
	pub fn settling_reveal_weight() -> Weight {
		T::WeightInfo::reveal_scores().saturating_add(Self::end_committee_weight())
	}

	/// Weight of ending a committee: opening its dispute window, settling its request (when no
	/// consensus stood, or when the dispute window closes), or drawing another. A jury's end is
	/// the hook's alone ([`Self::do_work`] leaves it to the next block): `settle_dispute`.
	pub fn end_committee_weight() -> Weight {
		T::WeightInfo::end_reveal_window()
			.max(T::WeightInfo::end_dispute_window())
			.max(T::WeightInfo::redraw_committee())
	}

	/// Declared weight of a list of work.
	pub fn works_weight(work: &[Work]) -> Weight {
		work.iter()
			.fold(Weight::zero(), |total, item| total.saturating_add(Self::work_weight(item)))
	}

	/// Does the pieces of `work` signed by `signer` in order; fails, and changes nothing, where
	/// [`Self::validate_work`] would refuse them, with the same error.
	pub(crate) fn do_submit_work(
		signer: T::AccountId,
		work: Vec<Work>,
	) -> DispatchResultWithPostInfo {
		Self::check_batch(&work)?;
		let who = Self::principal(signer);
		let mut used = Weight::zero();
		for item in work {
			let (id, settling) = (item.id(), matches!(item, Work::RevealScores { .. }));
			let declared = Self::work_weight(&item);
			// `do_work` checks the piece as `validate_work` does. The pieces act on distinct
			// requests, so none changes what a later one meets: the first to fail is the one
			// validation names, and the call is transactional.
			let ended = Self::do_work(who.clone(), item)?;
			// A reveal that ends its committee with a consensus only opens the dispute window:
			// the settlement is the hook's, when the window closes.
			let provisional = || {
				Requests::<T>::get(id).is_some_and(|request| request.phase == Phase::Provisional)
			};
			used = used.saturating_add(match (settling, ended) {
				(true, false) => T::WeightInfo::reveal_scores(),
				(true, true) if provisional() => T::WeightInfo::reveal_scores()
					.saturating_add(T::WeightInfo::end_reveal_window())
					.saturating_add(T::DbWeight::get().reads(1))
					.min(declared),
				_ => declared,
			});
		}
		Ok(PostDispatchInfo { actual_weight: Some(used), pays_fee: Default::default() })
	}

	/// The work a call of this pallet carries, if it is a work call: a batch's own pieces, not a
	/// copy of them.
	pub fn work_of(call: &Call<T>) -> Option<Cow<'_, [Work]>> {
		let single = |work: Work| Some(Cow::Owned(alloc::vec![work]));
		match call {
			Call::submit_work { work } => Some(Cow::Borrowed(work.as_slice())),
			Call::commit_response { id, commitment } => {
				single(Work::CommitResponse { id: *id, commitment: *commitment })
			},
			Call::reveal_response { id, output, salt } => {
				single(Work::RevealResponse { id: *id, output: output.clone(), salt: *salt })
			},
			Call::commit_scores { id, commitment } => {
				single(Work::CommitScores { id: *id, commitment: *commitment })
			},
			Call::reveal_scores { id, scores, salt } => {
				single(Work::RevealScores { id: *id, scores: scores.clone(), salt: *salt })
			},
			_ => None,
		}
	}

	/// The pool's error for work refused with `error`: `Custom` with the error's index in this
	/// pallet's `Error`, as the chain's metadata names it.
	pub fn invalid_work(error: Error<T>) -> TransactionValidityError {
		let index = match DispatchError::from(error) {
			DispatchError::Module(module) => module.error[0],
			_ => u8::MAX,
		};
		InvalidTransaction::Custom(index).into()
	}
}

/// Validates committee and node work before it enters the pool or a block (see the module
/// docs); lets every other call through untouched.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	CloneNoBound,
	EqNoBound,
	PartialEqNoBound,
	DefaultNoBound,
	TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct CheckWork<T>(PhantomData<T>);

impl<T> CheckWork<T> {
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

/// The runtime's call type.
type CallOf<T> = <T as frame_system::Config>::RuntimeCall;

impl<T> core::fmt::Debug for CheckWork<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckWork")
	}
}

impl<T: Config + Send + Sync> TransactionExtension<CallOf<T>> for CheckWork<T>
where
	CallOf<T>: IsSubType<Call<T>> + Dispatchable<Info = DispatchInfo>,
	<CallOf<T> as Dispatchable>::RuntimeOrigin: AsSystemOriginSigner<T::AccountId> + Clone,
{
	const IDENTIFIER: &'static str = "CheckWork";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &CallOf<T>) -> Weight {
		// Each piece reads its request and the signer's principal, twice: here and for the
		// fee check.
		let pieces = call.is_sub_type().and_then(Pallet::<T>::work_of).map_or(0, |w| w.len());
		T::DbWeight::get().reads(4u64.saturating_mul(pieces as u64))
	}

	fn validate(
		&self,
		origin: <CallOf<T> as Dispatchable>::RuntimeOrigin,
		call: &CallOf<T>,
		_info: &DispatchInfoOf<CallOf<T>>,
		_len: usize,
		_self_implicit: (),
		_inherited_implication: &impl Implication,
		_source: TransactionSource,
	) -> ValidateResult<(), CallOf<T>> {
		let (Some(work), Some(signer)) =
			(call.is_sub_type().and_then(Pallet::<T>::work_of), origin.as_system_origin_signer())
		else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		let valid_until =
			Pallet::<T>::validate_work(signer, &work).map_err(Pallet::<T>::invalid_work)?;
		// Validation runs in the context of the block the transaction would land in.
		let now = frame_system::Pallet::<T>::block_number();
		let longevity = valid_until.saturating_sub(now).saturated_into::<u64>().max(1);
		let validity = ValidTransaction {
			priority: WORK_PRIORITY,
			longevity,
			propagate: true,
			..Default::default()
		};
		Ok((validity, (), origin))
	}

	fn prepare(
		self,
		_val: (),
		_origin: &<CallOf<T> as Dispatchable>::RuntimeOrigin,
		_call: &CallOf<T>,
		_info: &DispatchInfoOf<CallOf<T>>,
		_len: usize,
	) -> Result<(), TransactionValidityError> {
		Ok(())
	}
}
