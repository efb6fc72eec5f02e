//! Ways to turn a committee's revealed scores into one consensus score per response.
//!
//! The pallet's rule is the stake-weighted median ([`pallet_poq::consensus`]); the mean and the
//! trimmed mean exist only to show what the median buys under attack. All three weigh each score
//! by its validator's stake, so they differ in the rule alone; with equal stakes the mean is the
//! plain average.

use pallet_poq::consensus::{aggregate_responses, consensus_scores, weighted_median};

/// A rule that aggregates `(score, stake)` entries of one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregator {
	/// The pallet's stake-weighted lower median.
	Median,
	/// The stake-weighted mean.
	Mean,
	/// The stake-weighted mean of what is left after dropping [`TRIM`] of the stake at each end.
	TrimmedMean,
}

/// Share of the stake a trimmed mean drops at each end: one member in five with equal stakes.
pub const TRIM: f64 = 0.2;

impl Aggregator {
	/// Every rule, the pallet's first.
	pub const ALL: [Self; 3] = [Self::Median, Self::Mean, Self::TrimmedMean];

	/// Name used in CSV files and plots.
	pub fn name(self) -> &'static str {
		match self {
			Self::Median => "median",
			Self::Mean => "mean",
			Self::TrimmedMean => "trimmed_mean",
		}
	}

	/// Consensus score of each of `responses` responses from the reveals `(scores, stake)`;
	/// empty when nobody revealed, as in the pallet.
	pub fn consensus(self, reveals: &[(&[u16], u128)], responses: usize) -> Vec<u16> {
		match self {
			// Exactly what the pallet computes.
			Self::Median => consensus_scores(reveals, responses),
			_ => aggregate_responses(reveals, responses, |column| self.aggregate(column)),
		}
	}

	/// The aggregate of a non-empty column of `(score, stake)`; when every stake is zero the
	/// entries count equally, as in the pallet's median.
	pub fn aggregate(self, entries: &[(u16, u128)]) -> u16 {
		match self {
			Self::Median => weighted_median(entries).unwrap_or_default(),
			Self::Mean => trimmed_mean(entries, 0.0),
			Self::TrimmedMean => trimmed_mean(entries, TRIM),
		}
	}
}

/// The stake-weighted mean of `entries` after dropping `trim` (`0..0.5`) of the total stake from
/// each end of the sorted scores, rounded to a score; an entry straddling a cut counts with the
/// part of its stake inside.
pub fn trimmed_mean(entries: &[(u16, u128)], trim: f64) -> u16 {
	let mut sorted = entries.to_vec();
	sorted.sort_unstable();
	let unweighted = sorted.iter().all(|(_, stake)| *stake == 0);
	let weight = |stake: u128| if unweighted { 1.0 } else { stake as f64 };
	let total: f64 = sorted.iter().map(|(_, stake)| weight(*stake)).sum();
	let (low, high) = (trim * total, (1.0 - trim) * total);
	let (mut below, mut kept, mut sum) = (0.0, 0.0, 0.0);
	for (score, stake) in &sorted {
		let (start, end) = (below, below + weight(*stake));
		below = end;
		let inside = end.min(high) - start.max(low);
		if inside > 0.0 {
			kept += inside;
			sum += inside * f64::from(*score);
		}
	}
	match kept > 0.0 {
		true => (sum / kept).round() as u16,
		false => 0,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_poq::consensus::MAX_SCORE;
	use proptest::prelude::*;

	#[test]
	fn trimming_drops_the_extremes() {
		let column = [(0, 1), (5_000, 1), (5_100, 1), (5_200, 1), (MAX_SCORE, 1)];
		assert_eq!(Aggregator::Mean.aggregate(&column), 5_060);
		assert_eq!(Aggregator::TrimmedMean.aggregate(&column), 5_100);
		assert_eq!(Aggregator::Median.aggregate(&column), 5_100);
	}

	#[test]
	fn stake_weights_every_rule() {
		let column = [(1_000, 3), (4_000, 1)];
		assert_eq!(Aggregator::Mean.aggregate(&column), 1_750);
		assert_eq!(Aggregator::Median.aggregate(&column), 1_000);
		// A fifth of 4 is 0.8 stake off each end: 2.2 at 1 000 and 0.2 at 4 000 stay.
		assert_eq!(Aggregator::TrimmedMean.aggregate(&column), 1_250);
	}

	#[test]
	fn median_is_the_pallets_consensus() {
		let (a, b, c) = ([1u16, 9_000], [2u16, 8_000], [3u16, 0]);
		let reveals: Vec<(&[u16], u128)> = vec![(&a, 1), (&b, 1), (&c, 5)];
		assert_eq!(Aggregator::Median.consensus(&reveals, 2), consensus_scores(&reveals, 2));
		assert!(Aggregator::Mean.consensus(&[], 2).is_empty());
	}

	proptest! {
		#[test]
		fn every_rule_stays_within_the_scores(
			entries in proptest::collection::vec((0u16..=MAX_SCORE, 0u128..1_000), 1..20),
		) {
			let min = entries.iter().map(|e| e.0).min().unwrap();
			let max = entries.iter().map(|e| e.0).max().unwrap();
			for rule in Aggregator::ALL {
				let value = rule.aggregate(&entries);
				prop_assert!(min <= value && value <= max, "{:?} gave {}", rule, value);
			}
		}

		#[test]
		fn unanimous_committees_agree_on_every_rule(
			score in 0u16..=MAX_SCORE,
			stakes in proptest::collection::vec(0u128..1_000, 1..20),
		) {
			let entries: Vec<(u16, u128)> = stakes.iter().map(|s| (score, *s)).collect();
			for rule in Aggregator::ALL {
				prop_assert_eq!(rule.aggregate(&entries), score);
			}
		}

		#[test]
		fn trimming_ignores_a_minority_of_outliers(
			honest in proptest::collection::vec(4_000u16..=6_000, 8..16),
			outliers in 1usize..=2,
			high in any::<bool>(),
		) {
			// At most 2 in 10 members lie, no more than the trimmed stake, so the trimmed mean stays
			// in the honest range however extreme the lie.
			let lie = if high { MAX_SCORE } else { 0 };
			let mut entries: Vec<(u16, u128)> = honest.iter().map(|s| (*s, 1)).collect();
			entries.extend(std::iter::repeat_n((lie, 1), outliers));
			let trimmed = Aggregator::TrimmedMean.aggregate(&entries);
			prop_assert!((4_000..=6_000).contains(&trimmed));
		}
	}
}
