//! Pure numeric helpers of the score definition (DESIGN.md): pooling token embeddings into a
//! sentence embedding, cosine similarity, the sigmoid and the quantisation to `u16`.

/// The largest score: `x = 1` maps to it.
pub const MAX_SCORE: u16 = 10_000;

/// How token embeddings become one sentence embedding (sentence-transformers' `Pooling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pooling {
	/// The first token (`[CLS]`).
	Cls,
	/// The mean over the tokens.
	Mean,
	/// The element-wise maximum over the tokens.
	Max,
	/// The sum over the tokens divided by the square root of their number.
	MeanSqrtLen,
}

/// `round(10_000 * clamp(x, 0, 1))`: the score DESIGN.md defines. NaN maps to 0; callers that
/// must not hide a NaN check `x` first.
pub fn quantize(x: f32) -> u16 {
	if x.is_nan() {
		return 0;
	}
	// f32::round rounds halves away from zero; the product lies in [0, 10_000] so the cast is exact.
	(x.clamp(0.0, 1.0) * f32::from(MAX_SCORE)).round() as u16
}

/// The logistic function, computed so that it neither overflows nor loses precision for large
/// `|z|`.
pub fn sigmoid(z: f32) -> f32 {
	if z >= 0.0 {
		1.0 / (1.0 + (-z).exp())
	} else {
		let e = z.exp();
		e / (1.0 + e)
	}
}

/// Pools the embeddings of one sequence's real tokens (`tokens` holds `n` rows of `dim` floats,
/// row-major, padding already cut off) into one vector of `dim` floats.
///
/// Returns a zero vector for `n == 0`, as sentence-transformers does when its mask sums to zero
/// (it clamps the divisor); a tokenised sequence always has at least `[CLS]` and `[SEP]`.
pub fn pool(tokens: &[f32], dim: usize, mode: Pooling) -> Vec<f32> {
	if dim == 0 {
		return Vec::new();
	}
	let n = tokens.len() / dim;
	let rows = tokens.chunks_exact(dim);
	match mode {
		Pooling::Cls => tokens.get(..dim).map_or_else(|| vec![0.0; dim], <[f32]>::to_vec),
		Pooling::Max if n == 0 => vec![0.0; dim],
		Pooling::Max => rows.fold(vec![f32::NEG_INFINITY; dim], |mut acc, row| {
			for (a, &v) in acc.iter_mut().zip(row) {
				*a = a.max(v);
			}
			acc
		}),
		Pooling::Mean | Pooling::MeanSqrtLen => {
			let mut sum = rows.fold(vec![0.0f32; dim], |mut acc, row| {
				for (a, &v) in acc.iter_mut().zip(row) {
					*a += v;
				}
				acc
			});
			let count = n.max(1) as f32;
			let divisor = if mode == Pooling::Mean { count } else { count.sqrt() };
			for s in &mut sum {
				*s /= divisor;
			}
			sum
		},
	}
}

/// Scales `v` to unit length, as `torch.nn.functional.normalize` does: a vector shorter than
/// 1e-12 is divided by 1e-12 instead, so a zero vector stays zero.
pub fn normalize(v: &mut [f32]) {
	let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
	for x in v {
		*x /= norm;
	}
}

/// Cosine similarity as sentence-transformers' `cos_sim` computes it: both vectors normalised
/// (see [`normalize`]) and then multiplied, so a zero vector has similarity 0 with anything.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
	let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
	let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
	dot / (norm(a) * norm(b))
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn quantize_fixed_points() {
		assert_eq!(quantize(0.0), 0);
		assert_eq!(quantize(1.0), 10_000);
		assert_eq!(quantize(0.5), 5_000);
		assert_eq!(quantize(0.123_44), 1_234);
		assert_eq!(quantize(0.123_46), 1_235);
		assert_eq!(quantize(-0.7), 0);
		assert_eq!(quantize(3.0), 10_000);
		assert_eq!(quantize(f32::NAN), 0);
		assert_eq!(quantize(f32::INFINITY), 10_000);
		assert_eq!(quantize(f32::NEG_INFINITY), 0);
	}

	#[test]
	fn sigmoid_fixed_points() {
		assert_eq!(sigmoid(0.0), 0.5);
		assert!((sigmoid(2.0) - 0.880_797_1).abs() < 1e-6);
		assert!((sigmoid(-2.0) - 0.119_202_92).abs() < 1e-6);
		assert_eq!(sigmoid(1000.0), 1.0);
		assert_eq!(sigmoid(-1000.0), 0.0);
	}

	#[test]
	fn pooling_modes_on_a_small_example() {
		// Two tokens of dimension 3.
		let t = [1.0, -2.0, 3.0, 3.0, 4.0, -1.0];
		assert_eq!(pool(&t, 3, Pooling::Cls), vec![1.0, -2.0, 3.0]);
		assert_eq!(pool(&t, 3, Pooling::Mean), vec![2.0, 1.0, 1.0]);
		assert_eq!(pool(&t, 3, Pooling::Max), vec![3.0, 4.0, 3.0]);
		let s = 2f32.sqrt();
		assert_eq!(pool(&t, 3, Pooling::MeanSqrtLen), vec![4.0 / s, 2.0 / s, 2.0 / s]);
		for mode in [Pooling::Cls, Pooling::Mean, Pooling::Max, Pooling::MeanSqrtLen] {
			assert_eq!(pool(&[], 3, mode), vec![0.0; 3]);
		}
	}

	#[test]
	fn cosine_fixed_points() {
		assert!((cosine(&[1.0, 0.0], &[0.0, 2.0])).abs() < 1e-7);
		assert!((cosine(&[1.0, 1.0], &[3.0, 3.0]) - 1.0).abs() < 1e-6);
		assert!((cosine(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-6);
		assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
	}

	fn vector(dim: usize) -> impl Strategy<Value = Vec<f32>> {
		proptest::collection::vec(-100.0f32..100.0, dim)
	}

	proptest! {
		#[test]
		fn quantize_is_monotone_and_bounded(a in -2.0f32..2.0, b in -2.0f32..2.0) {
			let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
			prop_assert!(quantize(lo) <= quantize(hi));
			prop_assert!(quantize(hi) <= MAX_SCORE);
		}

		#[test]
		fn quantize_is_within_half_a_step(x in 0.0f32..=1.0) {
			let q = f32::from(quantize(x)) / f32::from(MAX_SCORE);
			prop_assert!((q - x).abs() <= 0.5 / f32::from(MAX_SCORE) + 1e-6);
		}

		#[test]
		fn sigmoid_is_in_unit_interval_and_symmetric(z in -50.0f32..50.0) {
			let s = sigmoid(z);
			prop_assert!((0.0..=1.0).contains(&s));
			prop_assert!((s + sigmoid(-z) - 1.0).abs() < 1e-6);
		}

		#[test]
		fn cosine_is_bounded_symmetric_and_scale_invariant(
			a in vector(8), b in vector(8), k in 0.01f32..100.0
		) {
			let c = cosine(&a, &b);
			prop_assert!((-1.0 - 1e-5..=1.0 + 1e-5).contains(&c));
			prop_assert!((c - cosine(&b, &a)).abs() < 1e-6);
			let scaled: Vec<f32> = a.iter().map(|x| x * k).collect();
			prop_assert!((c - cosine(&scaled, &b)).abs() < 1e-4);
		}

		#[test]
		fn normalized_vectors_have_unit_length(mut v in vector(8)) {
			prop_assume!(v.iter().any(|x| x.abs() > 1e-3));
			normalize(&mut v);
			let len = v.iter().map(|x| x * x).sum::<f32>().sqrt();
			prop_assert!((len - 1.0).abs() < 1e-5);
		}

		#[test]
		fn pooled_values_lie_within_the_token_range(
			n in 1usize..6, rows in proptest::collection::vec(vector(4), 6)
		) {
			let tokens: Vec<f32> = rows[..n].concat();
			let mean = pool(&tokens, 4, Pooling::Mean);
			let max = pool(&tokens, 4, Pooling::Max);
			for d in 0..4 {
				let column = rows[..n].iter().map(|r| r[d]);
				let lo = column.clone().fold(f32::INFINITY, f32::min);
				let hi = column.fold(f32::NEG_INFINITY, f32::max);
				prop_assert!(mean[d] >= lo - 1e-3 && mean[d] <= hi + 1e-3);
				prop_assert_eq!(max[d], hi);
			}
		}

		#[test]
		fn mean_pooling_ignores_token_order(rows in proptest::collection::vec(vector(4), 1..6)) {
			let forward: Vec<f32> = rows.concat();
			let backward: Vec<f32> = rows.iter().rev().flatten().copied().collect();
			let (a, b) = (pool(&forward, 4, Pooling::Mean), pool(&backward, 4, Pooling::Mean));
			for (x, y) in a.iter().zip(&b) {
				prop_assert!((x - y).abs() < 1e-3);
			}
		}
	}
}
