//! A BERT encoder forward pass on plain slices, written for CPU inference of small models.
//!
//! It follows transformers' `BertModel` (post-layer-norm, absolute positions, exact GELU) and
//! differs from candle-transformers' `bert.rs` only where that makes the CPU path faster without
//! changing the maths: query, key and value are one fused matmul; attention, the feed-forward
//! bias + GELU and the residual + layer norm are fused kernels (see [`crate::kernels`]); the
//! dense layers run in f32 through gemm or in int8 ([`crate::int8`]); and every activation lives
//! in a [`Workspace`] kept between calls, so a pass allocates nothing once warm (allocating and
//! freeing megabytes per pass had the allocator hand them back to the kernel and fault them in
//! again: a fifth of a 256-token pass). Candle loads the weights.

use std::sync::Mutex;

use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;

use crate::config::{BertConfig, Precision};
use crate::int8::{Int8Weights, Scratch};
use crate::kernels::{add_layer_norm, attention, bias_gelu, matmul, Buf};

type CResult<T> = candle_core::Result<T>;

/// A dense layer `x · Wᵀ + b`.
enum Dense {
	/// `Wᵀ` (in x out) kept contiguous. gemm packs its operands for every call; from the HF
	/// layout (`W` contiguous, read transposed) that packing is a strided scalar copy of the
	/// whole weight matrix, which at batch 1 took a third of the matmul time. Transposed once
	/// at load it is a contiguous copy.
	F32 { weight_t: Vec<f32>, bias: Option<Vec<f32>>, k: usize, n: usize },
	/// Quantised and packed once at load, bias included.
	Int8(Int8Weights),
}

impl Dense {
	/// From an HF weight `(out, in)` and optional bias `(out)`.
	fn new(weight: &Tensor, bias: Option<Tensor>, precision: Precision) -> CResult<Self> {
		let weight_t = weight.t()?.contiguous()?;
		let (k, n) = weight_t.dims2()?;
		let weight_t: Vec<f32> = weight_t.flatten_all()?.to_vec1()?;
		let bias = bias.map(|b| b.to_vec1::<f32>()).transpose()?;
		Ok(match precision {
			Precision::F32 => Self::F32 { weight_t, bias, k, n },
			Precision::Int8 => Self::Int8(
				Int8Weights::new(&weight_t, k, n, bias.as_deref())
					.map_err(candle_core::Error::msg)?,
			),
		})
	}

	/// Output features.
	fn out_features(&self) -> usize {
		match self {
			Self::F32 { n, .. } => *n,
			Self::Int8(w) => w.out_features(),
		}
	}

	/// `out = x · Wᵀ + b` for `rows` rows, on the current rayon pool.
	fn forward(&self, x: &[f32], rows: usize, out: &mut [f32], scratch: &mut Scratch) {
		match self {
			Self::Int8(w) => w.forward(x, rows, out, scratch),
			Self::F32 { weight_t, bias, k, n } => {
				let (k, n) = (*k, *n);
				assert!(x.len() >= rows * k && out.len() >= rows * n, "dense: short buffers");
				let threads = rayon::current_num_threads();
				// SAFETY: x holds rows x k, weight_t k x n and out rows x n values (asserted
				// above and at load); nothing else writes `out` meanwhile.
				unsafe {
					let (dst, lhs, rhs) = (out.as_mut_ptr(), x.as_ptr(), weight_t.as_ptr());
					matmul((rows, n, k), dst, n, lhs, k, rhs, (n, 1), 1.0, threads);
				}
				if let Some(bias) = bias {
					for row in out[..rows * n].chunks_exact_mut(n) {
						for (y, b) in row.iter_mut().zip(bias) {
							*y += b;
						}
					}
				}
			},
		}
	}
}

fn linear(vb: &VarBuilder, rows: usize, cols: usize, precision: Precision) -> CResult<Dense> {
	Dense::new(&vb.get((rows, cols), "weight")?, Some(vb.get(rows, "bias")?), precision)
}

/// A layer norm's parameters.
struct Norm {
	weight: Vec<f32>,
	bias: Vec<f32>,
	eps: f32,
}

impl Norm {
	fn load(vb: &VarBuilder, size: usize, eps: f64) -> CResult<Self> {
		Ok(Self {
			weight: vb.get(size, "weight")?.to_vec1()?,
			bias: vb.get(size, "bias")?.to_vec1()?,
			eps: eps as f32,
		})
	}

	/// `y = LayerNorm(y + residual(r))` for each row `r` of `y`.
	fn add_norm<'a>(&self, y: &mut [f32], residual: impl Fn(usize) -> &'a [f32] + Sync) {
		add_layer_norm(y, residual, &self.weight, &self.bias, self.eps)
	}
}

struct Embeddings {
	/// `(vocab, hidden)`, `(positions, hidden)` and `(types, hidden)`, row-major.
	word: Vec<f32>,
	position: Vec<f32>,
	token_type: Vec<f32>,
	/// The position id of the first token (RoBERTa's start after the padding index).
	position_offset: usize,
	norm: Norm,
}

impl Embeddings {
	fn load(vb: &VarBuilder, c: &BertConfig) -> CResult<Self> {
		let h = c.hidden_size;
		let table = |rows: usize, name: &str| -> CResult<Vec<f32>> {
			vb.get((rows, h), name)?.flatten_all()?.to_vec1()
		};
		Ok(Self {
			word: table(c.vocab_size, "word_embeddings.weight")?,
			position: table(c.max_position_embeddings, "position_embeddings.weight")?,
			token_type: table(c.type_vocab_size, "token_type_embeddings.weight")?,
			position_offset: c.position_offset(),
			norm: Norm::load(&vb.pp("LayerNorm"), h, c.layer_norm_eps)?,
		})
	}

	/// Writes the embeddings of `(batch, seq)` `ids` into `out`; an id or a position the
	/// tables do not have is an error.
	fn forward(&self, ids: &[u32], type_ids: &[u32], seq: usize, out: &mut [f32]) -> CResult<()> {
		let h = self.norm.weight.len();
		// The last position a sequence reaches; checked once, so every row below exists.
		table_row(&self.position, h, self.position_offset + seq.max(1) - 1, "position")?;
		for (t, y) in out.chunks_exact_mut(h).enumerate().take(ids.len()) {
			let word = table_row(&self.word, h, ids[t] as usize, "token id")?;
			let kind = table_row(&self.token_type, h, type_ids[t] as usize, "token type")?;
			for ((y, w), k) in y.iter_mut().zip(word).zip(kind) {
				*y = w + k;
			}
		}
		// The position embedding goes in as the layer norm's residual.
		let position = |t: usize| {
			let at = self.position_offset + t % seq;
			&self.position[at * h..(at + 1) * h]
		};
		self.norm.add_norm(&mut out[..ids.len() * h], position);
		Ok(())
	}
}

/// Row `i` of a `(rows, h)` table; an index past its end is an error.
fn table_row<'a>(table: &'a [f32], h: usize, i: usize, what: &str) -> CResult<&'a [f32]> {
	table
		.get(i * h..(i + 1) * h)
		.ok_or_else(|| candle_core::Error::msg(format!("{what} {i} is beyond the embedding table")))
}

struct Layer {
	qkv: Dense,
	attn_out: Dense,
	attn_norm: Norm,
	/// The feed-forward up-projection without its bias, which [`bias_gelu`] adds.
	up: Dense,
	up_bias: Vec<f32>,
	down: Dense,
	out_norm: Norm,
}

impl Layer {
	fn load(vb: &VarBuilder, c: &BertConfig, precision: Precision) -> CResult<Self> {
		let (h, i, eps) = (c.hidden_size, c.intermediate_size, c.layer_norm_eps);
		let att = vb.pp("attention");
		let own = att.pp("self");
		let names = ["query", "key", "value"];
		// One (3h x h) matmul reads the activations once instead of three times.
		let weights = names.map(|n| own.pp(n).get((h, h), "weight"));
		let biases = names.map(|n| own.pp(n).get(h, "bias"));
		let weight = Tensor::cat(&weights.into_iter().collect::<CResult<Vec<_>>>()?, 0)?;
		let bias = Tensor::cat(&biases.into_iter().collect::<CResult<Vec<_>>>()?, 0)?;
		let up = vb.pp("intermediate").pp("dense");
		Ok(Self {
			qkv: Dense::new(&weight, Some(bias), precision)?,
			attn_out: linear(&att.pp("output").pp("dense"), h, h, precision)?,
			attn_norm: Norm::load(&att.pp("output").pp("LayerNorm"), h, eps)?,
			up: Dense::new(&up.get((i, h), "weight")?, None, precision)?,
			up_bias: up.get(i, "bias")?.to_vec1()?,
			down: linear(&vb.pp("output").pp("dense"), h, i, precision)?,
			out_norm: Norm::load(&vb.pp("output").pp("LayerNorm"), h, eps)?,
		})
	}

	/// Runs the layer on `w.x` (`batch x seq` rows), leaving the result in `w.x`; with
	/// `first_only`, only each sequence's first token is computed and `w.x` holds `batch`
	/// rows after it.
	fn forward(
		&self,
		w: &mut Workspace,
		shape: (usize, usize, usize),
		lens: &[usize],
		first_only: bool,
	) {
		let (batch, seq, _) = shape;
		let h = self.attn_norm.weight.len();
		let rows = batch * seq;
		let out_rows = if first_only { batch } else { rows };
		let Workspace { x, qkv, ctx, attn, up, scratch } = w;
		self.qkv.forward(x, rows, qkv.grow(rows * 3 * h), scratch);
		attention(&qkv[..rows * 3 * h], shape, lens, first_only, ctx.grow(out_rows * h));
		// The residual of output row r: row r, or with `first_only` sequence r's first row.
		let stride = if first_only { seq } else { 1 };
		let x_rows: &[f32] = x;
		let attn = attn.grow(out_rows * h);
		self.attn_out.forward(ctx, out_rows, attn, scratch);
		self.attn_norm.add_norm(attn, |r| &x_rows[r * stride * h..(r * stride + 1) * h]);
		let up = up.grow(out_rows * self.up.out_features());
		self.up.forward(attn, out_rows, up, scratch);
		bias_gelu(up, &self.up_bias);
		let y = x.grow(out_rows * h);
		self.down.forward(up, out_rows, y, scratch);
		let attn: &[f32] = attn;
		self.out_norm.add_norm(y, |r| &attn[r * h..(r + 1) * h]);
	}
}

/// The activations of one forward pass: the hidden states, the fused q/k/v projection, the
/// attention output, the attention block's output and the feed-forward activations, and the
/// int8 layers' quantised rows.
#[derive(Default)]
struct Workspace {
	x: Buf,
	qkv: Buf,
	ctx: Buf,
	attn: Buf,
	up: Buf,
	scratch: Scratch,
}

/// The BERT encoder: embeddings and transformer layers, without a pooler.
pub struct Encoder {
	embeddings: Embeddings,
	layers: Vec<Layer>,
	heads: usize,
	/// Workspaces of finished passes, for the next ones (one per pass running at once).
	workspaces: Mutex<Vec<Workspace>>,
}

impl Encoder {
	/// The input embedding of each token id, `(vocab, hidden)` row-major.
	pub fn word_embeddings(&self) -> (&[f32], usize) {
		(&self.embeddings.word, self.embeddings.norm.weight.len())
	}

	/// How many layers it has.
	pub fn depth(&self) -> usize {
		self.layers.len()
	}

	/// Loads the weights under `vb` (the prefix holding `embeddings.` and `encoder.`), its dense
	/// layers computing in `precision`.
	pub fn load(vb: &VarBuilder, c: &BertConfig, precision: Precision) -> CResult<Self> {
		let layers = (0..c.num_hidden_layers)
			.map(|i| Layer::load(&vb.pp(format!("encoder.layer.{i}")), c, precision))
			.collect::<CResult<_>>()?;
		Ok(Self {
			embeddings: Embeddings::load(&vb.pp("embeddings"), c)?,
			layers,
			heads: c.num_attention_heads,
			workspaces: Mutex::new(Vec::new()),
		})
	}

	/// Runs a right-padded batch: `ids` and `type_ids` are `batch x seq` row-major; `lens`
	/// gives each row's number of real tokens; attention covers only those, so padding never
	/// changes a row's result. Calls `read(n, states)` with every token's hidden states after
	/// the first `n` layers for each `n` in `taps` below the depth `output` runs to, in layer
	/// order, then with the states `output` asks for (`n` its depth): `(batch, seq, hidden)`
	/// row-major, padded rows unspecified, or `(batch, 1, hidden)` for [`Output::First`].
	pub fn forward(
		&self,
		(ids, type_ids): (&[u32], &[u32]),
		lens: &[usize],
		output: Output,
		taps: &[usize],
		mut read: impl FnMut(usize, &[f32]),
	) -> CResult<()> {
		let batch = lens.len();
		let seq = ids.len() / batch.max(1);
		if ids.len() != batch * seq || type_ids.len() != ids.len() {
			candle_core::bail!(
				"{} ids and {} type ids for {batch} sequences",
				ids.len(),
				type_ids.len()
			);
		}
		let h = self.embeddings.norm.weight.len();
		let taken = self.workspaces.lock().map(|mut w| w.pop()).unwrap_or(None);
		let mut w = taken.unwrap_or_default();
		self.embeddings.forward(ids, type_ids, seq, w.x.grow(batch * seq * h))?;
		let (depth, first_only) = match output {
			Output::First => (self.layers.len(), true),
			Output::After(n) => (n.min(self.layers.len()), false),
		};
		if depth > 0 && taps.contains(&0) {
			read(0, &w.x[..batch * seq * h]);
		}
		for (i, layer) in self.layers[..depth].iter().enumerate() {
			layer.forward(&mut w, (batch, seq, self.heads), lens, first_only && i + 1 == depth);
			if i + 1 < depth && taps.contains(&(i + 1)) {
				read(i + 1, &w.x[..batch * seq * h]);
			}
		}
		let rows = if first_only && depth > 0 { batch } else { batch * seq };
		read(depth, &w.x[..rows * h]);
		if let Ok(mut pool) = self.workspaces.lock() {
			pool.push(w);
		}
		Ok(())
	}
}

/// What [`Encoder::forward`] reads out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
	/// The first token's last hidden states only: skips most of the last layer's work for a
	/// head that reads only `[CLS]`.
	First,
	/// Every token's hidden states after the first `n` layers (all of them past the last); the
	/// later layers do not run.
	After(usize),
}

/// A sequence-classification head on the first token: a dense layer with tanh, then one logit.
/// `BertForSequenceClassification` calls them `bert.pooler.dense` and `classifier`;
/// (XLM-)RoBERTa's classification head `classifier.dense` and `classifier.out_proj`.
pub struct ClassifierHead {
	pooler: Dense,
	classifier: Dense,
}

impl ClassifierHead {
	/// Loads the dense layer from `dense` and the classifier from `out` (`out_name` names it
	/// in errors); requires exactly one label, since the score is defined on a single logit.
	pub fn load(
		dense: &VarBuilder,
		out: &VarBuilder,
		out_name: &str,
		hidden: usize,
	) -> CResult<Self> {
		let classifier_w = out.get_unchecked_dtype("weight", DType::F32)?;
		let labels = classifier_w.dim(0)?;
		if classifier_w.dims() != [1, hidden] {
			candle_core::bail!(
                "{out_name}.weight has shape {:?}; a cross-encoder scorer needs one label ({labels} found) over {hidden} features",
                classifier_w.dims()
            );
		}
		let f32 = Precision::F32;
		Ok(Self {
			pooler: linear(dense, hidden, hidden, f32)?,
			classifier: linear(out, 1, hidden, f32)?,
		})
	}

	/// One logit per row of `cls`, the first token's hidden states `(batch, hidden)`.
	pub fn forward(&self, cls: &[f32]) -> Vec<f32> {
		let hidden = self.pooler.out_features();
		let batch = cls.len() / hidden.max(1);
		let mut scratch = Scratch::default();
		let mut pooled = vec![0f32; batch * hidden];
		self.pooler.forward(cls, batch, &mut pooled, &mut scratch);
		pooled.iter_mut().for_each(|v| *v = v.tanh());
		let mut logits = vec![0f32; batch];
		self.classifier.forward(&pooled, batch, &mut logits, &mut scratch);
		logits
	}
}
