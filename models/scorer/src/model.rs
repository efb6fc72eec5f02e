//! [`QualityModel`]: loading a folder, tokenising, batching and scoring.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use tokenizers::{
	Encoding, PaddingParams, PostProcessor, Tokenizer, TruncationDirection, TruncationParams,
	TruncationStrategy,
};

use crate::bert::{ClassifierHead, Encoder, Output};
use crate::config::{self, Layout, Precision};
use crate::digest::{to_hex, Manifest};
use crate::error::{Error, Result};
use crate::judge::{Judge, Stages};
use crate::quality::{self, cosine, pool, quantize, sigmoid, Pooling};

/// Sequences per forward pass at most. Inputs are sorted by length first, so a batch holds
/// sequences of similar length and padding stays small.
const MAX_BATCH: usize = 32;

/// Padded tokens per forward pass at most (32 sequences of 128). The matmuls reach full speed
/// well below this, and it keeps MiniLM's largest activation (tokens x 1536 floats, 24 MiB)
/// under the size from which glibc maps and unmaps memory for every allocation (32 MiB
/// at most; glibc raises its threshold to that after the first pass frees such a block).
const MAX_BATCH_TOKENS: usize = 4096;

/// Which kind of scorer a folder holds; it fixes what `raw` means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
	/// `BertForSequenceClassification` over the (prompt, response) pair: `raw` is the logit and
	/// the score is `sigmoid(raw)` quantised.
	CrossEncoder,
	/// A sentence-transformers embedding model: `raw` is the cosine similarity of the prompt's and
	/// the response's embeddings and the score is `raw` quantised (negative cosines score 0).
	BiEncoder,
}

/// The result for one (prompt, response) pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
	/// The value validators commit to on chain: `round(10_000 * clamp(x, 0, 1))` for a model
	/// alone, the judged value quantised the same way when the folder has a judge.
	pub score: u16,
	/// The model's own output before quantisation: the logit (cross-encoder) or the cosine
	/// (bi-encoder), of the text the model saw (with a judge, the response with the prompt's
	/// words struck out). Useful to compare against reference implementations.
	pub raw: f32,
	/// The judge's stage factors, when the folder has a judge.
	pub stages: Option<Stages>,
	/// The judge's answer stage's logit, before the ramp that makes it `stages.answer`, when
	/// the judge has that stage: how far the text is from being read as an answer, where the
	/// factor is flat at 0 or 1.
	pub answer_logit: Option<f32>,
}

enum Head {
	Cross(Box<ClassifierHead>),
	Bi { pooling: Pooling, normalize: bool },
}

/// A loaded quality model: a BERT cross-encoder or bi-encoder on the CPU.
///
/// Loading reads everything into memory; scoring needs no file or network access. The model
/// is immutable after loading, so one instance can be shared across threads (`Send + Sync`).
pub struct QualityModel {
	encoder: Encoder,
	head: Head,
	tokenizer: Tokenizer,
	pad_id: u32,
	max_len: usize,
	precision: Precision,
	judge: Option<Judge>,
	manifest: Manifest,
	/// `manifest`'s digest, hashed once at load: the node checks it on every scoring call.
	digest: [u8; 32],
	weights: PathBuf,
	pool: Option<rayon::ThreadPool>,
}

impl QualityModel {
	/// Loads an HF model folder: `config.json`, `model.safetensors` (or `pytorch_model.bin`),
	/// `tokenizer.json`, `tokenizer_config.json` when present, and for a sentence-transformers
	/// bi-encoder `modules.json`, the pooling config and `sentence_bert_config.json`.
	pub fn load(dir: &Path) -> Result<Self> {
		if !dir.is_dir() {
			return Err(Error::MissingDir(dir.to_owned()));
		}
		let cfg = config::read(dir)?;
		let weights = config::weights_file(dir)?;
		let tokenizer = load_tokenizer(&dir.join("tokenizer.json"), cfg.max_len)?;
		let pad_id = tokenizer.token_to_id("[PAD]").unwrap_or(cfg.bert.pad_token_id);
		let judge = Judge::load(dir)?;
		let manifest = Manifest::of(dir)?;
		let digest = manifest.digest();
		let tensors = read_tensors(&weights)?;

		let weights_err =
			|e: candle_core::Error| Error::Weights(format!("{}: {e}", weights.display()));
		let root = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
		// transformers saves a classification model's encoder under `bert.` (or `roberta.`); a
		// bare encoder (and most sentence-transformers folders) has no prefix.
		let prefix = if cfg.bert.is_roberta() { "roberta" } else { "bert" };
		let encoder_vb =
			if root.contains_tensor(&format!("{prefix}.embeddings.word_embeddings.weight")) {
				root.pp(prefix)
			} else {
				root.clone()
			};
		let encoder = Encoder::load(&encoder_vb, &cfg.bert, cfg.precision).map_err(weights_err)?;
		if let Some(answer) = judge.as_ref().and_then(|j| j.file().answer.as_ref()) {
			let (width, layers) = (cfg.bert.hidden_size, cfg.bert.num_hidden_layers);
			if !matches!(cfg.layout, Layout::Bi { .. })
				|| answer.width() != width
				|| answer.layer > layers
			{
				return Err(Error::Unsupported(format!(
					"judge.json: the answer stage needs a bi-encoder, weights {width} wide (they \
					 are {}) and a layer up to {layers} (it has {})",
					answer.width(),
					answer.layer
				)));
			}
		}
		let head = match cfg.layout {
			Layout::Cross => {
				let h = cfg.bert.hidden_size;
				let head = if cfg.bert.is_roberta() {
					let c = root.pp("classifier");
					ClassifierHead::load(
						&c.pp("dense"),
						&c.pp("out_proj"),
						"classifier.out_proj",
						h,
					)
				} else {
					let dense = encoder_vb.pp("pooler").pp("dense");
					ClassifierHead::load(&dense, &root.pp("classifier"), "classifier", h)
				};
				Head::Cross(Box::new(head.map_err(weights_err)?))
			},
			Layout::Bi { pooling, normalize } => Head::Bi { pooling, normalize },
		};
		Ok(Self {
			encoder,
			head,
			tokenizer,
			pad_id,
			max_len: cfg.max_len,
			precision: cfg.precision,
			judge,
			manifest,
			digest,
			weights,
			pool: None,
		})
	}

	/// Runs every later scoring call on a pool of its own with `threads` threads (at least
	/// one), instead of rayon's global pool (one thread per core, shared with whatever else in
	/// the process uses rayon). A node gives its scorer a bounded share of the machine this way.
	pub fn with_threads(mut self, threads: usize) -> Result<Self> {
		let pool = rayon::ThreadPoolBuilder::new()
			.num_threads(threads.max(1))
			.thread_name(|i| format!("poq-scorer-{i}"))
			.build()
			.map_err(|e| Error::Inference(format!("cannot start the scoring threads: {e}")))?;
		self.pool = Some(pool);
		Ok(self)
	}

	/// The threads scoring runs on: the pool of [`Self::with_threads`], or rayon's global pool.
	pub fn threads(&self) -> usize {
		self.pool.as_ref().map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
	}

	/// Which kind of scorer this is.
	pub fn kind(&self) -> ModelKind {
		match self.head {
			Head::Cross(_) => ModelKind::CrossEncoder,
			Head::Bi { .. } => ModelKind::BiEncoder,
		}
	}

	/// Whether its scores are the same bits on every CPU, at every thread count: a bi-encoder
	/// whose dense layers compute in int8 (`docs/DESIGN.md`, Precision). A folder computing in
	/// f32 sums through gemm in an order that depends on the CPU, and a cross-encoder's head
	/// calls the platform's `exp` and `tanh`: their last bits can differ between machines.
	pub fn exact(&self) -> bool {
		self.precision == Precision::Int8 && matches!(self.head, Head::Bi { .. })
	}

	/// The digest of the folder's [`Manifest`] (weights, tokenizer, configs, judge): the 32
	/// bytes `set_quality_model` pins on chain.
	pub fn digest(&self) -> [u8; 32] {
		self.digest
	}

	/// [`Self::digest`] as lower-case hex, as `sha256sum` prints it.
	pub fn digest_hex(&self) -> String {
		to_hex(&self.digest())
	}

	/// The files the model was loaded from, with their SHA-256s.
	pub fn manifest(&self) -> &Manifest {
		&self.manifest
	}

	/// The weights file the model was loaded from.
	pub fn weights_path(&self) -> &Path {
		&self.weights
	}

	/// How many special tokens the tokenizer adds to one text (`pair: false`) or to a pair:
	/// `[CLS] a [SEP]` and `[CLS] a [SEP] b [SEP]` for BERT, `<s> a </s></s> b </s>` for XLM-R.
	pub fn added_tokens(&self, pair: bool) -> usize {
		self.tokenizer.get_post_processor().map_or(0, |p| p.added_tokens(pair))
	}

	/// The longest token sequence one input becomes; longer inputs are truncated to it.
	pub fn max_len(&self) -> usize {
		self.max_len
	}

	/// Scores (prompt, response) pairs, one result per pair in input order. The result for a
	/// pair does not depend on the other pairs in the call: batches are padded per row and
	/// padding is masked out.
	pub fn score(&self, pairs: &[(&str, &str)]) -> Result<Vec<Scored>> {
		self.on_pool(|| self.score_here(pairs))
	}

	/// Runs `f` on the pool of [`Self::with_threads`], or here when there is none.
	fn on_pool<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
		match &self.pool {
			Some(pool) => pool.install(f),
			None => f(),
		}
	}

	/// The model's `x` for its raw output (see [`ModelKind`]): what the judge's relevance ramp
	/// reads.
	pub fn x(&self, raw: f32) -> f32 {
		match self.head {
			Head::Cross(_) => sigmoid(raw),
			Head::Bi { .. } => raw,
		}
	}

	/// [`Self::score`] on the calling thread's rayon pool.
	fn score_here(&self, pairs: &[(&str, &str)]) -> Result<Vec<Scored>> {
		if pairs.is_empty() {
			return Err(Error::EmptyInput);
		}
		let analyses: Option<Vec<_>> =
			self.judge.as_ref().map(|j| pairs.iter().map(|(p, r)| j.analyse(p, r)).collect());
		let seen: Vec<(&str, &str)> = match &analyses {
			Some(a) => pairs.iter().zip(a).map(|(&(p, _), a)| (p, a.model_text.as_str())).collect(),
			None => pairs.to_vec(),
		};
		// Relevance reads what is left of the response; the answer stage, the whole response
		// and the prompt, whose states after the stage's layer are read on its way to the last.
		let stage = self.judge.as_ref().and_then(|j| j.file().answer.as_ref());
		let (raws, answers) = match (&self.head, stage) {
			(&Head::Bi { pooling, normalize }, Some(stage)) => {
				let after = Some(stage.layer);
				let wants = pairs
					.iter()
					.zip(&seen)
					.flat_map(|(&(p, r), &(_, m))| [(p, None), (m, None), (r, after), (p, after)]);
				let e = self.embed(wants, pooling, normalize)?;
				let raws = e.chunks(4).map(|e| cosine(&e[0], &e[1])).collect();
				(raws, Some(e.chunks(4).map(|e| stage.logit(&e[2], &e[3])).collect::<Vec<_>>()))
			},
			// `load` turns down an answer stage on a cross-encoder.
			_ => (self.raw(&seen)?, None),
		};
		raws.into_iter()
			.enumerate()
			.map(|(i, raw)| {
				if !raw.is_finite() {
					return Err(Error::NonFinite(i));
				}
				let x = self.x(raw);
				let answer_logit = answers.as_ref().map(|logits| logits[i]);
				Ok(match (&self.judge, &analyses) {
					(Some(judge), Some(a)) => {
						let mut stages = a[i].stages;
						if let (Some(stage), Some(logit)) = (stage, answer_logit) {
							stages.answer = stage.factor(logit);
						}
						Scored {
							score: quantize(judge.combine(x, &stages)),
							raw,
							stages: Some(stages),
							answer_logit,
						}
					},
					_ => Scored { score: quantize(x), raw, stages: None, answer_logit },
				})
			})
			.collect()
	}

	/// The model's own `x` for each pair of texts as given, without the judge: the cosine of
	/// their embeddings (bi-encoder) or the sigmoid of the logit (cross-encoder). What the
	/// judge scores relevance with; also how similar two answers are.
	pub fn similarity(&self, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
		if pairs.is_empty() {
			return Err(Error::EmptyInput);
		}
		let raws = self.on_pool(|| self.raw(pairs))?;
		Ok(raws.into_iter().map(|raw| self.x(raw)).collect())
	}

	/// The model's raw output for each pair: logit or cosine.
	fn raw(&self, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
		match &self.head {
			Head::Cross(head) => self.cross_raw(head, pairs),
			Head::Bi { pooling, normalize } => self.bi_raw(pairs, *pooling, *normalize),
		}
	}

	/// The `k` whole words of the vocabulary whose input embeddings lie closest (by cosine) to
	/// the mean input embedding of `text`'s tokens, closest first, `text`'s own tokens left out.
	/// What an attacker who reads the weights builds on-topic word salad from (see
	/// [`crate::attack`]); no forward pass runs.
	pub fn neighbours(&self, text: &str, k: usize) -> Result<Vec<String>> {
		let encoding =
			self.tokenizer.encode(text, false).map_err(|e| Error::Tokenizer(e.to_string()))?;
		let (table, h) = self.encoder.word_embeddings();
		let rows = |id: u32| table.get(id as usize * h..(id as usize + 1) * h);
		let ids = encoding.get_ids();
		let mut centre = vec![0.0f32; h];
		for row in ids.iter().filter_map(|&id| rows(id)) {
			for (c, v) in centre.iter_mut().zip(row) {
				*c += v;
			}
		}
		let mut near: Vec<(f32, String)> = self
			.tokenizer
			.get_vocab(false)
			.into_iter()
			.filter(|(token, id)| {
				token.chars().count() >= 3
					&& token.chars().all(char::is_alphabetic)
					&& !ids.contains(id)
			})
			.filter_map(|(token, id)| Some((cosine(&centre, rows(id)?), token)))
			.collect();
		near.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
		Ok(near.into_iter().take(k).map(|(_, token)| token).collect())
	}

	/// The judge the folder carries (`judge.json`), if any.
	pub fn judge(&self) -> Option<&Judge> {
		self.judge.as_ref()
	}

	/// The scores of several responses to one prompt, in response order.
	pub fn scores(&self, prompt: &str, responses: &[&str]) -> Result<Vec<u16>> {
		let pairs: Vec<(&str, &str)> = responses.iter().map(|r| (prompt, *r)).collect();
		Ok(self.score(&pairs)?.into_iter().map(|s| s.score).collect())
	}

	fn cross_raw(&self, head: &ClassifierHead, pairs: &[(&str, &str)]) -> Result<Vec<f32>> {
		let encodings = self
			.tokenizer
			.encode_batch(pairs.to_vec(), true)
			.map_err(|e| Error::Tokenizer(e.to_string()))?;
		let mut raws = vec![0.0; pairs.len()];
		for batch in length_batches(0..encodings.len(), |i| encodings[i].get_ids().len()) {
			self.forward(&encodings, &batch, Output::First, &[], |_, cls| {
				for (&i, logit) in batch.iter().zip(head.forward(cls)) {
					raws[i] = logit;
				}
			})?;
		}
		Ok(raws)
	}

	fn bi_raw(
		&self,
		pairs: &[(&str, &str)],
		pooling: Pooling,
		normalize: bool,
	) -> Result<Vec<f32>> {
		let wants = pairs.iter().flat_map(|&(p, r)| [(p, None), (r, None)]);
		let e = self.embed(wants, pooling, normalize)?;
		Ok(e.chunks(2).map(|e| cosine(&e[0], &e[1])).collect())
	}

	/// The sentence embeddings of `texts`, in order: a bi-encoder's pooled and, when its folder
	/// says so, normalised output (`layer: None`), or the hidden states after its first `layer`
	/// layers pooled the same way and normalised, as the judge's answer stage reads them. A
	/// cross-encoder has none, and a layer past the last is an error.
	pub fn embeddings(&self, texts: &[&str], layer: Option<usize>) -> Result<Vec<Vec<f32>>> {
		if texts.is_empty() {
			return Err(Error::EmptyInput);
		}
		if let Some(layer) = layer.filter(|&l| l > self.encoder.depth()) {
			return Err(Error::Unsupported(format!(
				"layer {layer}: the model has {} layers",
				self.encoder.depth()
			)));
		}
		let Head::Bi { pooling, normalize } = self.head else {
			return Err(Error::Unsupported(
				"a cross-encoder scores pairs; it has no sentence embeddings".into(),
			));
		};
		self.on_pool(|| self.embed(texts.iter().map(|&t| (t, layer)), pooling, normalize))
	}

	/// For each `(text, layer)` of `wants` in order, the text's token states pooled as the folder
	/// says: after the whole encoder (`None`), the sentence embedding as sentence-transformers'
	/// `encode` gives it (normalised when `normalize`); after its first `n` layers (`Some(n)`),
	/// normalised, as the judge's answer stage reads them. Each distinct text runs once
	/// (validators score many responses to one prompt) through as many layers as the deepest of
	/// its readings, read on the way at the others.
	fn embed<'t>(
		&self,
		wants: impl IntoIterator<Item = (&'t str, Option<usize>)>,
		pooling: Pooling,
		normalize: bool,
	) -> Result<Vec<Vec<f32>>> {
		let all = self.encoder.depth();
		let depth = |layer: Option<usize>| layer.map_or(all, |n| n.min(all));
		// The distinct texts, each with the readings asked of it.
		let mut index: HashMap<&str, usize> = HashMap::new();
		let mut texts: Vec<(&str, Vec<Option<usize>>)> = Vec::new();
		let wants: Vec<(usize, Option<usize>)> = wants
			.into_iter()
			.map(|(text, layer)| {
				let i = *index.entry(text).or_insert_with(|| {
					texts.push((text, Vec::new()));
					texts.len() - 1
				});
				if !texts[i].1.contains(&layer) {
					texts[i].1.push(layer);
				}
				(i, layer)
			})
			.collect();
		let encodings = self
			.tokenizer
			.encode_batch(texts.iter().map(|&(t, _)| t).collect(), true)
			.map_err(|e| Error::Tokenizer(e.to_string()))?;
		let len = |i: usize| encodings[i].get_ids().len();
		// Texts that run equally deep share passes.
		let mut by_depth: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
		for (i, (_, layers)) in texts.iter().enumerate() {
			let deepest = layers.iter().map(|&l| depth(l)).max().unwrap_or(0);
			by_depth.entry(deepest).or_default().push(i);
		}
		let mut pooled: HashMap<(usize, Option<usize>), Vec<f32>> = HashMap::new();
		for (deepest, members) in by_depth {
			for batch in length_batches(members, len) {
				let seq = batch.iter().map(|&i| len(i)).max().unwrap_or(0);
				let mut taps: Vec<usize> =
					batch.iter().flat_map(|&i| texts[i].1.iter().map(|&l| depth(l))).collect();
				taps.sort_unstable();
				taps.dedup();
				self.forward(&encodings, &batch, Output::After(deepest), &taps, |n, hidden| {
					let dim = hidden.len() / (batch.len() * seq).max(1);
					for (row, &i) in batch.iter().enumerate() {
						for &layer in texts[i].1.iter().filter(|&&l| depth(l) == n) {
							// Rows are right-padded: the first `len` token vectors are the real
							// ones.
							let start = row * seq * dim;
							let mut e = pool(&hidden[start..start + len(i) * dim], dim, pooling);
							if normalize || layer.is_some() {
								quality::normalize(&mut e);
							}
							pooled.insert((i, layer), e);
						}
					}
				})?;
			}
		}
		Ok(wants.iter().map(|key| pooled[key].clone()).collect())
	}

	/// Runs the encoder on the encodings at `batch`, right-padded to the longest of them, and
	/// calls `read` with what `output` and `taps` ask for; see [`Encoder::forward`].
	fn forward(
		&self,
		encodings: &[Encoding],
		batch: &[usize],
		output: Output,
		taps: &[usize],
		read: impl FnMut(usize, &[f32]),
	) -> Result<()> {
		let lens: Vec<usize> = batch.iter().map(|&i| encodings[i].get_ids().len()).collect();
		let seq = lens.iter().copied().max().unwrap_or(0);
		let mut ids = Vec::with_capacity(batch.len() * seq);
		let mut type_ids = Vec::with_capacity(batch.len() * seq);
		for &i in batch {
			let e = &encodings[i];
			let pad = seq - e.get_ids().len();
			ids.extend(e.get_ids().iter().copied().chain(std::iter::repeat_n(self.pad_id, pad)));
			type_ids.extend(e.get_type_ids().iter().copied().chain(std::iter::repeat_n(0, pad)));
		}
		Ok(self.encoder.forward((&ids, &type_ids), &lens, output, taps, read)?)
	}
}

/// Groups the sequences `members` (indices, each `len(i)` tokens long) into batches of similar
/// length: sorted by length (ties by index, so the grouping is deterministic), then cut
/// whenever a batch would exceed [`MAX_BATCH`] sequences or [`MAX_BATCH_TOKENS`] padded
/// tokens. A sequence longer than the token budget goes alone.
fn length_batches(
	members: impl IntoIterator<Item = usize>,
	len: impl Fn(usize) -> usize,
) -> Vec<Vec<usize>> {
	let mut order: Vec<usize> = members.into_iter().collect();
	order.sort_by_key(|&i| (len(i), i));
	let mut batches: Vec<Vec<usize>> = Vec::new();
	for i in order {
		// Sorted ascending, so `i` is the longest member of whichever batch it joins.
		match batches.last_mut() {
			Some(batch)
				if batch.len() < MAX_BATCH && (batch.len() + 1) * len(i) <= MAX_BATCH_TOKENS =>
			{
				batch.push(i)
			},
			_ => batches.push(vec![i]),
		}
	}
	batches
}

/// Loads `tokenizer.json` and replaces whatever fixed padding and truncation it carries
/// (all-MiniLM-L6-v2's pads and truncates to 128) with what the reference tools do: truncate
/// longest-first to `max_len`, and no padding (batches are padded to their longest member here).
fn load_tokenizer(path: &Path, max_len: usize) -> Result<Tokenizer> {
	if !path.is_file() {
		return Err(Error::MissingFile(path.to_owned()));
	}
	let mut tokenizer = Tokenizer::from_file(path)
		.map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))?;
	tokenizer
		.with_truncation(Some(TruncationParams {
			max_length: max_len,
			strategy: TruncationStrategy::LongestFirst,
			stride: 0,
			direction: TruncationDirection::Right,
		}))
		.map_err(|e| Error::Tokenizer(e.to_string()))?;
	tokenizer.with_padding(None::<PaddingParams>);
	Ok(tokenizer)
}

/// Reads every tensor of a safetensors or PyTorch pickle file.
fn read_tensors(path: &Path) -> Result<HashMap<String, Tensor>> {
	let err = |e: candle_core::Error| Error::Weights(format!("{}: {e}", path.display()));
	if path.extension().is_some_and(|e| e == "safetensors") {
		candle_core::safetensors::load(path, &Device::Cpu).map_err(err)
	} else {
		Ok(candle_core::pickle::read_all(path).map_err(err)?.into_iter().collect())
	}
}
