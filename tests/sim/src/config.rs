//! Parameters of a simulation run, settable from the command line.

use crate::{
	quality::{read_red_team, read_scores, GoodAnswers, Quality, QualityModel},
	stake::StakeDistribution,
	strategy::{ValidatorKnobs, ValidatorStrategy},
};
use clap::Parser;
use pallet_poq::{consensus::MAX_SCORE, settlement::Params};
use sp_arithmetic::Perbill;
use std::path::PathBuf;

/// Parameters of a run. The protocol's defaults are the pallet README's suggested configuration.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
	/// Requests to play, one per round (the attack sweep plays this many per fraction).
	#[arg(long, default_value_t = 20_000, global = true)]
	pub rounds: u64,
	/// Seed of everything random: bonds, strategies, answers, scores and the draws.
	#[arg(long, default_value_t = 42, global = true)]
	pub seed: u64,
	/// Validators per committee (`CommitteeSize`).
	#[arg(long, default_value_t = 5, global = true)]
	pub committee: usize,
	/// Inference nodes per request (`NodesPerRequest`).
	#[arg(long, default_value_t = 3, global = true)]
	pub nodes_per_request: usize,
	/// Committees drawn again, at most, when one fails on revealed answers, each without the
	/// members who stayed away (`MaxRedraws`).
	#[arg(long, default_value_t = 2, global = true)]
	pub redraws: usize,
	/// Percent of the nodes' part paid, in equal parts, for answers no committee vouched for
	/// (`UnvouchedShare`).
	#[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=100), global = true)]
	pub unvouched_share: u32,
	/// Validators in the pool.
	#[arg(long, default_value_t = 60, global = true)]
	pub validators: usize,
	/// Inference nodes in the pool.
	#[arg(long, default_value_t = 30, global = true)]
	pub nodes: usize,
	/// How bonds are spread in both pools.
	#[arg(long, value_enum, default_value_t = StakeDistribution::Equal, global = true)]
	pub stakes: StakeDistribution,
	/// Base bond (`MinBond`); every bond is at least this.
	#[arg(long, default_value_t = 10_000, global = true)]
	pub bond: u128,
	/// Fee escrowed by every request.
	#[arg(long, default_value_t = 1_000, global = true)]
	pub fee: u128,
	/// Penalty for a missing or off-consensus reveal (`Penalty`) [default: 10 % of --bond].
	#[arg(long, global = true)]
	pub penalty: Option<u128>,
	/// Percent of the fee a lie costs when more than the penalty (`PenaltyShare`).
	#[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=100), global = true)]
	pub penalty_share: u32,
	/// Penalty for never committing (`AbsencePenalty`) [default: a fifth of the penalty, as in
	/// the runtime].
	#[arg(long, global = true)]
	pub absence_penalty: Option<u128>,
	/// Largest mean absolute deviation from consensus still paid (`Tolerance`): none, as in
	/// the runtime, since honest machines give the same bits.
	#[arg(long, default_value_t = 0, value_parser = score, global = true)]
	pub tolerance: u16,
	/// Consensus score below which an answer earns nothing (`MinQuality`).
	#[arg(long, default_value_t = 2_000, value_parser = score, global = true)]
	pub min_quality: u16,
	/// Percent of the fee for validators in consensus (`ValidatorShare`).
	#[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=100), global = true)]
	pub validator_share: u32,
	/// Fraction of validator stake that is dishonest in the rewards run, split evenly among
	/// intermittent, lazy-constant, lazy-random, boosting, sabotage and colluding.
	#[arg(long, default_value_t = 0.3, value_parser = fraction, global = true)]
	pub malicious: f64,
	/// Fraction of validator stake that never commits (absent), on top of `--malicious`.
	#[arg(long, default_value_t = 0.0, value_parser = fraction, global = true)]
	pub absent: f64,
	/// Fraction of inference-node stake that is lazy (the colluders' cartel).
	#[arg(long, default_value_t = 0.2, value_parser = fraction, global = true)]
	pub lazy_nodes: f64,
	/// Fraction of inference-node stake that is mixed.
	#[arg(long, default_value_t = 0.2, value_parser = fraction, global = true)]
	pub mixed_nodes: f64,
	/// Fraction of inference-node stake that copies other nodes' answers.
	#[arg(long, default_value_t = 0.0, value_parser = fraction, global = true)]
	pub copying_nodes: f64,
	/// Penalty for a node that commits and never reveals (`NodePenalty`) [default: the
	/// validators' penalty, as in the runtime].
	#[arg(long, global = true)]
	pub node_penalty: Option<u128>,
	/// The score a lazy-constant validator reveals.
	#[arg(long, default_value_t = 5_000, value_parser = score, global = true)]
	pub lazy_constant: u16,
	/// Probability that an intermittent validator commits and then fails to reveal.
	#[arg(long, default_value_t = 0.1, value_parser = fraction, global = true)]
	pub intermittent_failure: f64,
	/// Largest per-machine offset of an honest validator's scores, in score units: 0 for the
	/// default model, whose scores are the same bits on every CPU; a few units, plus a unit of
	/// rounding jitter, for a model computing in f32.
	#[arg(long, default_value_t = 0, global = true)]
	pub noise: u16,
	/// How far a shading validator moves each score [default: `--tolerance`, the most it can
	/// shade and stay in consensus with honest members].
	#[arg(long, value_parser = score, global = true)]
	pub shade: Option<u16>,
	/// Synthetic distribution of good answers' quality.
	#[arg(long, value_enum, default_value_t = GoodAnswers::Spread, global = true)]
	pub answers: GoodAnswers,
	/// JSON lines from `poq-scorer score` ({"score": .., "raw": ..}): the true qualities of
	/// good answers are drawn from these real scores instead of the synthetic distribution.
	#[arg(long, global = true)]
	pub scores: Option<PathBuf>,
	/// The same for junk answers (what lazy and mixed nodes return without running the model).
	#[arg(long, global = true)]
	pub junk_scores: Option<PathBuf>,
	/// JSON lines from `poq-scorer attack --details`: `judge-gaming` plays each prompt's good
	/// answer and the red team's best text at the scores the judge gave them, prompt after
	/// prompt, instead of 8 000 and 10 000.
	#[arg(long, global = true)]
	pub red_team: Option<PathBuf>,
}

impl Default for Config {
	/// The command line's defaults, so there is one source of them.
	fn default() -> Self {
		#[derive(Parser)]
		struct Defaults {
			#[command(flatten)]
			config: Config,
		}
		Defaults::parse_from(["poq-sim"]).config
	}
}

impl Config {
	/// The penalty in force: `--penalty`, or 10 % of the bond as the README suggests.
	pub fn penalty(&self) -> u128 {
		self.penalty.unwrap_or(self.bond / 10)
	}

	/// The node penalty in force: `--node-penalty`, or the validators' penalty.
	pub fn node_penalty(&self) -> u128 {
		self.node_penalty.unwrap_or_else(|| self.penalty())
	}

	/// The absence penalty in force: `--absence-penalty`, or a fifth of the penalty.
	pub fn absence_penalty(&self) -> u128 {
		self.absence_penalty.unwrap_or(self.penalty() / 5)
	}

	/// The pallet's settlement parameters.
	pub fn params(&self) -> Params {
		Params {
			validator_share: Perbill::from_percent(self.validator_share),
			min_quality: self.min_quality,
			tolerance: self.tolerance,
			penalty: self.penalty(),
			penalty_share: Perbill::from_percent(self.penalty_share),
			absence_penalty: self.absence_penalty(),
			unvouched_share: Perbill::from_percent(self.unvouched_share),
		}
	}

	/// The validator strategies' knobs.
	pub fn knobs(&self) -> ValidatorKnobs {
		ValidatorKnobs {
			lazy_constant: self.lazy_constant,
			intermittent_failure: self.intermittent_failure,
			shade: self.shade.unwrap_or(self.tolerance),
		}
	}

	/// The quality model: good answers from `--scores` when given, else from `--answers`; junk
	/// from `--junk-scores` when given, else the default.
	pub fn qualities(&self) -> Result<QualityModel, String> {
		let mut model = QualityModel { good: self.answers.quality(), ..QualityModel::default() };
		if let Some(path) = &self.scores {
			model.good = Quality::Observed(read_scores(path)?);
		}
		if let Some(path) = &self.junk_scores {
			model.junk = Quality::Observed(read_scores(path)?);
		}
		Ok(model)
	}

	/// What `judge-gaming` plays, prompt after prompt: the committee's scores of the good
	/// answer and of the text written for the judge, the red team's measured ones
	/// (`--red-team`) or 8 000 and 10 000.
	pub fn gaming_scores(&self) -> Result<Vec<(u16, u16)>, String> {
		match &self.red_team {
			Some(path) => read_red_team(path),
			None => Ok(vec![(8_000, 10_000)]),
		}
	}

	/// The rewards run's validator mix: `malicious` split evenly over every dishonest strategy.
	pub fn dishonest_mix(&self) -> Vec<(ValidatorStrategy, f64)> {
		let malicious: Vec<_> = ValidatorStrategy::ALL
			.into_iter()
			.filter(|s| {
				!matches!(
					s,
					ValidatorStrategy::Honest
						| ValidatorStrategy::Absent
						| ValidatorStrategy::Shading
				)
			})
			.collect();
		let share = self.malicious / malicious.len() as f64;
		let mut mix: Vec<_> = malicious.into_iter().map(|strategy| (strategy, share)).collect();
		if self.absent > 0.0 {
			mix.push((ValidatorStrategy::Absent, self.absent));
		}
		mix
	}
}

/// Parses a probability or share: a number in `0..=1`.
fn fraction(text: &str) -> Result<f64, String> {
	match text.parse::<f64>() {
		Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
		_ => Err(format!("`{text}` is not a number from 0 to 1")),
	}
}

/// Parses a score: an integer in `0..=MAX_SCORE`.
fn score(text: &str) -> Result<u16, String> {
	match text.parse::<u16>() {
		Ok(value) if value <= MAX_SCORE => Ok(value),
		_ => Err(format!("`{text}` is not a score from 0 to {MAX_SCORE}")),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn defaults_are_the_readme_configuration() {
		let config = Config::default();
		assert_eq!((config.committee, config.nodes_per_request), (5, 3));
		let params = config.params();
		assert_eq!((params.tolerance, params.min_quality), (0, 2_000));
		assert_eq!(params.validator_share, Perbill::from_percent(20));
		assert_eq!(params.penalty, config.bond / 10);
	}

	#[test]
	fn rejects_out_of_range_values() {
		#[derive(Parser)]
		struct Cli {
			#[command(flatten)]
			config: Config,
		}
		assert!(Cli::try_parse_from(["poq-sim", "--malicious", "1.5"]).is_err());
		assert!(Cli::try_parse_from(["poq-sim", "--lazy-constant", "10001"]).is_err());
		assert!(Cli::try_parse_from(["poq-sim", "--validator-share", "101"]).is_err());
		let config =
			Cli::try_parse_from(["poq-sim", "--intermittent-failure", "1"]).unwrap().config;
		assert_eq!(config.intermittent_failure, 1.0);
	}

	#[test]
	fn absent_stake_joins_the_mix_only_when_asked() {
		let mix = Config { absent: 0.1, ..Config::default() }.dishonest_mix();
		assert_eq!(mix.len(), 7);
		assert!(mix.contains(&(ValidatorStrategy::Absent, 0.1)));
		assert!(!Config::default()
			.dishonest_mix()
			.iter()
			.any(|(s, _)| *s == ValidatorStrategy::Absent));
	}

	#[test]
	fn malicious_stake_is_split_over_six_strategies() {
		let mix = Config::default().dishonest_mix();
		assert_eq!(mix.len(), 6);
		assert!(mix
			.iter()
			.all(|(s, share)| *s != ValidatorStrategy::Honest && (share - 0.05).abs() < 1e-12));
	}
}
