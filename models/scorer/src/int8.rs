//! Dense layers in 8-bit integers: the lower-precision path a model folder asks for with
//! `precision.json` (see [`crate::config::Precision`]).
//!
//! `y = x · Wᵀ + b` with
//! - `W` quantised once at load, symmetrically per output column: `w ≈ t_n · q`, `q` in
//!   `-127..=127`, `t_n = max |w_·n| / 127`;
//! - each row of `x` quantised as it arrives, asymmetrically over its own range in 7 bits:
//!   `a ≈ lo_m + s_m · u`, `u` in `0..=127`, `s_m = (max - min) / 127`;
//! - the products summed exactly in `i32`, then `y = t_n · (s_m · Σ u·q + lo_m · Σ q) + b_n`.
//!
//! Seven bits for the activations is what keeps the sum exact on every CPU: AVX2's
//! `vpmaddubsw` adds two `u8 × i8` products into an `i16` with saturation, and
//! `2 · 127 · 127 = 32 258` stays below `i16::MAX`. So the integer sums are the same numbers
//! on any instruction set, in any order, and the f32 steps around them are the same sequence
//! of operations in the vector and the scalar paths (no fused multiply-add): the result of a
//! layer is bit-for-bit the same on every machine, which matters to validators that must agree.
//! AVX-512 VNNI's `vpdpbusd` adds the four products of a column into its `i32` without
//! saturation: the same integers again ([`crate::isa`] picks the tile).

use rayon::prelude::*;

use crate::isa::Isa;
use crate::kernels::OutPtr;

/// The largest activation level: 7 bits.
const ACT_LEVELS: f32 = 127.0;
/// The largest weight magnitude: 8 bits, symmetric.
const WEIGHT_LEVELS: f32 = 127.0;
/// Output columns per packed panel: two AVX2 registers of eight `i32` sums.
const NR: usize = 16;
/// The most panels a tile computes side by side ([`Tile::PANELS`]); the weights hold a whole
/// number of such groups (padded with zero columns).
const MAX_PANELS: usize = 2;
/// The most rows a tile computes ([`Tile::ROWS`]: 4 for AVX2's sixteen registers, 8 for
/// AVX-512's thirty-two).
const MR: usize = 8;
/// Bytes of one panel per group of four inputs: four `i8` per column.
const PANEL_STEP: usize = 4 * NR;
/// Rows per parallel task: a task runs [`Tile::PANELS`] panels over this many rows (a multiple
/// of every [`Tile::ROWS`] and of AMX's blocks of 32).
const BLOCK_ROWS: usize = 8 * MR;

/// A weight matrix quantised and packed for [`Int8Weights::forward`].
pub struct Int8Weights {
	/// Input features.
	k: usize,
	/// Output features.
	n: usize,
	/// Input features in groups of four (the last zero-padded).
	k4: usize,
	/// `ceil(n / 32) * 2` panels of `k4 * 64` bytes: for each group of four inputs, the four
	/// weights of columns 0..8 of the panel, then of columns 8..16 (padding columns zero).
	panels: Vec<i8>,
	/// `t_n`, per output column (these three padded with zeros as the panels are).
	scale: Vec<f32>,
	/// `Σ_k q_kn` per output column, as f32 (exact: at most `k · 127` in magnitude).
	colsum: Vec<f32>,
	/// `b_n`, zero without a bias.
	bias: Vec<f32>,
}

impl Int8Weights {
	/// Quantises `weight_t`, the `(k, n)` row-major transpose of an HF `(out, in)` weight, and an
	/// optional bias of `n`. Refuses non-finite weights, which quantisation would hide.
	pub fn new(weight_t: &[f32], k: usize, n: usize, bias: Option<&[f32]>) -> Result<Self, String> {
		if k == 0 || n == 0 || weight_t.len() != k * n || bias.is_some_and(|b| b.len() != n) {
			return Err(format!(
				"int8 weights: {} values do not make a {k} x {n} matrix",
				weight_t.len()
			));
		}
		if !weight_t.iter().chain(bias.unwrap_or(&[])).all(|w| w.is_finite()) {
			return Err("int8 weights: a weight or bias is not finite".into());
		}
		let padded = n.div_ceil(NR * MAX_PANELS) * NR * MAX_PANELS;
		let scale: Vec<f32> = (0..padded)
			.map(|c| match c < n {
				true => {
					(0..k).map(|r| weight_t[r * n + c].abs()).fold(0.0, f32::max) / WEIGHT_LEVELS
				},
				false => 0.0,
			})
			.collect();
		let q = |r: usize, c: usize| -> i8 {
			if r >= k || c >= n || scale[c] == 0.0 {
				return 0;
			}
			(weight_t[r * n + c] / scale[c]).round_ties_even().clamp(-WEIGHT_LEVELS, WEIGHT_LEVELS)
				as i8
		};
		let k4 = k.div_ceil(4);
		let panel_count = padded / NR;
		let mut panels = vec![0i8; panel_count * k4 * PANEL_STEP];
		for (p, panel) in panels.chunks_exact_mut(k4 * PANEL_STEP).enumerate() {
			for (g, group) in panel.chunks_exact_mut(PANEL_STEP).enumerate() {
				for (i, w) in group.iter_mut().enumerate() {
					*w = q(4 * g + i % 4, p * NR + i / 4);
				}
			}
		}
		let colsum =
			(0..padded).map(|c| (0..k).map(|r| i32::from(q(r, c))).sum::<i32>() as f32).collect();
		let mut bias = bias.map_or_else(|| vec![0.0; n], <[f32]>::to_vec);
		bias.resize(padded, 0.0);
		Ok(Self { k, n, k4, panels, scale, colsum, bias })
	}

	/// Output features.
	pub fn out_features(&self) -> usize {
		self.n
	}

	/// `out = x · Wᵀ + b` for `rows` rows of `k` values, row-major, into `rows` rows of `n`;
	/// `scratch` holds the quantised activations between calls.
	pub fn forward(&self, x: &[f32], rows: usize, out: &mut [f32], scratch: &mut Scratch) {
		self.forward_on(Isa::detect(), x, rows, out, scratch)
	}

	/// [`Self::forward`] with the code for `isa`, which this CPU must support.
	fn forward_on(&self, isa: Isa, x: &[f32], rows: usize, out: &mut [f32], scratch: &mut Scratch) {
		let (k, n, kp) = (self.k, self.n, self.k4 * 4);
		assert!(x.len() >= rows * k && out.len() >= rows * n, "int8 forward: short buffers");
		let Scratch { acts, ranges } = scratch;
		// The padding bytes of each row stay zero: only the first `k` are written.
		acts.clear();
		acts.resize(rows * kp, 0);
		ranges.resize(rows, (0.0, 0.0));
		acts.par_chunks_mut(kp)
			.zip(x.par_chunks(k))
			.zip(ranges.par_iter_mut())
			.for_each(|((q, x), range)| *range = isa.quantize_row(x, &mut q[..k]));
		let dst = OutPtr(out.as_mut_ptr());
		let blocks = rows.div_ceil(BLOCK_ROWS);
		// Each task: `panels` panels side by side, `cols` columns.
		let panels = isa.panels();
		let (cols, panels_len) = (panels * NR, panels * self.k4 * PANEL_STEP);
		let (acts, ranges) = (&acts[..], &ranges[..rows]);
		(0..n.div_ceil(cols) * blocks).into_par_iter().for_each(|task| {
			let (p, block) = (task / blocks, task % blocks);
			let (col0, rows) = (p * cols, block * BLOCK_ROWS..((block + 1) * BLOCK_ROWS).min(rows));
			let task = Task {
				acts: &acts[rows.start * kp..rows.end * kp],
				kp,
				ranges: &ranges[rows.clone()],
				panels: &self.panels[p * panels_len..(p + 1) * panels_len],
				k4: self.k4,
				scale: &self.scale[col0..col0 + cols],
				colsum: &self.colsum[col0..col0 + cols],
				bias: &self.bias[col0..col0 + cols],
				width: (n - col0).min(cols),
			};
			// SAFETY: rows `rows` and columns col0 .. col0 + width of `out` (rows x n) are
			// this task's alone.
			unsafe { isa.run(&task, dst.get().add(rows.start * n + col0), n) };
		});
	}
}

/// Buffers a layer reuses between calls: the quantised rows and their ranges.
#[derive(Default)]
pub struct Scratch {
	acts: Vec<u8>,
	ranges: Vec<(f32, f32)>,
}

/// One parallel task: one or two panels (16 output columns each) over a block of rows.
#[derive(Clone, Copy)]
struct Task<'a> {
	/// The block's quantised rows, `kp` bytes each.
	acts: &'a [u8],
	kp: usize,
	/// `(lo, step)` per row of the block.
	ranges: &'a [(f32, f32)],
	/// The panels, one after the other: `k4` groups of 64 bytes each.
	panels: &'a [i8],
	k4: usize,
	/// The panels' columns of `t`, `Σq` and `b`, 16 per panel.
	scale: &'a [f32],
	colsum: &'a [f32],
	bias: &'a [f32],
	/// Columns of the panels that exist (all but in the last task).
	width: usize,
}

/// The tiles and the epilogue of each instruction set (see [`crate::isa`]).
impl Isa {
	/// Panels per task: [`Tile::PANELS`] of the tiles this instruction set runs.
	fn panels(self) -> usize {
		match self {
			Self::Generic => Generic::PANELS,
			#[cfg(target_arch = "x86_64")]
			Self::Avx2 => avx2::Avx2::PANELS,
			#[cfg(target_arch = "x86_64")]
			Self::Avx512Vnni | Self::Amx => avx512::Vnni::PANELS,
		}
	}

	fn quantize_row(self, x: &[f32], out: &mut [u8]) -> (f32, f32) {
		match self {
			Self::Generic => quantize_row(x, out),
			// SAFETY: `Avx2`, `Avx512Vnni` and `Amx` are chosen only on CPUs with AVX2.
			#[cfg(target_arch = "x86_64")]
			Self::Avx2 | Self::Avx512Vnni | Self::Amx => unsafe { quantize_row_avx2(x, out) },
		}
	}

	/// Runs `task`, writing its rows to `out` (row stride `out_rs`).
	///
	/// # Safety
	/// `out` must be valid for writes of `task.ranges.len()` rows of `task.width` floats at
	/// stride `out_rs`, written by nobody else meanwhile.
	unsafe fn run(self, task: &Task, out: *mut f32, out_rs: usize) {
		match self {
			// SAFETY: forwarded.
			Self::Generic => unsafe { run::<Generic>(task, out, out_rs) },
			// SAFETY: forwarded; `Avx2` is chosen only on CPUs with AVX2.
			#[cfg(target_arch = "x86_64")]
			Self::Avx2 => unsafe { run_avx2(task, out, out_rs) },
			// SAFETY: forwarded; `Avx512Vnni` is chosen only on CPUs with AVX-512 VNNI.
			#[cfg(target_arch = "x86_64")]
			Self::Avx512Vnni => unsafe { run_avx512vnni(task, out, out_rs) },
			// SAFETY: forwarded; `Amx` is chosen only on CPUs with AVX-512 VNNI and AMX-INT8
			// whose kernel gave this process the tile registers.
			#[cfg(target_arch = "x86_64")]
			Self::Amx => unsafe { run_amx(task, out, out_rs) },
		}
	}
}

/// A row of a tile's sums: its panels' columns side by side.
type Sums = [i32; MAX_PANELS * NR];

/// The dot products of one tile.
trait Tile {
	/// Rows per tile, at most [`MR`]: as many as keep the tile's sums in registers.
	const ROWS: usize;
	/// Panels per tile, at most [`MAX_PANELS`].
	const PANELS: usize;

	/// `acc[r][c] = Σ_k a[r][k] · q[k][c]` for the first `R` (at most [`MR`]) rows and the
	/// `16 PANELS` columns of `panels`; `a` holds rows of `a_rs >= 4 · k4` bytes, `panels`
	/// `PANELS` panels of `k4 · 64` bytes.
	///
	/// # Safety
	/// The CPU must support the implementation; `a` must hold `R` rows.
	unsafe fn dot_rows<const R: usize>(
		a: &[u8],
		a_rs: usize,
		panels: &[i8],
		k4: usize,
		acc: &mut [Sums; MR],
	);

	/// [`Tile::dot_rows`] for the first `rows` rows, into a fresh tile.
	///
	/// # Safety
	/// As [`Tile::dot_rows`].
	#[inline(always)]
	unsafe fn dot(a: &[u8], a_rs: usize, rows: usize, panels: &[i8], k4: usize) -> [Sums; MR] {
		let mut acc = [[0i32; MAX_PANELS * NR]; MR];
		// SAFETY: forwarded.
		unsafe {
			match rows {
				8 => Self::dot_rows::<8>(a, a_rs, panels, k4, &mut acc),
				7 => Self::dot_rows::<7>(a, a_rs, panels, k4, &mut acc),
				6 => Self::dot_rows::<6>(a, a_rs, panels, k4, &mut acc),
				5 => Self::dot_rows::<5>(a, a_rs, panels, k4, &mut acc),
				4 => Self::dot_rows::<4>(a, a_rs, panels, k4, &mut acc),
				3 => Self::dot_rows::<3>(a, a_rs, panels, k4, &mut acc),
				2 => Self::dot_rows::<2>(a, a_rs, panels, k4, &mut acc),
				_ => Self::dot_rows::<1>(a, a_rs, panels, k4, &mut acc),
			}
		}
		acc
	}

	/// The epilogue `y = t · (s · Σ + lo · Σq) + b` of a tile's rows `sums`, rows `row0 ..` of
	/// the task, into `out` (its rows at stride `out_rs`): [`epilogue`], which the vector
	/// tiles run a whole panel at a time, the same operations side by side.
	///
	/// # Safety
	/// The CPU must support the implementation; `out` as [`Isa::run`]'s for these rows.
	#[inline(always)]
	unsafe fn epilogue(task: &Task, row0: usize, sums: &[Sums], out: *mut f32, out_rs: usize) {
		// SAFETY: forwarded.
		unsafe { epilogue(task, row0, sums, out, out_rs) }
	}
}

/// [`Tile::epilogue`] column by column.
///
/// # Safety
/// `out` must be valid for writes of `sums.len()` rows of `task.width` floats at stride
/// `out_rs`, written by nobody else meanwhile.
#[inline(always)]
unsafe fn epilogue(task: &Task, row0: usize, sums: &[Sums], out: *mut f32, out_rs: usize) {
	for (r, sums) in sums.iter().enumerate() {
		let (lo, step) = task.ranges[row0 + r];
		// SAFETY: the caller's contract.
		let y = unsafe { std::slice::from_raw_parts_mut(out.add(r * out_rs), task.width) };
		for ((((y, &sum), &t), &q), &b) in
			y.iter_mut().zip(sums).zip(task.scale).zip(task.colsum).zip(task.bias)
		{
			*y = t * (step * sum as f32 + lo * q) + b;
		}
	}
}

/// `impl Tile for $ty` by `$tile::<R>` and `$epilogue`, functions compiled for the instruction
/// set `$ty` stands for, whose contracts are [`Tile::dot_rows`]'s and [`Tile::epilogue`]'s.
#[cfg(target_arch = "x86_64")]
macro_rules! tile_by {
	($ty:ty, $tile:ident, $epilogue:ident, $rows:expr, $panels:expr) => {
		impl Tile for $ty {
			const ROWS: usize = $rows;
			const PANELS: usize = $panels;

			#[inline(always)]
			unsafe fn epilogue(
				task: &Task,
				row0: usize,
				sums: &[Sums],
				out: *mut f32,
				out_rs: usize,
			) {
				// SAFETY: the caller's contract (the CPU runs `$ty`).
				unsafe { $epilogue(task, row0, sums, out, out_rs) }
			}

			#[inline(always)]
			unsafe fn dot_rows<const R: usize>(
				a: &[u8],
				a_rs: usize,
				panels: &[i8],
				k4: usize,
				acc: &mut [Sums; MR],
			) {
				// SAFETY: the caller's contract (the CPU runs `$ty`, bounded reads).
				unsafe { $tile::<R>(a, a_rs, panels, k4, acc) }
			}
		}
	};
}

/// Portable Rust, column by column: the reference the vector kernels must equal exactly.
struct Generic;

impl Tile for Generic {
	const ROWS: usize = 4;
	const PANELS: usize = 1;

	#[inline(always)]
	unsafe fn dot_rows<const R: usize>(
		a: &[u8],
		a_rs: usize,
		panel: &[i8],
		k4: usize,
		acc: &mut [Sums; MR],
	) {
		for (r, sums) in acc.iter_mut().enumerate().take(R) {
			let row = &a[r * a_rs..r * a_rs + 4 * k4];
			for (x, group) in row.chunks_exact(4).zip(panel.chunks_exact(PANEL_STEP)) {
				let x = [x[0], x[1], x[2], x[3]].map(i32::from);
				// Column by column, its four weights side by side: a loop the compiler
				// vectorises across the 16 columns (integer sums: any order is exact).
				for (s, w) in sums.iter_mut().zip(group.chunks_exact(4)) {
					*s += x[0] * i32::from(w[0])
						+ x[1] * i32::from(w[1])
						+ x[2] * i32::from(w[2])
						+ x[3] * i32::from(w[3]);
				}
			}
		}
	}
}

/// A task: its tiles, each followed by the epilogue `y = t · (s · Σ + lo · Σq) + b`.
///
/// # Safety
/// As [`Isa::run`], and the CPU must support `T`.
#[inline(always)]
unsafe fn run<T: Tile>(task: &Task, out: *mut f32, out_rs: usize) {
	let (rows, kp) = (task.ranges.len(), task.kp);
	assert!(task.acts.len() >= rows * kp && kp >= 4 * task.k4);
	let cols = T::PANELS * NR;
	assert!(task.panels.len() >= T::PANELS * task.k4 * PANEL_STEP && task.width <= cols);
	assert!(task.scale.len() == cols && task.colsum.len() == cols && task.bias.len() == cols);
	for row0 in (0..rows).step_by(T::ROWS) {
		let tile_rows = T::ROWS.min(rows - row0);
		let a = &task.acts[row0 * kp..(row0 + tile_rows) * kp];
		// SAFETY: the assertions bound the tile's reads; the CPU supports `T`.
		let acc = unsafe { T::dot(a, kp, tile_rows, task.panels, task.k4) };
		// SAFETY: the caller's contract: rows row0 .. row0 + tile_rows of `width` floats are
		// ours to write; the CPU supports `T`.
		unsafe { T::epilogue(task, row0, &acc[..tile_rows], out.add(row0 * out_rs), out_rs) };
	}
}

/// [`run`] with the AVX2 tiles, its epilogue compiled for AVX2 (without FMA: the generic
/// build must give the same bits).
///
/// # Safety
/// As [`Isa::run`]; the CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2(task: &Task, out: *mut f32, out_rs: usize) {
	// SAFETY: forwarded.
	unsafe { run::<avx2::Avx2>(task, out, out_rs) }
}

/// [`run`] with the AVX-512 VNNI tiles, its epilogue compiled for AVX2 (as [`run_avx2`]).
///
/// # Safety
/// As [`Isa::run`]; the CPU must have AVX2, AVX-512F and AVX-512 VNNI.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vnni")]
unsafe fn run_avx512vnni(task: &Task, out: *mut f32, out_rs: usize) {
	// SAFETY: forwarded.
	unsafe { run::<avx512::Vnni>(task, out, out_rs) }
}

/// [`run`] with AMX's tiles for the task's rows in blocks of [`amx::ROWS`] when its rows are
/// whole groups of 64 inputs (every layer of the default model), and the VNNI tiles for the
/// rest: the same integers, so the same bits.
///
/// # Safety
/// As [`Isa::run`]; the CPU must have AVX2, AVX-512F, AVX-512 VNNI and AMX-INT8, and the
/// process the tile registers ([`amx_available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vnni")]
unsafe fn run_amx(task: &Task, out: *mut f32, out_rs: usize) {
	let kp = task.kp;
	// SAFETY: forwarded.
	let done = if kp.is_multiple_of(64) { unsafe { amx::rows(task, out, out_rs) } } else { 0 };
	let rest = Task { acts: &task.acts[done * kp..], ranges: &task.ranges[done..], ..*task };
	// SAFETY: forwarded, rows `done ..` of the task.
	unsafe { run::<avx512::Vnni>(&rest, out.add(done * out_rs), out_rs) }
}

/// Whether this CPU has AMX-INT8 and the kernel lets this process use the tile registers
/// (Linux hands them out on request, `arch_prctl(ARCH_REQ_XCOMP_PERM)`). Asked once.
#[cfg(target_arch = "x86_64")]
pub(crate) fn amx_available() -> bool {
	static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
	*AVAILABLE.get_or_init(amx::request)
}

/// Quantises one row to 7 bits over its own range; returns `(lo, step)` with
/// `x ≈ lo + step · u`. A row holding a NaN or an infinity gets NaN for both, so the layer's
/// output is NaN and the scorer reports it instead of scoring a corrupted value.
#[inline(always)]
fn quantize_row(x: &[f32], out: &mut [u8]) -> (f32, f32) {
	let mut lo = [f32::INFINITY; 8];
	let mut hi = [f32::NEG_INFINITY; 8];
	let mut sum = [0f32; 8];
	let mut chunks = x.chunks_exact(8);
	// Comparisons rather than `f32::min`/`max` (the vector min and max compute these): a NaN
	// is skipped either way and caught by the sum.
	for chunk in &mut chunks {
		for i in 0..8 {
			let v = chunk[i];
			lo[i] = if v < lo[i] { v } else { lo[i] };
			hi[i] = if v > hi[i] { v } else { hi[i] };
			sum[i] += v;
		}
	}
	quantize_in_range(x, (lo, hi, sum), chunks.remainder(), out)
}

/// The end of [`quantize_row`] from its eight lanes of minima, maxima and sums over the whole
/// chunks of eight, and the `tail` after them.
#[inline(always)]
fn quantize_in_range(
	x: &[f32],
	(mut lo, mut hi, mut sum): ([f32; 8], [f32; 8], [f32; 8]),
	tail: &[f32],
	out: &mut [u8],
) -> (f32, f32) {
	for &v in tail {
		lo[0] = lo[0].min(v);
		hi[0] = hi[0].max(v);
		sum[0] += v;
	}
	let (lo, hi) = (
		lo.into_iter().fold(f32::INFINITY, f32::min),
		hi.into_iter().fold(f32::NEG_INFINITY, f32::max),
	);
	// min and max skip NaN; the sum does not (and an infinity makes it non-finite too).
	if !sum.iter().all(|s| s.is_finite()) || !(hi - lo).is_finite() {
		return (f32::NAN, f32::NAN);
	}
	// Adding 1.5 · 2^23 rounds a float in [0, 2^22) to an integer, ties to even, and leaves
	// it in the low mantissa bits: a rounding that vectorises (`round_ties_even` is a libm
	// call per value here).
	const ROUND: f32 = 12_582_912.0;
	let inv = if hi > lo { ACT_LEVELS / (hi - lo) } else { 0.0 };
	for (u, &v) in out.iter_mut().zip(x) {
		*u = (((v - lo) * inv).clamp(0.0, ACT_LEVELS) + ROUND).to_bits() as u8;
	}
	(lo, (hi - lo) / ACT_LEVELS)
}

/// [`quantize_row`] compiled for AVX2, without FMA, its lanes in one register: `vminps(v, lo)`
/// is `v < lo ? v : lo` and `vmaxps(v, hi)` is `v > hi ? v : hi`, the portable loop's
/// comparisons (the compiler ran that loop half a lane at a time).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn quantize_row_avx2(x: &[f32], out: &mut [u8]) -> (f32, f32) {
	use std::arch::x86_64::*;
	let mut lo = _mm256_set1_ps(f32::INFINITY);
	let mut hi = _mm256_set1_ps(f32::NEG_INFINITY);
	let mut sum = _mm256_setzero_ps();
	let mut chunks = x.chunks_exact(8);
	for chunk in &mut chunks {
		// SAFETY: a chunk holds eight floats.
		let v = unsafe { _mm256_loadu_ps(chunk.as_ptr()) };
		lo = _mm256_min_ps(v, lo);
		hi = _mm256_max_ps(v, hi);
		sum = _mm256_add_ps(sum, v);
	}
	let lanes = |r: __m256| {
		let mut out = [0f32; 8];
		// SAFETY: `out` holds eight floats.
		unsafe { _mm256_storeu_ps(out.as_mut_ptr(), r) };
		out
	};
	quantize_in_range(x, (lanes(lo), lanes(hi), lanes(sum)), chunks.remainder(), out)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
	use std::arch::x86_64::*;

	use super::{Sums, Task, Tile, MR, NR, PANEL_STEP};

	/// The `vpmaddubsw` tiles.
	pub struct Avx2;

	tile_by!(Avx2, dot_tile, epilogue, 4, 1);

	/// [`Tile::epilogue`] eight columns at a time, each operation of [`super::epilogue`] on
	/// eight lanes (no fused multiply-add), so the same bits.
	///
	/// # Safety
	/// The CPU must have AVX2; `out` as [`Tile::epilogue`]'s.
	#[target_feature(enable = "avx2")]
	unsafe fn epilogue(task: &Task, row0: usize, sums: &[Sums], out: *mut f32, out_rs: usize) {
		if task.width < NR {
			// SAFETY: forwarded.
			return unsafe { super::epilogue(task, row0, sums, out, out_rs) };
		}
		for (r, sums) in sums.iter().enumerate() {
			let (lo, step) = task.ranges[row0 + r];
			for h in [0, 8] {
				// SAFETY: the task's columns h .. h + 8 of `sums`, `scale`, `colsum` and `bias`
				// (each NR long) and of the output row (`width` = NR): the caller's.
				unsafe {
					let sum = _mm256_cvtepi32_ps(_mm256_loadu_si256(sums[h..].as_ptr().cast()));
					let lo_q = _mm256_mul_ps(_mm256_set1_ps(lo), _mm256_loadu_ps(&task.colsum[h]));
					let inner = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(step), sum), lo_q);
					let y = _mm256_add_ps(
						_mm256_mul_ps(_mm256_loadu_ps(&task.scale[h]), inner),
						_mm256_loadu_ps(&task.bias[h]),
					);
					_mm256_storeu_ps(out.add(r * out_rs + h), y);
				}
			}
		}
	}

	/// [`Tile::dot`] for `R` rows: per group of four inputs, each row's four activations
	/// broadcast against the panel's 2 x 32 weight bytes; `vpmaddubsw` multiplies and adds
	/// pairs into `i16` (exact, see the module docs), `vpmaddwd` by one adds those pairs into
	/// `i32` per column.
	///
	/// # Safety
	/// The CPU must have AVX2; `a` must hold `R` rows of `a_rs >= 4 * k4` bytes and `panel`
	/// `k4 * 64` bytes.
	#[target_feature(enable = "avx2")]
	unsafe fn dot_tile<const R: usize>(
		a: &[u8],
		a_rs: usize,
		panel: &[i8],
		k4: usize,
		acc: &mut [Sums; MR],
	) {
		let ones = _mm256_set1_epi16(1);
		let mut sums = [[_mm256_setzero_si256(); 2]; R];
		let (a, b) = (a.as_ptr(), panel.as_ptr());
		for g in 0..k4 {
			// SAFETY: g < k4, so the panel bytes g * 64 .. g * 64 + 64 and the activation
			// bytes r * a_rs + 4 g .. + 4 lie inside the slices (the caller's contract).
			unsafe {
				let w0 = _mm256_loadu_si256(b.add(g * PANEL_STEP).cast());
				let w1 = _mm256_loadu_si256(b.add(g * PANEL_STEP + 32).cast());
				for (r, s) in sums.iter_mut().enumerate() {
					let x =
						_mm256_set1_epi32(a.add(r * a_rs + 4 * g).cast::<i32>().read_unaligned());
					s[0] = _mm256_add_epi32(
						s[0],
						_mm256_madd_epi16(_mm256_maddubs_epi16(x, w0), ones),
					);
					s[1] = _mm256_add_epi32(
						s[1],
						_mm256_madd_epi16(_mm256_maddubs_epi16(x, w1), ones),
					);
				}
			}
		}
		for (s, out) in sums.iter().zip(acc.iter_mut()) {
			// SAFETY: each row of `acc` holds 16 i32, two registers' worth.
			unsafe {
				_mm256_storeu_si256(out.as_mut_ptr().cast(), s[0]);
				_mm256_storeu_si256(out.as_mut_ptr().add(8).cast(), s[1]);
			}
		}
	}
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
	use std::arch::x86_64::*;

	use super::{Sums, Task, Tile, MR, NR, PANEL_STEP};

	/// The `vpdpbusd` tiles.
	pub struct Vnni;

	tile_by!(Vnni, dot_tile, epilogue, 8, 2);

	/// [`Tile::epilogue`] a whole panel at a time, each operation of [`super::epilogue`] on
	/// sixteen lanes (no fused multiply-add), so the same bits.
	///
	/// # Safety
	/// The CPU must have AVX-512F; `out` as [`Tile::epilogue`]'s.
	#[target_feature(enable = "avx512f")]
	unsafe fn epilogue(task: &Task, row0: usize, sums: &[Sums], out: *mut f32, out_rs: usize) {
		if task.width < 2 * NR {
			// SAFETY: forwarded.
			return unsafe { super::epilogue(task, row0, sums, out, out_rs) };
		}
		for h in [0, NR] {
			// SAFETY: `scale`, `colsum` and `bias` are 2 NR long (asserted by `run`).
			let (t, q, b) = unsafe {
				(
					_mm512_loadu_ps(task.scale[h..].as_ptr()),
					_mm512_loadu_ps(task.colsum[h..].as_ptr()),
					_mm512_loadu_ps(task.bias[h..].as_ptr()),
				)
			};
			for (r, sums) in sums.iter().enumerate() {
				let (lo, step) = task.ranges[row0 + r];
				// SAFETY: columns h .. h + NR of a row of 2 NR sums, and of row r of the
				// output (`width` = 2 NR): the caller's.
				unsafe {
					let sum = _mm512_cvtepi32_ps(_mm512_loadu_si512(sums[h..].as_ptr().cast()));
					let lo_q = _mm512_mul_ps(_mm512_set1_ps(lo), q);
					let inner = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(step), sum), lo_q);
					let y = _mm512_add_ps(_mm512_mul_ps(t, inner), b);
					_mm512_storeu_ps(out.add(r * out_rs + h), y);
				}
			}
		}
	}

	/// [`Tile::dot`] for `R` rows and two panels: a group of four inputs of a panel is one
	/// register (16 columns × 4 weights, the layout `Int8Weights::new` packs), each row's four
	/// activations are broadcast to every column, and `vpdpbusd` adds the four products of
	/// each column into its `i32` sum: the same integers as the AVX2 and portable tiles. Two
	/// panels side by side make sixteen independent sums of eight rows, and each broadcast
	/// serves two of them.
	///
	/// # Safety
	/// The CPU must have AVX-512F and AVX-512 VNNI; `a` must hold `R` rows of
	/// `a_rs >= 4 * k4` bytes and `panels` two panels of `k4 * 64` bytes.
	#[target_feature(enable = "avx512f,avx512vnni")]
	unsafe fn dot_tile<const R: usize>(
		a: &[u8],
		a_rs: usize,
		panels: &[i8],
		k4: usize,
		acc: &mut [Sums; MR],
	) {
		let mut sums = [[_mm512_setzero_si512(); 2]; R];
		let panel_len = k4 * PANEL_STEP;
		assert!(panels.len() >= 2 * panel_len);
		let (a, b) = (a.as_ptr(), panels.as_ptr());
		for g in 0..k4 {
			// SAFETY: as the AVX2 tile: g < k4 keeps the reads inside the slices.
			unsafe {
				let w0 = _mm512_loadu_si512(b.add(g * PANEL_STEP).cast());
				let w1 = _mm512_loadu_si512(b.add(panel_len + g * PANEL_STEP).cast());
				for (r, s) in sums.iter_mut().enumerate() {
					let x =
						_mm512_set1_epi32(a.add(r * a_rs + 4 * g).cast::<i32>().read_unaligned());
					s[0] = _mm512_dpbusd_epi32(s[0], x, w0);
					s[1] = _mm512_dpbusd_epi32(s[1], x, w1);
				}
			}
		}
		for (s, out) in sums.iter().zip(acc.iter_mut()) {
			// SAFETY: each row of `acc` holds 32 i32, two registers' worth.
			unsafe {
				_mm512_storeu_si512(out.as_mut_ptr().cast(), s[0]);
				_mm512_storeu_si512(out.as_mut_ptr().add(NR).cast(), s[1]);
			}
		}
	}
}

#[cfg(target_arch = "x86_64")]
mod amx {
	//! Intel AMX: eight tile registers of 16 rows x 64 bytes, and `tdpbusd`, which adds to
	//! each `i32` of a 16 x 16 tile the 64 products of a row of unsigned bytes and a column of
	//! signed bytes in four-byte groups: a panel's 16 groups of four inputs x 16 columns is
	//! exactly one tile of weights, as `Int8Weights::new` packs it. Rust has no stable AMX
	//! intrinsics, so the instructions are written out.

	use std::arch::asm;

	use super::{avx512, Sums, Task, Tile, MAX_PANELS, NR, PANEL_STEP};

	/// Rows per block: two tiles of activations.
	pub(super) const ROWS: usize = 32;

	/// `ldtilecfg`'s 64 bytes: palette 1; tiles 0–3 the sums of two row tiles by two panels,
	/// 4–5 the activations, 6–7 the weights; each 16 rows of 64 bytes.
	#[repr(C, align(64))]
	struct Config {
		palette: u8,
		start_row: u8,
		reserved: [u8; 14],
		bytes_per_row: [u16; 16],
		rows: [u8; 16],
	}

	static CONFIG: Config = Config {
		palette: 1,
		start_row: 0,
		reserved: [0; 14],
		bytes_per_row: [64, 64, 64, 64, 64, 64, 64, 64, 0, 0, 0, 0, 0, 0, 0, 0],
		rows: [16, 16, 16, 16, 16, 16, 16, 16, 0, 0, 0, 0, 0, 0, 0, 0],
	};

	/// Whether the CPU has AMX-TILE and AMX-INT8 (CPUID leaf 7, EDX bits 24 and 25) and the
	/// kernel gives this process the tile data state.
	pub(super) fn request() -> bool {
		#[allow(unused_unsafe)]
		// SAFETY: CPUID leaf 7 exists on every CPU with AVX-512, the only ones that ask.
		let leaf7 = unsafe { std::arch::x86_64::__cpuid_count(7, 0) };
		(leaf7.edx >> 24) & 3 == 3 && tiles_granted()
	}

	/// Asks Linux for the tile data state: `arch_prctl(ARCH_REQ_XCOMP_PERM,
	/// XFEATURE_XTILEDATA)`, which fails when an alternate signal stack of the process is too
	/// small for it.
	#[cfg(target_os = "linux")]
	fn tiles_granted() -> bool {
		const SYS_ARCH_PRCTL: isize = 158;
		const ARCH_REQ_XCOMP_PERM: usize = 0x1023;
		const XFEATURE_XTILEDATA: usize = 18;
		let ret: isize;
		// SAFETY: the arch_prctl system call, which reads and writes no memory of ours.
		unsafe {
			asm!(
				"syscall",
				inlateout("rax") SYS_ARCH_PRCTL => ret,
				in("rdi") ARCH_REQ_XCOMP_PERM,
				in("rsi") XFEATURE_XTILEDATA,
				lateout("rcx") _,
				lateout("r11") _,
				options(nostack),
			);
		}
		ret == 0
	}

	/// Other kernels are not asked: the scorer runs the VNNI tiles there.
	#[cfg(not(target_os = "linux"))]
	fn tiles_granted() -> bool {
		false
	}

	/// The task's rows in whole blocks of [`ROWS`], each through the VNNI tiles' epilogue;
	/// returns how many rows it did.
	///
	/// # Safety
	/// As [`super::run_amx`]; `task.kp` must be a multiple of 64.
	#[target_feature(enable = "avx512f")]
	pub(super) unsafe fn rows(task: &Task, out: *mut f32, out_rs: usize) -> usize {
		let (kp, blocks) = (task.kp, task.ranges.len() / ROWS);
		let panel_len = task.k4 * PANEL_STEP;
		assert!(kp.is_multiple_of(64) && kp == 4 * task.k4 && task.panels.len() >= 2 * panel_len);
		assert!(task.acts.len() >= task.ranges.len() * kp);
		if blocks == 0 {
			return 0;
		}
		let (w0, w1) = (task.panels.as_ptr(), task.panels[panel_len..].as_ptr());
		let mut sums: [Sums; ROWS] = [[0; MAX_PANELS * NR]; ROWS];
		// SAFETY: the configuration is 64 bytes at a 64-byte boundary.
		unsafe { asm!("ldtilecfg [{}]", in(reg) &CONFIG, options(nostack, readonly)) };
		for block in 0..blocks {
			let a = task.acts[block * ROWS * kp..].as_ptr();
			// SAFETY: tiles 0–3 were configured above.
			unsafe {
				asm!(
					"tilezero tmm0",
					"tilezero tmm1",
					"tilezero tmm2",
					"tilezero tmm3",
					options(nomem, nostack)
				)
			};
			for g in 0..kp / 64 {
				// SAFETY: the activation tiles read 16 rows of 64 bytes at stride kp from
				// rows block·32 and block·32 + 16, columns 64 g .. 64 g + 64 < kp; the weight
				// tiles 16 groups of 64 bytes from group 16 g < k4 of each panel.
				unsafe {
					asm!(
						"tileloadd tmm4, [{a0} + {kp}*1]",
						"tileloadd tmm5, [{a1} + {kp}*1]",
						"tileloadd tmm6, [{b0} + {step}*1]",
						"tileloadd tmm7, [{b1} + {step}*1]",
						"tdpbusd tmm0, tmm4, tmm6",
						"tdpbusd tmm1, tmm4, tmm7",
						"tdpbusd tmm2, tmm5, tmm6",
						"tdpbusd tmm3, tmm5, tmm7",
						a0 = in(reg) a.add(64 * g),
						a1 = in(reg) a.add(16 * kp + 64 * g),
						b0 = in(reg) w0.add(16 * PANEL_STEP * g),
						b1 = in(reg) w1.add(16 * PANEL_STEP * g),
						kp = in(reg) kp,
						step = in(reg) PANEL_STEP,
						options(nostack, readonly),
					)
				};
			}
			let c = sums.as_mut_ptr().cast::<u8>();
			let row_bytes = std::mem::size_of::<Sums>();
			// SAFETY: each tile stores 16 rows of 64 bytes into `sums` (32 rows of 128
			// bytes): tiles 0 and 1 rows 0..16, columns 0..16 and 16..32; tiles 2 and 3
			// rows 16..32.
			unsafe {
				asm!(
					"tilestored [{c0} + {s}*1], tmm0",
					"tilestored [{c1} + {s}*1], tmm1",
					"tilestored [{c2} + {s}*1], tmm2",
					"tilestored [{c3} + {s}*1], tmm3",
					c0 = in(reg) c,
					c1 = in(reg) c.add(64),
					c2 = in(reg) c.add(16 * row_bytes),
					c3 = in(reg) c.add(16 * row_bytes + 64),
					s = in(reg) row_bytes,
					options(nostack),
				)
			};
			// SAFETY: rows block·32 .. + 32 of the task's output: the caller's.
			unsafe {
				<avx512::Vnni as Tile>::epilogue(
					task,
					block * ROWS,
					&sums,
					out.add(block * ROWS * out_rs),
					out_rs,
				)
			};
		}
		// SAFETY: releases the tile state this function configured.
		unsafe { asm!("tilerelease", options(nomem, nostack)) };
		blocks * ROWS
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	impl Int8Weights {
		/// [`Int8Weights::forward_on`] into a fresh buffer.
		fn matmul_on(&self, isa: Isa, x: &[f32], rows: usize) -> Vec<f32> {
			let mut out = vec![f32::NAN; rows * self.n];
			self.forward_on(isa, x, rows, &mut out, &mut Scratch::default());
			out
		}

		fn matmul(&self, x: &[f32], rows: usize) -> Vec<f32> {
			self.matmul_on(Isa::detect(), x, rows)
		}
	}

	/// `x · w + b` in f64, `w` row-major `(k, n)`.
	fn reference(x: &[f32], w: &[f32], b: &[f32], k: usize, n: usize) -> Vec<f64> {
		let rows = x.len() / k;
		let mut y = vec![0f64; rows * n];
		for r in 0..rows {
			for c in 0..n {
				y[r * n + c] = f64::from(b[c])
					+ (0..k)
						.map(|i| f64::from(x[r * k + i]) * f64::from(w[i * n + c]))
						.sum::<f64>();
			}
		}
		y
	}

	fn matrix(len: usize) -> impl Strategy<Value = Vec<f32>> {
		proptest::collection::vec(-2.0f32..2.0, len)
	}

	/// `(rows, k, n, x, w, b)` with fewer than `max` rows, inputs and outputs.
	fn case(
		(rows, k, n): (usize, usize, usize),
	) -> impl Strategy<Value = (usize, usize, usize, Vec<f32>, Vec<f32>, Vec<f32>)> {
		(1..rows, 1..k, 1..n).prop_flat_map(|(rows, k, n)| {
			(Just(rows), Just(k), Just(n), matrix(rows * k), matrix(k * n), matrix(n))
		})
	}

	/// The layer `x · w + b` computes the same bits on every instruction set as on the portable
	/// path.
	fn same_bits_on_every_isa(
		rows: usize,
		(k, n): (usize, usize),
		x: &[f32],
		w: &[f32],
		b: &[f32],
	) -> Result<(), TestCaseError> {
		let weights = Int8Weights::new(w, k, n, Some(b)).unwrap();
		let bits = |y: Vec<f32>| y.into_iter().map(f32::to_bits).collect::<Vec<_>>();
		let generic = bits(weights.matmul_on(Isa::Generic, x, rows));
		for isa in Isa::available() {
			prop_assert_eq!(bits(weights.matmul_on(isa, x, rows)), generic.clone(), "{:?}", isa);
		}
		Ok(())
	}

	proptest! {
		/// The whole layer, quantisation, tiles and epilogue, is the same bits on the vector
		/// path as on the portable one, over row counts that cross tiles and task blocks and
		/// column counts that end in partial panels.
		#[test]
		fn every_isa_computes_the_same_bits((rows, k, n, x, w, b) in case((150, 40, 40))) {
			same_bits_on_every_isa(rows, (k, n), &x, &w, &b)?;
		}

		/// As above with inputs in whole groups of 64 and blocks of 32 rows, where AMX's tiles
		/// run (with the VNNI tiles for the rows after the last whole block).
		#[test]
		fn every_isa_computes_the_same_bits_in_whole_tiles(
			(rows, k, n, x, w, b) in (1usize..140, 1usize..4, 1usize..70).prop_flat_map(|(rows, g, n)| {
				(Just(rows), Just(64 * g), Just(n), matrix(rows * 64 * g), matrix(64 * g * n), matrix(n))
			})
		) {
			same_bits_on_every_isa(rows, (k, n), &x, &w, &b)?;
		}

		#[test]
		fn quantising_a_row_is_the_same_on_every_isa(x in proptest::collection::vec(-50.0f32..50.0, 1..300)) {
			let mut fast = vec![0u8; x.len()];
			let mut slow = vec![0u8; x.len()];
			let a = Isa::available().last().unwrap().quantize_row(&x, &mut fast);
			let b = Isa::Generic.quantize_row(&x, &mut slow);
			prop_assert_eq!(fast, slow);
			prop_assert_eq!(a.0.to_bits(), b.0.to_bits());
			prop_assert_eq!(a.1.to_bits(), b.1.to_bits());
		}

		#[test]
		fn a_quantised_row_dequantises_within_half_a_step(x in proptest::collection::vec(-50.0f32..50.0, 1..300)) {
			let mut q = vec![0u8; x.len()];
			let (lo, step) = quantize_row(&x, &mut q);
			for (&v, &u) in x.iter().zip(&q) {
				prop_assert!(u <= 127);
				prop_assert!((lo + step * f32::from(u) - v).abs() <= step * 0.5 + 1e-4, "{v} -> {u}");
			}
		}

		#[test]
		fn the_int8_product_is_within_its_quantisation_error((rows, k, n, x, w, b) in case((11, 70, 40))) {
			let weights = Int8Weights::new(&w, k, n, Some(&b)).unwrap();
			let got = weights.matmul(&x, rows);
			let want = reference(&x, &w, &b, k, n);
			for r in 0..rows {
				let xr = &x[r * k..(r + 1) * k];
				let (lo, hi) = xr.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
				let act_err = f64::from(hi - lo) / 127.0 / 2.0;
				for c in 0..n {
					let wmax = (0..k).map(|i| w[i * n + c].abs()).fold(0.0, f32::max);
					let w_err = f64::from(wmax) / 127.0 / 2.0;
					// |x w - x' w'| <= Σ |x| |w - w'| + |x - x'| |w'|, plus f32 rounding.
					let xabs: f64 = xr.iter().map(|&v| f64::from(v.abs())).sum();
					let bound = xabs * w_err + k as f64 * act_err * f64::from(wmax) + 1e-3;
					let (g, e) = (f64::from(got[r * n + c]), want[r * n + c]);
					prop_assert!((g - e).abs() <= bound, "row {r} col {c}: {g} vs {e} (bound {bound})");
				}
			}
		}
	}

	#[test]
	fn a_non_finite_activation_makes_the_output_nan() {
		let weights = Int8Weights::new(&[1.0, 2.0], 2, 1, None).unwrap();
		for bad in [f32::NAN, f32::INFINITY] {
			assert!(weights.matmul(&[bad, 1.0, 3.0, 4.0], 2)[0].is_nan());
			assert!(weights.matmul(&[bad, 1.0, 3.0, 4.0], 2)[1].is_finite());
		}
	}

	#[test]
	fn non_finite_weights_are_refused() {
		assert!(Int8Weights::new(&[1.0, f32::NAN], 2, 1, None).is_err());
		assert!(Int8Weights::new(&[1.0, 2.0], 2, 1, Some(&[f32::INFINITY])).is_err());
		assert!(Int8Weights::new(&[1.0, 2.0, 3.0], 2, 1, None).is_err());
	}

	#[test]
	fn a_constant_row_and_a_zero_column_are_exact() {
		// A constant row quantises to all zeros with step 0: y = t · lo · Σq + b, exact for
		// weights on the quantisation grid (t = 0.01 here).
		let w = [1.27, 0.0, -0.64, 0.0];
		let weights = Int8Weights::new(&w, 2, 2, Some(&[1.0, 2.0])).unwrap();
		let y = weights.matmul(&[3.0, 3.0], 1);
		assert!((y[0] - (3.0 * (1.27 - 0.64) + 1.0)).abs() < 1e-5, "{y:?}");
		assert_eq!(y[1], 2.0);
	}
}
