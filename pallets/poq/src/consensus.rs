//! Consensus scores from revealed scores, with no storage access.

use alloc::vec::Vec;

/// Highest valid score: `round(10_000 * clamp(x, 0, 1))`.
pub const MAX_SCORE: u16 = 10_000;

/// The weighted (lower) median: the smallest score at which the weight of the scores at or below
/// it reaches half of the total weight.
///
/// Each entry is `(score, weight)`; the pallet weighs a member's scores by the committee seats it
/// holds (the entries' second field is called `stake` below, as in the simulator's other
/// rules). When every weight is zero the entries count equally. `None` for
/// no entries. Ties in score are order-independent, so the result does not depend on the order of
/// the entries.
pub fn weighted_median(entries: &[(u16, u128)]) -> Option<u16> {
	if entries.is_empty() {
		return None;
	}
	let mut sorted = entries.to_vec();
	sorted.sort_unstable();
	let unweighted = sorted.iter().all(|(_, stake)| *stake == 0);
	let weight = |stake: u128| if unweighted { 1 } else { stake };
	let total = sorted.iter().fold(0u128, |acc, (_, stake)| acc.saturating_add(weight(*stake)));
	// `2 * cumulative >= total`, written so that neither side can overflow.
	let half = total / 2 + total % 2;
	let mut cumulative = 0u128;
	for (score, stake) in &sorted {
		cumulative = cumulative.saturating_add(weight(*stake));
		if cumulative >= half {
			return Some(*score);
		}
	}
	sorted.last().map(|(score, _)| *score)
}

/// Consensus score of each of `responses` responses from the reveals `(scores, stake)`; every
/// reveal holds one score per response. Empty when nobody revealed.
pub fn consensus_scores(reveals: &[(&[u16], u128)], responses: usize) -> Vec<u16> {
	aggregate_responses(reveals, responses, |column| weighted_median(column).unwrap_or_default())
}

/// Applies `rule` to the `(score, stake)` column of each of `responses` responses; empty when
/// nobody revealed. [`consensus_scores`] is this with the weighted median; other rules exist
/// only off chain, to compare against it.
pub fn aggregate_responses(
	reveals: &[(&[u16], u128)],
	responses: usize,
	rule: impl Fn(&[(u16, u128)]) -> u16,
) -> Vec<u16> {
	if reveals.is_empty() {
		return Vec::new();
	}
	(0..responses)
		.map(|j| {
			let column: Vec<(u16, u128)> =
				reveals.iter().map(|(scores, stake)| (scores[j], *stake)).collect();
			rule(&column)
		})
		.collect()
}

/// Whether a validator's scores are within `tolerance` of consensus in mean absolute deviation.
///
/// Compared as `sum |s - c| <= tolerance * n`, which is the same test without a division.
pub fn in_consensus(scores: &[u16], consensus: &[u16], tolerance: u16) -> bool {
	let deviation: u64 = scores.iter().zip(consensus).map(|(s, c)| u64::from(s.abs_diff(*c))).sum();
	deviation <= u64::from(tolerance) * consensus.len() as u64
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn median_of_equal_stakes_is_the_lower_median() {
		assert_eq!(weighted_median(&[(10, 1), (30, 1), (20, 1)]), Some(20));
		assert_eq!(weighted_median(&[(10, 1), (40, 1), (30, 1), (20, 1)]), Some(20));
		assert_eq!(weighted_median(&[]), None);
	}

	#[test]
	fn stake_majority_decides() {
		// One whale with more than half the stake sets the consensus alone.
		assert_eq!(weighted_median(&[(9_000, 60), (100, 20), (200, 20)]), Some(9_000));
		// Exactly half is enough for the lower value.
		assert_eq!(weighted_median(&[(100, 50), (9_000, 50)]), Some(100));
	}

	#[test]
	fn zero_stakes_count_equally() {
		assert_eq!(weighted_median(&[(5, 0), (1, 0), (3, 0)]), Some(3));
	}

	#[test]
	fn consensus_per_response() {
		let a = [8_000u16, 1_000];
		let b = [8_200u16, 1_200];
		let c = [0u16, 10_000];
		let reveals: Vec<(&[u16], u128)> = vec![(&a, 10), (&b, 10), (&c, 10)];
		assert_eq!(consensus_scores(&reveals, 2), vec![8_000, 1_200]);
		assert!(consensus_scores(&[], 2).is_empty());
	}

	#[test]
	fn deviation_within_tolerance() {
		assert!(in_consensus(&[100, 300], &[200, 200], 100));
		assert!(!in_consensus(&[100, 301], &[200, 200], 100));
		assert!(in_consensus(&[], &[], 0));
	}

	proptest! {
		#[test]
		fn median_lies_within_the_scores(
			entries in proptest::collection::vec((0u16..=MAX_SCORE, 0u128..1_000_000), 1..30),
		) {
			let median = weighted_median(&entries).unwrap();
			let min = entries.iter().map(|e| e.0).min().unwrap();
			let max = entries.iter().map(|e| e.0).max().unwrap();
			prop_assert!(min <= median && median <= max);
			prop_assert!(entries.iter().any(|e| e.0 == median));
		}

		#[test]
		fn median_ignores_order(
			entries in proptest::collection::vec((0u16..=MAX_SCORE, 0u128..1_000_000), 1..30),
			rotate in 0usize..30,
		) {
			let mut shuffled = entries.clone();
			shuffled.reverse();
			let len = shuffled.len();
			shuffled.rotate_left(rotate % len);
			prop_assert_eq!(weighted_median(&entries), weighted_median(&shuffled));
		}

		#[test]
		fn median_holds_half_the_stake_on_each_side(
			entries in proptest::collection::vec((0u16..=MAX_SCORE, 1u128..1_000_000), 1..30),
		) {
			let median = weighted_median(&entries).unwrap();
			let total: u128 = entries.iter().map(|e| e.1).sum();
			let at_or_below: u128 = entries.iter().filter(|e| e.0 <= median).map(|e| e.1).sum();
			let at_or_above: u128 = entries.iter().filter(|e| e.0 >= median).map(|e| e.1).sum();
			prop_assert!(2 * at_or_below >= total);
			prop_assert!(2 * at_or_above >= total);
		}

		#[test]
		fn honest_majority_bounds_the_consensus(
			honest in proptest::collection::vec(4_000u16..=6_000, 3..10),
			liars in proptest::collection::vec(any::<bool>(), 0..3),
		) {
			// Fewer liars than honest members, equal stakes: consensus stays in the honest range.
			prop_assume!(liars.len() < honest.len());
			let mut entries: Vec<(u16, u128)> = honest.iter().map(|s| (*s, 1)).collect();
			entries.extend(liars.iter().map(|high| (if *high { MAX_SCORE } else { 0 }, 1)));
			let median = weighted_median(&entries).unwrap();
			prop_assert!((4_000..=6_000).contains(&median));
		}
	}
}
