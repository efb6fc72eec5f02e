//! The true quality of answers: synthetic distributions, or real scores from `poq-scorer score`.

use pallet_poq::consensus::MAX_SCORE;
use rand::{seq::IndexedRandom, Rng};
use rand_distr::{Beta, Distribution};
use std::{io::BufRead, path::Path};

/// Where the true quality of one kind of answer comes from.
#[derive(Clone, Debug)]
pub enum Quality {
	/// `round(10_000 * x)` with `x ~ Beta(alpha, beta)`.
	Beta(Beta<f64>),
	/// Drawn uniformly from observed scores (never empty).
	Observed(Vec<u16>),
}

impl Quality {
	/// A beta distribution; panics on non-positive shape parameters, which are programming
	/// errors here.
	pub fn beta(alpha: f64, beta: f64) -> Self {
		Self::Beta(Beta::new(alpha, beta).expect("beta shape parameters are positive"))
	}

	/// One quality score.
	pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u16 {
		match self {
			Self::Beta(beta) => to_score(beta.sample(rng)),
			Self::Observed(scores) => *scores.choose(rng).expect("observed pools are not empty"),
		}
	}
}

/// The quality model of a run: good answers, junk answers, and how often a mixed node answers
/// well.
#[derive(Clone, Debug)]
pub struct QualityModel {
	/// Answers of a node that ran the requested model.
	pub good: Quality,
	/// Answers of a node that did not.
	pub junk: Quality,
	/// Probability that a mixed node runs the model on a request.
	pub mixed_honest: f64,
}

impl Default for QualityModel {
	/// Good answers `Beta(8, 3)` (mean 7 270, sd 1 280 score units: a bi-encoder cosine of 0.5 to
	/// 0.9 for on-topic answers), junk `Beta(1.5, 8)` (mean 1 580, sd 1 130: most junk falls
	/// below `MinQuality` 2 000, some does not), mixed nodes answer well half the time.
	fn default() -> Self {
		Self {
			good: GoodAnswers::Spread.quality(),
			junk: Quality::beta(1.5, 8.0),
			mixed_honest: 0.5,
		}
	}
}

/// Which synthetic distribution good answers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GoodAnswers {
	/// `Beta(8, 3)`: qualities spread over the upper half of the range (the default model).
	Spread,
	/// `Beta(13, 11)`: mean 5 420, sd 990 score units, as a bi-encoder might score on-topic
	/// answers to similar prompts; the case where a constant guess lands near consensus.
	Clustered,
}

impl GoodAnswers {
	/// The distribution of good answers' quality.
	pub fn quality(self) -> Quality {
		match self {
			Self::Spread => Quality::beta(8.0, 3.0),
			Self::Clustered => Quality::beta(13.0, 11.0),
		}
	}
}

/// `round(10_000 * clamp(x, 0, 1))`, the protocol's quantisation.
pub fn to_score(x: f64) -> u16 {
	(f64::from(MAX_SCORE) * x.clamp(0.0, 1.0)).round() as u16
}

/// One line of `poq-scorer score` output; `raw` is not needed here.
#[derive(serde::Deserialize)]
struct ScoredLine {
	score: u16,
}

/// One line of `poq-scorer attack --details`: the judge's score of the prompt's good answer and
/// of the best text the red team found (the rest is not needed here).
#[derive(serde::Deserialize)]
struct AttackLine {
	good: u16,
	best: ScoredLine,
}

/// Reads the scores of a `poq-scorer score` JSON-lines file (`{"score": .., "raw": ..}` per
/// line; blank lines are skipped).
pub fn read_scores(path: &Path) -> Result<Vec<u16>, String> {
	read(path, parse_scores)
}

/// Reads a `poq-scorer attack --details` JSON-lines file: per prompt, the judge's score of the
/// good answer and of the red team's best text.
pub fn read_red_team(path: &Path) -> Result<Vec<(u16, u16)>, String> {
	read(path, parse_red_team)
}

fn read<T>(
	path: &Path,
	parse: fn(std::io::BufReader<std::fs::File>) -> Result<T, String>,
) -> Result<T, String> {
	let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
	parse(std::io::BufReader::new(file)).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses `poq-scorer score` JSON lines; fails on a malformed line, an out-of-range score or no
/// scores at all.
pub fn parse_scores(input: impl BufRead) -> Result<Vec<u16>, String> {
	json_lines(input, |line: ScoredLine| checked(line.score))
}

/// Parses `poq-scorer attack --details` JSON lines into (good answer's score, best text's score)
/// pairs; fails as [`parse_scores`] does.
pub fn parse_red_team(input: impl BufRead) -> Result<Vec<(u16, u16)>, String> {
	json_lines(input, |line: AttackLine| Ok((checked(line.good)?, checked(line.best.score)?)))
}

fn checked(score: u16) -> Result<u16, String> {
	match score > MAX_SCORE {
		true => Err(format!("score {score} above {MAX_SCORE}")),
		false => Ok(score),
	}
}

/// Each non-blank line of `input` as JSON, through `each`; fails at the first line that does not
/// parse or that `each` refuses, naming it, or when there is none.
fn json_lines<L: serde::de::DeserializeOwned, T>(
	input: impl BufRead,
	each: impl Fn(L) -> Result<T, String>,
) -> Result<Vec<T>, String> {
	let mut parsed = Vec::new();
	for (number, line) in input.lines().enumerate() {
		let line = line.map_err(|e| e.to_string())?;
		if line.trim().is_empty() {
			continue;
		}
		let at = |e: String| format!("line {}: {e}", number + 1);
		let value = serde_json::from_str(&line).map_err(|e| at(e.to_string()))?;
		parsed.push(each(value).map_err(at)?);
	}
	match parsed.is_empty() {
		true => Err("no lines".into()),
		false => Ok(parsed),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use rand::SeedableRng;
	use rand_chacha::ChaCha8Rng;

	#[test]
	fn parses_scorer_output() {
		let input = "{\"score\": 7120, \"raw\": 0.712}\n\n{\"score\":0,\"raw\":-0.3}\n";
		assert_eq!(parse_scores(input.as_bytes()), Ok(vec![7_120, 0]));
	}

	#[test]
	fn rejects_bad_input() {
		assert!(parse_scores("".as_bytes()).is_err());
		assert!(parse_scores("{\"score\": 10001, \"raw\": 1}".as_bytes()).is_err());
		assert!(parse_scores("{\"raw\": 1}".as_bytes()).unwrap_err().starts_with("line 1"));
	}

	#[test]
	fn parses_the_red_teams_details() {
		let input = "{\"prompt\":\"p\",\"good\":7473,\"best\":{\"strategy\":\"salad\",\"text\":\"t\",\"score\":10000},\"calls\":300}\n";
		assert_eq!(parse_red_team(input.as_bytes()), Ok(vec![(7_473, 10_000)]));
		assert!(parse_red_team("".as_bytes()).is_err());
		let above = "{\"good\":10001,\"best\":{\"score\":1}}";
		assert!(parse_red_team(above.as_bytes()).unwrap_err().starts_with("line 1: score 10001"));
		assert!(parse_red_team("{\"good\":1}".as_bytes()).unwrap_err().starts_with("line 1"));
	}

	#[test]
	fn observed_pool_draws_only_its_scores() {
		let pool = Quality::Observed(vec![10, 20]);
		let mut rng = ChaCha8Rng::seed_from_u64(0);
		assert!((0..100).all(|_| [10, 20].contains(&pool.sample(&mut rng))));
	}

	#[test]
	fn default_model_separates_good_from_junk() {
		let model = QualityModel::default();
		let mut rng = ChaCha8Rng::seed_from_u64(0);
		let mean = |q: &Quality, rng: &mut ChaCha8Rng| {
			(0..4_000).map(|_| f64::from(q.sample(rng))).sum::<f64>() / 4_000.0
		};
		assert!((mean(&model.good, &mut rng) - 7_270.0).abs() < 100.0);
		assert!((mean(&model.junk, &mut rng) - 1_580.0).abs() < 100.0);
	}

	#[test]
	fn quantisation_matches_the_protocol() {
		assert_eq!(to_score(-0.2), 0);
		assert_eq!(to_score(0.12346), 1_235);
		assert_eq!(to_score(1.7), MAX_SCORE);
	}
}
