//! Fused CPU kernels for the two parts of a BERT layer that candle's generic ops make slow.
//!
//! - [`Attention`]: candle runs `q·kᵀ` and `p·v` as one small multi-threaded gemm per
//!   (sequence, head), with the scores, the masked scores and the probabilities each a separate
//!   tensor. Here each (sequence, head) is one single-threaded task on rayon's pool, reading
//!   q, k and v straight out of the fused qkv projection through strides, attending only over
//!   the sequence's real tokens (so padding needs no mask and cannot change a result), and
//!   writing its output into the merged-heads layout the next projection reads.
//! - [`BiasGelu`]: the feed-forward bias and the exact (erf) GELU in one in-place pass, with
//!   an erf that vectorises (libm's scalar erf was about a tenth of the run time).

use candle_core::{bail, CpuStorage, CustomOp1, InplaceOp1, Layout, Shape};
use gemm::{gemm, Parallelism};
use rayon::prelude::*;

/// Self-attention over a `(batch, seq, 3 * hidden)` tensor holding q, k and v side by side (the
/// fused projection's output, bias included). Returns `(batch, seq, hidden)` with the heads
/// merged, rows past a sequence's length zero; with `first_only`, `(batch, 1, hidden)` for the
/// first (`[CLS]`) query alone, which is all a classification head reads of the last layer.
pub struct Attention<'a> {
	/// Number of attention heads.
	pub heads: usize,
	/// Real tokens per sequence of the batch (right padding).
	pub lens: &'a [usize],
	/// Attend from the first token only.
	pub first_only: bool,
}

/// An output pointer parallel tasks share; each task writes a disjoint block through it.
#[derive(Clone, Copy)]
pub(crate) struct OutPtr(pub(crate) *mut f32);
// SAFETY: tasks write to pairwise disjoint elements (see `Attention::cpu_fwd`) and the buffer
// outlives the parallel loop.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

/// `dst = scale * lhs · rhs` for row-major `lhs` (m x k, row stride `lhs_rs`) into row-major
/// `dst` (m x n, row stride `dst_rs`), `rhs` (k x n) addressed by its row and column strides,
/// on the calling thread.
///
/// # Safety
/// Every element addressed through the pointers and strides must be valid, and `dst` must not
/// be written by anyone else meanwhile.
#[allow(clippy::too_many_arguments)]
unsafe fn matmul(
	(m, n, k): (usize, usize, usize),
	dst: *mut f32,
	dst_rs: usize,
	lhs: *const f32,
	lhs_rs: usize,
	rhs: *const f32,
	(rhs_rs, rhs_cs): (usize, usize),
	scale: f32,
) {
	let i = |x: usize| x as isize;
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
			Parallelism::None,
		)
	}
}

impl CustomOp1 for Attention<'_> {
	fn name(&self) -> &'static str {
		"poq-attention"
	}

	fn cpu_fwd(
		&self,
		storage: &CpuStorage,
		layout: &Layout,
	) -> candle_core::Result<(CpuStorage, Shape)> {
		let (batch, seq, h3) = layout.shape().dims3()?;
		let (CpuStorage::F32(data), Some((start, end))) = (storage, layout.contiguous_offsets())
		else {
			bail!("poq-attention needs a contiguous f32 tensor");
		};
		let qkv = &data[start..end];
		let heads = self.heads;
		if h3 % (3 * heads) != 0 || self.lens.len() != batch || self.lens.iter().any(|&l| l > seq) {
			bail!(
				"poq-attention: shape {:?} does not fit {heads} heads and lengths {:?}",
				layout.shape(),
				self.lens
			);
		}
		let hidden = h3 / 3;
		let d = hidden / heads;
		let scale = 1.0 / (d as f32).sqrt();
		let out_seq = if self.first_only { 1 } else { seq };
		let mut out = vec![0f32; batch * out_seq * hidden];
		let out_ptr = OutPtr(out.as_mut_ptr());
		(0..batch * heads).into_par_iter().for_each_init(
			|| vec![0f32; out_seq * seq],
			|scores, task| {
				let (b, head) = (task / heads, task % heads);
				let len = self.lens[b];
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
					let shape = (queries, len, d);
					matmul(
						shape,
						scores.as_mut_ptr(),
						len,
						q.as_ptr(),
						h3,
						k.as_ptr(),
						(1, h3),
						scale,
					);
					softmax_rows(&mut scores[..queries * len], len);
					// out[b, i, head] = probs · v  (queries x d), in merged-heads layout.
					let out_block = dst.0.add(b * out_seq * hidden + head * d);
					let shape = (queries, d, len);
					matmul(
						shape,
						out_block,
						hidden,
						scores.as_ptr(),
						len,
						v.as_ptr(),
						(h3, 1),
						1.0,
					);
				}
			},
		);
		Ok((CpuStorage::F32(out), Shape::from((batch, out_seq, hidden))))
	}
}

/// Adds `bias` to each row of a contiguous `(.., n)` f32 tensor and applies the exact GELU,
/// `x · Φ(x) = x/2 · (1 + erf(x/√2))`, in place.
pub struct BiasGelu<'a> {
	/// One value per column.
	pub bias: &'a [f32],
}

impl InplaceOp1 for BiasGelu<'_> {
	fn name(&self) -> &'static str {
		"poq-bias-gelu"
	}

	fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
		let n = self.bias.len();
		let (CpuStorage::F32(data), Some((start, end))) = (storage, layout.contiguous_offsets())
		else {
			bail!("poq-bias-gelu needs a contiguous f32 tensor");
		};
		if n == 0 || layout.dims().last() != Some(&n) {
			bail!("poq-bias-gelu: bias of {n} does not fit shape {:?}", layout.shape());
		}
		data[start..end].par_chunks_mut(n * 16).for_each(|rows| {
			for row in rows.chunks_exact_mut(n) {
				bias_gelu_row(row, self.bias);
			}
		});
		Ok(())
	}
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
