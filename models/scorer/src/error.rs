//! The one error type of the crate: every failure is a value, never a panic.

use std::path::PathBuf;

/// Everything that can go wrong while loading a model or scoring with it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The model folder does not exist or is not a directory.
	#[error("model folder {0} does not exist or is not a directory")]
	MissingDir(PathBuf),
	/// A file the model needs is not in the folder.
	#[error("{0} is missing")]
	MissingFile(PathBuf),
	/// The folder has neither `model.safetensors` nor `pytorch_model.bin`.
	#[error("no weights in {0}: expected model.safetensors or pytorch_model.bin")]
	MissingWeights(PathBuf),
	/// A file exists but could not be read.
	#[error("cannot read {path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
	/// A JSON config file is malformed or lacks a required field.
	#[error("invalid {path}: {source}")]
	Json {
		/// The file.
		path: PathBuf,
		/// What the parser said.
		#[source]
		source: serde_json::Error,
	},
	/// The folder holds a model this crate does not run (not BERT, an unknown head, an
	/// unsupported pooling mode, ...).
	#[error("unsupported model: {0}")]
	Unsupported(String),
	/// The weights file is unreadable or its tensors do not match the config (missing names,
	/// wrong shapes).
	#[error("weights do not fit the model: {0}")]
	Weights(String),
	/// The tokenizer could not be loaded or failed on an input.
	#[error("tokenizer: {0}")]
	Tokenizer(String),
	/// A tensor operation failed during the forward pass.
	#[error("inference failed: {0}")]
	Inference(String),
	/// `score` was called with no pairs.
	#[error("no pairs to score")]
	EmptyInput,
	/// The model produced NaN or infinity for a pair (broken weights); no score is defined.
	#[error("model produced a non-finite output for pair {0}")]
	NonFinite(usize),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Tensor errors inside the forward pass; loading maps candle errors to [`Error::Weights`]
/// explicitly instead, because there they mean the checkpoint does not fit the config.
impl From<candle_core::Error> for Error {
	fn from(e: candle_core::Error) -> Self {
		Error::Inference(e.to_string())
	}
}
