//! Shared fixtures: the real all-MiniLM-L6-v2 folder (from scripts/fetch-model.sh), the
//! generated cross-encoder checkpoint built from it, and the parity cases with their golden
//! reference values.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use candle_core::{Device, Tensor};
use serde::Deserialize;
use tempfile::TempDir;

/// This crate's folder in the checkout the tests run in. Read when the test runs (cargo sets it),
/// not baked in when it was compiled: the shared target directory serves checkouts at other
/// paths, and cargo reuses a test binary built in another one.
pub fn manifest_dir() -> PathBuf {
	PathBuf::from(
		std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"),
	)
}

/// The (prompt, good answer) pairs of a graded set's hand-written source,
/// `models/eval/{set}.source.jsonl`.
pub fn source_pairs(set: &str) -> Vec<(String, String)> {
	let path = manifest_dir().join("../eval").join(format!("{set}.source.jsonl"));
	std::fs::read_to_string(&path)
		.unwrap()
		.lines()
		.map(|l| {
			let v: serde_json::Value = serde_json::from_str(l).unwrap();
			(v["prompt"].as_str().unwrap().to_owned(), v["good"].as_str().unwrap().to_owned())
		})
		.collect()
}

/// The default model folder as `scripts/fetch-model.sh` assembles it: all-MiniLM-L6-v2 with
/// the judge (`judge.json`), computing in int8 (`precision.json`). The tests need the real
/// weights.
pub fn default_dir() -> PathBuf {
	let dir = manifest_dir().join("../weights/all-MiniLM-L6-v2");
	assert!(
		dir.join("model.safetensors").is_file() && dir.join("judge.json").is_file(),
		"{} is missing or has no judge: run `bash scripts/fetch-model.sh` first",
		dir.display()
	);
	dir
}

/// The SHA-256 of all-MiniLM-L6-v2's model.safetensors (the value fetch-model.sh checks).
pub const MINILM_SHA256: &str = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// The default folder's manifest digest: what fetch-model.sh checks and the runtime's presets pin.
pub const DEFAULT_DIGEST: &str = "5a125b7da0d4c4f807ee6fb9ba89a681947dd166cd9d6493d242c18620402bfd";

/// all-MiniLM-L6-v2 without a judge, in f32: the bare bi-encoder that the PyTorch references
/// score. Linked (or copied) from the default folder once per test run.
pub fn bi_dir() -> PathBuf {
	static BI: OnceLock<PathBuf> = OnceLock::new();
	BI.get_or_init(|| {
		publish("minilm-bi-f32", |dir| {
			link_tree(&default_dir(), dir, &|name| {
				!["judge.json", "precision.json"].contains(&name)
			});
		})
	})
	.clone()
}

/// The cross-encoder of [`cross_dir`] computing in int8: the same files plus `precision.json`.
pub fn int8_cross_dir() -> PathBuf {
	static INT8: OnceLock<PathBuf> = OnceLock::new();
	INT8.get_or_init(|| {
		publish("minilm-cross-test-int8", |dir| {
			link_tree(&cross_dir(true), dir, &|_| true);
			std::fs::write(dir.join("precision.json"), r#"{"version": 1, "dense": "int8"}"#)
				.unwrap();
		})
	})
	.clone()
}

/// Builds a folder with `fill` beside its final place under `CARGO_TARGET_TMPDIR` and renames
/// it into place, because test binaries run at the same time and must not see half-written
/// files. One folder serves every run.
fn publish(name: &str, fill: impl FnOnce(&Path)) -> PathBuf {
	let done = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
	if done.join("model.safetensors").is_file() {
		return done;
	}
	let staging = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
	fill(staging.path());
	// Losing the race to another test binary is fine: its copy is the same.
	let _ = std::fs::rename(staging.path(), &done);
	done
}

/// Hard-links (or, across file systems, copies) the files of `src` that `keep` accepts into
/// `dst`, sub-folders included.
fn link_tree(src: &Path, dst: &Path, keep: &dyn Fn(&str) -> bool) {
	std::fs::create_dir_all(dst).unwrap();
	for entry in std::fs::read_dir(src).unwrap() {
		let path = entry.unwrap().path();
		let name = path.file_name().unwrap().to_string_lossy().into_owned();
		let target = dst.join(&name);
		if path.is_dir() {
			link_tree(&path, &target, keep);
		} else if keep(&name) && std::fs::hard_link(&path, &target).is_err() {
			std::fs::copy(&path, &target).unwrap();
		}
	}
}

/// The generated head; scripts/parity.py `head_weights` uses the same formula. Every value is a
/// multiple of 1/512, so it is exact in f32 in both languages.
fn head_weights(hidden: usize) -> (Vec<f32>, f32) {
	let weight = (0..hidden).map(|j| (((j * 37 + 11) % 101) as f32 - 50.0) / 512.0).collect();
	(weight, 0.25)
}

/// A `BertForSequenceClassification` folder: MiniLM's encoder and pooler plus the generated
/// one-logit head, the same checkpoint scripts/parity.py builds (its golden values apply).
/// `prefixed` stores the encoder under `bert.` as transformers saves it; without it the names
/// are bare. Built once per test binary.
pub fn cross_dir(prefixed: bool) -> PathBuf {
	static PREFIXED: OnceLock<PathBuf> = OnceLock::new();
	static BARE: OnceLock<PathBuf> = OnceLock::new();
	let cell = if prefixed { &PREFIXED } else { &BARE };
	cell.get_or_init(|| build_cross(prefixed)).clone()
}

fn build_cross(prefixed: bool) -> PathBuf {
	let src = bi_dir();
	let name = if prefixed { "minilm-cross-test" } else { "minilm-cross-test-bare" };
	publish(name, |dir| {
		for file in
			["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"]
		{
			std::fs::copy(src.join(file), dir.join(file)).unwrap();
		}
		let mut config: serde_json::Value =
			serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap())
				.unwrap();
		config["architectures"] = serde_json::json!(["BertForSequenceClassification"]);
		config["id2label"] = serde_json::json!({"0": "LABEL_0"});
		config["label2id"] = serde_json::json!({"LABEL_0": 0});
		std::fs::write(dir.join("config.json"), config.to_string()).unwrap();

		let prefix = if prefixed { "bert." } else { "" };
		let mut tensors: HashMap<String, Tensor> =
			candle_core::safetensors::load(src.join("model.safetensors"), &Device::Cpu)
				.unwrap()
				.into_iter()
				.filter(|(k, _)| k != "embeddings.position_ids")
				.map(|(k, v)| (format!("{prefix}{k}"), v))
				.collect();
		let hidden = config["hidden_size"].as_u64().unwrap() as usize;
		let (weight, bias) = head_weights(hidden);
		tensors.insert(
			"classifier.weight".into(),
			Tensor::from_vec(weight, (1, hidden), &Device::Cpu).unwrap(),
		);
		tensors.insert(
			"classifier.bias".into(),
			Tensor::from_vec(vec![bias], 1, &Device::Cpu).unwrap(),
		);
		candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
	})
}

/// The XLM-R test checkpoint of scripts/parity.py (`XLMR_CONFIG`, `formula_tensor`): an
/// `XLMRobertaForSequenceClassification` (the bge-reranker layout) whose every weight is a
/// formula, with the Unigram tokenizer tests/xlmr-tokenizer.json. Built once per test run.
pub fn xlmr_dir() -> PathBuf {
	static XLMR: OnceLock<PathBuf> = OnceLock::new();
	XLMR.get_or_init(|| publish("xlmr-test", build_xlmr)).clone()
}

fn build_xlmr(dir: &Path) {
	let tokenizer = manifest_dir().join("tests/xlmr-tokenizer.json");
	std::fs::copy(&tokenizer, dir.join("tokenizer.json")).unwrap();
	let vocab = tokenizers::Tokenizer::from_file(&tokenizer).unwrap().get_vocab_size(true);
	let (h, i, layers, positions) = (32, 64, 2, 514);
	let config = serde_json::json!({
		"model_type": "xlm-roberta", "architectures": ["XLMRobertaForSequenceClassification"],
		"hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 4,
		"intermediate_size": i, "max_position_embeddings": positions, "type_vocab_size": 1,
		"pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "layer_norm_eps": 1e-5,
		"hidden_act": "gelu", "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0},
		"vocab_size": vocab,
	});
	std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
	std::fs::write(dir.join("tokenizer_config.json"), r#"{"model_max_length": 512}"#).unwrap();

	let mut shapes: Vec<(String, Vec<usize>)> = vec![
		("classifier.dense.bias".into(), vec![h]),
		("classifier.dense.weight".into(), vec![h, h]),
		("classifier.out_proj.bias".into(), vec![1]),
		("classifier.out_proj.weight".into(), vec![1, h]),
		("roberta.embeddings.LayerNorm.bias".into(), vec![h]),
		("roberta.embeddings.LayerNorm.weight".into(), vec![h]),
		("roberta.embeddings.position_embeddings.weight".into(), vec![positions, h]),
		("roberta.embeddings.token_type_embeddings.weight".into(), vec![1, h]),
		("roberta.embeddings.word_embeddings.weight".into(), vec![vocab, h]),
	];
	for l in 0..layers {
		let p = format!("roberta.encoder.layer.{l}.");
		for (name, shape) in [
			("attention.output.LayerNorm.bias", vec![h]),
			("attention.output.LayerNorm.weight", vec![h]),
			("attention.output.dense.bias", vec![h]),
			("attention.output.dense.weight", vec![h, h]),
			("attention.self.key.bias", vec![h]),
			("attention.self.key.weight", vec![h, h]),
			("attention.self.query.bias", vec![h]),
			("attention.self.query.weight", vec![h, h]),
			("attention.self.value.bias", vec![h]),
			("attention.self.value.weight", vec![h, h]),
			("intermediate.dense.bias", vec![i]),
			("intermediate.dense.weight", vec![i, h]),
			("output.LayerNorm.bias", vec![h]),
			("output.LayerNorm.weight", vec![h]),
			("output.dense.bias", vec![h]),
			("output.dense.weight", vec![h, i]),
		] {
			shapes.push((format!("{p}{name}"), shape));
		}
	}
	shapes.sort();
	let tensors: HashMap<String, Tensor> = shapes
		.into_iter()
		.enumerate()
		.map(|(t, (name, shape))| {
			let n: usize = shape.iter().product();
			let one = if name.ends_with("LayerNorm.weight") { 1.0 } else { 0.0 };
			let v: Vec<f32> = (0..n)
				.map(|k| ((k * 31 + 7 * t) % 97) as f32 / 128.0 - 48.0 / 128.0 + one)
				.collect();
			(name, Tensor::from_vec(v, shape, &Device::Cpu).unwrap())
		})
		.collect();
	candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
}

/// A scratch directory for one test, removed when dropped.
pub fn scratch(name: &str) -> TempDir {
	tempfile::Builder::new().prefix(name).tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// Copies the model folder `src` (files and sentence-transformers module folders) into a new
/// scratch directory, so a test can break one part of it.
pub fn copy_folder(src: &Path, name: &str) -> TempDir {
	fn copy(src: &Path, dst: &Path) {
		std::fs::create_dir_all(dst).unwrap();
		for entry in std::fs::read_dir(src).unwrap() {
			let path = entry.unwrap().path();
			let target = dst.join(path.file_name().unwrap());
			if path.is_dir() {
				copy(&path, &target);
			} else {
				std::fs::copy(&path, target).unwrap();
			}
		}
	}
	let dir = scratch(name);
	copy(src, dir.path());
	dir
}

#[derive(Deserialize)]
pub struct Case {
	pub prompt: String,
	pub response: String,
}

#[derive(Deserialize)]
struct Cases {
	cases: Vec<Case>,
}

/// tests/parity-cases.json.
pub fn cases() -> Vec<Case> {
	let text = include_str!("../parity-cases.json");
	serde_json::from_str::<Cases>(text).unwrap().cases
}

/// Reference raw values for [`cases`], from tests/golden.json.
#[derive(Deserialize)]
pub struct Golden {
	pub bi: Vec<f32>,
	pub cross: Vec<f32>,
	pub xlmr: Vec<f32>,
}

/// tests/golden.json: produced by `python3 scripts/parity.py --write-golden`, which runs
/// sentence-transformers (bi) and transformers' BertForSequenceClassification (cross) on the
/// same folders and cases. Regenerate it that way when the cases change.
pub fn golden() -> Golden {
	serde_json::from_str(include_str!("../golden.json")).unwrap()
}

pub fn pairs(cases: &[Case]) -> Vec<(&str, &str)> {
	cases.iter().map(|c| (c.prompt.as_str(), c.response.as_str())).collect()
}
