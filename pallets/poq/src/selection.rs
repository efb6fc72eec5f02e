//! Stake-weighted sampling without replacement, with no storage access.
//!
//! Used to pick the inference nodes of a request and, once the responses are in, its validator
//! committee. Each draw picks a remaining candidate with probability proportional to its weight
//! (successive sampling), so the first pick is exactly stake-proportional and no candidate is
//! picked twice. Randomness comes from a 32-byte seed expanded with BLAKE2-256 in counter mode;
//! every draw is uniform over the remaining weight by rejection sampling, so no modulo bias
//! creeps in.

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

	proptest! {
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
