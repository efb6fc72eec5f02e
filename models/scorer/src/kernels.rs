//! CPU kernels of the encoder's forward pass, on plain slices.
//!
//! - [`attention`]: each (sequence, head) is one single-threaded task on rayon's pool, reading
//!   q, k and v straight out of the fused qkv projection through strides, attending only over
//!   the sequence's real tokens (so padding needs no mask and cannot change a result), and
//!   writing its output into the merged-heads layout the next projection reads.
//! - [`bias_gelu`]: the feed-forward bias and the exact (erf) GELU in one in-place pass, with
//!   an erf that vectorises (libm's scalar erf was about a tenth of the run time).
//! - [`add_layer_norm`]: the residual sum and layer norm in one in-place pass.
//! - [`matmul`]: gemm on the calling thread or on rayon's pool.

use gemm::{gemm, Parallelism};
use rayon::prelude::*;

/// An output pointer parallel tasks share; each task writes a disjoint block through it.
#[derive(Clone, Copy)]
pub(crate) struct OutPtr(pub(crate) *mut f32);
// SAFETY: tasks write to pairwise disjoint elements (each user says which) and the buffer
// outlives the parallel loop.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
	/// The pointer. A closure that calls this captures the whole wrapper, which is `Send` and
	/// `Sync`, where one that reads the field would capture the bare pointer, which is neither.
	pub(crate) fn get(self) -> *mut f32 {
		self.0
	}
}

/// `dst = scale * lhs · rhs` for row-major `lhs` (m x k, row stride `lhs_rs`) into row-major
/// `dst` (m x n, row stride `dst_rs`), `rhs` (k x n) addressed by its row and column strides;
/// on the calling thread, or with `threads > 1` on that many threads of rayon's current pool.
///
/// # Safety
/// Every element addressed through the pointers and strides must be valid, and `dst` must not
/// be written by anyone else meanwhile.
#[allow(clippy::too_many_arguments)]
pub unsafe fn matmul(
	(m, n, k): (usize, usize, usize),
	dst: *mut f32,
	dst_rs: usize,
	lhs: *const f32,
	lhs_rs: usize,
	rhs: *const f32,
	(rhs_rs, rhs_cs): (usize, usize),
	scale: f32,
	threads: usize,
) {
	let i = |x: usize| x as isize;
	let parallelism = if threads > 1 { Parallelism::Rayon(threads) } else { Parallelism::None };
	// SAFETY: forwarded to the caller.
	unsafe {
		gemm(
			m,
			n,
			k,
			dst,
			1,
			i(dst_rs),
			false,
			lhs,
			1,
			i(lhs_rs),
			rhs,
			i(rhs_cs),
			i(rhs_rs),
			0.0,
			scale,
			false,
			false,
			false,
			parallelism,
		)
	}
}

/// Self-attention over `qkv`, `(batch, seq, 3 * hidden)` row-major: q, k and v side by side
/// (the fused projection's output, bias included). Writes `(batch, out_seq, hidden)` into `out`
/// with the heads merged, rows past a sequence's length zero; `out_seq` is `seq`, or with
/// `first_only` 1: the first (`[CLS]`) query alone, which is all a classification head reads of
/// the last layer. `lens` gives each sequence's real tokens (right padding).
pub fn attention(
	qkv: &[f32],
	(batch, seq, heads): (usize, usize, usize),
	lens: &[usize],
	first_only: bool,
	out: &mut [f32],
) {
	let h3 = qkv.len() / (batch * seq).max(1);
	let hidden = h3 / 3;
	let d = hidden / heads.max(1);
	let out_seq = if first_only { 1 } else { seq };
	assert!(
		qkv.len() == batch * seq * h3 && h3 == 3 * heads * d && lens.len() == batch,
		"attention: {} values do not fit {batch} x {seq} x 3 x {heads} heads",
		qkv.len()
	);
	assert!(lens.iter().all(|&l| l <= seq) && out.len() == batch * out_seq * hidden);
	let scale = 1.0 / (d as f32).sqrt();
	out.fill(0.0);
	let out_ptr = OutPtr(out.as_mut_ptr());
	(0..batch * heads).into_par_iter().for_each_init(
		|| vec![0f32; out_seq * seq],
		|scores, task| {
			let (b, head) = (task / heads, task % heads);
			let len = lens[b];
			let queries = len.min(out_seq);
			if len == 0 {
				return;
			}
			let row = b * seq * h3 + head * d;
			let (q, k, v) = (&qkv[row..], &qkv[row + hidden..], &qkv[row + 2 * hidden..]);
			let dst = out_ptr;
			// SAFETY: q, k and v rows i < len lie at i * h3 + [0, d) past their starts,
			// inside `qkv`; `scores` holds queries x len <= out_seq x seq values; the output
			// block (rows i < queries of sequence b, columns head * d + [0, d)) lies inside
			// `out` and no other task writes it.
			unsafe {
				// scores = scale * q · kᵀ  (queries x len), kᵀ read through strides.
				let (scores_ptr, q, k) = (scores.as_mut_ptr(), q.as_ptr(), k.as_ptr());
				matmul((queries, len, d), scores_ptr, len, q, h3, k, (1, h3), scale, 1);
				softmax_rows(&mut scores[..queries * len], len);
				// out[b, i, head] = probs · v  (queries x d), in merged-heads layout.
				let out_block = dst.0.add(b * out_seq * hidden + head * d);
				let (probs, v) = (scores.as_ptr(), v.as_ptr());
				matmul((queries, d, len), out_block, hidden, probs, len, v, (h3, 1), 1.0, 1);
			}
		},
	);
}

/// Adds `bias` to each row of `data` (rows of `bias.len()` values) and applies the exact GELU,
/// `x · Φ(x) = x/2 · (1 + erf(x/√2))`, in place.
pub fn bias_gelu(data: &mut [f32], bias: &[f32]) {
	let n = bias.len().max(1);
	data.par_chunks_mut(n * 16).for_each(|rows| {
		for row in rows.chunks_exact_mut(n) {
			bias_gelu_row(row, bias);
		}
	});
}

/// `y = LayerNorm(y + residual(r))` for each row `r` of `y` (rows of `weight.len()` values),
/// in place: mean and biased variance over the row, as transformers computes them, then
/// `· weight + bias`.
pub fn add_layer_norm<'a>(
	y: &mut [f32],
	residual: impl Fn(usize) -> &'a [f32] + Sync,
	weight: &[f32],
	bias: &[f32],
	eps: f32,
) {
	let n = weight.len().max(1);
	y.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
		for (x, &res) in row.iter_mut().zip(residual(r)) {
			*x += res;
		}
		let mean = lanes(row, 0.0, |a, b| a + b) / n as f32;
		for x in row.iter_mut() {
			*x -= mean;
		}
		let mut squares = [0f32; 8];
		let mut chunks = row.chunks_exact(8);
		for chunk in &mut chunks {
			for (s, &x) in squares.iter_mut().zip(chunk) {
				*s += x * x;
			}
		}
		let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
		let var = (squares.iter().sum::<f32>() + tail) / n as f32;
		let inv = 1.0 / (var + eps).sqrt();
		for ((x, &w), &b) in row.iter_mut().zip(weight).zip(bias) {
			*x = *x * inv * w + b;
		}
	});
}

fn bias_gelu_row(row: &mut [f32], bias: &[f32]) {
	#[cfg(target_arch = "x86_64")]
	if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
		// SAFETY: the CPU has the features the function is compiled for.
		return unsafe { bias_gelu_row_avx2(row, bias) };
	}
	bias_gelu_row_generic::<Separate>(row, bias)
}

/// The same loop compiled for AVX2 and FMA, where it vectorises eight lanes wide and each
/// polynomial step is one fused multiply-add (half the dependency chain).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn bias_gelu_row_avx2(row: &mut [f32], bias: &[f32]) {
	bias_gelu_row_generic::<Fused>(row, bias)
}

#[inline(always)]
fn bias_gelu_row_generic<M: MulAdd>(row: &mut [f32], bias: &[f32]) {
	for (x, b) in row.iter_mut().zip(bias) {
		let y = *x + b;
		*x = 0.5 * y * (1.0 + erf::<M>(y * std::f32::consts::FRAC_1_SQRT_2));
	}
}

/// How the polynomial kernels compute `a * b + c`.
pub trait MulAdd {
	/// `a * b + c`.
	fn mul_add(a: f32, b: f32, c: f32) -> f32;
}

/// One rounding, by the FMA instruction: only for code compiled with the `fma` feature
/// (elsewhere `f32::mul_add` is a slow library call).
pub struct Fused;

/// A multiply and an add, two roundings: for code that may run without FMA.
pub struct Separate;

impl MulAdd for Fused {
	#[inline(always)]
	fn mul_add(a: f32, b: f32, c: f32) -> f32 {
		a.mul_add(b, c)
	}
}

impl MulAdd for Separate {
	#[inline(always)]
	fn mul_add(a: f32, b: f32, c: f32) -> f32 {
		a * b + c
	}
}

/// Evaluates the polynomial with coefficients `coefs` (highest degree first) at `x` (Horner).
#[inline(always)]
fn horner<M: MulAdd>(x: f32, coefs: &[f32]) -> f32 {
	coefs[1..].iter().fold(coefs[0], |acc, &c| M::mul_add(acc, x, c))
}

/// erf within about 1e-7, computed without branches so that loops over it vectorise: for
/// |x| < 0.5 its Maclaurin series (six terms, error below 3e-8), elsewhere 1 - erfc with the
/// Chebyshev-fitted erfc of Numerical Recipes §6.2 (fractional error below 1.2e-7; near 0 that
/// form would lose digits to cancellation, hence the series there).
#[inline(always)]
pub fn erf<M: MulAdd>(x: f32) -> f32 {
	const SERIES: [f32; 6] = [-1.0 / 1320.0, 1.0 / 216.0, -1.0 / 42.0, 1.0 / 10.0, -1.0 / 3.0, 1.0];
	const ERFC: [f32; 10] = [
		0.170_872_77,
		-0.822_152_23,
		1.488_515_9,
		-1.135_204,
		0.278_868_07,
		-0.186_288_06,
		0.096_784_18,
		0.374_091_96,
		1.000_023_7,
		-1.265_512_2,
	];
	let z = x.abs();
	let z2 = z * z;
	let series = z * std::f32::consts::FRAC_2_SQRT_PI * horner::<M>(z2, &SERIES);
	let t = 1.0 / M::mul_add(0.5, z, 1.0);
	let erfc = t * exp::<M>(horner::<M>(t, &ERFC) - z2);
	let y = if z < 0.5 { series } else { 1.0 - erfc };
	y.copysign(x)
}

/// e^x for x <= 88 (x below -87 gives ~0, as far as f32 is concerned), within a few ulp,
/// branch-free and without float-to-int casts so that loops over it vectorise. x = n·ln 2 + r
/// with integer n (built directly into the exponent bits) and |r| <= ln 2 / 2 (Cody-Waite:
/// ln 2 in two parts keeps r exact), then the degree-7 Taylor polynomial of e^r.
#[inline(always)]
pub fn exp<M: MulAdd>(x: f32) -> f32 {
	// Adding 1.5 * 2^23 rounds to an integer n and leaves n in the low mantissa bits.
	const ROUND: f32 = 12_582_912.0;
	const LN2_HI: f32 = 0.693_359_4; // exact in 9 bits, so n * LN2_HI is exact
	const LN2_LO: f32 = -2.121_944_4e-4;
	const TAYLOR: [f32; 8] =
		[1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 1.0 / 2.0, 1.0, 1.0];
	let x = x.clamp(-87.0, 88.0);
	let shifted = M::mul_add(x, std::f32::consts::LOG2_E, ROUND);
	let n = shifted - ROUND;
	let r = M::mul_add(-n, LN2_LO, M::mul_add(-n, LN2_HI, x));
	let p = horner::<M>(r, &TAYLOR);
	let bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
	p * f32::from_bits(bits.wrapping_add(127) << 23)
}

/// Softmax of each `len`-long row of `rows`, in place.
fn softmax_rows(rows: &mut [f32], len: usize) {
	#[cfg(target_arch = "x86_64")]
	if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
		// SAFETY: the CPU has the features the function is compiled for.
		return unsafe { softmax_rows_avx2(rows, len) };
	}
	softmax_rows_generic::<Separate>(rows, len)
}

/// The same loops compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn softmax_rows_avx2(rows: &mut [f32], len: usize) {
	softmax_rows_generic::<Fused>(rows, len)
}

#[inline(always)]
fn softmax_rows_generic<M: MulAdd>(rows: &mut [f32], len: usize) {
	for row in rows.chunks_exact_mut(len) {
		let max = lanes(row, f32::NEG_INFINITY, f32::max);
		for x in row.iter_mut() {
			*x = exp::<M>(*x - max);
		}
		let inv = 1.0 / lanes(row, 0.0, |a, b| a + b);
		for x in row.iter_mut() {
			*x *= inv;
		}
	}
}

/// Folds `xs` with `op` over eight independent lanes, then across them: a reduction the
/// compiler can vectorise (a single running value would pin it to one lane).
#[inline(always)]
fn lanes(xs: &[f32], init: f32, op: impl Fn(f32, f32) -> f32) -> f32 {
	let mut acc = [init; 8];
	let mut chunks = xs.chunks_exact(8);
	for chunk in &mut chunks {
		for (a, &x) in acc.iter_mut().zip(chunk) {
			*a = op(*a, x);
		}
	}
	let tail = chunks.remainder().iter().fold(init, |a, &x| op(a, x));
	acc.into_iter().fold(tail, op)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#[test]
		fn exp_matches_std(x in -87.0f32..88.0) {
			let want = x.exp();
			for got in [exp::<Separate>(x), exp::<Fused>(x)] {
				prop_assert!(((got - want) / want).abs() < 5e-7, "{x}: {got} vs {want}");
			}
		}

		#[test]
		fn erf_matches_its_series(x in -3.0f32..3.0) {
			let want = erf_series(f64::from(x));
			for got in [erf::<Separate>(x), erf::<Fused>(x)] {
				prop_assert!((f64::from(got) - want).abs() < 2e-7, "{x}: {got} vs {want}");
			}
		}

		#[test]
		fn erf_saturates(x in 4.0f32..100.0) {
			// 1 - erf(4) = 1.5e-8: below f32 resolution near 1.
			for (pos, neg) in [(erf::<Separate>(x), erf::<Separate>(-x)), (erf::<Fused>(x), erf::<Fused>(-x))] {
				prop_assert!((pos - 1.0).abs() < 3e-7 && (neg + 1.0).abs() < 3e-7);
			}
		}

		#[test]
		fn add_layer_norm_matches_f64(
			rows in proptest::collection::vec(proptest::collection::vec(-30.0f32..30.0, 13), 1..5),
			residual in proptest::collection::vec(-3.0f32..3.0, 13),
		) {
			let weight: Vec<f32> = (0..13).map(|i| 0.5 + i as f32 / 10.0).collect();
			let bias: Vec<f32> = (0..13).map(|i| i as f32 / 7.0 - 1.0).collect();
			let mut y: Vec<f32> = rows.concat();
			add_layer_norm(&mut y, |_| &residual, &weight, &bias, 1e-12);
			for (row, got) in rows.iter().zip(y.chunks_exact(13)) {
				let x: Vec<f64> = row.iter().zip(&residual).map(|(a, b)| f64::from(*a) + f64::from(*b)).collect();
				let mean = x.iter().sum::<f64>() / 13.0;
				let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 13.0;
				for (i, (v, g)) in x.iter().zip(got).enumerate() {
					let want = (v - mean) / (var + 1e-12).sqrt() * f64::from(weight[i]) + f64::from(bias[i]);
					prop_assert!((f64::from(*g) - want).abs() < 1e-4 * (1.0 + want.abs()), "{g} vs {want}");
				}
			}
		}

		#[test]
		fn softmax_matches_f64(mut row in proptest::collection::vec(-30.0f32..30.0, 1..64)) {
			let reference: Vec<f64> = {
				let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
				let e: Vec<f64> = row.iter().map(|&x| (x as f64 - max).exp()).collect();
				let s: f64 = e.iter().sum();
				e.iter().map(|x| x / s).collect()
			};
			let len = row.len();
			softmax_rows(&mut row, len);
			for (got, want) in row.iter().zip(&reference) {
				prop_assert!((f64::from(*got) - want).abs() < 1e-6);
			}
		}
	}

	/// erf in f64 by its Maclaurin series, accurate to ~1e-12 for |x| <= 3.
	fn erf_series(x: f64) -> f64 {
		let (mut term, mut sum, mut n) = (x, x, 0.0);
		while term.abs() > 1e-18 {
			n += 1.0;
			term *= -x * x / n;
			sum += term / (2.0 * n + 1.0);
		}
		sum * 2.0 / std::f64::consts::PI.sqrt()
	}
}
