//! The pools and their accounts, and one round of the protocol played with the pallet's own
//! selection, consensus and settlement.

use crate::{
	config::Config,
	quality::QualityModel,
	stake::{assign_by_stake, draw_bonds, to_ppm},
	strategy::{reveal, Machine, NodeStrategy, Response, ValidatorKnobs, ValidatorStrategy},
};
use pallet_poq::{
	consensus::consensus_scores,
	selection::{allot_seats, seed_for, select_weighted},
	settlement::{
		passed_over, pay_unvouched, settle, wants_redraw, MemberReport, Params, Plan, Verdict,
	},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Subject of the inference-node draw; the simulator's own tags, since the pallet's are private
/// and any distinct tags give independent draws.
const NODES_TAG: &[u8] = b"poq-sim/nodes";
/// Subject of the committee draw.
const COMMITTEE_TAG: &[u8] = b"poq-sim/committee";

/// An inference node and what it has earned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
	/// How it answers.
	pub strategy: NodeStrategy,
	/// Its bond, its weight in the draw (the simulator does not take penalties from it).
	pub bond: u128,
	/// Paid out of escrows so far.
	pub paid: u128,
	/// Penalties so far: a commitment never revealed.
	pub slashed: u128,
	/// Requests it answered.
	pub seats: u64,
	/// Answers that earned something (consensus at or above `MinQuality`).
	pub paid_seats: u64,
}

/// A validator and what it has earned and lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
	/// How it scores.
	pub strategy: ValidatorStrategy,
	/// Its machine's float offset.
	pub machine: Machine,
	/// Its bond now: its weight in the draw and in the median, and the most a penalty takes.
	pub bond: u128,
	/// Paid out of escrows so far.
	pub paid: u128,
	/// Penalties so far.
	pub slashed: u128,
	/// Committees it sat on.
	pub seats: u64,
	/// Seats on which it was judged in consensus.
	pub paid_seats: u64,
}

impl Validator {
	/// Paid minus slashed so far.
	pub fn net(&self) -> f64 {
		self.paid as f64 - self.slashed as f64
	}
}

/// Everything that happened in one round, for measurements beyond the books.
#[derive(Clone, Debug)]
pub struct Round {
	/// The answers in response order.
	pub responses: Vec<Response>,
	/// The committee, as indices into [`World::validators`], in draw order.
	pub committee: Vec<usize>,
	/// The seats each member holds, drawn in proportion to stake: its votes.
	pub seats: Vec<u32>,
	/// Each member's revealed scores; `None` when it did not reveal (or, absent, never
	/// committed).
	pub reveals: Vec<Option<Vec<u16>>>,
	/// The pallet's consensus score per response (empty when nobody revealed).
	pub consensus: Vec<u16>,
	/// The pallet's settlement of the request.
	pub plan: Plan,
	/// The committees that failed before `committee` (no consensus stood on revealed answers)
	/// and were drawn again, with their seats and settlement: penalties only.
	pub failed: Vec<(Vec<usize>, Vec<u32>, Plan)>,
}

impl Round {
	/// The reveals with their seats, as the pallet feeds them to consensus.
	pub fn revealed(&self) -> Vec<(&[u16], u128)> {
		revealed(&self.reveals, &self.seats)
	}
}

/// The members who revealed, with their seats.
fn revealed<'a>(reveals: &'a [Option<Vec<u16>>], seats: &[u32]) -> Vec<(&'a [u16], u128)> {
	reveals
		.iter()
		.zip(seats)
		.filter_map(|(reveal, seats)| reveal.as_deref().map(|scores| (scores, u128::from(*seats))))
		.collect()
}

/// The pools, their books, and the protocol's parameters.
#[derive(Clone, Debug)]
pub struct World {
	/// The inference-node pool.
	pub nodes: Vec<Node>,
	/// The validator pool.
	pub validators: Vec<Validator>,
	/// Whether penalties come out of bonds (as on chain); off, stakes stay fixed so a measurement
	/// sees the same attacker share throughout.
	pub slash_bonds: bool,
	qualities: QualityModel,
	knobs: ValidatorKnobs,
	params: Params,
	node_penalty: u128,
	committee_size: usize,
	nodes_per_request: usize,
	redraws: usize,
	fee: u128,
	/// Stands in for the relay chain's randomness in the per-request seeds.
	randomness: [u8; 32],
	rng: ChaCha8Rng,
	round: u64,
}

impl World {
	/// Pools drawn from `config`: node strategies by `lazy_nodes` and `mixed_nodes` stake shares,
	/// validators by `validator_mix` stake shares, honest for the rest.
	pub fn new(
		config: &Config,
		qualities: QualityModel,
		validator_mix: &[(ValidatorStrategy, f64)],
	) -> Self {
		let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
		let node_bonds = draw_bonds(config.stakes, config.nodes, config.bond, &mut rng);
		let node_mix = [
			(NodeStrategy::Lazy, to_ppm(config.lazy_nodes)),
			(NodeStrategy::Mixed, to_ppm(config.mixed_nodes)),
			(NodeStrategy::Copying, to_ppm(config.copying_nodes)),
		];
		let node_strategies =
			assign_by_stake(&node_bonds, &node_mix, NodeStrategy::Honest, &mut rng);
		let nodes = node_bonds
			.into_iter()
			.zip(node_strategies)
			.map(|(bond, strategy)| Node {
				strategy,
				bond,
				paid: 0,
				slashed: 0,
				seats: 0,
				paid_seats: 0,
			})
			.collect();

		let validator_bonds = draw_bonds(config.stakes, config.validators, config.bond, &mut rng);
		let mix: Vec<_> = validator_mix.iter().map(|(s, share)| (*s, to_ppm(*share))).collect();
		let strategies =
			assign_by_stake(&validator_bonds, &mix, ValidatorStrategy::Honest, &mut rng);
		let validators = validator_bonds
			.into_iter()
			.zip(strategies)
			.map(|(bond, strategy)| Validator {
				strategy,
				machine: Machine::draw(config.noise, &mut rng),
				bond,
				paid: 0,
				slashed: 0,
				seats: 0,
				paid_seats: 0,
			})
			.collect();

		Self {
			nodes,
			validators,
			slash_bonds: true,
			qualities,
			knobs: config.knobs(),
			params: config.params(),
			node_penalty: config.node_penalty(),
			committee_size: config.committee,
			nodes_per_request: config.nodes_per_request,
			redraws: config.redraws,
			fee: config.fee,
			randomness: rng.random(),
			rng,
			round: 0,
		}
	}

	/// Rounds played so far.
	pub fn rounds(&self) -> u64 {
		self.round
	}

	/// Share of the validator stake held by `strategy`.
	pub fn stake_share(&self, strategy: ValidatorStrategy) -> f64 {
		let total: u128 = self.validators.iter().map(|v| v.bond).sum();
		let held: u128 =
			self.validators.iter().filter(|v| v.strategy == strategy).map(|v| v.bond).sum();
		if total == 0 {
			return 0.0;
		}
		held as f64 / total as f64
	}

	/// Plays one request: draws the nodes and, once they answered, the committee, by stake;
	/// collects the reveals; settles with the pallet's consensus and plan; books the result.
	pub fn play(&mut self) -> Round {
		let id = self.round;
		self.round += 1;

		let node_weights: Vec<u128> = self.nodes.iter().map(|n| n.bond).collect();
		let drawn = select_weighted(
			seed_for(&self.randomness, NODES_TAG, id),
			&node_weights,
			self.nodes_per_request,
		);
		// Only revealed answers are scored, in the order of the drawn nodes that revealed.
		let revealing: Vec<usize> =
			drawn.iter().copied().filter(|&i| self.nodes[i].strategy.reveals()).collect();
		let responses: Vec<Response> = revealing
			.iter()
			.map(|&i| {
				let strategy = self.nodes[i].strategy;
				Response {
					quality: strategy.answer(&self.qualities, &mut self.rng),
					cartel: strategy == NodeStrategy::Lazy,
				}
			})
			.collect();

		// A committee that fails on revealed answers with a member who stayed away is drawn
		// again, without those members, up to `redraws` times, as the pallet does; answers no
		// committee vouched for are paid unvouched.
		let mut excluded: Vec<usize> = Vec::new();
		let mut failed = Vec::new();
		let mut attempt = 0;
		let (committee, seats, reveals, consensus, plan) = loop {
			let weights: Vec<u128> = self
				.validators
				.iter()
				.enumerate()
				.map(|(v, validator)| if excluded.contains(&v) { 0 } else { validator.bond })
				.collect();
			// The first draw's seed as before redraws existed; each redraw's from the
			// randomness its own failure was followed by.
			let randomness = [&self.randomness[..], &(attempt as u64).to_le_bytes()].concat();
			let random = if attempt == 0 { &self.randomness[..] } else { &randomness[..] };
			let seated = allot_seats(
				seed_for(random, COMMITTEE_TAG, id),
				&weights,
				self.committee_size as u32,
			);
			let (committee, seats): (Vec<usize>, Vec<u32>) = seated.into_iter().unzip();
			let reveals: Vec<Option<Vec<u16>>> = committee
				.iter()
				.map(|&v| {
					let validator = &self.validators[v];
					reveal(
						validator.strategy,
						validator.machine,
						&responses,
						&self.knobs,
						&mut self.rng,
					)
				})
				.collect();
			let consensus = consensus_scores(&revealed(&reveals, &seats), responses.len());
			let reports: Vec<MemberReport> = reveals
				.iter()
				.zip(&seats)
				.zip(&committee)
				.map(|((reveal, seats), &v)| MemberReport {
					committed: self.validators[v].strategy.commits(),
					reveal: reveal.as_deref(),
					bond: weights[v],
					seats: *seats,
				})
				.collect();
			let mut plan = settle(self.fee, &consensus, &reports, &self.params);
			if wants_redraw(&plan, responses.len()) && attempt < self.redraws {
				excluded.extend(passed_over(&plan).map(|index| committee[index]));
				failed.push((committee, seats, plan));
				attempt += 1;
				continue;
			}
			pay_unvouched(&mut plan, self.fee, responses.len(), &self.params);
			break (committee, seats, reveals, consensus, plan);
		};
		for (committee, seats, plan) in &failed {
			self.book_committee(committee, seats, plan);
		}
		let round = Round { responses, committee, seats, reveals, consensus, plan, failed };
		self.book(&drawn, &revealing, &round);
		round
	}

	/// Credits payouts and debits penalties of a settled round.
	fn book(&mut self, drawn: &[usize], revealing: &[usize], round: &Round) {
		for &i in drawn {
			let node = &mut self.nodes[i];
			node.seats += 1;
			if !node.strategy.reveals() {
				node.slashed += self.node_penalty;
			}
		}
		for (k, &i) in revealing.iter().enumerate() {
			let node = &mut self.nodes[i];
			// With nobody revealing, the plan pays no node at all.
			let paid = round.plan.node_payouts.get(k).copied().unwrap_or_default();
			node.paid += paid;
			node.paid_seats += u64::from(paid > 0);
		}
		self.book_committee(&round.committee, &round.seats, &round.plan);
	}

	/// Credits the payouts and debits the penalties of one committee's `plan`.
	fn book_committee(&mut self, committee: &[usize], seats: &[u32], plan: &Plan) {
		for (k, &v) in committee.iter().enumerate() {
			let validator = &mut self.validators[v];
			let penalty = plan.penalties[k];
			let held = u64::from(seats[k]);
			validator.seats += held;
			validator.paid += plan.validator_payouts[k];
			validator.paid_seats += held * u64::from(plan.verdicts[k] == Verdict::InConsensus);
			validator.slashed += penalty;
			if self.slash_bonds {
				validator.bond -= penalty;
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn world(mix: &[(ValidatorStrategy, f64)]) -> World {
		World::new(&Config::default(), QualityModel::default(), mix)
	}

	#[test]
	fn pools_follow_the_config() {
		let config = Config::default();
		let world = world(&config.dishonest_mix());
		assert_eq!(world.nodes.len(), config.nodes);
		assert_eq!(world.validators.len(), config.validators);
		// Equal stakes: 5 % of 60 validators is 3 of each dishonest strategy; none is absent
		// unless `--absent` says so, and none shades but in `poq-sim shading`.
		for strategy in ValidatorStrategy::ALL {
			let count = world.validators.iter().filter(|v| v.strategy == strategy).count();
			let expected = match strategy {
				ValidatorStrategy::Honest => 42,
				ValidatorStrategy::Absent | ValidatorStrategy::Shading => 0,
				_ => 3,
			};
			assert_eq!(count, expected, "{strategy:?}");
		}
	}

	#[test]
	fn every_round_conserves_the_fee_and_books_it() {
		let mut world = world(&Config::default().dishonest_mix());
		let fee = Config::default().fee;
		let start: u128 = world.validators.iter().map(|v| v.bond).sum();
		let (mut paid, mut slashed) = (0u128, 0u128);
		for _ in 0..200 {
			let round = world.play();
			assert_eq!(round.plan.paid() + round.plan.refund, fee);
			assert_eq!(round.committee.len(), 5);
			assert_eq!(round.responses.len(), 3);
			paid += round.plan.paid();
			slashed += round.plan.slashed();
			// A failed committee pays nobody and penalises the members who stayed away.
			for (committee, _, plan) in &round.failed {
				assert_eq!((plan.paid(), plan.finalized), (0, false));
				assert!(committee.iter().all(|v| !round.committee.contains(v)
					|| plan.verdicts[committee.iter().position(|w| w == v).unwrap()]
						== Verdict::NoMajority));
				slashed += plan.slashed();
			}
		}
		let booked: u128 = world.nodes.iter().map(|n| n.paid).sum::<u128>()
			+ world.validators.iter().map(|v| v.paid).sum::<u128>();
		assert_eq!(booked, paid);
		let bonds: u128 = world.validators.iter().map(|v| v.bond).sum();
		assert_eq!(start - bonds, slashed);
	}

	/// Protocol v3 (issue 24): one account with a committee's stake majority that stays away
	/// no longer leaves the answers unpaid: the committee is drawn again without it.
	#[test]
	fn a_committee_left_by_its_heaviest_member_is_drawn_again_without_it() {
		let config = Config { validators: 10, ..Config::default() };
		let mut world = World::new(&config, QualityModel::default(), &[]);
		// One absent account with 60 % of the stake: three of the five seats of every committee.
		world.validators[0].strategy = ValidatorStrategy::Absent;
		world.validators[0].bond =
			world.validators[1..].iter().map(|v| v.bond).sum::<u128>() * 3 / 2;
		world.slash_bonds = false;
		let (mut redrawn, mut unpaid) = (0, 0);
		for _ in 0..300 {
			let round = world.play();
			redrawn += usize::from(!round.failed.is_empty());
			unpaid += usize::from(!round.plan.finalized);
			for (committee, _, _) in &round.failed {
				assert!(committee.contains(&0));
				assert!(!round.committee.contains(&0), "the absent member is passed over");
			}
		}
		assert!(redrawn > 150, "it sits on most committees and fails them: {redrawn}");
		assert_eq!(unpaid, 0, "and every request is still vouched for and paid");
		assert!(world.validators[0].slashed > 0);
	}

	#[test]
	fn fixed_bonds_keep_the_attackers_share() {
		let mut world = world(&[(ValidatorStrategy::Colluding, 0.2)]);
		world.slash_bonds = false;
		for _ in 0..200 {
			world.play();
		}
		assert!((world.stake_share(ValidatorStrategy::Colluding) - 0.2).abs() < 1e-9);
		assert!(world.validators.iter().any(|v| v.slashed > 0));
	}
}
