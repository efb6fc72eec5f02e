//! Summary statistics of per-participant results.

/// Mean, spread and 10th/90th percentiles of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
	/// How many values.
	pub count: usize,
	/// Arithmetic mean.
	pub mean: f64,
	/// Population standard deviation.
	pub std: f64,
	/// 10th percentile (linear interpolation between closest ranks).
	pub p10: f64,
	/// 90th percentile.
	pub p90: f64,
}

impl Summary {
	/// Summary of `values`; all zero for an empty sample.
	pub fn of(values: &[f64]) -> Self {
		if values.is_empty() {
			return Self { count: 0, mean: 0.0, std: 0.0, p10: 0.0, p90: 0.0 };
		}
		let count = values.len();
		let mean = values.iter().sum::<f64>() / count as f64;
		let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count as f64;
		let mut sorted = values.to_vec();
		sorted.sort_by(f64::total_cmp);
		Self {
			count,
			mean,
			std: variance.sqrt(),
			p10: percentile(&sorted, 0.1),
			p90: percentile(&sorted, 0.9),
		}
	}
}

/// The `q` quantile of non-empty ascending `sorted`, interpolating between closest ranks.
fn percentile(sorted: &[f64], q: f64) -> f64 {
	let rank = q * (sorted.len() - 1) as f64;
	let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
	sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn known_sample() {
		let summary = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
		assert_eq!(summary.count, 11);
		assert_eq!(summary.mean, 6.0);
		assert_eq!(summary.p10, 2.0);
		assert_eq!(summary.p90, 10.0);
		assert!((summary.std - 10f64.sqrt()).abs() < 1e-12);
		assert_eq!(Summary::of(&[]).count, 0);
	}

	proptest! {
		#[test]
		fn percentiles_bracket_the_bulk(values in proptest::collection::vec(-1e6f64..1e6, 1..50)) {
			let summary = Summary::of(&values);
			let min = values.iter().copied().fold(f64::INFINITY, f64::min);
			let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
			prop_assert!(min <= summary.p10 && summary.p10 <= summary.p90 && summary.p90 <= max);
			prop_assert!(min - 1e-6 <= summary.mean && summary.mean <= max + 1e-6);
			prop_assert!(summary.std >= 0.0);
		}
	}
}
