//! CPU kernels of the encoder's forward pass, on plain slices.
//!
//! - [`attention`]: each (sequence, head) is one single-threaded task on rayon's pool, reading
//!   q, k and v straight out of the fused qkv projection through strides, attending only over
//!   the sequence's real tokens (so padding needs no mask and cannot change a result), and
//!   writing its output into the merged-heads layout the next projection reads.
//! - [`bias_gelu`]: the feed-forward bias and the exact (erf) GELU in one in-place pass, with
//!   an erf that vectorises (libm's scalar erf was about a tenth of the run time).
//! - [`add_layer_norm`]: the residual sum and layer norm in one in-place pass.
//! - [`matmul`]: gemm on the calling thread or on rayon's pool, for the f32 dense layers.
//!
//! Attention, GELU, softmax and layer norm give the same bits on every CPU: each sum runs in
//! a fixed order (sequentially, or over eight lanes folded in a fixed order), every
//! multiply-add is fused (`f32::mul_add`: one rounding, on every target), and the AVX2 and
//! AVX-512 builds ([`Isa`]) run the same operations as the portable one, 8 or 16 at a time. gemm, whose
//! kernels and summation order depend on the CPU, is left to the f32 dense layers: a folder
//! computing in int8 (the default) scores the same bits everywhere.

use gemm::{gemm, Parallelism};
use rayon::prelude::*;

use crate::isa::Isa;

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

/// A buffer of floats that starts on a cache line (64 bytes), so that a panel's 16 floats, a
/// row of a head or an AVX-512 register's worth at a multiple of 16 never straddles two lines
/// (the allocator's large blocks start 16 bytes past a page).
#[derive(Default)]
pub(crate) struct Buf(Vec<Line>);

/// Floats per cache line.
const LINE: usize = 16;

/// One cache line of floats.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line([f32; LINE]);

impl Buf {
	/// The first `len` values (grown, never shrunk: a workspace keeps its largest size).
	pub(crate) fn grow(&mut self, len: usize) -> &mut [f32] {
		if self.len() < len {
			self.0.resize(len.div_ceil(LINE), Line::default());
		}
		&mut self[..len]
	}
}

impl std::ops::Deref for Buf {
	type Target = [f32];
	fn deref(&self) -> &[f32] {
		// SAFETY: a `Line` is 16 floats and no padding (`repr(C)`, 64 bytes at alignment 64).
		unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast(), self.0.len() * LINE) }
	}
}

impl std::ops::DerefMut for Buf {
	fn deref_mut(&mut self) -> &mut [f32] {
		// SAFETY: as `deref`.
		unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast(), self.0.len() * LINE) }
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
	out.fill(0.0);
	let out_ptr = OutPtr(out.as_mut_ptr());
	let isa = Isa::detect();
	(0..batch * heads).into_par_iter().for_each_init(
		|| {
			let line = seq.next_multiple_of(LINE);
			let (mut scores, mut keys) = (Buf::default(), Buf::default());
			scores.grow(out_seq * line);
			keys.grow(d * line);
			(scores, keys)
		},
		|(scores, keys), task| {
			let (b, head) = (task / heads, task % heads);
			let len = lens[b];
			if len == 0 {
				return;
			}
			let row = b * seq * h3 + head * d;
			let head = Head { qkv: &qkv[row..], h3, hidden, d, len, queries: len.min(out_seq) };
			// SAFETY: the block of `out` at `offset` (rows i < queries of sequence b, columns
			// head * d + [0, d), row stride `hidden`) lies inside `out`; no other task writes
			// it; `isa` runs on this CPU.
			let offset = b * out_seq * hidden + task % heads * d;
			unsafe { attend_on(isa, &head, scores, keys, out_ptr.get().add(offset)) }
		},
	);
}

/// [`attend`] with the tiles of `isa`, compiled for it.
///
/// # Safety
/// As [`attend`]; the CPU must run `isa`.
unsafe fn attend_on(isa: Isa, head: &Head, scores: &mut [f32], keys: &mut [f32], out: *mut f32) {
	// SAFETY: forwarded; the CPU runs `isa`.
	unsafe {
		match isa {
			Isa::Generic => attend::<GENERIC>(head, scores, keys, out),
			#[cfg(target_arch = "x86_64")]
			Isa::Avx2 => attend_avx2(head, scores, keys, out),
			#[cfg(target_arch = "x86_64")]
			Isa::Avx512Vnni | Isa::Amx => attend_avx512(head, scores, keys, out),
		}
	}
}

/// Which tiles [`attend`] runs.
const GENERIC: u8 = 0;
#[cfg(target_arch = "x86_64")]
const AVX2: u8 = 1;
#[cfg(target_arch = "x86_64")]
const AVX512: u8 = 2;

/// One (sequence, head) of [`attention`]: row `i` of q, k or v is `qkv[i * h3 ..][.. d]`,
/// offset by 0, `hidden` or `2 * hidden`.
struct Head<'a> {
	qkv: &'a [f32],
	h3: usize,
	hidden: usize,
	d: usize,
	len: usize,
	queries: usize,
}

/// [`attend`] compiled for AVX2 and FMA.
///
/// # Safety
/// As [`attend`]; the CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn attend_avx2(head: &Head, scores: &mut [f32], keys: &mut [f32], out: *mut f32) {
	// SAFETY: forwarded; the CPU has AVX2 and FMA.
	unsafe { attend::<AVX2>(head, scores, keys, out) }
}

/// [`attend`] compiled for AVX-512.
///
/// # Safety
/// As [`attend`]; the CPU must have AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn attend_avx512(head: &Head, scores: &mut [f32], keys: &mut [f32], out: *mut f32) {
	// SAFETY: forwarded; the CPU has AVX-512F.
	unsafe { attend::<AVX512>(head, scores, keys, out) }
}

/// `softmax(q · kᵀ / √d) · v` for one head, into `out` (rows of `d` at stride `hidden`), with
/// `scores` and `keys` as scratch (`queries` and `d` rows at a stride of `len` rounded up to
/// whole cache lines, so that each row starts on one). Both products are [`product`]s, by the
/// AVX2 or AVX-512 tiles when `TILES` says so: the same bits either way.
///
/// # Safety
/// `out` must be valid for writes of `head.queries` rows of `head.d` floats at stride
/// `head.hidden`, written by nobody else meanwhile; the CPU must run the tiles `TILES` names.
#[inline(always)]
unsafe fn attend<const TILES: u8>(
	head: &Head,
	scores: &mut [f32],
	keys: &mut [f32],
	out: *mut f32,
) {
	let &Head { qkv, h3, hidden, d, len, queries } = head;
	let scale = 1.0 / (d as f32).sqrt();
	let line = len.next_multiple_of(LINE);
	// kᵀ (d x len), so that both products read their right operand by rows.
	for j in 0..len {
		for (c, &k) in qkv[j * h3 + hidden..][..d].iter().enumerate() {
			keys[c * line + j] = k;
		}
	}
	// SAFETY: q rows i < queries of d values at stride h3 lie in `qkv`, as do v rows j < len
	// at offset 2 · hidden; `keys` holds d and `scores` queries rows at stride `line` (the
	// slices' lengths are checked); `out` is the caller's.
	unsafe {
		let (q, v) = (qkv.as_ptr(), qkv.as_ptr().add(2 * hidden));
		let product = |dims, a, b, out| match TILES {
			#[cfg(target_arch = "x86_64")]
			AVX2 => avx2::product::<8>(dims, a, b, out),
			#[cfg(target_arch = "x86_64")]
			AVX512 => avx2::product::<16>(dims, a, b, out),
			_ => product(dims, a, b, out),
		};
		let (keys, scores) = (&keys[..d * line], &mut scores[..queries * line]);
		product((queries, len, d), (q, h3), (keys.as_ptr(), line), (scores.as_mut_ptr(), line));
		for row in scores.chunks_exact_mut(line) {
			let row = &mut row[..len];
			for s in row.iter_mut() {
				*s *= scale;
			}
			softmax(row);
		}
		product((queries, d, len), (scores.as_ptr(), line), (v, h3), (out, hidden));
	}
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
	use std::arch::x86_64::*;

	/// A register of `W` floats and the operations a tile needs.
	trait Lanes<const W: usize>: Copy {
		unsafe fn zero() -> Self;
		/// The first `n` (at most `W`) floats at `p`, zero in the other lanes, which are not
		/// read.
		unsafe fn load(p: *const f32, n: usize) -> Self;
		unsafe fn splat(x: f32) -> Self;
		/// `self · w + acc`, one rounding per lane.
		unsafe fn fma(self, w: Self, acc: Self) -> Self;
		/// Writes the first `n` (at most `W`) lanes to `p`.
		unsafe fn store(self, p: *mut f32, n: usize);
	}

	impl Lanes<8> for __m256 {
		#[inline(always)]
		unsafe fn zero() -> Self {
			_mm256_setzero_ps()
		}
		#[inline(always)]
		unsafe fn load(p: *const f32, n: usize) -> Self {
			// SAFETY: the caller's; the masked-off lanes are not read.
			unsafe {
				if n == 8 {
					_mm256_loadu_ps(p)
				} else {
					_mm256_maskload_ps(p, mask8(n))
				}
			}
		}
		#[inline(always)]
		unsafe fn splat(x: f32) -> Self {
			_mm256_set1_ps(x)
		}
		#[inline(always)]
		unsafe fn fma(self, w: Self, acc: Self) -> Self {
			_mm256_fmadd_ps(self, w, acc)
		}
		#[inline(always)]
		unsafe fn store(self, p: *mut f32, n: usize) {
			// SAFETY: the caller's; the masked-off lanes are not written.
			unsafe {
				if n == 8 {
					_mm256_storeu_ps(p, self)
				} else {
					_mm256_maskstore_ps(p, mask8(n), self)
				}
			}
		}
	}

	/// AVX's lane mask for the first `n` of eight lanes.
	#[inline(always)]
	unsafe fn mask8(n: usize) -> __m256i {
		_mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
	}

	impl Lanes<16> for __m512 {
		#[inline(always)]
		unsafe fn zero() -> Self {
			_mm512_setzero_ps()
		}
		#[inline(always)]
		unsafe fn load(p: *const f32, n: usize) -> Self {
			// SAFETY: the caller's; the masked-off lanes are not read.
			unsafe { _mm512_maskz_loadu_ps(mask16(n), p) }
		}
		#[inline(always)]
		unsafe fn splat(x: f32) -> Self {
			_mm512_set1_ps(x)
		}
		#[inline(always)]
		unsafe fn fma(self, w: Self, acc: Self) -> Self {
			_mm512_fmadd_ps(self, w, acc)
		}
		#[inline(always)]
		unsafe fn store(self, p: *mut f32, n: usize) {
			// SAFETY: the caller's; the masked-off lanes are not written.
			unsafe { _mm512_mask_storeu_ps(p, mask16(n), self) }
		}
	}

	/// AVX-512's lane mask for the first `n` of sixteen lanes.
	#[inline(always)]
	fn mask16(n: usize) -> __mmask16 {
		(((1u32 << n) - 1) & 0xffff) as __mmask16
	}

	/// [`super::product`] by tiles of up to `ROWS` rows x `2 W` columns, their sums in
	/// `2 ROWS` registers of `W` lanes (AVX2's 4 rows of `W = 8` in eight of its sixteen
	/// registers, AVX-512's 8 rows of 16 in sixteen of its thirty-two), the edges by the same
	/// tiles with fewer rows and masked columns: each lane's fused multiply-add is the portable
	/// loop's `f32::mul_add`, term for term, so every width gives the same bits.
	///
	/// # Safety
	/// As [`super::product`]; the CPU must have AVX2 and FMA, and AVX-512F for `W = 16`, and
	/// the caller must be compiled for them (this is inlined).
	#[inline(always)]
	pub(super) unsafe fn product<const W: usize>(
		dims: (usize, usize, usize),
		a: (*const f32, usize),
		b: (*const f32, usize),
		out: (*mut f32, usize),
	) {
		// SAFETY: forwarded.
		unsafe {
			match W {
				16 => tiles::<16, __m512, 8>(dims, a, b, out),
				_ => tiles::<8, __m256, 4>(dims, a, b, out),
			}
		}
	}

	#[inline(always)]
	unsafe fn tiles<const W: usize, R: Lanes<W>, const ROWS: usize>(
		(m, n, k): (usize, usize, usize),
		(a, a_rs): (*const f32, usize),
		b: (*const f32, usize),
		(out, out_rs): (*mut f32, usize),
	) {
		for i0 in (0..m).step_by(ROWS) {
			for j0 in (0..n).step_by(2 * W) {
				let cols = (n - j0).min(2 * W);
				// SAFETY: rows i0 .. i0 + ROWS (or m), columns j0 .. j0 + cols: the caller's.
				unsafe {
					let (a, out) = (a.add(i0 * a_rs), out.add(i0 * out_rs + j0));
					let b = (b.0.add(j0), b.1);
					match (m - i0).min(ROWS) {
						8 => tile_rows::<W, R, 8>(k, (a, a_rs), b, (out, out_rs), cols),
						7 => tile_rows::<W, R, 7>(k, (a, a_rs), b, (out, out_rs), cols),
						6 => tile_rows::<W, R, 6>(k, (a, a_rs), b, (out, out_rs), cols),
						5 => tile_rows::<W, R, 5>(k, (a, a_rs), b, (out, out_rs), cols),
						4 => tile_rows::<W, R, 4>(k, (a, a_rs), b, (out, out_rs), cols),
						3 => tile_rows::<W, R, 3>(k, (a, a_rs), b, (out, out_rs), cols),
						2 => tile_rows::<W, R, 2>(k, (a, a_rs), b, (out, out_rs), cols),
						_ => tile_rows::<W, R, 1>(k, (a, a_rs), b, (out, out_rs), cols),
					}
				}
			}
		}
	}

	/// One tile: `ROWS` rows of `a` (each `k` long) times the first `cols` (at most `2 W`)
	/// columns of `b`.
	#[inline(always)]
	unsafe fn tile_rows<const W: usize, R: Lanes<W>, const ROWS: usize>(
		k: usize,
		(a, a_rs): (*const f32, usize),
		(b, b_rs): (*const f32, usize),
		(out, out_rs): (*mut f32, usize),
		cols: usize,
	) {
		let (n0, n1) = (cols.min(W), cols.saturating_sub(W));
		// SAFETY: the caller's; `load` and `store` touch the first n0 and n1 lanes only.
		unsafe {
			let mut acc = [[R::zero(); 2]; ROWS];
			for c in 0..k {
				let w0 = R::load(b.add(c * b_rs), n0);
				let w1 = R::load(b.add(c * b_rs + W), n1);
				for (r, sums) in acc.iter_mut().enumerate() {
					let x = R::splat(*a.add(r * a_rs + c));
					sums[0] = x.fma(w0, sums[0]);
					sums[1] = x.fma(w1, sums[1]);
				}
			}
			for (r, sums) in acc.iter().enumerate() {
				let y = out.add(r * out_rs);
				sums[0].store(y, n0);
				sums[1].store(y.add(W), n1);
			}
		}
	}
}

/// `out = a · b` for `a` (m x k) and `b` (k x n), each given as a pointer and a row stride
/// (columns contiguous), into `out` (m x n, row stride given). Every element sums its k
/// products in order, c = 0, 1, …, one fused multiply-add each: the reference
/// [`avx2::product`] equals bit for bit.
///
/// # Safety
/// Every element addressed must be valid, and `out` must not be read or written by anyone
/// else meanwhile.
#[inline(always)]
unsafe fn product(
	(m, n, k): (usize, usize, usize),
	(a, a_rs): (*const f32, usize),
	(b, b_rs): (*const f32, usize),
	(out, out_rs): (*mut f32, usize),
) {
	for i in 0..m {
		for j in 0..n {
			// SAFETY: row i < m of `a`, column j < n of `b`, element (i, j) of `out`: the
			// caller's.
			unsafe {
				let sum = (0..k)
					.fold(0f32, |s, c| (*a.add(i * a_rs + c)).mul_add(*b.add(c * b_rs + j), s));
				*out.add(i * out_rs + j) = sum;
			}
		}
	}
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
	// SAFETY: the CPU has the features each function is compiled for.
	match Isa::detect() {
		Isa::Generic => bias_gelu_row_generic(row, bias),
		#[cfg(target_arch = "x86_64")]
		Isa::Avx2 => unsafe { bias_gelu_row_avx2(row, bias) },
		#[cfg(target_arch = "x86_64")]
		Isa::Avx512Vnni | Isa::Amx => unsafe { bias_gelu_row_avx512(row, bias) },
	}
}

/// The same loop compiled for AVX-512, sixteen lanes wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn bias_gelu_row_avx512(row: &mut [f32], bias: &[f32]) {
	bias_gelu_row_generic(row, bias)
}

/// The same loop compiled for AVX2 and FMA, where it vectorises eight lanes wide and each
/// fused multiply-add is one instruction (elsewhere `f32::mul_add` is a library call, slower
/// but the same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn bias_gelu_row_avx2(row: &mut [f32], bias: &[f32]) {
	bias_gelu_row_generic(row, bias)
}

#[inline(always)]
fn bias_gelu_row_generic(row: &mut [f32], bias: &[f32]) {
	for (x, b) in row.iter_mut().zip(bias) {
		let y = *x + b;
		*x = 0.5 * y * (1.0 + erf(y * std::f32::consts::FRAC_1_SQRT_2));
	}
}

/// Evaluates the polynomial with coefficients `coefs` (highest degree first) at `x` (Horner).
#[inline(always)]
fn horner(x: f32, coefs: &[f32]) -> f32 {
	coefs[1..].iter().fold(coefs[0], |acc, &c| acc.mul_add(x, c))
}

/// erf within about 1e-7, computed without branches so that loops over it vectorise: for
/// |x| < 0.5 its Maclaurin series (six terms, error below 3e-8), elsewhere 1 - erfc with the
/// Chebyshev-fitted erfc of Numerical Recipes §6.2 (fractional error below 1.2e-7; near 0 that
/// form would lose digits to cancellation, hence the series there).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
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
	let series = z * std::f32::consts::FRAC_2_SQRT_PI * horner(z2, &SERIES);
	let t = 1.0 / 0.5f32.mul_add(z, 1.0);
	let erfc = t * exp(horner(t, &ERFC) - z2);
	let y = if z < 0.5 { series } else { 1.0 - erfc };
	y.copysign(x)
}

/// e^x for x <= 88 (x below -87 gives ~0, as far as f32 is concerned), within a few ulp,
/// branch-free and without float-to-int casts so that loops over it vectorise. x = n·ln 2 + r
/// with integer n (built directly into the exponent bits) and |r| <= ln 2 / 2 (Cody-Waite:
/// ln 2 in two parts keeps r exact), then the degree-7 Taylor polynomial of e^r.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
	// Adding 1.5 * 2^23 rounds to an integer n and leaves n in the low mantissa bits.
	const ROUND: f32 = 12_582_912.0;
	const LN2_HI: f32 = 0.693_359_4; // exact in 9 bits, so n * LN2_HI is exact
	const LN2_LO: f32 = -2.121_944_4e-4;
	const TAYLOR: [f32; 8] =
		[1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 1.0 / 2.0, 1.0, 1.0];
	let x = x.clamp(-87.0, 88.0);
	let shifted = x.mul_add(std::f32::consts::LOG2_E, ROUND);
	let n = shifted - ROUND;
	let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
	let p = horner(r, &TAYLOR);
	let bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
	p * f32::from_bits(bits.wrapping_add(127) << 23)
}

/// Softmax of `row`, in place; inlined into [`attend`] (and so compiled for AVX2 and FMA
/// there).
#[inline(always)]
fn softmax(row: &mut [f32]) {
	// A comparison rather than `f32::max`, whose NaN rules kept the compiler from the
	// vector max (the maximum of finite numbers is the same either way).
	let max = lanes(row, f32::NEG_INFINITY, |a, x| if x > a { x } else { a });
	for x in row.iter_mut() {
		*x = exp(*x - max);
	}
	let inv = 1.0 / lanes(row, 0.0, |a, b| a + b);
	for x in row.iter_mut() {
		*x *= inv;
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
			let got = exp(x);
			prop_assert!(((got - want) / want).abs() < 5e-7, "{x}: {got} vs {want}");
		}

		#[test]
		fn erf_matches_its_series(x in -3.0f32..3.0) {
			let want = erf_series(f64::from(x));
			let got = erf(x);
			prop_assert!((f64::from(got) - want).abs() < 2e-7, "{x}: {got} vs {want}");
		}

		#[test]
		fn erf_saturates(x in 4.0f32..100.0) {
			// 1 - erf(4) = 1.5e-8: below f32 resolution near 1.
			let (pos, neg) = (erf(x), erf(-x));
			prop_assert!((pos - 1.0).abs() < 3e-7 && (neg + 1.0).abs() < 3e-7);
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
		fn attention_is_the_same_bits_on_every_isa_and_matches_f64(
			(d, len, qkv) in (1usize..40, 1usize..48).prop_flat_map(|(d, len)| {
				(Just(d), Just(len), proptest::collection::vec(-3.0f32..3.0, 3 * d * len))
			})
		) {
			let runs = attend_each_way(&qkv, d, len);
			prop_assert!(runs.iter().all(|r| *r == runs[0]));
			let at = |i: usize, c: usize, part: usize| f64::from(qkv[i * 3 * d + part * d + c]);
			for i in 0..len {
				let logits: Vec<f64> = (0..len)
					.map(|j| (0..d).map(|c| at(i, c, 0) * at(j, c, 1)).sum::<f64>() / (d as f64).sqrt())
					.collect();
				let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
				let e: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
				let total: f64 = e.iter().sum();
				for c in 0..d {
					let want: f64 = (0..len).map(|j| e[j] / total * at(j, c, 2)).sum();
					let got = f64::from(f32::from_bits(runs[0][i * d + c]));
					prop_assert!((got - want).abs() < 1e-4, "{got} vs {want}");
				}
			}
		}

		#[test]
		fn gelu_is_the_same_bits_on_every_isa(row in proptest::collection::vec(-8.0f32..8.0, 1..70)) {
			let bias: Vec<f32> = (0..row.len()).map(|i| i as f32 / 50.0 - 0.5).collect();
			let mut portable = row.clone();
			bias_gelu_row_generic(&mut portable, &bias);
			let mut chosen = row;
			bias_gelu_row(&mut chosen, &bias);
			prop_assert_eq!(
				portable.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
				chosen.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
			);
		}

		#[test]
		fn softmax_matches_f64(mut row in proptest::collection::vec(-30.0f32..30.0, 1..64)) {
			let reference: Vec<f64> = {
				let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
				let e: Vec<f64> = row.iter().map(|&x| (x as f64 - max).exp()).collect();
				let s: f64 = e.iter().sum();
				e.iter().map(|x| x / s).collect()
			};
			softmax(&mut row);
			for (got, want) in row.iter().zip(&reference) {
				prop_assert!((f64::from(*got) - want).abs() < 1e-6);
			}
		}
	}

	/// Runs one head of attention with the tiles of every instruction set the CPU has.
	fn attend_each_way(qkv: &[f32], d: usize, len: usize) -> Vec<Vec<u32>> {
		let head = Head { qkv, h3: 3 * d, hidden: d, d, len, queries: len };
		Isa::available()
			.into_iter()
			.map(|isa| {
				let line = len.next_multiple_of(LINE);
				let (mut scores, mut keys, mut out) =
					(vec![0.0; len * line], vec![0.0; d * line], vec![0.0; len * d]);
				// SAFETY: `out` holds `len` rows of `d` at stride `hidden` = d; the CPU runs `isa`.
				unsafe { attend_on(isa, &head, &mut scores, &mut keys, out.as_mut_ptr()) };
				out.into_iter().map(f32::to_bits).collect()
			})
			.collect()
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
