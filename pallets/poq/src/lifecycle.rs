//! A request's life: submission, responses, commit and reveal, and settlement.

use crate::{
	commitment::{answer_commitment, commitment},
	consensus::{consensus_scores, MAX_SCORE},
	pallet::*,
	selection::{allot_seats, seed_for, select_weighted},
	settlement::{
		by_seat, impose, passed_over, pay_unvouched, review, settle, wants_redraw, Finding,
		MemberReport, Params, Plan, Review, Verdict,
	},
	types::*,
	weights::WeightInfo,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	defensive, ensure,
	traits::{
		fungible::{Balanced, BalancedHold, Credit, Inspect, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
		Get, Imbalance, OnUnbalanced, Randomness,
	},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
	DispatchResult, Saturating,
};

/// Subject of the inference-node draw.
const NODES_TAG: &[u8] = b"poq/nodes";
/// Subject of the committee draw.
const COMMITTEE_TAG: &[u8] = b"poq/committee";
/// Subject of a dispute's jury draw.
const JURY_TAG: &[u8] = b"poq/jury";

/// Funds taken from bonds and not yet handed on.
pub(crate) type CreditOf<T> =
	Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;

impl<T: Config> Pallet<T> {
	/// What taking a live-request slot costs now: `SlotFee`, doubled every sixth of
	/// `MaxLiveRequests` live ([`crate::pricing::slot_fee`]).
	pub fn slot_fee() -> BalanceOf<T> {
		let base: u128 = T::SlotFee::get().unique_saturated_into();
		let price =
			crate::pricing::slot_fee(base, Requests::<T>::count(), T::MaxLiveRequests::get());
		BalanceOf::<T>::unique_saturated_from(price)
	}

	pub(crate) fn do_submit_request(
		client: T::AccountId,
		prompt: Vec<u8>,
		fee: BalanceOf<T>,
	) -> DispatchResult {
		let prompt: BoundedVec<u8, T::MaxPromptLen> =
			prompt.try_into().map_err(|_| Error::<T>::PromptTooLong)?;
		ensure!(!prompt.is_empty(), Error::<T>::EmptyPrompt);
		ensure!(fee >= T::MinFee::get(), Error::<T>::FeeTooLow);
		ensure!(fee <= T::MaxFee::get(), Error::<T>::FeeTooHigh);
		ensure!(
			Requests::<T>::count() < T::MaxLiveRequests::get(),
			Error::<T>::TooManyLiveRequests
		);
		ensure!(!Pools::<T>::get(Role::InferenceNode).is_empty(), Error::<T>::NoInferenceNodes);
		let id = NextRequestId::<T>::get();
		// Only spendable funds: a hold may cover frozen (say, vesting) funds, and the escrow is
		// paid out to other accounts.
		let spendable =
			T::Currency::reducible_balance(&client, Preservation::Protect, Fortitude::Polite);
		let slot_fee = Self::slot_fee();
		ensure!(fee.saturating_add(slot_fee) <= spendable, Error::<T>::InsufficientBalance);
		T::Currency::hold(&HoldReason::Escrow.into(), &client, fee)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let paid = T::Currency::withdraw(
			&client,
			slot_fee,
			Precision::Exact,
			Preservation::Protect,
			Fortitude::Polite,
		)
		.map_err(|_| Error::<T>::InsufficientBalance)?;
		T::OnSlotFee::on_unbalanced(paid);

		Prompts::<T>::insert(id, prompt);
		let request = Request {
			client: client.clone(),
			fee,
			phase: Phase::DrawingNodes,
			ends_at: Self::now(),
			nodes: BoundedVec::new(),
			responders: BoundedVec::new(),
			committee: BoundedVec::new(),
			model: None,
		};
		NextRequestId::<T>::put(id.saturating_add(1));
		Self::deposit_event(Event::RequestSubmitted { id, who: client, fee, slot_fee });
		// The client acts in this block: the nodes are drawn from what comes after it.
		Self::await_draw(id, request, Phase::DrawingNodes, Self::now());
		Ok(())
	}

	/// Checks `work` by `who` against the chain as it is now, and returns the request it acts on
	/// as it will be once the work is applied. Changes nothing.
	pub(crate) fn check_work(who: &T::AccountId, work: &Work) -> Result<RequestOf<T>, Error<T>> {
		match work {
			Work::CommitResponse { id, commitment } => {
				let mut request = Self::live_request(*id, Phase::AwaitingResponses)?;
				let seat = request
					.nodes
					.iter_mut()
					.find(|seat| seat.who == *who)
					.ok_or(Error::<T>::NotSelected)?;
				ensure!(seat.commitment.is_none(), Error::<T>::AlreadyResponded);
				seat.commitment = Some(*commitment);
				Ok(request)
			},
			Work::RevealResponse { id, output, salt } => {
				ensure!(output.len() <= T::MaxOutputLen::get() as usize, Error::<T>::OutputTooLong);
				let mut request = Self::live_request(*id, Phase::RevealingResponses)?;
				let seat = request
					.nodes
					.iter()
					.find(|seat| seat.who == *who)
					.ok_or(Error::<T>::NotSelected)?;
				let committed = seat.commitment.ok_or(Error::<T>::NotCommitted)?;
				ensure!(!request.responders.contains(who), Error::<T>::AlreadyRevealed);
				ensure!(
					answer_commitment(*id, who, output, salt) == committed,
					Error::<T>::CommitmentMismatch
				);
				// Responders are a subset of the drawn nodes, so this always fits.
				request
					.responders
					.try_push(who.clone())
					.map_err(|_| Error::<T>::AlreadyRevealed)?;
				Ok(request)
			},
			Work::CommitScores { id, commitment } => {
				let mut request = Self::live_request(*id, Phase::Committing)?;
				let member = Self::seat(&mut request, who)?;
				ensure!(member.commitment.is_none(), Error::<T>::AlreadyCommitted);
				member.commitment = Some(*commitment);
				Ok(request)
			},
			Work::RevealScores { id, scores, salt } => {
				let mut request = Self::live_request(*id, Phase::Revealing)?;
				let responses = request.responders.len() * Self::scores_per_response(*id);
				let member = Self::seat(&mut request, who)?;
				let committed = member.commitment.ok_or(Error::<T>::NotCommitted)?;
				ensure!(member.reveal.is_none(), Error::<T>::AlreadyRevealed);
				ensure!(scores.len() == responses, Error::<T>::WrongScoreCount);
				ensure!(
					scores.iter().all(|score| *score <= MAX_SCORE),
					Error::<T>::ScoreOutOfRange
				);
				ensure!(
					commitment(*id, who, scores, salt) == committed,
					Error::<T>::CommitmentMismatch
				);
				member.reveal =
					Some(scores.clone().try_into().map_err(|_| Error::<T>::WrongScoreCount)?);
				Ok(request)
			},
		}
	}

	/// Does `work` for `who` (the bonded account, not its operator), checked as
	/// [`Self::check_work`] checks it; nothing changes when a check fails. Returns whether the
	/// work ended its phase (the fast path), which for a reveal of scores settles the request.
	pub(crate) fn do_work(who: T::AccountId, work: Work) -> Result<bool, Error<T>> {
		let request = Self::check_work(&who, &work)?;
		let ended = match work {
			Work::CommitResponse { id, .. } => {
				Self::deposit_event(Event::ResponseCommitted { id, node: who });
				let all_committed = request.nodes.iter().all(|seat| seat.commitment.is_some());
				Self::store_or_advance(id, request, all_committed, Self::start_revealing_responses)
			},
			Work::RevealResponse { id, output, .. } => {
				// `check_work` held it to `MaxOutputLen`.
				Outputs::<T>::insert(
					id,
					&who,
					BoundedVec::<u8, T::MaxOutputLen>::truncate_from(output),
				);
				Self::deposit_event(Event::ResponseRevealed { id, node: who });
				let committed =
					request.nodes.iter().filter(|seat| seat.commitment.is_some()).count();
				let all_revealed = request.responders.len() == committed;
				Self::store_or_advance(id, request, all_revealed, |id, request| {
					Self::await_draw(id, request, Phase::DrawingCommittee, Self::now())
				})
			},
			Work::CommitScores { id, .. } => {
				Self::deposit_event(Event::ScoresCommitted { id, validator: who });
				let all_committed =
					request.committee.iter().all(|member| member.commitment.is_some());
				Self::store_or_advance(id, request, all_committed, Self::start_revealing)
			},
			Work::RevealScores { id, .. } => {
				Self::deposit_event(Event::ScoresRevealed { id, validator: who });
				let all_revealed = request
					.committee
					.iter()
					.all(|member| member.commitment.is_none() || member.reveal.is_some());
				match all_revealed && Disputes::<T>::contains_key(id) {
					// A jury's settlement (both bodies, and the pay of the jury) is dearer than
					// any reveal should declare: the hook ends its phase in the next block.
					true => Self::end_next_block(id, request),
					false => Self::store_or_advance(id, request, all_revealed, Self::finish),
				}
			},
		};
		Ok(ended)
	}

	/// How many scores a reveal on request `id` carries per response: two (the rerun of the
	/// committee's model, then the appeal judge's grade) from the jury of a dispute with an
	/// appeal judge, one otherwise.
	pub fn scores_per_response(id: RequestId) -> usize {
		match Disputes::<T>::get(id).is_some_and(|dispute| dispute.appeal_judge.is_some()) {
			true => 2,
			false => 1,
		}
	}

	/// The committee seat of `validator` on `request`.
	fn seat<'a>(
		request: &'a mut RequestOf<T>,
		validator: &T::AccountId,
	) -> Result<&'a mut MemberOf<T>, Error<T>> {
		request
			.committee
			.iter_mut()
			.find(|member| member.who == *validator)
			.ok_or(Error::<T>::NotCommitteeMember)
	}

	/// Stores `request`, or, once everyone seated on its phase has acted, ends the phase at
	/// once with `next` (the fast path); returns whether it did.
	fn store_or_advance(
		id: RequestId,
		request: RequestOf<T>,
		everyone_acted: bool,
		next: impl FnOnce(RequestId, RequestOf<T>),
	) -> bool {
		if everyone_acted {
			Self::unschedule(id, request.ends_at);
			next(id, request);
		} else {
			Requests::<T>::insert(id, request);
		}
		everyone_acted
	}

	/// Moves the end of request `id`'s phase to the next block's hook; returns false: the phase
	/// goes on until then.
	fn end_next_block(id: RequestId, mut request: RequestOf<T>) -> bool {
		Self::unschedule(id, request.ends_at);
		request.ends_at = Self::now().saturating_add(1u32.into());
		Self::schedule(id, request.ends_at);
		Requests::<T>::insert(id, request);
		false
	}

	/// Ends request `id`'s phase because its window closed (or draws, once its randomness has
	/// come); returns the weight of what that took.
	pub(crate) fn end_phase(id: RequestId, now: BlockNumberFor<T>) -> Weight {
		let Some(request) = Requests::<T>::get(id) else {
			defensive!("a deadline for a request that is not live");
			return T::DbWeight::get().reads(1);
		};
		if request.ends_at > now {
			defensive!("a deadline before the request's window closed");
			return T::DbWeight::get().reads(1);
		}
		// The window's last block is the last one anything of this phase could land in.
		let closed = now.saturating_sub(1u32.into());
		// Ending any window costs less than settling (or drawing another committee, or settling
		// a dispute), with the prune a finish pays for. Read before the phase ends (which may
		// end the dispute), and only where a window ends: a draw is charged the draw.
		let closing = || {
			let ending = match Disputes::<T>::contains_key(id) {
				true => T::WeightInfo::settle_dispute(),
				false => Self::end_committee_weight(),
			};
			ending
				.saturating_add(T::WeightInfo::prune_outcome())
				.saturating_add(T::DbWeight::get().reads(1))
		};
		match request.phase {
			Phase::DrawingNodes => {
				Self::draw_nodes(id, request);
				T::WeightInfo::draw_nodes()
			},
			Phase::AwaitingResponses if request.nodes.iter().any(|s| s.commitment.is_some()) => {
				let charged = closing();
				Self::start_revealing_responses(id, request);
				charged
			},
			Phase::RevealingResponses if !request.responders.is_empty() => {
				let charged = closing();
				Self::await_draw(id, request, Phase::DrawingCommittee, closed);
				charged
			},
			Phase::DrawingCommittee => {
				Self::draw_committee(id, request);
				T::WeightInfo::draw_committee()
			},
			Phase::Committing if request.committee.iter().any(|m| m.commitment.is_some()) => {
				let charged = closing();
				Self::start_revealing(id, request);
				charged
			},
			Phase::DrawingJury => {
				Self::draw_jury(id, request);
				T::WeightInfo::draw_jury()
			},
			Phase::Provisional => {
				let charged = closing();
				match Disputes::<T>::get(id) {
					// Nobody appealed the last finding: it stands.
					Some(dispute) => Self::end_dispute(id, request, dispute, BoundedVec::new()),
					None => {
						let (consensus, plan) = Self::plan(&request);
						Self::close(id, request, consensus, plan, Self::no_dispute);
					},
				}
				charged
			},
			_ => {
				let charged = closing();
				Self::finish(id, request);
				charged
			},
		}
	}

	/// Puts request `id` in the drawing `phase`: the draw waits for randomness first known
	/// after block `closed`, the last one in which anything of the previous phase could land,
	/// and is tried in the hook of the block after that randomness can first be known.
	fn await_draw(
		id: RequestId,
		mut request: RequestOf<T>,
		phase: Phase,
		closed: BlockNumberFor<T>,
	) {
		let fresh_from = closed.saturating_add(1u32.into());
		request.phase = phase;
		request.ends_at = fresh_from;
		Self::schedule(id, fresh_from.saturating_add(1u32.into()));
		Requests::<T>::insert(id, request);
	}

	/// Draws the inference nodes of request `id` once its randomness has come; with no node to
	/// draw, the request ends and the client is refunded.
	fn draw_nodes(id: RequestId, mut request: RequestOf<T>) {
		let Some((seed, pool, weights)) =
			Self::draw_from(Role::InferenceNode, NODES_TAG, id, request.ends_at, &[])
		else {
			return;
		};
		let drawn = select_weighted(seed, &weights, T::NodesPerRequest::get() as usize);
		if drawn.is_empty() {
			return Self::finish(id, request);
		}
		// The draw returns at most `NodesPerRequest` accounts, so nothing is truncated.
		request.nodes = BoundedVec::truncate_from(
			drawn
				.into_iter()
				.map(|index| NodeSeat { who: pool[index].0.clone(), commitment: None })
				.collect(),
		);
		request.nodes.iter().for_each(|seat| Self::set_busy(&seat.who, true));
		let nodes = request.nodes.iter().map(|seat| seat.who.clone()).collect();
		let window = T::ResponseWindow::get();
		let respond_by = Self::open_window(id, request, Phase::AwaitingResponses, window);
		Self::deposit_event(Event::NodesSelected { id, nodes, respond_by });
	}

	/// Opens the nodes' reveal phase of request `id`.
	fn start_revealing_responses(id: RequestId, request: RequestOf<T>) {
		let window = T::RevealWindow::get();
		let reveal_by = Self::open_window(id, request, Phase::RevealingResponses, window);
		Self::deposit_event(Event::ResponseRevealStarted { id, reveal_by });
	}

	/// Puts request `id` in `phase`, open for `window` blocks from this one, and books its end;
	/// returns the first block after the window.
	fn open_window(
		id: RequestId,
		mut request: RequestOf<T>,
		phase: Phase,
		window: BlockNumberFor<T>,
	) -> BlockNumberFor<T> {
		let ends_at = Self::now().saturating_add(window);
		request.phase = phase;
		request.ends_at = ends_at;
		Self::schedule(id, ends_at);
		Requests::<T>::insert(id, request);
		ends_at
	}

	/// The live request `id`, if it is in `phase` and the phase's window is open.
	fn live_request(id: RequestId, phase: Phase) -> Result<RequestOf<T>, Error<T>> {
		let request = Requests::<T>::get(id).ok_or(Error::<T>::UnknownRequest)?;
		// A window past its end is closed even if the hook has not got to it yet.
		ensure!(request.phase == phase && Self::now() < request.ends_at, Error::<T>::WrongPhase);
		Ok(request)
	}

	/// Draws the committee of request `id` once its randomness has come; with no validators to
	/// draw, the request expires.
	fn draw_committee(id: RequestId, mut request: RequestOf<T>) {
		let excluded = Redraws::<T>::get(id).map(|redraw| redraw.excluded).unwrap_or_default();
		let Some((seed, pool, weights)) =
			Self::draw_from(Role::Validator, COMMITTEE_TAG, id, request.ends_at, &excluded)
		else {
			return;
		};
		let committee =
			Self::members_of(&pool, allot_seats(seed, &weights, T::CommitteeSize::get()));
		if committee.is_empty() {
			return Self::finish(id, request);
		}
		committee.iter().for_each(|member| Self::set_busy(&member.who, true));
		let members = committee.iter().map(|member| (member.who.clone(), member.seats)).collect();
		request.committee = committee;
		request.model = QualityModel::<T>::get();
		let commit_by = Self::open_window(id, request, Phase::Committing, T::CommitWindow::get());
		Self::deposit_event(Event::CommitteeSelected { id, committee: members, commit_by });
	}

	/// The members `seated` (pool indices with their seats, from [`allot_seats`]) make: at most
	/// `JurySizeOf` seats go to at most as many accounts, so nothing is truncated.
	fn members_of(
		pool: &PoolOf<T>,
		seated: Vec<(usize, u32)>,
	) -> BoundedVec<MemberOf<T>, JurySizeOf<T>> {
		BoundedVec::truncate_from(
			seated
				.into_iter()
				.map(|(index, seats)| Member {
					who: pool[index].0.clone(),
					seats,
					commitment: None,
					reveal: None,
				})
				.collect(),
		)
	}

	/// Opens the reveal phase of request `id`.
	fn start_revealing(id: RequestId, request: RequestOf<T>) {
		let reveal_by = Self::open_window(id, request, Phase::Revealing, T::RevealWindow::get());
		Self::deposit_event(Event::RevealStarted { id, reveal_by });
	}

	/// Settles request `id`: computes consensus and the payout plan, moves the funds, records the
	/// outcome and drops the bulky data. A committee that failed (no strict majority stood) on
	/// answers that were revealed, with a member who never committed or never revealed, is drawn
	/// again instead, without the members who stayed away, up to `MaxRedraws` times; answers no
	/// committee vouched for are paid `UnvouchedShare` of the nodes' part in equal parts
	/// ([`pay_unvouched`]).
	fn finish(id: RequestId, request: RequestOf<T>) {
		if let Some(dispute) = Disputes::<T>::get(id) {
			return Self::finish_jury(id, request, dispute);
		}
		let (consensus, plan) = Self::plan(&request);
		if wants_redraw(&plan, request.responders.len()) {
			let redraw = Redraws::<T>::get(id).unwrap_or_default();
			if redraw.count < T::MaxRedraws::get() {
				return Self::redraw(id, request, &plan, redraw);
			}
		}
		if plan.finalized && !T::DisputeWindow::get().is_zero() {
			let window = T::DisputeWindow::get();
			let dispute_by = Self::open_window(id, request, Phase::Provisional, window);
			Self::deposit_event(Event::RequestProvisional { id, scores: consensus, dispute_by });
			return;
		}
		Self::close(id, request, consensus, plan, Self::no_dispute);
	}

	/// What [`Self::close`] does with the penalties of an undisputed request: hands them to
	/// `OnSlash`.
	fn no_dispute(taken: CreditOf<T>) -> Option<DisputeOutcomeOf<T>> {
		T::OnSlash::on_unbalanced(taken);
		None
	}

	/// Settles request `id` for good by `plan` (and `consensus`, its committee's or its jury's):
	/// moves the funds, hands what it took from bonds to `dispute` (a dispute's jury may be paid
	/// out of it; what it returns, `OnSlash` gets), records the outcome with the dispute it
	/// returns, if any, and drops the bulky data.
	fn close(
		id: RequestId,
		request: RequestOf<T>,
		consensus: Vec<u16>,
		mut plan: Plan,
		dispute: impl FnOnce(CreditOf<T>) -> Option<DisputeOutcomeOf<T>>,
	) {
		let now = Self::now();
		pay_unvouched(
			&mut plan,
			request.fee.unique_saturated_into(),
			request.responders.len(),
			&Self::settlement_params(),
		);
		// Without a strict majority in consensus the request ends without one.
		let consensus = if plan.finalized { consensus } else { Vec::new() };
		let mut taken = CreditOf::<T>::zero();
		let mut outcome = Self::apply_plan(id, &request, &consensus, &plan, now, &mut taken);
		outcome.dispute = dispute(taken);
		let refund = outcome.refund;
		let phase = outcome.phase;
		Outcomes::<T>::insert(id, outcome);
		Self::queue_prune(id, now);

		request.nodes.iter().for_each(|seat| Self::set_busy(&seat.who, false));
		request.committee.iter().for_each(|member| Self::set_busy(&member.who, false));
		for node in &request.responders {
			Outputs::<T>::remove(id, node);
		}
		Prompts::<T>::remove(id);
		Requests::<T>::remove(id);
		Redraws::<T>::remove(id);
		Self::deposit_event(match phase {
			Phase::Finalized => Event::RequestFinalized { id, scores: consensus, refund },
			_ => Event::RequestExpired { id, phase: request.phase, refund },
		});
	}

	/// What a dispute of a request with `fee` holds: the fee, or `DisputeDeposit` when that is
	/// more. A dispute that fails pays a jury twice the committee's size, so it costs what the
	/// request did; one that succeeds costs nothing.
	pub fn dispute_deposit(fee: BalanceOf<T>) -> BalanceOf<T> {
		fee.max(T::DisputeDeposit::get())
	}

	/// What asking jury `level` of a request with `fee` holds: [`Self::dispute_deposit`] for
	/// the client's dispute (level 1), twice as much at each appeal, as each jury is about
	/// twice as large as the last.
	pub fn appeal_deposit(fee: BalanceOf<T>, level: u32) -> BalanceOf<T> {
		(1..level).fold(Self::dispute_deposit(fee), |deposit, _| deposit.saturating_add(deposit))
	}

	pub(crate) fn do_dispute(
		who: T::AccountId,
		id: RequestId,
		max_deposit: BalanceOf<T>,
	) -> DispatchResult {
		let request = Requests::<T>::get(id).ok_or(Error::<T>::UnknownRequest)?;
		let dispute = Disputes::<T>::get(id);
		match &dispute {
			None => ensure!(Self::is_party(&request, &who), Error::<T>::NotParty),
			// A jury is drawn or sits.
			Some(_) if request.phase != Phase::Provisional => {
				return Err(Error::<T>::AlreadyDisputed.into())
			},
			Some(dispute) => {
				ensure!(Self::may_appeal(&request, dispute, &who), Error::<T>::NotLoser)
			},
		}
		ensure!(
			request.phase == Phase::Provisional && Self::now() < request.ends_at,
			Error::<T>::WrongPhase
		);
		let level = dispute.as_ref().map_or(0, |dispute| dispute.rulings.len() as u32) + 1;
		ensure!(level <= T::DisputeLevels::get(), Error::<T>::WrongPhase);
		let deposit = Self::appeal_deposit(request.fee, level);
		ensure!(deposit <= max_deposit, Error::<T>::DepositAboveLimit);
		let spendable =
			T::Currency::reducible_balance(&who, Preservation::Protect, Fortitude::Polite);
		ensure!(deposit <= spendable, Error::<T>::InsufficientBalance);
		let dispute = match dispute {
			None => Dispute {
				appellant: who.clone(),
				deposit,
				reviewed: BoundedVec::new(),
				appeal_judge: AppealJudge::<T>::get(),
				rulings: BoundedVec::new(),
				appeals: BoundedVec::new(),
			},
			Some(mut dispute) => {
				// One appeal per ruling, fewer rulings than `DisputeLevels`.
				dispute
					.appeals
					.try_push((who.clone(), deposit))
					.map_err(|_| Error::<T>::WrongPhase)?;
				dispute
			},
		};
		T::Currency::hold(&HoldReason::Dispute.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Self::unschedule(id, request.ends_at);
		Disputes::<T>::insert(id, dispute);
		Self::deposit_event(match level {
			1 => Event::Disputed { id, who, deposit },
			_ => Event::Appealed { id, who, deposit, level },
		});
		// The appellant acts in this block: the jury is drawn from what comes after it.
		Self::await_draw(id, request, Phase::DrawingJury, Self::now());
		Ok(())
	}

	/// Whether `who` has a part in `request`, whose committee is in place: its client, a
	/// member of its committee or a node that answered it. Each can be wronged by a captured
	/// committee (junk paid, an honest member outvoted and slashed, a good answer unpaid), so
	/// each may dispute it.
	fn is_party(request: &RequestOf<T>, who: &T::AccountId) -> bool {
		request.client == *who
			|| request.committee.iter().any(|member| member.who == *who)
			|| request.responders.contains(who)
	}

	/// Whether `who` may be on the side the last finding of `dispute` went against: any party
	/// when it upheld the committee (the client, an outvoted member, an unpaid node), a party
	/// but the client when it overturned it (the members, the nodes of the junk).
	fn may_appeal(request: &RequestOf<T>, dispute: &DisputeOf<T>, who: &T::AccountId) -> bool {
		match dispute.rulings.last().map(|ruling| ruling.finding) {
			Some(Finding::Upheld) => Self::is_party(request, who),
			Some(Finding::Overturned) => request.client != *who && Self::is_party(request, who),
			_ => false,
		}
	}

	/// Draws the jury of disputed request `id` once its randomness has come: [`jury_seats`] at
	/// its level, in proportion to stake, among the validators on none of the request's
	/// bodies (its committee and earlier juries) who are not its client. The committee waits
	/// in the dispute; the jury takes its place, with its model. With nobody to draw, the
	/// jury lapses.
	fn draw_jury(id: RequestId, mut request: RequestOf<T>) {
		let Some(mut dispute) = Disputes::<T>::get(id) else {
			defensive!("a jury drawn for a request with no dispute");
			return;
		};
		// Nobody judges itself: not the committee or an earlier jury, nor a client that also
		// validates.
		let passed_over: Vec<T::AccountId> = request
			.committee
			.iter()
			.chain(dispute.rulings.iter().flat_map(|ruling| ruling.jury.iter()))
			.map(|member| member.who.clone())
			.chain(core::iter::once(request.client.clone()))
			.collect();
		let Some((seed, pool, weights)) =
			Self::draw_from(Role::Validator, JURY_TAG, id, request.ends_at, &passed_over)
		else {
			return;
		};
		let level = dispute.rulings.len() as u32 + 1;
		let seats = jury_seats(T::CommitteeSize::get(), level);
		let jury = Self::members_of(&pool, allot_seats(seed, &weights, seats));
		if jury.is_empty() {
			return Self::end_jury(id, request, dispute, BoundedVec::new());
		}
		jury.iter().for_each(|juror| Self::set_busy(&juror.who, true));
		let jurors = jury.iter().map(|juror| (juror.who.clone(), juror.seats)).collect();
		dispute.reviewed = core::mem::replace(&mut request.committee, jury);
		Disputes::<T>::insert(id, dispute);
		let commit_by = Self::open_window(id, request, Phase::Committing, T::CommitWindow::get());
		Self::deposit_event(Event::JurySelected { id, jury: jurors, commit_by });
	}

	/// Ends the sitting jury of disputed request `id` once its windows closed (or every juror
	/// revealed): the committee in `dispute` goes back in place.
	fn finish_jury(id: RequestId, mut request: RequestOf<T>, mut dispute: DisputeOf<T>) {
		let reviewed = core::mem::take(&mut dispute.reviewed);
		let jury = core::mem::replace(&mut request.committee, reviewed);
		Self::end_jury(id, request, dispute, jury);
	}

	/// Records what the `jury` of disputed request `id` found ([`review`] against its
	/// consensus): below the last level the finding is provisional, and the side it went
	/// against may appeal it for `DisputeWindow` blocks; at the last level, or when the jury
	/// lapsed (nobody drawn, or no majority in it), the dispute ends by the last finding.
	fn end_jury(
		id: RequestId,
		request: RequestOf<T>,
		mut dispute: DisputeOf<T>,
		jury: BoundedVec<MemberOf<T>, JurySizeOf<T>>,
	) {
		let (review, verdict, grades) = Self::review_of(&request, &dispute, &jury);
		let finding = review.map_or(Finding::Lapsed, |review| review.finding);
		Self::deposit_event(Event::DisputeResolved {
			id,
			finding,
			scores: verdict.clone(),
			grades,
		});
		if finding == Finding::Lapsed {
			return Self::end_dispute(id, request, dispute, jury);
		}
		// At most `DisputeLevels` rulings: the last ends the dispute below.
		let _ = dispute.rulings.try_push(Ruling { finding, jury });
		if dispute.rulings.len() as u32 >= T::DisputeLevels::get() {
			return Self::end_dispute(id, request, dispute, BoundedVec::new());
		}
		let scores = Self::outcome_scores(&request, finding, verdict);
		Disputes::<T>::insert(id, dispute);
		let window = T::DisputeWindow::get();
		let dispute_by = Self::open_window(id, request, Phase::Provisional, window);
		Self::deposit_event(Event::RequestProvisional { id, scores, dispute_by });
	}

	/// What `jury` found on disputed `request` (its committee in place): the [`review`] of the
	/// committee against the jury's consensus, `None` when no consensus stood; the jury's
	/// consensus rerun of the committee's model; and with an appeal judge, its jurors' grades
	/// in consensus (none without one, or without a consensus).
	fn review_of(
		request: &RequestOf<T>,
		dispute: &DisputeOf<T>,
		jury: &[MemberOf<T>],
	) -> (Option<Review>, Vec<u16>, Vec<u16>) {
		let (verdict, jury_plan) = Self::plan_of(jury, request);
		let grades = match dispute.appeal_judge {
			Some(_) => Self::grades_of(jury, &jury_plan, request.responders.len()),
			None => Vec::new(),
		};
		if !jury_plan.finalized {
			return (None, verdict, grades);
		}
		let consensus = Self::consensus_of(&request.committee, request);
		let (params, fee) = (Self::settlement_params(), request.fee.unique_saturated_into());
		let node_penalty = T::NodePenalty::get().unique_saturated_into();
		let graded = if grades.is_empty() { &verdict } else { &grades };
		let reports = Self::reports(&request.committee);
		let review = review(fee, &consensus, &verdict, graded, &reports, &params, node_penalty);
		(Some(review), verdict, grades)
	}

	/// Ends the dispute of request `id`, whose committee is back in place, and settles the
	/// request by its last ruling ([`review`] against that jury's consensus), or as the
	/// committee said when no jury ruled. Every jury is judged against the last one standing
	/// and paid out of the losing side's stakes ([`Self::pay_juries`]); a `lapsed` jury, by
	/// its own reveals, and paid nothing.
	fn end_dispute(
		id: RequestId,
		request: RequestOf<T>,
		dispute: DisputeOf<T>,
		lapsed: BoundedVec<MemberOf<T>, JurySizeOf<T>>,
	) {
		Disputes::<T>::remove(id);
		let ruled =
			dispute.rulings.last().map(|ruling| Self::review_of(&request, &dispute, &ruling.jury));
		let (finding, plan, scores, truth) = match ruled {
			Some((Some(review), verdict, _)) => {
				let scores = Self::outcome_scores(&request, review.finding, verdict.clone());
				(review.finding, review.plan, scores, verdict)
			},
			_ => {
				let (consensus, plan) = Self::plan(&request);
				(Finding::Lapsed, plan, consensus, Vec::new())
			},
		};
		let (_, lapsed_plan) = Self::plan_of(&lapsed, &request);
		let fee = request.fee.unique_saturated_into();
		Self::close(id, request, scores, plan, |taken| {
			let lapsed = (lapsed.as_slice(), lapsed_plan);
			Some(Self::pay_juries(id, fee, dispute, finding, &truth, lapsed, taken))
		});
	}

	/// The scores disputed `request`'s outcome stands on once a jury found `finding`: the
	/// jury's `verdict` when it overturned the committee, the committee's consensus otherwise.
	fn outcome_scores(request: &RequestOf<T>, finding: Finding, verdict: Vec<u16>) -> Vec<u16> {
		match finding {
			Finding::Overturned => verdict,
			_ => Self::consensus_of(&request.committee, request),
		}
	}

	/// Settles the stakes and the juries of the `dispute` of request `id` (`fee`), which ended
	/// with `finding` by the last jury standing, whose consensus rerun is `truth`. Each
	/// appellant that a jury heard stakes its deposit on a finding (the first dispute, by any
	/// party, on `Overturned`, each appeal on the opposite of the ruling it appealed): the
	/// deposits staked against `finding` are lost, the rest come back. Every juror who ruled is
	/// judged against `truth` as a committee member is against its consensus; those in it
	/// share, by seat, the lost deposits and, when the committee was overturned, what the
	/// review took (`taken`); a `lapsed` jury is judged by the plan of its own reveals and paid
	/// nothing. The pot's rounding dust goes back to the losing appellants; the jurors' own
	/// penalties, and what the review took from an upheld committee, go to `OnSlash`. Returns
	/// how the dispute ended, with what each juror earned or lost, in the order they sat.
	fn pay_juries(
		id: RequestId,
		fee: u128,
		dispute: DisputeOf<T>,
		finding: Finding,
		truth: &[u16],
		lapsed: (&[MemberOf<T>], Plan),
		taken: CreditOf<T>,
	) -> DisputeOutcomeOf<T> {
		let mut pot = CreditOf::<T>::zero();
		match finding {
			Finding::Overturned => pot.subsume(taken),
			_ => T::OnSlash::on_unbalanced(taken),
		}
		let stakes = core::iter::once((&dispute.appellant, dispute.deposit, Finding::Overturned))
			.chain(
				dispute
					.appeals
					.iter()
					.zip(&dispute.rulings)
					.map(|((who, deposit), ruling)| (who, *deposit, ruling.finding.opposite())),
			);
		let mut lost = Vec::new();
		for (index, (who, deposit, staked_on)) in stakes.enumerate() {
			let reason = HoldReason::Dispute.into();
			match index < dispute.rulings.len() && staked_on != finding {
				true => {
					let (credit, _) = T::Currency::slash(&reason, who, deposit);
					lost.push((who, credit.peek()));
					pot.subsume(credit);
				},
				false => {
					let _ = T::Currency::release(&reason, who, deposit, Precision::BestEffort);
				},
			}
		}

		let params = Self::settlement_params();
		let mut bodies: Vec<(&[MemberOf<T>], Plan)> = dispute
			.rulings
			.iter()
			.map(|ruling| {
				(ruling.jury.as_slice(), impose(fee, truth, &Self::reports(&ruling.jury), &params))
			})
			.collect();
		let reports: Vec<MemberReport> =
			bodies.iter().flat_map(|(jury, _)| Self::reports(jury)).collect();
		let verdicts: Vec<Verdict> =
			bodies.iter().flat_map(|(_, plan)| plan.verdicts.iter().copied()).collect();
		let shares = by_seat(pot.peek().unique_saturated_into(), &reports, &verdicts);
		bodies.push(lapsed);

		let mut outcomes = Vec::new();
		let mut penalties = CreditOf::<T>::zero();
		for (jury, plan) in &bodies {
			let offset = outcomes.len();
			let judged = Self::judge_members(id, jury, plan, &mut penalties, |juror, index| {
				let share = shares.get(offset + index).copied().unwrap_or_default();
				let part = pot.extract(BalanceOf::<T>::unique_saturated_from(share));
				let paid = part.peek();
				match T::Currency::resolve(juror, part) {
					Ok(()) => paid,
					Err(part) => {
						pot.subsume(part);
						0u32.into()
					},
				}
			});
			jury.iter().for_each(|juror| Self::set_busy(&juror.who, false));
			outcomes.extend(judged);
		}
		for (who, amount) in lost {
			let dust = pot.extract(amount);
			if let Err(dust) = T::Currency::resolve(who, dust) {
				pot.subsume(dust);
			}
		}
		penalties.subsume(pot);
		T::OnSlash::on_unbalanced(penalties);
		// One entry per juror of at most `DisputeLevels` juries, each at most half the next.
		let jury = BoundedVec::truncate_from(outcomes);
		DisputeOutcome { appellant: dispute.appellant, deposit: dispute.deposit, finding, jury }
	}

	/// The consensus of `request`'s committee and the payout plan it gives.
	fn plan(request: &RequestOf<T>) -> (Vec<u16>, Plan) {
		Self::plan_of(&request.committee, request)
	}

	/// The consensus of `members` (a committee or a jury) on `request`'s responses and the
	/// payout plan it gives.
	fn plan_of(members: &[MemberOf<T>], request: &RequestOf<T>) -> (Vec<u16>, Plan) {
		let consensus = Self::consensus_of(members, request);
		let fee = request.fee.unique_saturated_into();
		let plan = settle(fee, &consensus, &Self::reports(members), &Self::settlement_params());
		(consensus, plan)
	}

	/// The consensus of `members`' reveals on `request`'s responses, one vote per seat.
	fn consensus_of(members: &[MemberOf<T>], request: &RequestOf<T>) -> Vec<u16> {
		let reveals: Vec<(&[u16], u128)> = members
			.iter()
			.filter_map(|m| m.reveal.as_ref().map(|r| (r.as_slice(), u128::from(m.seats))))
			.collect();
		consensus_scores(&reveals, request.responders.len())
	}

	/// The appeal judge's grade of each of `responses` answers by the jurors `plan` found in
	/// the jury's consensus, one vote per seat: the second half of their reveals. A juror whose
	/// rerun is off the jury's consensus (or absent) has no say; the grades themselves are not
	/// judged (an LLM served on separate machines need not give the same bits), and the median
	/// keeps a minority of seats from moving them. Empty when no consensus stood.
	fn grades_of(jury: &[MemberOf<T>], plan: &Plan, responses: usize) -> Vec<u16> {
		let votes: Vec<(&[u16], u128)> = jury
			.iter()
			.zip(&plan.verdicts)
			.filter(|(_, verdict)| **verdict == Verdict::InConsensus)
			.filter_map(|(juror, _)| juror.reveal.as_ref().map(|r| (r.as_slice(), juror.seats)))
			.filter(|(reveal, _)| reveal.len() == 2 * responses)
			.map(|(reveal, seats)| (&reveal[responses..], u128::from(seats)))
			.collect();
		consensus_scores(&votes, responses)
	}

	/// What each of `members` did, for [`settle`].
	fn reports(members: &[MemberOf<T>]) -> Vec<MemberReport<'_>> {
		members
			.iter()
			.map(|member| MemberReport {
				committed: member.commitment.is_some(),
				reveal: member.reveal.as_ref().map(|scores| scores.as_slice()),
				bond: Participants::<T>::get(&member.who)
					.map_or(0, |participant| participant.bond.unique_saturated_into()),
				seats: member.seats,
			})
			.collect()
	}

	/// Ends the failed committee of request `id` as [`Self::finish`] would (its penalties and
	/// strikes; nobody is paid, as no consensus stood) and puts the request back to draw
	/// another, which passes over the members who never committed or never revealed (unless
	/// nobody committed: then the committee failed as a whole, and nobody is to blame).
	fn redraw(id: RequestId, mut request: RequestOf<T>, plan: &Plan, mut redraw: RedrawOf<T>) {
		let mut taken = CreditOf::<T>::zero();
		Self::judge_members(id, &request.committee, plan, &mut taken, |_, _| 0u32.into());
		T::OnSlash::on_unbalanced(taken);
		for index in passed_over(plan) {
			// At most `CommitteeSize` a failed committee, `MaxRedraws` committees.
			let _ = redraw.excluded.try_push(request.committee[index].who.clone());
		}
		request.committee.iter().for_each(|member| Self::set_busy(&member.who, false));
		redraw.count = redraw.count.saturating_add(1);
		let redraws_left = T::MaxRedraws::get().saturating_sub(redraw.count);
		Redraws::<T>::insert(id, redraw);
		request.committee = BoundedVec::new();
		request.model = None;
		Self::deposit_event(Event::CommitteeFailed { id, redraws_left });
		Self::await_draw(id, request, Phase::DrawingCommittee, Self::now());
	}

	/// Moves the funds of `plan`, the penalties into `taken`, and returns the outcome record.
	fn apply_plan(
		id: RequestId,
		request: &RequestOf<T>,
		consensus: &[u16],
		plan: &Plan,
		now: BlockNumberFor<T>,
		taken: &mut CreditOf<T>,
	) -> OutcomeOf<T> {
		let from_units = BalanceOf::<T>::unique_saturated_from;
		let mut responses = Vec::with_capacity(request.responders.len());
		for (index, node) in request.responders.iter().enumerate() {
			let amount = plan.node_payouts.get(index).copied().unwrap_or_default();
			let paid =
				Self::transfer_held(HoldReason::Escrow, &request.client, node, from_units(amount));
			if paid > 0u32.into() {
				Self::deposit_event(Event::NodePaid { id, node: node.clone(), amount: paid });
			}
			// Junk a dispute's jury found: what the committee would have paid it, and more.
			let penalty = plan.node_penalties.get(index).copied().unwrap_or_default();
			let slashed = Self::slash_node(id, node, from_units(penalty), taken);
			responses.push(NodeOutcome {
				node: node.clone(),
				score: consensus.get(index).copied(),
				paid,
				slashed,
			});
		}
		// Committed and never revealed: maybe it wanted to see the others' answers first.
		let unrevealed = request
			.nodes
			.iter()
			.filter(|seat| seat.commitment.is_some() && !request.responders.contains(&seat.who));
		for seat in unrevealed {
			let slashed = Self::slash_node(id, &seat.who, T::NodePenalty::get(), taken);
			responses.push(NodeOutcome {
				node: seat.who.clone(),
				score: None,
				paid: 0u32.into(),
				slashed,
			});
		}

		let committee = Self::judge_members(id, &request.committee, plan, taken, |to, index| {
			let amount = from_units(plan.validator_payouts[index]);
			Self::transfer_held(HoldReason::Escrow, &request.client, to, amount)
		});
		let refund = T::Currency::release(
			&HoldReason::Escrow.into(),
			&request.client,
			from_units(plan.refund),
			Precision::Exact,
		)
		.unwrap_or_else(|_| {
			defensive!("the refund is what is left of the escrow");
			0u32.into()
		});

		Outcome {
			client: request.client.clone(),
			fee: request.fee,
			phase: if consensus.is_empty() { Phase::Expired } else { Phase::Finalized },
			finished_at: now,
			// Both have one entry per response or member, within the request's own bounds.
			responses: BoundedVec::truncate_from(responses),
			committee: BoundedVec::truncate_from(committee),
			refund,
			dispute: None,
		}
	}

	/// Takes up to `amount` of inference node `node`'s bond into `taken`; returns what it took.
	fn slash_node(
		id: RequestId,
		node: &T::AccountId,
		amount: BalanceOf<T>,
		taken: &mut CreditOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		let credit = Self::take_bond(node, amount);
		let slashed = credit.peek();
		taken.subsume(credit);
		if slashed > 0u32.into() {
			Self::deposit_event(Event::NodeSlashed { id, node: node.clone(), amount: slashed });
		}
		slashed
	}

	/// Pays `members` (a committee or a jury) of request `id` by `pay` (given each member and
	/// its index), takes the penalties of `plan` from their bonds into `taken` and counts their
	/// strikes; returns what each earned or lost, in order.
	fn judge_members(
		id: RequestId,
		members: &[MemberOf<T>],
		plan: &Plan,
		taken: &mut CreditOf<T>,
		mut pay: impl FnMut(&T::AccountId, usize) -> BalanceOf<T>,
	) -> Vec<ValidatorOutcome<T::AccountId, BalanceOf<T>>> {
		let mut outcomes = Vec::with_capacity(members.len());
		for (index, member) in members.iter().enumerate() {
			let validator = member.who.clone();
			let paid = pay(&validator, index);
			if paid > 0u32.into() {
				Self::deposit_event(Event::ValidatorPaid {
					id,
					validator: validator.clone(),
					amount: paid,
				});
			}
			let penalty = BalanceOf::<T>::unique_saturated_from(plan.penalties[index]);
			let credit = Self::take_bond(&validator, penalty);
			let slashed = credit.peek();
			taken.subsume(credit);
			if plan.attendance_counts {
				Self::record_attendance(&validator, member.commitment.is_some());
			}
			if slashed > 0u32.into() {
				Self::deposit_event(Event::ValidatorSlashed {
					id,
					validator: validator.clone(),
					amount: slashed,
				});
			}
			outcomes.push(ValidatorOutcome {
				validator,
				verdict: plan.verdicts[index],
				paid,
				slashed,
			});
		}
		outcomes
	}

	/// Pays `amount` of what `from` holds for `reason` (a request's escrow, a dispute's
	/// deposit) to `to`; returns what was paid.
	fn transfer_held(
		reason: HoldReason,
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		T::Currency::transfer_on_hold(
			&reason.into(),
			from,
			to,
			amount,
			Precision::Exact,
			Restriction::Free,
			// The funds were spendable when they were held and exist to be paid out; a freeze
			// added since does not keep them.
			Fortitude::Force,
		)
		.unwrap_or_else(|_| {
			defensive!("a plan never pays more than is held");
			0u32.into()
		})
	}

	/// What a draw of request `id` from `role`'s pool starts from: the seed, from randomness
	/// known since block `fresh_from` or later, the pool, and each account's weight, its stake,
	/// or zero for those `excluded`. While the randomness is older, books the draw of request
	/// `id` for the next block and returns `None`.
	fn draw_from(
		role: Role,
		tag: &[u8],
		id: RequestId,
		fresh_from: BlockNumberFor<T>,
		excluded: &[T::AccountId],
	) -> Option<([u8; 32], PoolOf<T>, Vec<u128>)> {
		let (random, known_since) = T::Randomness::random(&(tag, id).encode());
		if known_since < fresh_from {
			Self::schedule(id, Self::now().saturating_add(1u32.into()));
			return None;
		}
		let pool = Pools::<T>::get(role);
		let weights: Vec<u128> = pool
			.iter()
			.map(|(who, bond)| match excluded.contains(who) {
				true => 0,
				false => (*bond).unique_saturated_into(),
			})
			.collect();
		Some((seed_for(random.as_ref(), tag, id), pool, weights))
	}

	fn settlement_params() -> Params {
		Params {
			validator_share: T::ValidatorShare::get(),
			min_quality: T::MinQuality::get(),
			tolerance: T::Tolerance::get(),
			penalty: T::Penalty::get().unique_saturated_into(),
			penalty_share: T::PenaltyShare::get(),
			absence_penalty: T::AbsencePenalty::get().unique_saturated_into(),
			unvouched_share: T::UnvouchedShare::get(),
		}
	}

	pub(crate) fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}
}
