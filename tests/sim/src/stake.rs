//! Bonds of a pool and which accounts play which strategy, by share of stake.

use rand::{seq::SliceRandom, Rng};
use rand_distr::{Distribution, Pareto};

/// How the bonds of a pool are spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StakeDistribution {
	/// Everyone bonds the same amount.
	Equal,
	/// Bonds uniform between one and ten times the base bond.
	Uniform,
	/// A heavy tail: the base bond times a Pareto factor of shape 1.5 (a few whales hold much of
	/// the stake).
	Pareto,
}

/// Pareto shape of the heavy-tailed distribution: a finite mean, an infinite variance.
const PARETO_SHAPE: f64 = 1.5;

/// `count` bonds of at least `base` each, drawn from `distribution`.
pub fn draw_bonds<R: Rng + ?Sized>(
	distribution: StakeDistribution,
	count: usize,
	base: u128,
	rng: &mut R,
) -> Vec<u128> {
	let factor = |rng: &mut R| -> f64 {
		match distribution {
			StakeDistribution::Equal => 1.0,
			StakeDistribution::Uniform => rng.random_range(1.0..=10.0),
			StakeDistribution::Pareto => {
				Pareto::new(1.0, PARETO_SHAPE).expect("scale and shape are positive").sample(rng)
			},
		}
	};
	(0..count).map(|_| (base as f64 * factor(rng)).round() as u128).collect()
}

/// Assigns a label to every account so that each of `groups` holds at least its target share of
/// the total stake, taking accounts in a random order; the accounts left over get `rest`.
///
/// Shares are in parts per million. A group stops at the first account that brings it to its
/// target, so it overshoots by less than one account's stake (nothing, with equal stakes and a
/// target that is a whole number of accounts). Groups are filled in the order given and stop
/// early when the accounts run out.
pub fn assign_by_stake<L: Copy, R: Rng + ?Sized>(
	bonds: &[u128],
	groups: &[(L, u32)],
	rest: L,
	rng: &mut R,
) -> Vec<L> {
	let total: u128 = bonds.iter().sum();
	let mut order: Vec<usize> = (0..bonds.len()).collect();
	order.shuffle(rng);
	let mut labels = vec![rest; bonds.len()];
	let mut next = order.into_iter();
	for (label, share_ppm) in groups {
		let target = total * u128::from(*share_ppm) / 1_000_000;
		let mut held = 0u128;
		while held < target {
			let Some(account) = next.next() else { return labels };
			labels[account] = *label;
			held += bonds[account];
		}
	}
	labels
}

/// A fraction in `0..=1` as parts per million, the unit of [`assign_by_stake`].
pub fn to_ppm(fraction: f64) -> u32 {
	(fraction.clamp(0.0, 1.0) * 1_000_000.0).round() as u32
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;
	use rand::SeedableRng;
	use rand_chacha::ChaCha8Rng;

	#[test]
	fn equal_stakes_split_exactly() {
		let bonds = vec![100u128; 60];
		let mut rng = ChaCha8Rng::seed_from_u64(0);
		let labels =
			assign_by_stake(&bonds, &[('a', to_ppm(0.05)), ('b', to_ppm(0.3))], '-', &mut rng);
		assert_eq!(labels.iter().filter(|l| **l == 'a').count(), 3);
		assert_eq!(labels.iter().filter(|l| **l == 'b').count(), 18);
		assert_eq!(labels.iter().filter(|l| **l == '-').count(), 39);
	}

	#[test]
	fn bond_distributions_have_their_shape() {
		let mut rng = ChaCha8Rng::seed_from_u64(0);
		assert!(draw_bonds(StakeDistribution::Equal, 5, 7, &mut rng).iter().all(|b| *b == 7));
		let uniform = draw_bonds(StakeDistribution::Uniform, 1_000, 100, &mut rng);
		assert!(uniform.iter().all(|b| (100..=1_000).contains(b)));
		// Heavy tail: the top 10 % of 1 000 Pareto(1.5) bonds hold far more than 10 % of stake.
		let mut pareto = draw_bonds(StakeDistribution::Pareto, 1_000, 100, &mut rng);
		pareto.sort_unstable();
		let total: u128 = pareto.iter().sum();
		let top: u128 = pareto[900..].iter().sum();
		assert!(pareto[0] >= 100);
		assert!(top * 100 / total > 30, "top decile holds {}%", top * 100 / total);
	}

	proptest! {
		#[test]
		fn groups_reach_their_share_by_less_than_one_account(
			bonds in proptest::collection::vec(1u128..1_000, 1..80),
			shares in proptest::collection::vec(0u32..300_000, 0..4),
			seed in any::<u64>(),
		) {
			let groups: Vec<(usize, u32)> = shares.iter().copied().enumerate().collect();
			let mut rng = ChaCha8Rng::seed_from_u64(seed);
			let labels = assign_by_stake(&bonds, &groups, usize::MAX, &mut rng);
			let total: u128 = bonds.iter().sum();
			let largest = *bonds.iter().max().unwrap();
			let all_assigned = labels.iter().all(|l| *l != usize::MAX);
			for (group, share) in &groups {
				let held: u128 =
					bonds.iter().zip(&labels).filter(|(_, l)| *l == group).map(|(b, _)| b).sum();
				let target = total * u128::from(*share) / 1_000_000;
				prop_assert!(held < target + largest);
				// Only a pool that ran out of accounts can leave a group short.
				prop_assert!(held >= target || all_assigned);
			}
		}
	}
}
