//! What each kind of participant does in a round: the quality of a node's answer and the scores a
//! validator reveals.
//!
//! The functions here are pure given their random source, so a whole run replays from its seed.

use crate::quality::QualityModel;
use pallet_poq::consensus::MAX_SCORE;
use rand::Rng;

/// How an inference node answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeStrategy {
	/// Runs the requested model: every answer's quality is drawn from the good distribution.
	Honest,
	/// Returns junk without running the model: every answer is drawn from the junk distribution.
	Lazy,
	/// Runs the model on some requests only: each answer is good with the model's
	/// `mixed_honest` probability, junk otherwise.
	Mixed,
	/// Runs no model and copies another node's answer. Under protocol v2 all it can see before
	/// the reveals is another node's commitment, which binds that node's account: its copy
	/// never opens, so its answer is never scored and it loses `NodePenalty` on every seat.
	Copying,
}

impl NodeStrategy {
	/// Every node strategy, in report order.
	pub const ALL: [Self; 4] = [Self::Honest, Self::Mixed, Self::Lazy, Self::Copying];

	/// Name used in CSV files and plots.
	pub fn name(self) -> &'static str {
		match self {
			Self::Honest => "honest",
			Self::Lazy => "lazy",
			Self::Mixed => "mixed",
			Self::Copying => "copying",
		}
	}

	/// Whether its answer is revealed, and so scored.
	pub fn reveals(self) -> bool {
		self != Self::Copying
	}

	/// The true quality of this node's answer to one request (a copying node's is never
	/// revealed: see [`Self::reveals`]).
	pub fn answer<R: Rng + ?Sized>(self, qualities: &QualityModel, rng: &mut R) -> u16 {
		let good = match self {
			Self::Honest => true,
			Self::Lazy | Self::Copying => false,
			Self::Mixed => rng.random_bool(qualities.mixed_honest),
		};
		match good {
			true => qualities.good.sample(rng),
			false => qualities.junk.sample(rng),
		}
	}
}

/// How a validator scores the responses of a request it sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValidatorStrategy {
	/// Runs the quality model: the true quality plus its machine's small float offset.
	Honest,
	/// Never runs the model and reveals one constant for every response.
	LazyConstant,
	/// Never runs the model and reveals uniform random scores.
	LazyRandom,
	/// Reveals the highest score for everything (inflates what nodes are paid).
	Boosting,
	/// Reveals zero for everything (starves nodes, refunds the client).
	Sabotage,
	/// Honest, but on some of its seats its machine goes down after it committed, so it never
	/// reveals: the costly way to be unavailable under commit-reveal.
	Intermittent,
	/// A group that coordinates one lie in favour of a cartel of inference nodes (the lazy
	/// ones): the highest score for the cartel's answers and zero for everyone else's.
	Colluding,
	/// Never commits: its seat stays empty. Off in the default mix (`--absent`); it measures
	/// what shirking costs (nothing, under the pallet's rules) and what it costs the others.
	Absent,
	/// Runs the model, then shades in favour of the colluders' cartel as far as it dares:
	/// `shade` up for the cartel's answers, `shade` down for everyone else's. The lie that
	/// `Tolerance` cannot see when it is at most `Tolerance`. Off in the default mix; `poq-sim
	/// shading` measures it.
	Shading,
}

impl ValidatorStrategy {
	/// Every validator strategy, in report order.
	pub const ALL: [Self; 9] = [
		Self::Honest,
		Self::Intermittent,
		Self::Absent,
		Self::LazyConstant,
		Self::LazyRandom,
		Self::Boosting,
		Self::Sabotage,
		Self::Colluding,
		Self::Shading,
	];

	/// Whether it commits when drawn.
	pub fn commits(self) -> bool {
		self != Self::Absent
	}

	/// Name used in CSV files and plots.
	pub fn name(self) -> &'static str {
		match self {
			Self::Honest => "honest",
			Self::LazyConstant => "lazy-constant",
			Self::LazyRandom => "lazy-random",
			Self::Boosting => "boosting",
			Self::Sabotage => "sabotage",
			Self::Intermittent => "intermittent",
			Self::Colluding => "colluding",
			Self::Absent => "absent",
			Self::Shading => "shading",
		}
	}
}

/// What a validator is shown of one response: the answer's true quality (what the model would
/// score) and whether its node belongs to the colluders' cartel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
	/// The score an exact run of the quality model gives this answer.
	pub quality: u16,
	/// Whether the colluding validators favour this answer's node.
	pub cartel: bool,
}

/// Knobs of the validator strategies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValidatorKnobs {
	/// The score a lazy-constant validator reveals.
	pub lazy_constant: u16,
	/// Probability that an intermittent validator fails to reveal on a seat.
	pub intermittent_failure: f64,
	/// How far a shading validator moves each score.
	pub shade: u16,
}

/// A validator's machine: what its arithmetic adds to every exact score.
///
/// The default model computes the same bits on every CPU (`docs/DESIGN.md`, Precision): its
/// machines are exact, `noise` 0. A folder computing in f32 rounds differently on different CPUs
/// and math libraries; after quantisation to `0..=10_000` the effect is a few units, constant
/// per machine, plus at most one unit of rounding jitter: `noise` above 0 models it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
	/// Added to every exact score this machine computes.
	pub offset: i16,
	/// The largest rounding jitter it adds to a score on top (0 or 1).
	pub jitter: i16,
}

impl Machine {
	/// A machine whose offset is uniform in `-noise..=noise`, with a unit of jitter unless it is
	/// exact (`noise` 0).
	pub fn draw<R: Rng + ?Sized>(noise: u16, rng: &mut R) -> Self {
		let noise = noise.min(MAX_SCORE) as i16;
		Self { offset: rng.random_range(-noise..=noise), jitter: noise.min(1) }
	}

	/// An exact machine: the model's scores, to the bit.
	pub const EXACT: Self = Self { offset: 0, jitter: 0 };

	/// The score this machine computes for an answer of true `quality`.
	pub fn score<R: Rng + ?Sized>(self, quality: u16, rng: &mut R) -> u16 {
		let jitter = rng.random_range(-self.jitter..=self.jitter);
		clamp_score(i32::from(quality) + i32::from(self.offset) + i32::from(jitter))
	}
}

/// `value` clamped into the valid score range.
pub fn clamp_score(value: i32) -> u16 {
	value.clamp(0, i32::from(MAX_SCORE)) as u16
}

/// The colluders' coordinated score for a response: the highest for the cartel, zero otherwise.
pub fn collusion_lie(response: Response) -> u16 {
	match response.cartel {
		true => MAX_SCORE,
		false => 0,
	}
}

/// A shading validator's score for a response its machine scores `score`: `shade` towards the
/// colluders' lie.
pub fn shade(score: u16, response: Response, shade: u16) -> u16 {
	match response.cartel {
		true => clamp_score(i32::from(score) + i32::from(shade)),
		false => clamp_score(i32::from(score) - i32::from(shade)),
	}
}

/// The scores a validator reveals for `responses`, or `None` when it committed and then failed
/// to reveal, or never committed ([`ValidatorStrategy::commits`]).
pub fn reveal<R: Rng + ?Sized>(
	strategy: ValidatorStrategy,
	machine: Machine,
	responses: &[Response],
	knobs: &ValidatorKnobs,
	rng: &mut R,
) -> Option<Vec<u16>> {
	let honest = |rng: &mut R| -> Vec<u16> {
		responses.iter().map(|r| machine.score(r.quality, rng)).collect()
	};
	Some(match strategy {
		ValidatorStrategy::Absent => return None,
		ValidatorStrategy::Honest => honest(rng),
		ValidatorStrategy::Intermittent => match rng.random_bool(knobs.intermittent_failure) {
			true => return None,
			false => honest(rng),
		},
		ValidatorStrategy::LazyConstant => {
			vec![knobs.lazy_constant.min(MAX_SCORE); responses.len()]
		},
		ValidatorStrategy::LazyRandom => {
			responses.iter().map(|_| rng.random_range(0..=MAX_SCORE)).collect()
		},
		ValidatorStrategy::Boosting => vec![MAX_SCORE; responses.len()],
		ValidatorStrategy::Sabotage => vec![0; responses.len()],
		ValidatorStrategy::Colluding => responses.iter().copied().map(collusion_lie).collect(),
		ValidatorStrategy::Shading => honest(rng)
			.into_iter()
			.zip(responses)
			.map(|(score, response)| shade(score, *response, knobs.shade))
			.collect(),
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;
	use rand::SeedableRng;
	use rand_chacha::ChaCha8Rng;

	const KNOBS: ValidatorKnobs =
		ValidatorKnobs { lazy_constant: 5_000, intermittent_failure: 0.5, shade: 1_000 };

	fn responses() -> Vec<Response> {
		vec![
			Response { quality: 7_000, cartel: false },
			Response { quality: 1_000, cartel: true },
			Response { quality: 9_999, cartel: false },
		]
	}

	fn reveal_once(strategy: ValidatorStrategy) -> Option<Vec<u16>> {
		let mut rng = ChaCha8Rng::seed_from_u64(1);
		reveal(strategy, Machine { offset: 3, jitter: 1 }, &responses(), &KNOBS, &mut rng)
	}

	#[test]
	fn fixed_strategies_ignore_the_answers() {
		assert_eq!(reveal_once(ValidatorStrategy::LazyConstant), Some(vec![5_000; 3]));
		assert_eq!(reveal_once(ValidatorStrategy::Boosting), Some(vec![MAX_SCORE; 3]));
		assert_eq!(reveal_once(ValidatorStrategy::Sabotage), Some(vec![0; 3]));
		assert_eq!(reveal_once(ValidatorStrategy::Colluding), Some(vec![0, MAX_SCORE, 0]));
		let random = reveal_once(ValidatorStrategy::LazyRandom).unwrap();
		assert_eq!(random.len(), 3);
		assert!(random.iter().all(|s| *s <= MAX_SCORE));
	}

	#[test]
	fn only_the_absent_never_commit() {
		assert_eq!(reveal_once(ValidatorStrategy::Absent), None);
		for strategy in ValidatorStrategy::ALL {
			assert_eq!(strategy.commits(), strategy != ValidatorStrategy::Absent, "{strategy:?}");
		}
	}

	#[test]
	fn honest_scores_follow_the_machine() {
		let honest = reveal_once(ValidatorStrategy::Honest).unwrap();
		for (score, response) in honest.iter().zip(responses()) {
			assert!(score.abs_diff(response.quality) <= 4, "{score} for {response:?}");
		}
		// Clamped at the ends of the range.
		let mut rng = ChaCha8Rng::seed_from_u64(2);
		assert_eq!(Machine { offset: 3, jitter: 1 }.score(MAX_SCORE, &mut rng), MAX_SCORE);
		assert_eq!(Machine { offset: -3, jitter: 1 }.score(0, &mut rng), 0);
		// An exact machine gives the model's score.
		assert_eq!(Machine::EXACT.score(4_321, &mut rng), 4_321);
	}

	#[test]
	fn shading_moves_every_score_towards_the_cartel() {
		let shaded = reveal(
			ValidatorStrategy::Shading,
			Machine::EXACT,
			&responses(),
			&KNOBS,
			&mut ChaCha8Rng::seed_from_u64(4),
		);
		assert_eq!(shaded, Some(vec![6_000, 2_000, 8_999]));
	}

	#[test]
	fn intermittent_fails_at_its_rate() {
		let mut rng = ChaCha8Rng::seed_from_u64(3);
		let machine = Machine::EXACT;
		let failures = (0..2_000)
			.filter(|_| {
				reveal(ValidatorStrategy::Intermittent, machine, &responses(), &KNOBS, &mut rng)
					.is_none()
			})
			.count();
		assert!((900..=1_100).contains(&failures), "{failures} failures in 2000 seats");
	}

	proptest! {
		#[test]
		fn honest_scores_stay_within_noise_of_the_truth(
			quality in 0u16..=MAX_SCORE,
			noise in 0u16..20,
			seed in any::<u64>(),
		) {
			let mut rng = ChaCha8Rng::seed_from_u64(seed);
			let machine = Machine::draw(noise, &mut rng);
			let response = [Response { quality, cartel: false }];
			let scores =
				reveal(ValidatorStrategy::Honest, machine, &response, &KNOBS, &mut rng).unwrap();
			prop_assert!(scores[0] <= MAX_SCORE);
			prop_assert!(u32::from(scores[0].abs_diff(quality)) <= u32::from(noise) + 1);
			if noise == 0 {
				prop_assert_eq!(scores[0], quality, "an exact machine");
			}
		}

		#[test]
		fn node_answers_are_valid_scores(seed in any::<u64>()) {
			let mut rng = ChaCha8Rng::seed_from_u64(seed);
			let model = QualityModel::default();
			for strategy in NodeStrategy::ALL {
				prop_assert!(strategy.answer(&model, &mut rng) <= MAX_SCORE);
			}
		}
	}
}
