//! A BERT encoder forward pass on candle tensors, written for CPU inference of small models.
//!
//! It follows transformers' `BertModel` (post-layer-norm, absolute positions, exact GELU) and
//! differs from candle-transformers' `bert.rs` only where that makes the CPU path faster without
//! changing the maths: query, key and value are one fused matmul, attention and the
//! feed-forward bias + GELU are fused kernels (see [`crate::kernels`]), and layer norm uses
//! candle-nn's fused op.

use candle_core::{DType, IndexOp, Module, Tensor, D};
use candle_nn::{Embedding, LayerNorm, VarBuilder};

use crate::config::{BertConfig, Precision};
use crate::int8::{Int8Dense, Int8Weights};
use crate::kernels::{Attention, BiasGelu};

type CResult<T> = candle_core::Result<T>;

/// A dense layer `x · Wᵀ + b`.
enum Dense {
	/// `Wᵀ` (in x out) kept contiguous. gemm packs its operands for every call; from
	/// candle-nn's `Linear` layout (`W` contiguous, read transposed) that packing is a strided
	/// scalar copy of the whole weight matrix, which at batch 1 took a third of the matmul
	/// time. Transposed once at load it is a contiguous copy.
	F32 { weight_t: Tensor, bias: Option<Tensor> },
	/// Quantised and packed once at load, bias included.
	Int8(Int8Weights),
}

impl Dense {
	/// From an HF weight `(out, in)` and optional bias `(out)`.
	fn new(weight: &Tensor, bias: Option<Tensor>, precision: Precision) -> CResult<Self> {
		let weight_t = weight.t()?.contiguous()?;
		Ok(match precision {
			Precision::F32 => Self::F32 { weight_t, bias },
			Precision::Int8 => {
				let (k, n) = weight_t.dims2()?;
				let bias = bias.map(|b| b.to_vec1::<f32>()).transpose()?;
				let w =
					Int8Weights::new(&weight_t.flatten_all()?.to_vec1()?, k, n, bias.as_deref())
						.map_err(candle_core::Error::msg)?;
				Self::Int8(w)
			},
		})
	}
}

impl Module for Dense {
	fn forward(&self, x: &Tensor) -> CResult<Tensor> {
		let (weight_t, bias) = match self {
			Self::F32 { weight_t, bias } => (weight_t, bias),
			Self::Int8(w) => return x.contiguous()?.apply_op1_no_bwd(&Int8Dense(w)),
		};
		let out = weight_t.dim(1)?;
		let mut dims = x.dims().to_vec();
		let features = dims.pop().unwrap_or(0);
		let rows = dims.iter().product::<usize>();
		let y = x.reshape((rows, features))?.matmul(weight_t)?;
		let y = match bias {
			Some(b) => y.broadcast_add(b)?,
			None => y,
		};
		dims.push(out);
		y.reshape(dims)
	}
}

fn linear(vb: &VarBuilder, rows: usize, cols: usize, precision: Precision) -> CResult<Dense> {
	Dense::new(&vb.get((rows, cols), "weight")?, Some(vb.get(rows, "bias")?), precision)
}

fn layer_norm(vb: &VarBuilder, size: usize, eps: f64) -> CResult<LayerNorm> {
	Ok(LayerNorm::new(vb.get(size, "weight")?, vb.get(size, "bias")?, eps))
}

struct Embeddings {
	word: Embedding,
	position: Tensor,
	/// The position id of the first token (RoBERTa's start after the padding index).
	position_offset: usize,
	token_type: Embedding,
	norm: LayerNorm,
}

impl Embeddings {
	fn load(vb: &VarBuilder, c: &BertConfig) -> CResult<Self> {
		let h = c.hidden_size;
		Ok(Self {
			word: Embedding::new(vb.get((c.vocab_size, h), "word_embeddings.weight")?, h),
			position: vb.get((c.max_position_embeddings, h), "position_embeddings.weight")?,
			position_offset: c.position_offset(),
			token_type: Embedding::new(
				vb.get((c.type_vocab_size, h), "token_type_embeddings.weight")?,
				h,
			),
			norm: layer_norm(&vb.pp("LayerNorm"), h, c.layer_norm_eps)?,
		})
	}

	fn forward(&self, ids: &Tensor, type_ids: &Tensor) -> CResult<Tensor> {
		let seq = ids.dim(1)?;
		let x = (self.word.forward(ids)? + self.token_type.forward(type_ids)?)?;
		let x = x.broadcast_add(&self.position.narrow(0, self.position_offset, seq)?)?;
		self.norm.forward(&x)
	}
}

struct Layer {
	qkv: Dense,
	attn_out: Dense,
	attn_norm: LayerNorm,
	/// The feed-forward up-projection without its bias, which [`BiasGelu`] adds.
	up: Dense,
	up_bias: Vec<f32>,
	down: Dense,
	out_norm: LayerNorm,
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
			attn_norm: layer_norm(&att.pp("output").pp("LayerNorm"), h, eps)?,
			up: Dense::new(&up.get((i, h), "weight")?, None, precision)?,
			up_bias: up.get(i, "bias")?.to_vec1()?,
			down: linear(&vb.pp("output").pp("dense"), h, i, precision)?,
			out_norm: layer_norm(&vb.pp("output").pp("LayerNorm"), h, eps)?,
		})
	}

	/// With `first_only`, only the first token's output is computed: `(batch, 1, hidden)`.
	fn forward(
		&self,
		x: &Tensor,
		lens: &[usize],
		heads: usize,
		first_only: bool,
	) -> CResult<Tensor> {
		let qkv = self.qkv.forward(x)?;
		let ctx = qkv.apply_op1_no_bwd(&Attention { heads, lens, first_only })?;
		let residual = if first_only { x.narrow(1, 0, 1)? } else { x.clone() };
		let attn = self.attn_norm.forward(&(self.attn_out.forward(&ctx)? + residual)?)?;
		let up = self.up.forward(&attn)?;
		up.inplace_op1(&BiasGelu { bias: &self.up_bias })?;
		self.out_norm.forward(&(self.down.forward(&up)? + attn)?)
	}
}

/// The BERT encoder: embeddings and transformer layers, without a pooler.
pub struct Encoder {
	embeddings: Embeddings,
	layers: Vec<Layer>,
	heads: usize,
}

impl Encoder {
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
		})
	}

	/// Runs a right-padded batch. `ids` and `type_ids` are `(batch, seq)` `u32`; `lens` gives
	/// each row's number of real tokens; attention covers only those, so padding never changes
	/// a row's result. Returns the last hidden states `(batch, seq, hidden)`, padded rows
	/// unspecified; with `first_only` just the first token's, `(batch, 1, hidden)`, which skips
	/// most of the last layer's work for a head that reads only `[CLS]`.
	pub fn forward(
		&self,
		ids: &Tensor,
		type_ids: &Tensor,
		lens: &[usize],
		first_only: bool,
	) -> CResult<Tensor> {
		let mut x = self.embeddings.forward(ids, type_ids)?;
		let last = self.layers.len().saturating_sub(1);
		for (i, layer) in self.layers.iter().enumerate() {
			x = layer.forward(&x, lens, self.heads, first_only && i == last)?;
		}
		Ok(x)
	}
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

	/// One logit per sequence of the hidden states `(batch, seq, hidden)` (only `[CLS]`, the
	/// first position, is read).
	pub fn forward(&self, hidden: &Tensor) -> CResult<Vec<f32>> {
		let cls = hidden.i((.., 0))?;
		let pooled = self.pooler.forward(&cls)?.tanh()?;
		self.classifier.forward(&pooled)?.squeeze(D::Minus1)?.to_vec1()
	}
}
