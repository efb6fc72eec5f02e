//! Reading an HF model folder's JSON files and deciding which kind of scorer it is.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::quality::Pooling;

/// The fields of an HF `config.json` a BERT forward pass needs.
#[derive(Clone, Debug, Deserialize)]
pub struct BertConfig {
	/// `"bert"`, or `"xlm-roberta"`/`"roberta"` (the same encoder; positions start after the
	/// padding index and the classifier head has other names).
	pub model_type: String,
	/// Model class names; a `*ForSequenceClassification` of the family makes a cross-encoder.
	#[serde(default)]
	pub architectures: Vec<String>,
	pub vocab_size: usize,
	pub hidden_size: usize,
	pub num_hidden_layers: usize,
	pub num_attention_heads: usize,
	pub intermediate_size: usize,
	#[serde(default = "default_hidden_act")]
	pub hidden_act: String,
	pub max_position_embeddings: usize,
	#[serde(default = "default_type_vocab_size")]
	pub type_vocab_size: usize,
	#[serde(default = "default_layer_norm_eps")]
	pub layer_norm_eps: f64,
	#[serde(default)]
	pub pad_token_id: u32,
	#[serde(default = "default_position_embedding_type")]
	pub position_embedding_type: String,
}

// The defaults are those of transformers' `BertConfig`.
fn default_hidden_act() -> String {
	"gelu".into()
}
fn default_type_vocab_size() -> usize {
	2
}
fn default_layer_norm_eps() -> f64 {
	1e-12
}
fn default_position_embedding_type() -> String {
	"absolute".into()
}

impl BertConfig {
	/// Checks that this crate's BERT supports the config.
	pub fn validate(&self) -> Result<()> {
		if !["bert", "xlm-roberta", "roberta"].contains(&self.model_type.as_str()) {
			return Err(Error::Unsupported(format!(
				"model_type {:?}: only BERT and (XLM-)RoBERTa models are supported",
				self.model_type
			)));
		}
		if self.max_position_embeddings <= self.position_offset() {
			return Err(Error::Unsupported(format!(
				"max_position_embeddings {} leaves no position after the offset {}",
				self.max_position_embeddings,
				self.position_offset()
			)));
		}
		if self.position_embedding_type != "absolute" {
			return Err(Error::Unsupported(format!(
				"position_embedding_type {:?}: only absolute position embeddings are supported",
				self.position_embedding_type
			)));
		}
		if self.num_attention_heads == 0
			|| !self.hidden_size.is_multiple_of(self.num_attention_heads)
		{
			return Err(Error::Unsupported(format!(
				"hidden_size {} is not a multiple of num_attention_heads {}",
				self.hidden_size, self.num_attention_heads
			)));
		}
		if self.hidden_act != "gelu" {
			// transformers' "gelu" is the exact erf form, the one BERT checkpoints use.
			return Err(Error::Unsupported(format!(
				"hidden_act {:?}: only \"gelu\" is supported",
				self.hidden_act
			)));
		}
		Ok(())
	}
}

impl BertConfig {
	/// Whether this is a RoBERTa-family model (`xlm-roberta`, `roberta`).
	pub fn is_roberta(&self) -> bool {
		self.model_type != "bert"
	}

	/// The first position id: RoBERTa numbers positions from `pad_token_id + 1`, BERT from 0.
	pub fn position_offset(&self) -> usize {
		if self.is_roberta() {
			self.pad_token_id as usize + 1
		} else {
			0
		}
	}

	/// How many positions a sequence can use.
	pub fn max_positions(&self) -> usize {
		self.max_position_embeddings - self.position_offset()
	}

	/// The sequence-classification class of this family.
	fn classifier_class(&self) -> &'static str {
		match self.model_type.as_str() {
			"xlm-roberta" => "XLMRobertaForSequenceClassification",
			"roberta" => "RobertaForSequenceClassification",
			_ => "BertForSequenceClassification",
		}
	}
}

/// `tokenizer_config.json`: only the length limit matters here.
#[derive(Debug, Default, Deserialize)]
struct TokenizerConfig {
	// Some checkpoints store a huge sentinel (1e30) meaning "no limit"; f64 reads either form.
	model_max_length: Option<f64>,
}

/// One entry of sentence-transformers' `modules.json`.
#[derive(Debug, Deserialize)]
struct Module {
	#[serde(rename = "type")]
	kind: String,
	#[serde(default)]
	path: String,
}

/// `sentence_bert_config.json`.
#[derive(Debug, Deserialize)]
struct SentenceBertConfig {
	max_seq_length: Option<usize>,
}

/// A sentence-transformers `Pooling` module's `config.json`.
#[derive(Debug, Default, Deserialize)]
struct PoolingConfig {
	#[serde(default)]
	pooling_mode_cls_token: bool,
	#[serde(default)]
	pooling_mode_mean_tokens: bool,
	#[serde(default)]
	pooling_mode_max_tokens: bool,
	#[serde(default)]
	pooling_mode_mean_sqrt_len_tokens: bool,
	#[serde(default)]
	pooling_mode_weightedmean_tokens: bool,
	#[serde(default)]
	pooling_mode_lasttoken: bool,
}

/// What the folder says about how to run it.
#[derive(Debug)]
pub enum Layout {
	/// The encoder + a dense-tanh layer on the first token + a one-logit classifier, over the
	/// pair as one sequence (BERT's pooler and classifier, or RoBERTa's classification head).
	Cross,
	/// A sentence-transformers embedding model.
	Bi {
		/// How token embeddings are pooled.
		pooling: Pooling,
		/// Whether the pipeline ends with a `Normalize` module.
		normalize: bool,
	},
}

/// The optional file that chooses how the encoder's dense layers compute. The digest covers
/// it: two validators computing in different precisions never both match the chain.
pub const PRECISION_FILE: &str = "precision.json";

/// The version of [`PRECISION_FILE`] this crate reads.
pub const PRECISION_VERSION: u32 = 1;

/// How the encoder's dense layers compute.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
	/// f32 throughout, as transformers computes (a folder without [`PRECISION_FILE`]).
	#[default]
	F32,
	/// The encoder's dense layers in 8-bit integers (see the `int8` module): weights per output
	/// column, activations per token in 7 bits, exact integer sums. Attention, layer norms,
	/// GELU and the heads stay f32.
	Int8,
}

/// [`PRECISION_FILE`]: `{"version": 1, "dense": "int8"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrecisionFile {
	version: u32,
	dense: Precision,
}

/// Everything read from the folder's JSON files.
#[derive(Debug)]
pub struct FolderConfig {
	pub bert: BertConfig,
	pub layout: Layout,
	/// The longest token sequence (special tokens included) one input may become.
	pub max_len: usize,
	/// How the dense layers compute.
	pub precision: Precision,
}

/// Reads `dir`'s [`PRECISION_FILE`]: f32 without one.
fn precision(dir: &Path) -> Result<Precision> {
	let Some(file) = read_optional_json::<PrecisionFile>(&dir.join(PRECISION_FILE))? else {
		return Ok(Precision::F32);
	};
	if file.version != PRECISION_VERSION {
		return Err(Error::Unsupported(format!(
			"{PRECISION_FILE}: version {} (this scorer reads version {PRECISION_VERSION})",
			file.version
		)));
	}
	Ok(file.dense)
}

/// Reads `dir`'s configs. A folder is a cross-encoder when `architectures` names its family's
/// `*ForSequenceClassification` (`BertForSequenceClassification`,
/// `XLMRobertaForSequenceClassification`, `RobertaForSequenceClassification`), a bi-encoder when
/// it is a sentence-transformers folder (`modules.json`), and unsupported otherwise.
pub fn read(dir: &Path) -> Result<FolderConfig> {
	let bert: BertConfig = read_json(&dir.join("config.json"))?;
	bert.validate()?;
	let precision = precision(dir)?;
	let tokenizer: TokenizerConfig =
		read_optional_json(&dir.join("tokenizer_config.json"))?.unwrap_or_default();
	// transformers truncates to model_max_length; a model cannot see more positions than it has
	// embeddings for, so that caps it (and covers the "no limit" sentinel).
	let model_max = tokenizer
		.model_max_length
		.filter(|&m| m >= 1.0 && m < bert.max_positions() as f64)
		.map_or(bert.max_positions(), |m| m as usize);

	if bert.architectures.iter().any(|a| a == bert.classifier_class()) {
		return Ok(FolderConfig { bert, layout: Layout::Cross, max_len: model_max, precision });
	}
	let modules: Option<Vec<Module>> = read_optional_json(&dir.join("modules.json"))?;
	let Some(modules) = modules else {
		return Err(Error::Unsupported(format!(
			"{} is neither a {} cross-encoder (architectures: {:?}) nor a sentence-transformers \
             folder (no modules.json)",
			dir.display(),
			bert.classifier_class(),
			bert.architectures
		)));
	};
	let pooling_dir = modules
		.iter()
		.find(|m| m.kind.ends_with(".Pooling"))
		.map(|m| dir.join(&m.path))
		.ok_or_else(|| Error::Unsupported("modules.json lists no Pooling module".into()))?;
	if let Some(other) = modules.iter().find(|m| {
		!m.kind.ends_with(".Transformer")
			&& !m.kind.ends_with(".Pooling")
			&& !m.kind.ends_with(".Normalize")
	}) {
		return Err(Error::Unsupported(format!("sentence-transformers module {}", other.kind)));
	}
	let normalize = modules.iter().any(|m| m.kind.ends_with(".Normalize"));
	let pooling = pooling_mode(&read_json(&pooling_dir.join("config.json"))?)?;
	let st: Option<SentenceBertConfig> =
		read_optional_json(&dir.join("sentence_bert_config.json"))?;
	// sentence-transformers uses max_seq_length when set and the tokenizer's limit otherwise.
	let max_len =
		st.and_then(|c| c.max_seq_length).map_or(model_max, |m| m.min(bert.max_positions()));
	Ok(FolderConfig { bert, layout: Layout::Bi { pooling, normalize }, max_len, precision })
}

/// The path, relative to `dir`, of the pooling module's `config.json` that `modules.json` names;
/// `None` when the folder has no `modules.json` or it lists no pooling module.
pub fn pooling_config_path(dir: &Path) -> Result<Option<String>> {
	let modules: Option<Vec<Module>> = read_optional_json(&dir.join("modules.json"))?;
	Ok(modules.and_then(|m| m.into_iter().find(|m| m.kind.ends_with(".Pooling"))).map(|m| {
		let path = m.path.trim_matches('/');
		if path.is_empty() {
			"config.json".to_owned()
		} else {
			format!("{path}/config.json")
		}
	}))
}

fn pooling_mode(c: &PoolingConfig) -> Result<Pooling> {
	if c.pooling_mode_weightedmean_tokens || c.pooling_mode_lasttoken {
		return Err(Error::Unsupported("weighted-mean and last-token pooling".into()));
	}
	let modes = [
		(c.pooling_mode_cls_token, Pooling::Cls),
		(c.pooling_mode_mean_tokens, Pooling::Mean),
		(c.pooling_mode_max_tokens, Pooling::Max),
		(c.pooling_mode_mean_sqrt_len_tokens, Pooling::MeanSqrtLen),
	];
	let mut on = modes.iter().filter(|(set, _)| *set).map(|&(_, mode)| mode);
	match (on.next(), on.next()) {
		(Some(mode), None) => Ok(mode),
		(None, _) => Err(Error::Unsupported("the Pooling config enables no pooling mode".into())),
		(Some(_), Some(_)) => Err(Error::Unsupported(
			"several pooling modes at once (concatenated embeddings)".into(),
		)),
	}
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
	read_optional_json(path)?.ok_or_else(|| Error::MissingFile(path.to_owned()))
}

/// `Ok(None)` when the file does not exist.
fn read_optional_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
	let text = match std::fs::read_to_string(path) {
		Ok(text) => text,
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
		Err(source) => return Err(Error::Io { path: path.to_owned(), source }),
	};
	serde_json::from_str(&text)
		.map(Some)
		.map_err(|source| Error::Json { path: path.to_owned(), source })
}

/// The weights file of `dir`: `model.safetensors`, else `pytorch_model.bin`.
pub fn weights_file(dir: &Path) -> Result<PathBuf> {
	["model.safetensors", "pytorch_model.bin"]
		.iter()
		.map(|name| dir.join(name))
		.find(|p| p.is_file())
		.ok_or_else(|| Error::MissingWeights(dir.to_owned()))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pooling_json(json: &str) -> Result<Pooling> {
		pooling_mode(&serde_json::from_str(json).unwrap())
	}

	#[test]
	fn pooling_modes_from_config() {
		assert_eq!(pooling_json(r#"{"pooling_mode_mean_tokens": true}"#).unwrap(), Pooling::Mean);
		assert_eq!(pooling_json(r#"{"pooling_mode_cls_token": true}"#).unwrap(), Pooling::Cls);
		assert_eq!(pooling_json(r#"{"pooling_mode_max_tokens": true}"#).unwrap(), Pooling::Max);
		assert!(pooling_json(r#"{}"#).is_err());
		assert!(pooling_json(
			r#"{"pooling_mode_cls_token": true, "pooling_mode_max_tokens": true}"#
		)
		.is_err());
		assert!(pooling_json(r#"{"pooling_mode_lasttoken": true}"#).is_err());
	}

	#[test]
	fn the_precision_file_is_read_strictly() {
		let dir = tempfile::tempdir().unwrap();
		assert_eq!(precision(dir.path()).unwrap(), Precision::F32);
		let write = |text: &str| std::fs::write(dir.path().join(PRECISION_FILE), text).unwrap();
		write(r#"{"version": 1, "dense": "int8"}"#);
		assert_eq!(precision(dir.path()).unwrap(), Precision::Int8);
		write(r#"{"version": 1, "dense": "f32"}"#);
		assert_eq!(precision(dir.path()).unwrap(), Precision::F32);
		for bad in [
			r#"{"version": 2, "dense": "int8"}"#,
			r#"{"version": 1, "dense": "int4"}"#,
			r#"{"version": 1, "dense": "int8", "attention": "int8"}"#,
			r#"{"dense": "int8"}"#,
		] {
			write(bad);
			assert!(precision(dir.path()).is_err(), "{bad} was accepted");
		}
	}
}
