//! The measurements: rewards per strategy, consensus under a growing colluding group, the
//! lazy-constant validator's chances, and an honest validator's under a change of the quality
//! model.

use crate::{
	aggregate::Aggregator,
	config::Config,
	quality::{GoodAnswers, QualityModel},
	stats::Summary,
	strategy::{clamp_score, collusion_lie, Machine, NodeStrategy, ValidatorStrategy},
	world::{Node, Validator, World},
};
use pallet_poq::{
	consensus::{consensus_scores, in_consensus},
	jury_seats,
	selection::{allot_seats, seed_for},
	settlement::{
		by_seat, lie_penalty, review, settle, Finding, MemberReport, Params, Plan, Verdict,
	},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Earnings of one strategy over a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RewardRow {
	/// `node` or `validator`.
	pub role: &'static str,
	/// The strategy's name.
	pub strategy: &'static str,
	/// Net reward (paid minus slashed) per round of each participant, summarised across them.
	pub per_round: Summary,
	/// The strategy's total net reward per seat it held.
	pub per_seat: f64,
	/// Share of seats that paid: answers at or above `MinQuality`, reveals in consensus.
	pub success: f64,
	/// Mean bond at the end, as a fraction of the mean bond at the start.
	pub bond_kept: f64,
}

/// Plays `config.rounds` requests with `config.malicious` of the validator stake split over the
/// dishonest strategies; one row per node strategy, then per validator strategy.
pub fn rewards(config: &Config, qualities: &QualityModel) -> Vec<RewardRow> {
	let mut world = World::new(config, qualities.clone(), &config.dishonest_mix());
	let start: Vec<u128> = world.validators.iter().map(|v| v.bond).collect();
	for _ in 0..config.rounds {
		world.play();
	}
	let rounds = world.rounds().max(1) as f64;
	let mut rows = Vec::new();
	for strategy in NodeStrategy::ALL {
		let group: Vec<_> = world.nodes.iter().filter(|n| n.strategy == strategy).collect();
		// A strategy nobody plays (`copying` by default) has no row.
		if group.is_empty() {
			continue;
		}
		let net = |n: &Node| n.paid as f64 - n.slashed as f64;
		let per_round: Vec<f64> = group.iter().map(|n| net(n) / rounds).collect();
		let seats: u64 = group.iter().map(|n| n.seats).sum();
		let total: f64 = group.iter().map(|n| net(n)).sum();
		let paid_seats: u64 = group.iter().map(|n| n.paid_seats).sum();
		rows.push(RewardRow {
			role: "node",
			strategy: strategy.name(),
			per_round: Summary::of(&per_round),
			per_seat: ratio(total, seats),
			success: ratio(paid_seats as f64, seats),
			bond_kept: 1.0,
		});
	}
	for strategy in ValidatorStrategy::ALL {
		let members: Vec<usize> = (0..world.validators.len())
			.filter(|&i| world.validators[i].strategy == strategy)
			.collect();
		// A strategy nobody plays (`absent` by default) has no row.
		if members.is_empty() {
			continue;
		}
		let group = || members.iter().map(|&i| &world.validators[i]);
		let per_round: Vec<f64> = group().map(|v| v.net() / rounds).collect();
		let seats: u64 = group().map(|v| v.seats).sum();
		let paid_seats: u64 = group().map(|v| v.paid_seats).sum();
		let bond_now: u128 = group().map(|v| v.bond).sum();
		let bond_then: u128 = members.iter().map(|&i| start[i]).sum();
		rows.push(RewardRow {
			role: "validator",
			strategy: strategy.name(),
			per_round: Summary::of(&per_round),
			per_seat: net_per_seat(group()),
			success: ratio(paid_seats as f64, seats),
			bond_kept: bond_now as f64 / bond_then.max(1) as f64,
		});
	}
	rows
}

/// How consensus fares with a colluding group of one size.
#[derive(Clone, Debug, PartialEq)]
pub struct AttackRow {
	/// Colluders' target share of validator stake.
	pub fraction: f64,
	/// Their actual share (whole accounts).
	pub realised: f64,
	/// Mean absolute error of consensus against true quality, per rule in [`Aggregator::ALL`]
	/// order, in score units.
	pub error: [f64; 3],
	/// Share of responses whose consensus is further than `Tolerance` from the truth, per rule.
	pub off: [f64; 3],
	/// Share of responses whose consensus (the pallet's median) sits nearer the colluders' lie
	/// than the truth. With every stake equal and an odd committee, the mean and the trimmed
	/// mean follow on exactly the same responses: those where colluders hold most of the stake.
	pub follows: f64,
	/// Net reward per seat of honest validators under the pallet's rules.
	pub honest_per_seat: f64,
	/// Net reward per seat of colluding validators.
	pub colluder_per_seat: f64,
	/// The colluders' share of stake after the same rounds with penalties taken from bonds.
	pub share_after: f64,
}

/// The colluding shares swept by [`attack`]: 0 to 60 % in steps of 5.
pub fn attack_fractions() -> Vec<f64> {
	(0..=12).map(|step| f64::from(step) * 0.05).collect()
}

/// For each colluding share, plays `config.rounds` requests twice: with fixed bonds, measuring
/// every rule on the same reveals, and with penalties taken from bonds, to see whether the
/// colluders' share shrinks or grows. Every other validator is honest.
pub fn attack(config: &Config, qualities: &QualityModel, fractions: &[f64]) -> Vec<AttackRow> {
	fractions.iter().map(|&fraction| attack_row(config, qualities, fraction)).collect()
}

/// One row of [`attack`].
fn attack_row(config: &Config, qualities: &QualityModel, fraction: f64) -> AttackRow {
	let mut world =
		World::new(config, qualities.clone(), &[(ValidatorStrategy::Colluding, fraction)]);
	let realised = world.stake_share(ValidatorStrategy::Colluding);
	let mut dynamic = world.clone();
	world.slash_bonds = false;

	let (mut error, mut off, mut follows, mut responses) = ([0.0; 3], [0.0; 3], 0.0, 0usize);
	for _ in 0..config.rounds {
		let round = world.play();
		let revealed = round.revealed();
		for (k, rule) in Aggregator::ALL.into_iter().enumerate() {
			let consensus = rule.consensus(&revealed, round.responses.len());
			for (c, response) in consensus.iter().zip(&round.responses) {
				let miss = c.abs_diff(response.quality);
				error[k] += f64::from(miss);
				off[k] += f64::from(u8::from(miss > config.tolerance));
				if rule == Aggregator::Median {
					follows += f64::from(u8::from(c.abs_diff(collusion_lie(*response)) < miss));
				}
			}
		}
		responses += round.responses.len();
	}
	for _ in 0..config.rounds {
		dynamic.play();
	}

	let per_seat = |strategy: ValidatorStrategy| {
		net_per_seat(world.validators.iter().filter(|v| v.strategy == strategy))
	};
	let n = responses.max(1) as f64;
	AttackRow {
		fraction,
		realised,
		error: error.map(|e| e / n),
		off: off.map(|o| o / n),
		follows: follows / n,
		honest_per_seat: per_seat(ValidatorStrategy::Honest),
		colluder_per_seat: per_seat(ValidatorStrategy::Colluding),
		share_after: dynamic.stake_share(ValidatorStrategy::Colluding),
	}
}

/// The smallest swept share at which consensus (the pallet's median) follows the colluders on
/// most responses.
pub fn breaking_fraction(rows: &[AttackRow]) -> Option<f64> {
	rows.iter().find(|row| row.follows > 0.5).map(|row| row.fraction)
}

/// How often a lazy validator revealing one constant would be judged in consensus.
#[derive(Clone, Debug, PartialEq)]
pub struct LazyConstantRow {
	/// The constant revealed for every response.
	pub constant: u16,
	/// Share of requests in which it is within tolerance, with the run's qualities and node mix.
	pub mixed_rate: f64,
	/// The same with every node honest.
	pub honest_rate: f64,
	/// The same with every node honest and clustered answers ([`GoodAnswers::Clustered`]).
	pub clustered_rate: f64,
}

/// Plays `config.rounds` requests with an honest committee and checks, for constants 0 to
/// 10 000 in steps of 500, whether a member revealing that constant would be in consensus (the
/// constant does not vote, so it does not move consensus): with the run's node mix, with every
/// node honest, and with every node honest and clustered answers.
pub fn lazy_constant(config: &Config, qualities: &QualityModel) -> Vec<LazyConstantRow> {
	let constants: Vec<u16> = (0..=20).map(|step| step * 500).collect();
	let rates = |config: &Config, qualities: &QualityModel| -> Vec<f64> {
		let mut world = World::new(config, qualities.clone(), &[]);
		let mut hits = vec![0u64; constants.len()];
		for _ in 0..config.rounds {
			let round = world.play();
			for (hit, constant) in hits.iter_mut().zip(&constants) {
				let reveal = vec![*constant; round.consensus.len()];
				*hit += u64::from(in_consensus(&reveal, &round.consensus, config.tolerance));
			}
		}
		hits.into_iter().map(|h| ratio(h as f64, world.rounds())).collect()
	};
	let honest_config = Config { lazy_nodes: 0.0, mixed_nodes: 0.0, ..config.clone() };
	let clustered = QualityModel { good: GoodAnswers::Clustered.quality(), ..qualities.clone() };
	let mixed = rates(config, qualities);
	let honest = rates(&honest_config, qualities);
	let clustered = rates(&honest_config, &clustered);
	(0..constants.len())
		.map(|i| LazyConstantRow {
			constant: constants[i],
			mixed_rate: mixed[i],
			honest_rate: honest[i],
			clustered_rate: clustered[i],
		})
		.collect()
}

/// An honest member's chance of consensus when it scores with another model than its committee.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSwitchRow {
	/// How far the other model's scores are from the committee's: each response's exact score
	/// differs by a uniform draw in `-disagreement..=disagreement`.
	pub disagreement: u16,
	/// In-consensus rate of a member scoring with the other model: an honest validator that
	/// switched at a model change, on a request its committee scores with the old model (what a
	/// chain whose model changes under live requests does to it).
	pub other_model_rate: f64,
	/// In-consensus rate of a member scoring with the committee's model (what every honest
	/// member does when each request keeps the model its committee was drawn under).
	pub own_model_rate: f64,
}

/// Plays `config.rounds` requests with an honest committee and checks, for each of
/// `disagreements`, whether one more honest member would be in consensus scoring with another
/// model, and scoring with the committee's (it does not vote, so it does not move consensus).
pub fn model_switch(
	config: &Config,
	qualities: &QualityModel,
	disagreements: &[u16],
) -> Vec<ModelSwitchRow> {
	let mut world = World::new(config, qualities.clone(), &[]);
	let mut rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(1));
	let machine = Machine::draw(config.noise, &mut rng);
	let (mut other, mut own) = (vec![0u64; disagreements.len()], 0u64);
	for _ in 0..config.rounds {
		let round = world.play();
		// The machine's score of an answer whose exact score is `quality` moved by `shift`.
		let score = |shift: i32, quality: u16, rng: &mut ChaCha8Rng| {
			machine.score(clamp_score(i32::from(quality) + shift), rng)
		};
		let mine: Vec<u16> =
			round.responses.iter().map(|r| score(0, r.quality, &mut rng)).collect();
		own += u64::from(in_consensus(&mine, &round.consensus, config.tolerance));
		for (hits, &d) in other.iter_mut().zip(disagreements) {
			let d = i32::from(d);
			let theirs: Vec<u16> = round
				.responses
				.iter()
				.map(|r| {
					let shift = rng.random_range(-d..=d);
					score(shift, r.quality, &mut rng)
				})
				.collect();
			*hits += u64::from(in_consensus(&theirs, &round.consensus, config.tolerance));
		}
	}
	let rounds = world.rounds();
	disagreements
		.iter()
		.zip(other)
		.map(|(&disagreement, hits)| ModelSwitchRow {
			disagreement,
			other_model_rate: ratio(hits as f64, rounds),
			own_model_rate: ratio(own as f64, rounds),
		})
		.collect()
}

/// What a coalition gains by shading its scores instead of lying outright.
#[derive(Clone, Debug, PartialEq)]
pub struct ShadingRow {
	/// The shading coalition's target share of validator stake.
	pub share: f64,
	/// Honest machines' largest offset ([`Config::noise`]): 0 for exact scores.
	pub noise: u16,
	/// `Tolerance`.
	pub tolerance: u16,
	/// How far the coalition moves each score towards its cartel.
	pub shade: u16,
	/// Share of the shaders' seats judged in consensus (paid).
	pub shader_paid: f64,
	/// Share of the honest validators' seats judged in consensus.
	pub honest_paid: f64,
	/// Mean consensus minus exact score on the cartel's answers, in score units: what the
	/// shading bought.
	pub lift: f64,
	/// Net reward per seat of the honest validators.
	pub honest_per_seat: f64,
	/// Net reward per seat of the shaders.
	pub shader_per_seat: f64,
}

/// For each coalition share, honest noise, `Tolerance` and shade, plays `config.rounds`
/// requests with fixed bonds, the coalition [`ValidatorStrategy::Shading`] and every other
/// validator honest.
pub fn shading(
	config: &Config,
	qualities: &QualityModel,
	shares: &[f64],
	noises: &[u16],
	tolerances: &[u16],
	shades: &[u16],
) -> Vec<ShadingRow> {
	let mut rows = Vec::new();
	for &share in shares {
		for &noise in noises {
			for &tolerance in tolerances {
				for &shade in shades {
					let config = Config { noise, tolerance, shade: Some(shade), ..config.clone() };
					rows.push(shading_row(&config, qualities, share));
				}
			}
		}
	}
	rows
}

/// One row of [`shading`].
fn shading_row(config: &Config, qualities: &QualityModel, share: f64) -> ShadingRow {
	let mut world = World::new(config, qualities.clone(), &[(ValidatorStrategy::Shading, share)]);
	world.slash_bonds = false;
	let (mut lift, mut cartel) = (0.0, 0u64);
	for _ in 0..config.rounds {
		let round = world.play();
		for (c, response) in round.consensus.iter().zip(&round.responses) {
			if response.cartel {
				lift += f64::from(*c) - f64::from(response.quality);
				cartel += 1;
			}
		}
	}
	let group = |strategy: ValidatorStrategy| {
		world.validators.iter().filter(move |v| v.strategy == strategy)
	};
	let paid = |strategy: ValidatorStrategy| {
		let (paid, seats) =
			group(strategy).fold((0, 0), |(p, s), v| (p + v.paid_seats, s + v.seats));
		ratio(paid as f64, seats)
	};
	ShadingRow {
		share,
		noise: config.noise,
		tolerance: config.tolerance,
		shade: config.knobs().shade,
		shader_paid: paid(ValidatorStrategy::Shading),
		honest_paid: paid(ValidatorStrategy::Honest),
		lift: ratio(lift, cartel),
		honest_per_seat: net_per_seat(group(ValidatorStrategy::Honest)),
		shader_per_seat: net_per_seat(group(ValidatorStrategy::Shading)),
	}
}

/// What one entity earns from its validator stake held in one account or split over several.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitRow {
	/// The entity's share of the validator stake.
	pub share: f64,
	/// Accounts it splits that stake over, with equal bonds.
	pub pieces: usize,
	/// Committee seats its accounts held per request.
	pub seats_per_round: f64,
	/// What its accounts were paid per request.
	pub paid_per_round: f64,
	/// `paid_per_round` over the same stake's in one account.
	pub vs_whole: f64,
}

/// Stake splitting: with every validator honest, one entity holds each of `shares` of the
/// validator stake as 1 and as each of `pieces` accounts of equal bonds, beside the same other
/// validators, for `config.rounds` requests. Seats follow stake and every seat is paid the
/// same, so the stake earns the same however it is held.
pub fn split(
	config: &Config,
	qualities: &QualityModel,
	shares: &[f64],
	pieces: &[usize],
) -> Vec<SplitRow> {
	let mut rows = Vec::new();
	for &share in shares {
		let mut whole = 0.0;
		for &k in pieces {
			let mut world = World::new(config, qualities.clone(), &[]);
			// The entity replaces validator 0: `k` accounts sharing `share` of the total stake.
			let others: u128 = world.validators[1..].iter().map(|v| v.bond).sum();
			let stake = (others as f64 * share / (1.0 - share)) as u128;
			let account = Validator { bond: stake / k as u128, ..world.validators[0].clone() };
			world.validators.splice(0..1, std::iter::repeat_n(account, k));
			for _ in 0..config.rounds {
				world.play();
			}
			let entity = || world.validators[..k].iter();
			let rounds = world.rounds().max(1) as f64;
			let seats: u64 = entity().map(|v| v.seats).sum();
			let paid: u128 = entity().map(|v| v.paid).sum();
			let paid_per_round = paid as f64 / rounds;
			if k == 1 {
				whole = paid_per_round;
			}
			rows.push(SplitRow {
				share,
				pieces: k,
				seats_per_round: seats as f64 / rounds,
				paid_per_round,
				vs_whole: if whole > 0.0 { paid_per_round / whole } else { 0.0 },
			});
		}
	}
	rows
}

/// The validators' total net reward per seat they held.
fn net_per_seat<'a>(validators: impl Iterator<Item = &'a Validator>) -> f64 {
	let (net, seats) =
		validators.fold((0.0, 0), |(net, seats), v| (net + v.net(), seats + v.seats));
	ratio(net, seats)
}

/// `value / count`, zero for no count.
fn ratio(value: f64, count: u64) -> f64 {
	match count {
		0 => 0.0,
		count => value / count as f64,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn breaking_point_is_the_first_majority_follow() {
		let row = |fraction, follows| AttackRow {
			fraction,
			realised: fraction,
			error: [0.0; 3],
			off: [0.0; 3],
			follows,
			honest_per_seat: 0.0,
			colluder_per_seat: 0.0,
			share_after: fraction,
		};
		assert_eq!(breaking_fraction(&[row(0.4, 0.3), row(0.5, 0.6), row(0.6, 0.9)]), Some(0.5));
		assert_eq!(breaking_fraction(&[row(0.4, 0.3)]), None);
	}

	#[test]
	fn fractions_cover_zero_to_sixty_percent() {
		let fractions = attack_fractions();
		assert_eq!(fractions.len(), 13);
		assert_eq!(fractions[0], 0.0);
		assert!((fractions[12] - 0.6).abs() < 1e-12);
	}
}

/// How often a coalition captures a committee, with one draw and with its best of several.
#[derive(Clone, Debug, PartialEq)]
pub struct GrindRow {
	/// The coalition's share of the validator stake.
	pub share: f64,
	/// Share of committees in which it holds a strict majority of the seats: what it gets since
	/// protocol v2, where the committee comes from randomness first known after the answers
	/// are in.
	pub one_draw: f64,
	/// Share of requests on which at least one of `tries` draws gives it that majority: what a
	/// last responder that picks its block got under protocol v1.
	pub best_of: f64,
	/// Draws the grinder could choose from (`ResponseWindow`).
	pub tries: usize,
}

/// The grinding last responder: with every validator honest but a coalition holding each of
/// `shares` of the stake, the committee is drawn `config.rounds` times from fresh randomness; a
/// grinder that could choose among `tries` draws per request (protocol v1: the last answer drew
/// the committee from relay randomness already public, in any block of the response window)
/// captures a request when any of them gives the coalition a strict majority of the seats.
pub fn grind(config: &Config, shares: &[f64], tries: usize) -> Vec<GrindRow> {
	let world = World::new(config, QualityModel::default(), &[]);
	let weights: Vec<u128> = world.validators.iter().map(|v| v.bond).collect();
	let total: u128 = weights.iter().sum();
	shares
		.iter()
		.map(|&share| {
			// The coalition: the first validators up to `share` of the stake, each an ordinary
			// account (one account holding it all would hold its share of the seats rounded
			// down or up, and capture nothing below half).
			let mut held = 0;
			let members = weights
				.iter()
				.take_while(|&&w| {
					held += w;
					(held as f64) <= share * total as f64
				})
				.count();
			let captured = |request: u64, attempt: u64| {
				let random = [config.seed, request, attempt].map(u64::to_le_bytes).concat();
				let seed = seed_for(&random, b"grind", request);
				holds_majority(&allot_seats(seed, &weights, config.committee as u32), members)
			};
			let rounds = config.rounds;
			let one = (0..rounds).filter(|&r| captured(r, 0)).count();
			let best = (0..rounds).filter(|&r| (0..tries as u64).any(|a| captured(r, a))).count();
			GrindRow {
				share,
				one_draw: one as f64 / rounds as f64,
				best_of: best as f64 / rounds as f64,
				tries,
			}
		})
		.collect()
}

/// What holding a share of the live-request slots for an hour costs in slot fees.
#[derive(Clone, Debug, PartialEq)]
pub struct SlotRow {
	/// The share of `MaxLiveRequests` held.
	pub share: f64,
	/// Slots held.
	pub held: u32,
	/// Times an hour the client takes them again: a request nobody answers gives its slot back
	/// after `lifetime` blocks.
	pub rounds: u32,
	/// Slot fees an hour when all are taken again at once, on an otherwise empty chain: the
	/// k-th at `k` live.
	pub burst: u128,
	/// Slot fees an hour when each is taken again as it ends, the others still held: every one
	/// at `held - 1` live.
	pub steady: u128,
}

/// The runtime's slot prices and how long a request nobody answers holds its slot.
#[derive(Clone, Copy, Debug)]
pub struct SlotPrices {
	/// `SlotFee`: a slot's price on an empty chain.
	pub base: u128,
	/// `MaxLiveRequests`.
	pub max: u32,
	/// Blocks a request nobody answers lives: its nodes are drawn two blocks after it is
	/// submitted, and it ends when `ResponseWindow` closes.
	pub lifetime: u32,
	/// Seconds a block.
	pub block_secs: u32,
}

/// The runtime's `UNIT`.
pub const UNIT: u128 = 1_000_000_000_000;

/// The runtime's (`runtime/src/configs.rs`): 5 mUNIT, 2 048 slots, `ResponseWindow` 10, 6-second
/// blocks.
pub const RUNTIME_SLOTS: SlotPrices =
	SlotPrices { base: 5 * UNIT / 1_000, max: 2_048, lifetime: 2 + 10, block_secs: 6 };

/// The cost of locking clients out ([`pallet_poq::pricing::slot_fee`]): a client holding each of
/// `shares` of the slots for an hour at `prices`.
pub fn slots(prices: &SlotPrices, shares: &[f64]) -> Vec<SlotRow> {
	use pallet_poq::pricing::slot_fee;
	let SlotPrices { base, max, lifetime, block_secs } = *prices;
	let rounds = 3_600 / (lifetime * block_secs);
	shares
		.iter()
		.map(|&share| {
			let held = (share * max as f64).round() as u32;
			let burst: u128 = (0..held).map(|live| slot_fee(base, live, max)).sum();
			let steady = u128::from(held) * slot_fee(base, held.saturating_sub(1), max);
			SlotRow {
				share,
				held,
				rounds,
				burst: burst * u128::from(rounds),
				steady: steady * u128::from(rounds),
			}
		})
		.collect()
}

/// Whether the accounts below `coalition` hold a strict majority of the seats of `seated`.
fn holds_majority(seated: &[(usize, u32)], coalition: usize) -> bool {
	let total: u32 = seated.iter().map(|(_, seats)| seats).sum();
	let ours: u32 = seated.iter().filter(|(i, _)| *i < coalition).map(|(_, seats)| seats).sum();
	2 * ours > total
}

/// How often a coalition holds a strict majority of a committee's seats.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptureRow {
	/// Seats of the committee.
	pub seats: u32,
	/// The coalition's share of the validator stake.
	pub share: f64,
	/// Share of committees it captures holding its stake in one account.
	pub whole: f64,
	/// Share it captures with its stake split over accounts as large as an honest validator's:
	/// each then falls on a seat nearly independently of the others, the coalition's best.
	pub split: f64,
	/// The binomial tail: the share a coalition captures if every seat is an independent draw
	/// by stake, what `split` tends to as accounts get small.
	pub binomial: f64,
}

/// The capture curve of the pallet's seat draw ([`allot_seats`]): for each committee of
/// `sizes` seats and each coalition of `shares` of the stake, beside `config.validators` honest
/// validators of equal bonds, the share of `config.rounds` committees in which the coalition
/// holds a strict majority of the seats, its stake in one account and split.
pub fn capture(config: &Config, sizes: &[u32], shares: &[f64]) -> Vec<CaptureRow> {
	let honest = vec![config.bond; config.validators];
	let mut rows = Vec::new();
	for &seats in sizes {
		for &share in shares {
			let stake = config.bond as f64 * config.validators as f64 * share / (1.0 - share);
			let accounts = (stake / config.bond as f64).round().max(1.0) as usize;
			let captured = |coalition: &[u128]| {
				let weights = [coalition, &honest].concat();
				let captures = (0..config.rounds)
					.filter(|&round| {
						let random = [config.seed, round].map(u64::to_le_bytes).concat();
						let seed = seed_for(&random, b"capture", round);
						holds_majority(&allot_seats(seed, &weights, seats), coalition.len())
					})
					.count();
				captures as f64 / config.rounds.max(1) as f64
			};
			rows.push(CaptureRow {
				seats,
				share,
				whole: captured(&[stake as u128]),
				split: captured(&vec![(stake / accounts as f64) as u128; accounts]),
				binomial: binomial_majority(seats, share),
			});
		}
	}
	rows
}

/// The probability that more than half of `seats` independent draws land on a share `p`.
pub fn binomial_majority(seats: u32, p: f64) -> f64 {
	let n = f64::from(seats);
	let mut total = 0.0;
	for k in seats / 2 + 1..=seats {
		let k = f64::from(k);
		// ln C(n, k) by the log-gamma-free product, exact enough for n in the hundreds.
		let ln_choose: f64 =
			(1..=k as u32).map(|i| ((n - k + f64::from(i)) / f64::from(i)).ln()).sum();
		total += (ln_choose + k * p.ln() + (n - k) * (1.0 - p).ln()).exp();
	}
	total
}

#[cfg(test)]
mod capture_tests {
	use super::*;

	#[test]
	fn the_binomial_tail_matches_the_issue() {
		// A third of the stake: 21 % of committees of 5, 1.35 % of 41; a fifth: 5.8 % of 5.
		assert!((binomial_majority(5, 1.0 / 3.0) - 0.2099).abs() < 1e-4);
		assert!((binomial_majority(41, 1.0 / 3.0) - 0.0135).abs() < 1e-4);
		assert!((binomial_majority(5, 0.2) - 0.0579).abs() < 1e-4);
		assert!((binomial_majority(15, 0.2) - 0.0042).abs() < 1e-4);
	}

	#[test]
	fn a_stake_held_whole_captures_nothing_below_half_and_split_no_more_than_binomial() {
		let config = Config { rounds: 600, ..Config::default() };
		for row in capture(&config, &[5, 15], &[0.2, 1.0 / 3.0, 0.4]) {
			// Held whole it holds its share of the seats rounded down or up: 2 of 5 at most,
			// 7 of 15 at most.
			assert_eq!(row.whole, 0.0, "{row:?}");
			// Split, each seat is nearly an independent draw: about the binomial tail, never
			// above it by more than four standard errors of 600 draws.
			let error = (row.binomial * (1.0 - row.binomial) / config.rounds as f64).sqrt();
			assert!(row.split <= row.binomial + 4.0 * error, "{row:?}");
			if row.binomial > 0.05 {
				assert!(row.split > row.binomial / 2.0, "{row:?}");
			}
		}
	}
}

/// What capturing committees earns a coalition once clients can dispute, and what a dispute
/// costs the client who makes it.
#[derive(Clone, Debug, PartialEq)]
pub struct DisputeRow {
	/// Juries a dispute may go through (`DisputeLevels`): the side a captured jury's finding
	/// went against appeals it to the next, larger one.
	pub levels: u32,
	/// The coalition's share of the validator stake, split over accounts as large as an honest
	/// validator's (its best case).
	pub share: f64,
	/// Probability that a client whose answer is junk the committee paid disputes it.
	pub dispute_rate: f64,
	/// Whether an honest member a captured committee outvoted disputes (protocol v7): then
	/// every captured outcome with an honest member on the committee is disputed.
	pub members_dispute: bool,
	/// Share of committees whose seat majority the coalition holds: there it pays its own node's
	/// junk and outvotes the honest members.
	pub captured: f64,
	/// Share of disputes whose deciding jury (the last to sit) it holds too.
	pub jury_captured: f64,
	/// Share of requests whose final outcome the coalition decides: captured and undisputed, or
	/// disputed and the deciding jury held too.
	pub decided: f64,
	/// The coalition's mean net gain per request from lying where it holds a majority, against
	/// scoring honestly, in units of the fee: its node's pay for junk and its seats' pay, less
	/// the penalties an honest jury imposes, plus the deposits a jury it holds keeps.
	pub capture_gain: f64,
	/// What an honest client loses, per dispute of a good answer an honest committee paid
	/// (frivolous), in units of the fee: its deposit, unless a jury the coalition holds
	/// overturns the honest outcome for it.
	pub frivolous_loss: f64,
	/// Share of frivolous disputes that win: those whose jury the coalition holds, which it
	/// turns against the honest committee.
	pub frivolous_won: f64,
	/// The honest validators' mean net per committee seat they sat, in units of the fee: their
	/// pay on committees and juries, less their penalties and the deposits they lost.
	pub honest_net: f64,
}

/// Plays `config.rounds` requests per (share, rate): one answer, from the coalition's node when
/// it is junk, scored `JUNK` by honest validators and `PAID` by the coalition where it holds
/// the committee's seat majority; a client disputes junk the committee paid with probability
/// `rate` (and with `members_dispute`, an honest member outvoted on the committee always does,
/// staking the deposit itself), and every client disputes a good answer once (frivolous) in a
/// second set of rounds.
/// Committees and juries come from the pallet's seat draw (`allot_seats`, each jury
/// `jury_seats` among the validators on no earlier body), outcomes from its settlement and
/// review (`settle`, `review`, `by_seat`), the deposit from the runtime's rule (the fee,
/// doubled at each appeal). With `levels` above one, the honest side appeals every finding a
/// jury the coalition holds gave (the client an upheld lie, the honest members an overturned
/// honest outcome), up to the last level; the coalition appeals nothing (it would stake twice
/// the deposit on holding a larger jury).
pub fn disputes(
	config: &Config,
	shares: &[f64],
	rates: &[f64],
	levels: u32,
	members_dispute: bool,
) -> Vec<DisputeRow> {
	const JUNK: u16 = 500;
	const PAID: u16 = 9_000;
	const GOOD: u16 = 8_000;
	let params = config.params();
	let seats = config.committee as u32;
	let fee = config.fee;
	let honest = vec![config.bond; config.validators];
	let mut rows = Vec::new();
	for &share in shares {
		let stake = config.bond as f64 * config.validators as f64 * share / (1.0 - share);
		let accounts = (stake / config.bond as f64).round().max(1.0) as usize;
		let weights = [vec![(stake / accounts as f64) as u128; accounts], honest.clone()].concat();
		let ours = |index: usize| index < accounts;
		let theirs = |index: usize| !ours(index);
		for &rate in rates {
			let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ share.to_bits() ^ rate.to_bits());
			let (mut captured, mut disputes, mut jury_held, mut gain) = (0u64, 0u64, 0u64, 0f64);
			let mut decided = 0u64;
			let (mut frivolous_loss, mut frivolous_won) = (0f64, 0u64);
			let (mut honest, mut honest_seats) = (0i128, 0u64);
			for round in 0..config.rounds {
				let random = [config.seed, round].map(u64::to_le_bytes).concat();
				let committee =
					allot_seats(seed_for(&random, b"committee", round), &weights, seats);
				let juries = draw_juries(&random, round, &weights, &committee, seats, levels);
				// The juries that sit: the first, then each appeal of a finding a jury the
				// coalition held gave.
				let sitting: Vec<(&[(usize, u32)], bool)> = juries
					.iter()
					.map(|jury| (jury.as_slice(), holds_majority(jury, accounts)))
					.scan(true, |appealed, (jury, held)| {
						let sits = core::mem::replace(appealed, held);
						sits.then_some((jury, held))
					})
					.collect();
				let holds_jury = sitting.last().is_some_and(|(_, held)| *held);
				// A frivolous dispute of a good answer an honest committee paid: the coalition
				// turns a jury it holds against the honest outcome.
				let honest_reveals: Vec<(usize, u32, u16)> =
					committee.iter().map(|(i, s)| (*i, *s, GOOD)).collect();
				let frivolous = dispute_round(
					fee,
					&params,
					config,
					&honest_reveals,
					&sitting,
					(0, GOOD),
					&ours,
					false,
				);
				frivolous_loss += frivolous.client_lost as f64;
				frivolous_won += u64::from(frivolous.overturned);

				// Scoring honestly: the seats paid on a consensus of JUNK, the node nothing.
				let truthful: Vec<(usize, u32, u16)> =
					committee.iter().map(|(i, s)| (*i, *s, JUNK)).collect();
				let truthful_plan = undisputed(fee, &params, &truthful);
				let their_seats: u64 =
					committee.iter().filter(|(i, _)| theirs(*i)).map(|(_, s)| u64::from(*s)).sum();
				honest_seats += their_seats;
				if !holds_majority(&committee, accounts) {
					honest += members_net(&truthful_plan, &truthful, &theirs);
					continue;
				}
				captured += 1;
				let reveals: Vec<(usize, u32, u16)> = committee
					.iter()
					.map(|(i, s)| (*i, *s, if ours(*i) { PAID } else { JUNK }))
					.collect();
				// An outvoted honest member disputes (and appeals) with its own deposit.
				let by_member = members_dispute && their_seats > 0;
				let disputed = rng.random_bool(rate) || by_member;
				disputes += u64::from(disputed);
				jury_held += u64::from(disputed && holds_jury);
				decided += u64::from(!disputed || holds_jury);
				let (lied, honest_net) = match disputed {
					true => {
						let round = dispute_round(
							fee,
							&params,
							config,
							&reveals,
							&sitting,
							(PAID, JUNK),
							&ours,
							by_member,
						);
						(round.coalition, round.honest)
					},
					false => {
						let plan = undisputed(fee, &params, &reveals);
						(
							coalition_net(&plan, &reveals, &ours),
							members_net(&plan, &reveals, &theirs),
						)
					},
				};
				honest += honest_net;
				gain += (lied - coalition_net(&truthful_plan, &truthful, &ours)) as f64;
			}
			let per = |count: u64, of: u64| count as f64 / of.max(1) as f64;
			rows.push(DisputeRow {
				levels,
				share,
				dispute_rate: rate,
				members_dispute,
				captured: per(captured, config.rounds),
				jury_captured: per(jury_held, disputes),
				decided: per(decided, config.rounds),
				capture_gain: gain / config.rounds.max(1) as f64 / fee as f64,
				frivolous_loss: frivolous_loss / config.rounds.max(1) as f64 / fee as f64,
				frivolous_won: per(frivolous_won, config.rounds),
				honest_net: honest as f64 / honest_seats.max(1) as f64 / fee as f64,
			});
		}
	}
	rows
}

/// What a node that writes for the committee's judge (the cheapest text it pays, no model run)
/// earns once clients dispute and an appeal judge grades (protocol v5), against an honest node.
#[derive(Clone, Debug, PartialEq)]
pub struct GamingRow {
	/// Probability that a client whose answer is such text disputes it.
	pub dispute_rate: f64,
	/// Probability that the appeal judge grades an answer rightly (junk below `MinQuality`, a
	/// good answer above it).
	pub appeal_accuracy: f64,
	/// The gaming node's mean net per request, in units of the fee: its pay, less what a
	/// dispute takes back and the node penalty.
	pub gaming_net: f64,
	/// The honest node's mean net per request beside it, in units of the fee (before the cost
	/// of running its model).
	pub honest_net: f64,
	/// What a client who disputes a request whose answers are both good (frivolous) loses per
	/// dispute, in units of the fee: its deposit, unless the appeal judge errs.
	pub frivolous_loss: f64,
	/// Share of frivolous disputes in which an honest node is penalised (the appeal judge
	/// graded its good answer below `MinQuality`).
	pub honest_penalised: f64,
}

/// Plays `config.rounds` requests per (rate, accuracy) with two answers, round `i` at
/// `scores[i % scores.len()]`: an honest node's, which the committee's model scores the first,
/// and a gaming node's text, which it scores the second (8 000 and 10 000 by default: the red
/// team's word salad reaches 10 000; `--red-team` gives its measured pairs). An honest
/// committee reports what the model gives; the client disputes the gaming text with
/// probability `rate`; the jury reruns the model (and agrees) and the appeal judge grades each
/// answer rightly with probability `accuracy`. In a
/// second set of rounds every client disputes a request whose two answers are good. Outcomes
/// come from the pallet's `settle` and `review`, the deposit from the runtime's rule (the fee).
pub fn judge_gaming(
	config: &Config,
	rates: &[f64],
	accuracies: &[f64],
	scores: &[(u16, u16)],
) -> Vec<GamingRow> {
	const RIGHT_GOOD: u16 = 9_000;
	const RIGHT_JUNK: u16 = 1_000;
	let params = config.params();
	let fee = config.fee;
	let grade = |rng: &mut ChaCha8Rng, good: bool, accuracy: f64| {
		if rng.random_bool(accuracy) == good {
			RIGHT_GOOD
		} else {
			RIGHT_JUNK
		}
	};
	let mut rows = Vec::new();
	for &rate in rates {
		for &accuracy in accuracies {
			let mut rng =
				ChaCha8Rng::seed_from_u64(config.seed ^ rate.to_bits() ^ accuracy.to_bits());
			let (mut gaming, mut honest, mut lost, mut penalised) = (0i128, 0i128, 0u128, 0u64);
			for round in 0..config.rounds {
				let (good_score, fooled) = scores[round as usize % scores.len()];
				let (gamed, good) = judged_round(
					&params,
					config,
					[good_score, fooled],
					|rng| {
						rng.random_bool(rate)
							.then(|| [grade(rng, true, accuracy), grade(rng, false, accuracy)])
					},
					&mut rng,
				);
				honest += good.0;
				gaming += gamed.0;
				// Frivolous: both answers good.
				let (first, second) = judged_round(
					&params,
					config,
					[good_score, good_score],
					|rng| Some([grade(rng, true, accuracy), grade(rng, true, accuracy)]),
					&mut rng,
				);
				lost += first.1;
				penalised += u64::from(first.2 || second.2);
			}
			let rounds = config.rounds.max(1) as f64;
			let per_fee = |total: f64| total / rounds / fee as f64;
			rows.push(GamingRow {
				dispute_rate: rate,
				appeal_accuracy: accuracy,
				gaming_net: per_fee(gaming as f64),
				honest_net: per_fee(honest as f64),
				frivolous_loss: per_fee(lost as f64),
				honest_penalised: penalised as f64 / rounds,
			});
		}
	}
	rows
}

/// One request whose two answers the committee's model scores `scores`, reported faithfully by
/// a committee of `config.committee` seats and disputed when `grades` draws the appeal judge's
/// grades. Returns, for the second answer's node and for the first's: its net (pay less
/// penalty), with what the client lost beyond its refund (its deposit when upheld) and whether
/// that node was penalised.
fn judged_round(
	params: &Params,
	config: &Config,
	scores: [u16; 2],
	grades: impl FnOnce(&mut ChaCha8Rng) -> Option<[u16; 2]>,
	rng: &mut ChaCha8Rng,
) -> ((i128, u128, bool), (i128, u128, bool)) {
	let fee = config.fee;
	let reports: Vec<MemberReport> = (0..config.committee)
		.map(|_| MemberReport {
			committed: true,
			reveal: Some(&scores),
			bond: config.bond,
			seats: 1,
		})
		.collect();
	let (plan, lost) = match grades(rng) {
		None => (settle(fee, &scores, &reports, params), 0),
		Some(graded) => {
			let reviewed =
				review(fee, &scores, &scores, &graded, &reports, params, config.node_penalty());
			let upheld = reviewed.finding != Finding::Overturned;
			(reviewed.plan, if upheld { fee } else { 0 })
		},
	};
	let node = |index: usize| {
		let penalty = plan.node_penalties.get(index).copied().unwrap_or_default();
		(plan.node_payouts[index] as i128 - penalty as i128, lost, penalty > 0)
	};
	(node(1), node(0))
}

/// One request with one answer, from the coalition's node, settled by `reveals` (validator
/// index, seats, score) as the pallet settles an undisputed outcome.
fn undisputed(fee: u128, params: &Params, reveals: &[(usize, u32, u16)]) -> Plan {
	let scores: Vec<[u16; 1]> = reveals.iter().map(|(_, _, s)| [*s]).collect();
	let reports = reports_of(reveals, &scores);
	settle(fee, &consensus_of(reveals, &scores), &reports, params)
}

/// The juries `levels` disputes of a request whose `committee` was drawn from `weights` may
/// sit, in order: each `jury_seats` at its level, among the validators on no earlier body.
fn draw_juries(
	random: &[u8],
	round: u64,
	weights: &[u128],
	committee: &[(usize, u32)],
	seats: u32,
	levels: u32,
) -> Vec<Vec<(usize, u32)>> {
	let mut seated: Vec<usize> = committee.iter().map(|(i, _)| *i).collect();
	(1..=levels)
		.map(|level| {
			let open: Vec<u128> = weights
				.iter()
				.enumerate()
				.map(|(i, w)| if seated.contains(&i) { 0 } else { *w })
				.collect();
			let tag = match level {
				1 => b"jury".to_vec(),
				_ => format!("jury{level}").into_bytes(),
			};
			let jury = allot_seats(seed_for(random, &tag, round), &open, jury_seats(seats, level));
			seated.extend(jury.iter().map(|(i, _)| *i));
			jury
		})
		.collect()
}

/// The same request disputed, and appealed while a jury the coalition held ruled: each of
/// `juries` sat, with whether the coalition held it; the last one's consensus (`values.0`, the
/// coalition's, where it held it, else `values.1`, the honest one) reviews the committee (all
/// its jurors reveal it: its majority decides it). Every earlier juror is judged against it:
/// the coalition's reveal `values.0`, the honest ones `values.1`, and those off it lose the lie
/// penalty a seat. The losing side's deposits (the fee, doubled at each appeal; the honest side
/// made every appeal) and, when overturned, the review's penalties pay the jurors in
/// consensus, by seat. Returns what the round did to each side ([`DisputedRound`]). With
/// `by_member`, an honest member of the committee made the dispute and its appeals instead of
/// the client, and its deposits are the honest validators' to lose.
#[allow(clippy::too_many_arguments)] // The round's parts, as `disputes` holds them.
fn dispute_round(
	fee: u128,
	params: &Params,
	config: &Config,
	reveals: &[(usize, u32, u16)],
	juries: &[(&[(usize, u32)], bool)],
	values: (u16, u16),
	ours: &dyn Fn(usize) -> bool,
	by_member: bool,
) -> DisputedRound {
	let scores: Vec<[u16; 1]> = reveals.iter().map(|(_, _, s)| [*s]).collect();
	let reports = reports_of(reveals, &scores);
	let provisional = consensus_of(reveals, &scores);
	let says = |held: bool| if held { values.0 } else { values.1 };
	let truth = says(juries.last().is_some_and(|(_, held)| *held));
	// No appeal judge: the jury's rerun grades the answer too.
	let finding = |score: u16| {
		review(fee, &provisional, &[score], &[score], &reports, params, config.node_penalty())
	};
	let reviewed = finding(truth);
	let theirs = |index: usize| !ours(index);
	let mut net = coalition_net(&reviewed.plan, reveals, ours);
	let mut honest = members_net(&reviewed.plan, reveals, &theirs);
	let overturned = reviewed.finding == Finding::Overturned;
	// The client's dispute stakes on `Overturned`; each appeal, by the honest side, on the honest
	// finding, and is lost when the coalition held the last jury too.
	let client_appeals = finding(values.1).finding == Finding::Overturned;
	let mut client_lost = if overturned { 0 } else { fee };
	let mut lost = client_lost;
	for level in 1..juries.len() {
		if juries.last().is_some_and(|(_, held)| *held) {
			let deposit = fee << level;
			lost += deposit;
			client_lost += if client_appeals { deposit } else { 0 };
		}
	}
	let pot = lost + if overturned { reviewed.plan.slashed() } else { 0 };
	let jurors: Vec<(usize, u32, bool)> = juries
		.iter()
		.enumerate()
		.flat_map(|(level, (jury, _))| {
			let last = level + 1 == juries.len();
			jury.iter().map(move |(i, s)| {
				let reveal = match (last, ours(*i)) {
					(true, _) => truth,
					(false, true) => values.0,
					(false, false) => values.1,
				};
				(*i, *s, reveal == truth)
			})
		})
		.collect();
	let reports: Vec<MemberReport> = jurors
		.iter()
		.map(|(_, s, _)| MemberReport { committed: true, reveal: None, bond: u128::MAX, seats: *s })
		.collect();
	let verdicts: Vec<Verdict> = jurors
		.iter()
		.map(|(_, _, agrees)| if *agrees { Verdict::InConsensus } else { Verdict::OffConsensus })
		.collect();
	let shares = by_seat(pot, &reports, &verdicts);
	let penalty = lie_penalty(fee, params);
	for ((index, seats, agrees), share) in jurors.iter().zip(shares) {
		let juror =
			share as i128 - if *agrees { 0 } else { (penalty * u128::from(*seats)) as i128 };
		match ours(*index) {
			true => net += juror,
			false => honest += juror,
		}
	}
	// The honest side's deposits lost: the members' appeals, and with `by_member` the dispute
	// and every appeal.
	let client_lost = if by_member { 0 } else { client_lost };
	honest -= (lost - client_lost) as i128;
	DisputedRound { coalition: net, honest, client_lost, overturned }
}

/// What one disputed request did, as [`dispute_round`] plays it.
struct DisputedRound {
	/// The coalition's net: its node, committee members and jurors.
	coalition: i128,
	/// The honest validators' net: committee members and jurors, less the deposits of the
	/// appeals they made.
	honest: i128,
	/// What the client lost beyond its refund: its deposits staked against the outcome.
	client_lost: u128,
	/// Whether the outcome was overturned.
	overturned: bool,
}

fn reports_of<'a>(reveals: &[(usize, u32, u16)], scores: &'a [[u16; 1]]) -> Vec<MemberReport<'a>> {
	reveals
		.iter()
		.zip(scores)
		.map(|((_, seats, _), score)| MemberReport {
			committed: true,
			reveal: Some(score),
			bond: u128::MAX,
			seats: *seats,
		})
		.collect()
}

fn consensus_of(reveals: &[(usize, u32, u16)], scores: &[[u16; 1]]) -> Vec<u16> {
	let votes: Vec<(&[u16], u128)> = reveals
		.iter()
		.zip(scores)
		.map(|((_, seats, _), score)| (&score[..], u128::from(*seats)))
		.collect();
	consensus_scores(&votes, 1)
}

/// The coalition's net in `plan`: the node's pay less its penalty (the answer is its node's),
/// and its members' pay less their penalties.
fn coalition_net(plan: &Plan, reveals: &[(usize, u32, u16)], ours: &dyn Fn(usize) -> bool) -> i128 {
	let node = plan.node_payouts.iter().sum::<u128>() as i128
		- plan.node_penalties.iter().sum::<u128>() as i128;
	node + members_net(plan, reveals, ours)
}

/// The pay less the penalties in `plan` of the committee members `who` picks.
fn members_net(plan: &Plan, reveals: &[(usize, u32, u16)], who: &dyn Fn(usize) -> bool) -> i128 {
	reveals
		.iter()
		.enumerate()
		.filter(|(_, (i, _, _))| who(*i))
		.map(|(m, _)| plan.validator_payouts[m] as i128 - plan.penalties[m] as i128)
		.sum()
}
