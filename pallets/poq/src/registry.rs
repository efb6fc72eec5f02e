//! Registration and bonds of inference nodes and validators.

use crate::{pallet::*, types::*};
use frame_support::{
	defensive, ensure,
	traits::{fungible::MutateHold, tokens::Precision, Get},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Zero, DispatchResult, Saturating};

impl<T: Config> Pallet<T> {
	/// Holds `bond` from `who` and adds it to the pool of `role`. A full pool admits it in place
	/// of its smallest bond when `bond` is larger; that account unbonds as if it had left.
	pub(crate) fn do_register(
		who: &T::AccountId,
		role: Role,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Participants::<T>::contains_key(who), Error::<T>::AlreadyRegistered);
		ensure!(!Principals::<T>::contains_key(who), Error::<T>::IsOperator);
		ensure!(bond >= T::MinBond::get(), Error::<T>::BondTooLow);
		let mut pool = Pools::<T>::get(role);
		let evicted = Self::admit(&mut pool, who, bond)?;
		T::Currency::hold(&HoldReason::Bond.into(), who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Pools::<T>::insert(role, pool);
		if let Some(evicted) = evicted {
			Self::start_unbonding(&evicted);
		}
		Participants::<T>::insert(
			who,
			Participant { role, bond, standing: Standing::Active, live_requests: 0, strikes: 0 },
		);
		Self::deposit_event(Event::Registered { who: who.clone(), role, bond });
		Ok(())
	}

	/// Adds `who` with `bond` to `pool`. A full pool admits it in place of its smallest bond
	/// when `bond` is larger (of equal smallest bonds, the latest to join goes), and returns
	/// the account that made room; otherwise `PoolFull`.
	fn admit(
		pool: &mut PoolOf<T>,
		who: &T::AccountId,
		bond: BalanceOf<T>,
	) -> Result<Option<T::AccountId>, Error<T>> {
		let Err(entry) = pool.try_push((who.clone(), bond)) else {
			return Ok(None);
		};
		let (at, (smallest, stake)) = pool
			.iter()
			.enumerate()
			.rev()
			.min_by_key(|(_, (_, stake))| *stake)
			.ok_or(Error::<T>::PoolFull)?;
		ensure!(bond > *stake, Error::<T>::PoolFull);
		let smallest = smallest.clone();
		pool[at] = entry;
		Ok(Some(smallest))
	}

	/// Takes `who` out of `role`'s pool.
	fn leave_pool(role: Role, who: &T::AccountId) {
		Pools::<T>::mutate(role, |pool| pool.retain(|(account, _)| account != who));
	}

	/// Makes the stake an active `who` is drawn with its bond as `participant` records it.
	fn sync_pool_stake(
		who: &T::AccountId,
		participant: &Participant<BalanceOf<T>, BlockNumberFor<T>>,
	) {
		if participant.standing != Standing::Active {
			return;
		}
		Pools::<T>::mutate(participant.role, |pool| {
			if let Some(entry) = pool.iter_mut().find(|(account, _)| account == who) {
				entry.1 = participant.bond;
			}
		});
	}

	/// Holds `amount` more of `who`'s funds as its bond.
	pub(crate) fn do_bond_extra(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let mut participant = Participants::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(
			!matches!(participant.standing, Standing::Unbonding { .. }),
			Error::<T>::AlreadyUnbonding
		);
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		T::Currency::hold(&HoldReason::Bond.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		participant.bond = participant.bond.saturating_add(amount);
		Self::sync_pool_stake(who, &participant);
		let bond = participant.bond;
		Participants::<T>::insert(who, participant);
		Self::deposit_event(Event::Bonded { who: who.clone(), bond });
		Ok(())
	}

	/// Puts a suspended `who` back in its pool with its strikes cleared.
	pub(crate) fn do_resume(who: &T::AccountId) -> DispatchResult {
		let mut participant = Participants::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(participant.standing == Standing::Suspended, Error::<T>::NotSuspended);
		ensure!(participant.bond >= T::MinBond::get(), Error::<T>::BondTooLow);
		let mut pool = Pools::<T>::get(participant.role);
		let evicted = Self::admit(&mut pool, who, participant.bond)?;
		Pools::<T>::insert(participant.role, pool);
		if let Some(evicted) = evicted {
			Self::start_unbonding(&evicted);
		}
		participant.standing = Standing::Active;
		participant.strikes = 0;
		Participants::<T>::insert(who, participant);
		Self::deposit_event(Event::Resumed { who: who.clone() });
		Ok(())
	}

	/// Records how `who` did on a committee: a strike when it never `committed`, its strikes
	/// cleared when it did. At `MaxStrikes` in a row an active validator leaves its pool until
	/// it calls `resume`.
	pub(crate) fn record_attendance(who: &T::AccountId, committed: bool) {
		let Some(mut participant) = Participants::<T>::get(who) else { return };
		if committed {
			if participant.strikes > 0 {
				participant.strikes = 0;
				Participants::<T>::insert(who, participant);
			}
			return;
		}
		participant.strikes = participant.strikes.saturating_add(1);
		let suspend =
			participant.strikes >= T::MaxStrikes::get() && participant.standing == Standing::Active;
		if suspend {
			Self::leave_pool(participant.role, who);
			participant.standing = Standing::Suspended;
		}
		Participants::<T>::insert(who, participant);
		if suspend {
			Self::deposit_event(Event::Suspended { who: who.clone() });
		}
	}

	/// Takes `who` out of its pool and starts its unbonding period, also while it sits on
	/// live requests (it is drawn for no new one, and its bond stays held, and can be paid or
	/// slashed on the requests it sits on, until those are over) or is suspended.
	pub(crate) fn do_unregister(who: &T::AccountId) -> DispatchResult {
		let participant = Participants::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(
			!matches!(participant.standing, Standing::Unbonding { .. }),
			Error::<T>::AlreadyUnbonding
		);
		Self::start_unbonding(who);
		Ok(())
	}

	/// Takes an active or suspended `who` out of its pool and starts its unbonding period.
	fn start_unbonding(who: &T::AccountId) {
		let Some(mut participant) = Participants::<T>::get(who) else {
			defensive!("unbonding an account that is not registered");
			return;
		};
		Self::leave_pool(participant.role, who);
		let unlock_at = Self::now().saturating_add(T::UnbondingPeriod::get());
		participant.standing = Standing::Unbonding { unlock_at };
		Participants::<T>::insert(who, participant);
		Self::deposit_event(Event::Unregistered { who: who.clone(), unlock_at });
	}

	/// Releases the bond of an unbonded `who` and forgets it.
	pub(crate) fn do_withdraw_unbonded(who: &T::AccountId) -> DispatchResult {
		let participant = Participants::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let Standing::Unbonding { unlock_at } = participant.standing else {
			return Err(Error::<T>::NotUnbonding.into());
		};
		ensure!(Self::now() >= unlock_at, Error::<T>::StillUnbonding);
		ensure!(participant.live_requests == 0, Error::<T>::Busy);
		T::Currency::release(&HoldReason::Bond.into(), who, participant.bond, Precision::Exact)?;
		Participants::<T>::remove(who);
		Self::drop_operator(who);
		Self::deposit_event(Event::Withdrawn { who: who.clone(), amount: participant.bond });
		Ok(())
	}

	/// Names the key of `consent` as the one that signs registered `who`'s work, in place of the
	/// one it named before, if any (`None`: none). The key must have consented: signed
	/// [`crate::operator_consent`] of this chain, `who` and a block not yet past.
	pub(crate) fn do_set_operator(
		who: &T::AccountId,
		consent: Option<OperatorConsent<BlockNumberFor<T>>>,
	) -> DispatchResult {
		ensure!(Participants::<T>::contains_key(who), Error::<T>::NotRegistered);
		let operator = consent.map(|consent| Self::consenting_key(who, consent)).transpose()?;
		if let Some(operator) = &operator {
			ensure!(!Participants::<T>::contains_key(operator), Error::<T>::OperatorIsParticipant);
			ensure!(
				Principals::<T>::get(operator).is_none_or(|principal| principal == *who),
				Error::<T>::IsOperator
			);
		}
		Self::name_operator(who, operator);
		Ok(())
	}

	/// The account of the key that signed `consent` to sign `who`'s work, if the consent holds.
	fn consenting_key(
		who: &T::AccountId,
		consent: OperatorConsent<BlockNumberFor<T>>,
	) -> Result<T::AccountId, Error<T>> {
		use frame_system::offchain::AppCrypto;
		use sp_runtime::{traits::IdentifyAccount, RuntimeAppPublic};
		ensure!(consent.until >= Self::now(), Error::<T>::ConsentExpired);
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let message = crate::operator_consent(&genesis, who, &consent.until);
		ensure!(consent.key.verify(&message, &consent.signature), Error::<T>::BadConsent);
		let key: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
			consent.key.into();
		Ok(Into::<T::Public>::into(key).into_account())
	}

	/// Names `operator` as the key that signs registered `who`'s work, in place of the one it
	/// named before, if any (`None`: none), checked or not.
	pub(crate) fn name_operator(who: &T::AccountId, operator: Option<T::AccountId>) {
		Self::drop_operator(who);
		if let Some(operator) = &operator {
			// The operator holds no funds: this reference keeps its account, and so its nonce,
			// alive while it signs for `who`.
			frame_system::Pallet::<T>::inc_providers(operator);
			Operators::<T>::insert(who, operator);
			Principals::<T>::insert(operator, who);
		}
		Self::deposit_event(Event::OperatorSet { who: who.clone(), operator });
	}

	/// Frees operator key `operator` from signing for the account that named it.
	pub(crate) fn do_release_operator(operator: &T::AccountId) -> DispatchResult {
		let who = Principals::<T>::get(operator).ok_or(Error::<T>::NotOperator)?;
		Self::drop_operator(&who);
		Self::deposit_event(Event::OperatorReleased { who, operator: operator.clone() });
		Ok(())
	}

	/// Forgets the operator `who` named, if any.
	fn drop_operator(who: &T::AccountId) {
		if let Some(operator) = Operators::<T>::take(who) {
			Principals::<T>::remove(&operator);
			// It took one provider reference (`do_set_operator`) and no consumer, so giving it
			// back cannot fail.
			let _ = frame_system::Pallet::<T>::dec_providers(&operator);
		}
	}

	/// Marks `who` as sitting on one more (`busy`) or one fewer live request.
	pub(crate) fn set_busy(who: &T::AccountId, busy: bool) {
		Participants::<T>::mutate(who, |participant| {
			if let Some(participant) = participant {
				participant.live_requests = match busy {
					true => participant.live_requests.saturating_add(1),
					false => participant.live_requests.saturating_sub(1),
				};
			}
		});
	}

	/// Takes `amount` of `who`'s bond (what is there at most); returns what was taken, for the
	/// caller to hand on (to `T::OnSlash`, or a dispute's jury).
	pub(crate) fn take_bond(
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> crate::lifecycle::CreditOf<T> {
		use frame_support::traits::{fungible::BalancedHold, Imbalance};
		if amount.is_zero() {
			return Imbalance::zero();
		}
		let (credit, _) = T::Currency::slash(&HoldReason::Bond.into(), who, amount);
		let taken = credit.peek();
		if let Some(mut participant) = Participants::<T>::get(who) {
			participant.bond = participant.bond.saturating_sub(taken);
			let active = participant.standing == Standing::Active;
			Self::sync_pool_stake(who, &participant);
			let below_min = participant.bond < T::MinBond::get();
			Participants::<T>::insert(who, participant);
			// A seat below the smallest bond anyone may join with leaves the pool.
			if active && below_min {
				Self::start_unbonding(who);
			}
		}
		credit
	}
}
