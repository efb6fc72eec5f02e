//! Stake-weighted draws, with no storage access.
//!
//! - [`select_weighted`] picks the inference nodes of a request: sampling without replacement,
//!   each draw picking a remaining candidate with probability proportional to its weight
//!   (successive sampling), so the first pick is exactly stake-proportional and no candidate is
//!   picked twice.
//! - [`allot_seats`] seats a validator committee: seats in proportion to stake, an account able
//!   to hold several (randomised systematic sampling). Each candidate's expected seats are
//!   exactly its share of the stake times the seats, and its seats are that number rounded down
//!   or up, never further from it: one account holds no more votes than its stake buys, and a
//!   stake split over several accounts holds the same number on average.
//!
//! Randomness comes from a 32-byte seed expanded with BLAKE2-256 in counter mode; every draw is
//! uniform by rejection sampling, so no modulo bias creeps in.

use alloc::vec::Vec;
use codec::Encode;

/// Domain tag of the seed expansion, so these streams never coincide with other uses of a seed.
const STREAM_TAG: &[u8; 15] = b"poq/select/draw";

/// How many rejected draws are retried before falling back to a reduction modulo the total.
///
/// A draw is rejected with probability below `total / 2^128`, so reaching the fallback is
/// practically impossible; the cap only keeps the loop bounded.
const MAX_REJECTIONS: u32 = 16;

/// Derives the selection seed of one purpose (`tag`) of one request from a random value.
///
/// Mixing in the request id makes every request draw differently even when the randomness source
/// returns the same value for a whole epoch.
pub fn seed_for(random: &[u8], tag: &[u8], request_id: u64) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(random, tag, request_id).encode())
}

/// A deterministic stream of uniform 128-bit values derived from a seed.
struct Stream {
	seed: [u8; 32],
	counter: u64,
}

impl Stream {
	fn next(&mut self) -> u128 {
		let block = sp_io::hashing::blake2_256(&(STREAM_TAG, self.seed, self.counter).encode());
		self.counter += 1;
		let mut bytes = [0u8; 16];
		bytes.copy_from_slice(&block[..16]);
		u128::from_le_bytes(bytes)
	}

	/// A value uniform in `0..bound` (`bound > 0`).
	fn below(&mut self, bound: u128) -> u128 {
		// 2^128 mod bound: the size of the biased tail of the u128 range.
		let tail = (u128::MAX % bound + 1) % bound;
		let mut value = self.next();
		let mut rejections = 0;
		while tail != 0 && value > u128::MAX - tail && rejections < MAX_REJECTIONS {
			value = self.next();
			rejections += 1;
		}
		value % bound
	}
}

/// Picks up to `k` distinct indices of `weights`, each draw proportional to the weight among the
/// candidates not yet picked.
///
/// Candidates of weight zero are never picked; when fewer than `k` candidates have weight, all of
/// them are returned. The result is in draw order and depends only on `seed`, `weights` and `k`.
/// Weights are summed with saturation: a pool whose stakes overflow `u128` is not a real chain.
pub fn select_weighted(seed: [u8; 32], weights: &[u128], k: usize) -> Vec<usize> {
	let mut remaining: Vec<(usize, u128)> =
		weights.iter().copied().enumerate().filter(|(_, w)| *w > 0).collect();
	let mut stream = Stream { seed, counter: 0 };
	let mut picked = Vec::with_capacity(k.min(remaining.len()));
	while picked.len() < k && !remaining.is_empty() {
		let total = remaining.iter().fold(0u128, |acc, (_, w)| acc.saturating_add(*w));
		let mut target = stream.below(total);
		let position = remaining
			.iter()
			.position(|(_, w)| {
				if target < *w {
					true
				} else {
					target -= w;
					false
				}
			})
			// The target is below the total, so some candidate covers it; the last one absorbs a
			// saturated total.
			.unwrap_or(remaining.len() - 1);
		picked.push(remaining.remove(position).0);
	}
	picked
}

/// Seats `seats` seats among `weights` in proportion to weight, an index able to hold several:
/// `(index, seats held)` for every index that holds one, in draw order.
///
/// Randomised systematic sampling: the candidates of positive weight are shuffled and laid end
/// to end, each as long as its weight, on a line of length `total`; `seats` points `total /
/// seats` apart, the first at a uniform offset, fall on them. A candidate of weight `w` thus
/// holds `seats * w / total` seats rounded down or up, and on average exactly that. The shuffle
/// keeps the candidates' order (their registration order in the pool) from deciding which
/// neighbours share a gap between points, so accounts placed side by side gain nothing. All
/// seats go to someone when some weight is positive; none when none is. Everything is integer:
/// the line is scaled by `seats`, so the points fall at `offset + k * total`. Weights are
/// summed with saturation: a pool whose stakes times the seats overflow `u128` is not a real
/// chain.
pub fn allot_seats(seed: [u8; 32], weights: &[u128], seats: u32) -> Vec<(usize, u32)> {
	let mut candidates: Vec<(usize, u128)> =
		weights.iter().copied().enumerate().filter(|(_, w)| *w > 0).collect();
	let total = candidates.iter().fold(0u128, |acc, (_, w)| acc.saturating_add(*w));
	if total == 0 || seats == 0 {
		return Vec::new();
	}
	let mut stream = Stream { seed, counter: 0 };
	// Fisher–Yates, from the back.
	for last in (1..candidates.len()).rev() {
		let pick = stream.below(last as u128 + 1) as usize;
		candidates.swap(last, pick);
	}
	let step = u128::from(seats);
	let mut point = stream.below(total);
	let mut placed = 0u32;
	let mut start = 0u128;
	let mut allotted = Vec::new();
	for (position, (index, weight)) in candidates.iter().enumerate() {
		let end = start.saturating_add(weight.saturating_mul(step));
		let mut held = 0u32;
		if position + 1 == candidates.len() {
			// The points left all lie on the last candidate, and so do any a saturated line
			// could not place.
			held = seats - placed;
		}
		while placed + held < seats && point < end {
			held += 1;
			point = point.saturating_add(total);
		}
		placed += held;
		if held > 0 {
			allotted.push((*index, held));
		}
		start = end;
	}
	allotted
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn picks_k_distinct_candidates() {
		let picked = select_weighted([7; 32], &[10, 20, 30, 40, 50], 3);
		assert_eq!(picked.len(), 3);
		let mut sorted = picked.clone();
		sorted.sort();
		sorted.dedup();
		assert_eq!(sorted.len(), 3);
	}

	#[test]
	fn zero_weights_are_never_picked() {
		let picked = select_weighted([1; 32], &[0, 5, 0, 5], 4);
		let mut sorted = picked.clone();
		sorted.sort();
		assert_eq!(sorted, vec![1, 3]);
	}

	#[test]
	fn empty_pool_picks_nothing() {
		assert!(select_weighted([1; 32], &[], 3).is_empty());
		assert!(select_weighted([1; 32], &[0, 0], 3).is_empty());
	}

	#[test]
	fn first_draw_is_stake_proportional() {
		// Weights 1:3, so over many seeds the heavy candidate comes first about 75% of the time.
		let trials = 4_000u32;
		let heavy_first = (0..trials)
			.filter(|i| select_weighted(seed_for(&i.to_le_bytes(), b"t", 0), &[1, 3], 1) == [1])
			.count() as f64;
		let share = heavy_first / trials as f64;
		assert!((share - 0.75).abs() < 0.03, "heavy candidate first in {share} of draws");
	}

	#[test]
	fn uniform_draw_has_no_modulo_bias() {
		// With a bound of 3 the three outcomes must be equally likely.
		let mut stream = Stream { seed: [3; 32], counter: 0 };
		let mut counts = [0u32; 3];
		for _ in 0..6_000 {
			counts[stream.below(3) as usize] += 1;
		}
		for count in counts {
			assert!((1_850..=2_150).contains(&count), "counts {counts:?}");
		}
	}

	#[test]
	fn seeds_differ_by_request_and_tag() {
		assert_ne!(seed_for(b"r", b"nodes", 1), seed_for(b"r", b"nodes", 2));
		assert_ne!(seed_for(b"r", b"nodes", 1), seed_for(b"r", b"committee", 1));
	}

	#[test]
	fn equal_stakes_and_as_many_seats_seat_everyone_once() {
		for seed in 0..50u8 {
			let mut seated = allot_seats([seed; 32], &[7; 5], 5);
			seated.sort();
			assert_eq!(seated, vec![(0, 1), (1, 1), (2, 1), (3, 1), (4, 1)]);
		}
	}

	#[test]
	fn a_majority_of_the_stake_holds_a_majority_of_the_seats() {
		// 60 % in one account of five seats: 3 seats always, never 2 and never 4.
		for seed in 0..200u32 {
			let seated = allot_seats(seed_for(&seed.to_le_bytes(), b"t", 0), &[60, 10, 10, 20], 5);
			assert_eq!(seated.iter().find(|(i, _)| *i == 0), Some(&(0, 3)));
		}
	}

	#[test]
	fn seats_follow_stake_on_average() {
		// Expected seats: 11 * w / 100 of 11 seats.
		let weights = [30u128, 5, 5, 20, 40];
		let trials = 4_000u32;
		let mut held = [0u64; 5];
		for i in 0..trials {
			for (index, seats) in allot_seats(seed_for(&i.to_le_bytes(), b"t", 0), &weights, 11) {
				held[index] += u64::from(seats);
			}
		}
		for (index, weight) in weights.iter().enumerate() {
			let mean = held[index] as f64 / trials as f64;
			let expected = 11.0 * *weight as f64 / 100.0;
			assert!((mean - expected).abs() < 0.05, "candidate {index}: {mean} seats, {expected}");
		}
		// 30 % of the stake split in two among fourteen accounts of 5 %: 1.5 of 5 seats.
		let mut weights = vec![3u128, 3];
		weights.extend([1; 14]);
		let split: u32 = (0..trials)
			.flat_map(|i| allot_seats(seed_for(&i.to_le_bytes(), b"s", 0), &weights, 5))
			.filter(|(index, _)| *index < 2)
			.map(|(_, seats)| seats)
			.sum();
		let mean = f64::from(split) / f64::from(trials);
		assert!((mean - 1.5).abs() < 0.03, "{mean} seats");
	}

	#[test]
	fn no_seats_for_nobody() {
		assert!(allot_seats([1; 32], &[], 5).is_empty());
		assert!(allot_seats([1; 32], &[0, 0], 5).is_empty());
		assert!(allot_seats([1; 32], &[3, 4], 0).is_empty());
	}

	proptest! {
		#[test]
		fn every_seat_goes_to_stake_rounded_down_or_up(
			seed in any::<[u8; 32]>(),
			weights in proptest::collection::vec(0u128..1_000_000, 0..40),
			seats in 1u32..64,
		) {
			let seated = allot_seats(seed, &weights, seats);
			prop_assert_eq!(&seated, &allot_seats(seed, &weights, seats));
			let total: u128 = weights.iter().sum();
			let held: u32 = seated.iter().map(|(_, s)| s).sum();
			prop_assert_eq!(held, if total == 0 { 0 } else { seats });
			let mut indices: Vec<usize> = seated.iter().map(|(i, _)| *i).collect();
			indices.sort();
			indices.dedup();
			prop_assert_eq!(indices.len(), seated.len());
			for (index, weight) in weights.iter().enumerate() {
				let s = seated.iter().find(|(i, _)| *i == index).map_or(0, |(_, s)| *s);
				let exact = u128::from(seats) * weight;
				// floor(seats * w / total) <= s <= ceil(seats * w / total)
				prop_assert!(u128::from(s) * total < exact + total || total == 0);
				prop_assert!(u128::from(s) * total + total > exact || total == 0);
			}
		}

		#[test]
		fn huge_stakes_still_seat_every_seat(
			seed in any::<[u8; 32]>(),
			weights in proptest::collection::vec(u128::MAX / 4..=u128::MAX, 1..8),
			seats in 1u32..64,
		) {
			let held: u32 = allot_seats(seed, &weights, seats).iter().map(|(_, s)| s).sum();
			prop_assert_eq!(held, seats);
		}

		#[test]
		fn deterministic_and_without_duplicates(
			seed in any::<[u8; 32]>(),
			weights in proptest::collection::vec(0u128..1_000_000, 0..40),
			k in 0usize..50,
		) {
			let picked = select_weighted(seed, &weights, k);
			prop_assert_eq!(&picked, &select_weighted(seed, &weights, k));
			let eligible = weights.iter().filter(|w| **w > 0).count();
			prop_assert_eq!(picked.len(), k.min(eligible));
			let mut unique = picked.clone();
			unique.sort();
			unique.dedup();
			prop_assert_eq!(unique.len(), picked.len());
			prop_assert!(picked.iter().all(|i| weights[*i] > 0));
		}

		#[test]
		fn huge_weights_do_not_overflow(
			seed in any::<[u8; 32]>(),
			weights in proptest::collection::vec(u128::MAX / 4..=u128::MAX, 1..8),
		) {
			let picked = select_weighted(seed, &weights, weights.len());
			prop_assert_eq!(picked.len(), weights.len());
		}
	}
}
