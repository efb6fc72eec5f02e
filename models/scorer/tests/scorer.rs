//! The scorer against the real all-MiniLM-L6-v2 weights (run `bash scripts/fetch-model.sh`
//! first) and the cross-encoder checkpoint built from them.

mod common;

use std::path::Path;

use common::{
	bi_dir, cases, copy_folder, cross_dir, default_dir, golden, int8_cross_dir, pairs, scratch,
	xlmr_dir, DEFAULT_DIGEST, MINILM_SHA256,
};
use poq_scorer::quality::{quantize, sigmoid};
use poq_scorer::{Error, ModelKind, QualityModel, Scored};

/// The golden values come from PyTorch; Candle's f32 arithmetic differs from it by ~1e-7
/// (scripts/parity.py prints the exact figures), far inside this bound and the 1e-3 target.
const PARITY: f32 = 1e-4;

fn load(dir: &Path) -> QualityModel {
	QualityModel::load(dir).unwrap_or_else(|e| panic!("loading {}: {e}", dir.display()))
}

fn assert_matches_golden(scored: &[Scored], golden: &[f32], to_x: fn(f32) -> f32) {
	assert_eq!(scored.len(), golden.len());
	for (i, (s, &g)) in scored.iter().zip(golden).enumerate() {
		assert!((s.raw - g).abs() < PARITY, "case {i}: raw {} vs reference {g}", s.raw);
		// The score may differ by one step only when the reference sits on a rounding boundary.
		let expected = quantize(to_x(g));
		assert!(s.score.abs_diff(expected) <= 1, "case {i}: score {} vs {expected}", s.score);
	}
}

#[test]
fn bi_encoder_matches_sentence_transformers() {
	let model = load(&bi_dir());
	assert_eq!(model.kind(), ModelKind::BiEncoder);
	assert_eq!(model.max_len(), 256, "sentence_bert_config.json max_seq_length");
	let cases = cases();
	let scored = model.score(&pairs(&cases)).unwrap();
	assert_matches_golden(&scored, &golden().bi, |x| x);
}

#[test]
fn cross_encoder_matches_transformers() {
	let model = load(&cross_dir(true));
	assert_eq!(model.kind(), ModelKind::CrossEncoder);
	assert_eq!(model.max_len(), 512, "model_max_length capped by max_position_embeddings");
	let cases = cases();
	let scored = model.score(&pairs(&cases)).unwrap();
	assert_matches_golden(&scored, &golden().cross, sigmoid);
}

#[test]
fn xlm_roberta_cross_encoder_matches_transformers() {
	let model = load(&xlmr_dir());
	assert_eq!(model.kind(), ModelKind::CrossEncoder);
	assert_eq!(model.max_len(), 512, "514 positions less the padding offset");
	let cases = cases();
	let scored = model.score(&pairs(&cases)).unwrap();
	assert_matches_golden(&scored, &golden().xlmr, sigmoid);
	assert_batching_invariant(&model);
}

#[test]
fn cross_encoder_loads_weights_without_the_bert_prefix() {
	let cases = cases();
	let prefixed = load(&cross_dir(true)).score(&pairs(&cases)).unwrap();
	let bare = load(&cross_dir(false)).score(&pairs(&cases)).unwrap();
	assert_eq!(prefixed, bare);
}

#[test]
fn relevant_answers_score_higher() {
	let model = load(&bi_dir());
	let scores = model
		.scores(
			"What is the capital of France?",
			&["The capital of France is Paris.", "I like turtles.", ""],
		)
		.unwrap();
	assert!(scores[0] > 7_000, "{scores:?}");
	assert!(scores[0] > scores[1] && scores[0] > scores[2], "{scores:?}");
}

#[test]
fn scores_is_score_for_one_prompt() {
	let model = load(&bi_dir());
	let responses = ["Paris.", "Lyon is a city in France.", "¿Qué?"];
	let prompt = "What is the capital of France?";
	let pairs: Vec<_> = responses.iter().map(|r| (prompt, *r)).collect();
	let expected: Vec<u16> = model.score(&pairs).unwrap().iter().map(|s| s.score).collect();
	assert_eq!(model.scores(prompt, &responses).unwrap(), expected);
}

/// Scoring all cases in one call, one at a time and in reverse order gives the same result for
/// every pair: batches differ in length and padding, which the attention mask neutralises.
fn assert_batching_invariant(model: &QualityModel) {
	let cases = cases();
	let pairs = pairs(&cases);
	let together = model.score(&pairs).unwrap();
	let alone: Vec<Scored> = pairs.iter().map(|p| model.score(&[*p]).unwrap()[0]).collect();
	let mut reversed = pairs.clone();
	reversed.reverse();
	let mut backwards = model.score(&reversed).unwrap();
	backwards.reverse();
	for (i, ((t, a), b)) in together.iter().zip(&alone).zip(&backwards).enumerate() {
		// Different padding changes matrix shapes and so float summation order; ~1e-7 remains.
		assert!(
			(t.raw - a.raw).abs() < 1e-5 && (t.raw - b.raw).abs() < 1e-5,
			"case {i}: {t:?} {a:?} {b:?}"
		);
		assert_eq!((t.score, a.score), (b.score, b.score), "case {i}");
	}
}

#[test]
fn bi_encoder_results_do_not_depend_on_batching() {
	assert_batching_invariant(&load(&bi_dir()));
}

#[test]
fn cross_encoder_results_do_not_depend_on_batching() {
	assert_batching_invariant(&load(&cross_dir(true)));
}

/// A text of `n` words, far more tokens than any max length when `n` is large.
fn words(n: usize, tail: &str) -> String {
	let mut text = (0..n).map(|i| format!("word{}", i % 13)).collect::<Vec<_>>().join(" ");
	text.push_str(tail);
	text
}

#[test]
fn bi_encoder_truncates_each_text_to_max_seq_length() {
	let model = load(&bi_dir());
	let long_a = words(400, " and then it ends one way");
	let long_b = words(400, " but this ending differs completely");
	let s = model.score(&[("a question", &long_a), ("a question", &long_b)]).unwrap();
	// Everything after the first 256 tokens is cut, so the two responses embed identically.
	assert_eq!(s[0], s[1]);
	let short = model.score(&[("a question", "word0 word1")]).unwrap();
	assert_ne!(s[0].raw, short[0].raw);
}

#[test]
fn cross_encoder_truncates_pairs_longest_first() {
	let model = load(&cross_dir(true));
	let long_a = words(700, " one ending");
	let long_b = words(700, " another ending entirely");
	let s = model
		.score(&[("short prompt", &long_a), ("short prompt", &long_b), ("other prompt", &long_a)])
		.unwrap();
	// Longest-first keeps the short prompt whole and cuts the response's tail.
	assert_eq!(s[0], s[1]);
	assert_ne!(s[0].raw, s[2].raw);
}

#[test]
fn empty_and_non_latin_inputs_score() {
	for model in [load(&bi_dir()), load(&cross_dir(true))] {
		let s = model.score(&[("", ""), ("Вопрос?", ""), ("问题", "回答"), ("", "🙂🙃")]).unwrap();
		assert!(s.iter().all(|s| s.raw.is_finite() && s.score <= 10_000), "{s:?}");
	}
}

#[test]
fn empty_input_is_an_error() {
	let model = load(&bi_dir());
	assert!(matches!(model.score(&[]), Err(Error::EmptyInput)));
	assert!(matches!(model.scores("prompt", &[]), Err(Error::EmptyInput)));
}

#[test]
fn digest_is_the_manifest_hash_of_every_file_that_changes_a_score() {
	let model = load(&default_dir());
	assert_eq!(model.digest_hex(), DEFAULT_DIGEST);
	let files: Vec<&str> = model.manifest().files.iter().map(|(p, _)| p.as_str()).collect();
	assert_eq!(
		files,
		[
			"1_Pooling/config.json",
			"config.json",
			"judge.json",
			"model.safetensors",
			"modules.json",
			"precision.json",
			"sentence_bert_config.json",
			"tokenizer.json",
			"tokenizer_config.json",
		]
	);
	let weights = &model.manifest().files[3];
	assert_eq!(poq_scorer::to_hex(&weights.1), MINILM_SHA256);
	assert_eq!(model.weights_path(), default_dir().join("model.safetensors"));
	assert!(model.manifest().text().starts_with("poq-model-manifest/v1\n"));

	// A change to any listed file changes the digest; a file the scorer never reads does not.
	let tmp = copy_folder(&default_dir(), "manifest");
	let dir = tmp.path();
	let digest = || poq_scorer::Manifest::of(dir).unwrap().digest();
	let original = digest();
	assert_eq!(original, model.digest());
	for file in files.iter().chain(["README.md"].iter()) {
		let path = dir.join(file);
		let bytes = std::fs::read(&path).unwrap();
		std::fs::write(&path, [&bytes[..], b" "].concat()).unwrap();
		assert_eq!(digest() == original, *file == "README.md", "{file}");
		std::fs::write(&path, bytes).unwrap();
	}
	assert_eq!(digest(), original);
	// Without the judge, or computing in f32, the folder is another model.
	for file in ["judge.json", "precision.json"] {
		let bytes = std::fs::read(dir.join(file)).unwrap();
		std::fs::remove_file(dir.join(file)).unwrap();
		assert_ne!(digest(), original, "{file}");
		std::fs::write(dir.join(file), bytes).unwrap();
	}
}

#[test]
fn only_an_int8_bi_encoder_is_exact() {
	assert!(load(&default_dir()).exact(), "the default folder gives the same bits everywhere");
	assert!(!load(&bi_dir()).exact(), "a bi-encoder computing in f32");
	assert!(!load(&int8_cross_dir()).exact(), "a cross-encoder's head");
}

#[test]
fn int8_stays_close_to_f32() {
	let cases = cases();
	let pairs = pairs(&cases);
	let max_gap = |a: Vec<f32>, b: Vec<f32>| {
		a.iter().zip(&b).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max)
	};
	// The default folder computes in int8; `similarity` leaves its judge out.
	let bi = max_gap(
		load(&default_dir()).similarity(&pairs).unwrap(),
		load(&bi_dir()).similarity(&pairs).unwrap(),
	);
	let raw = |dir: &Path| load(dir).score(&pairs).unwrap().iter().map(|s| s.raw).collect();
	let cross = max_gap(raw(&int8_cross_dir()), raw(&cross_dir(true)));
	eprintln!("int8 vs f32: cosine {bi}, logit {cross}");
	assert!(bi > 0.0 && cross > 0.0, "the int8 folders computed in f32");
	assert!(bi < 0.02, "cosine off by {bi}");
	assert!(cross < 0.05, "logit off by {cross}");
}

/// The int8 path's integer sums are exact, and nothing in it depends on the batch or on how
/// work is split between threads: scores are the same bits however a validator batches them
/// and on however many threads, which is what lets validators agree.
#[test]
fn int8_results_are_the_same_bits_whatever_the_batch_and_threads() {
	let cases = cases();
	let pairs = pairs(&cases);
	for dir in [default_dir(), int8_cross_dir()] {
		let bits =
			|s: Vec<Scored>| s.iter().map(|s| (s.raw.to_bits(), s.score)).collect::<Vec<_>>();
		let model = load(&dir);
		let together = bits(model.score(&pairs).unwrap());
		let alone = bits(pairs.iter().map(|p| model.score(&[*p]).unwrap()[0]).collect());
		assert_eq!(together, alone, "{}", dir.display());
		for threads in [1, 2, 3] {
			let model = load(&dir).with_threads(threads).unwrap();
			assert_eq!(bits(model.score(&pairs).unwrap()), together, "{threads} threads");
		}
	}
}

#[test]
fn one_model_serves_several_threads() {
	let model = load(&bi_dir());
	let cases = cases();
	let pairs = pairs(&cases);
	let expected = model.score(&pairs).unwrap();
	std::thread::scope(|s| {
		let handles: Vec<_> = (0..2).map(|_| s.spawn(|| model.score(&pairs).unwrap())).collect();
		for h in handles {
			let got = h.join().unwrap();
			for (g, e) in got.iter().zip(&expected) {
				assert!((g.raw - e.raw).abs() < 1e-6);
			}
		}
	});
}

fn load_err(dir: &Path) -> Error {
	match QualityModel::load(dir) {
		Ok(_) => panic!("{} loaded but should not", dir.display()),
		Err(e) => e,
	}
}

fn edit_config(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
	let path = dir.join("config.json");
	let mut config: serde_json::Value =
		serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
	edit(&mut config);
	std::fs::write(path, config.to_string()).unwrap();
}

#[test]
fn missing_folder_and_files_are_errors() {
	assert!(matches!(load_err(Path::new("/nonexistent/poq-model")), Error::MissingDir(_)));

	let empty = scratch("empty-model");
	let err = load_err(empty.path());
	assert!(matches!(&err, Error::MissingFile(p) if p.ends_with("config.json")), "{err}");

	let tmp = copy_folder(&bi_dir(), "no-tokenizer");
	let dir = tmp.path();
	std::fs::remove_file(dir.join("tokenizer.json")).unwrap();
	let err = load_err(dir);
	assert!(matches!(&err, Error::MissingFile(p) if p.ends_with("tokenizer.json")), "{err}");

	let tmp = copy_folder(&bi_dir(), "no-weights");
	let dir = tmp.path();
	std::fs::remove_file(dir.join("model.safetensors")).unwrap();
	let err = load_err(dir);
	assert!(matches!(&err, Error::MissingWeights(_)), "{err}");

	let tmp = copy_folder(&bi_dir(), "bad-json");
	let dir = tmp.path();
	std::fs::write(dir.join("config.json"), "{ not json").unwrap();
	let err = load_err(dir);
	assert!(matches!(&err, Error::Json { .. }), "{err}");
}

#[test]
fn unsupported_models_are_errors() {
	// A plain BertModel that is not a sentence-transformers folder: no way to score with it.
	let tmp = copy_folder(&bi_dir(), "plain-bert");
	let dir = tmp.path();
	std::fs::remove_file(dir.join("modules.json")).unwrap();
	let err = load_err(dir);
	assert!(matches!(&err, Error::Unsupported(m) if m.contains("modules.json")), "{err}");

	let tmp = copy_folder(&bi_dir(), "gpt2");
	let dir = tmp.path();
	edit_config(dir, |c| c["model_type"] = "gpt2".into());
	let err = load_err(dir);
	assert!(matches!(&err, Error::Unsupported(m) if m.contains("gpt2")), "{err}");

	// An XLM-R checkpoint that names BERT's classifier class is neither kind of model.
	let tmp = copy_folder(&xlmr_dir(), "xlmr-as-bert");
	let dir = tmp.path();
	edit_config(dir, |c| c["architectures"] = serde_json::json!(["BertForSequenceClassification"]));
	let err = load_err(dir);
	assert!(
		matches!(&err, Error::Unsupported(m) if m.contains("XLMRobertaForSequenceClassification")),
		"{err}"
	);
	// Positions start after the padding index, so there must be positions left after it.
	let tmp = copy_folder(&xlmr_dir(), "xlmr-no-positions");
	let dir = tmp.path();
	edit_config(dir, |c| c["max_position_embeddings"] = 2.into());
	let err = load_err(dir);
	assert!(matches!(&err, Error::Unsupported(m) if m.contains("offset")), "{err}");

	let tmp = copy_folder(&bi_dir(), "relative-positions");
	let dir = tmp.path();
	edit_config(dir, |c| c["position_embedding_type"] = "relative_key".into());
	let err = load_err(dir);
	assert!(matches!(&err, Error::Unsupported(_)), "{err}");
}

#[test]
fn weights_that_do_not_fit_the_config_are_errors() {
	let tmp = copy_folder(&bi_dir(), "wrong-shape");
	let dir = tmp.path();
	edit_config(dir, |c| c["intermediate_size"] = 1000.into());
	let err = load_err(dir);
	assert!(matches!(&err, Error::Weights(m) if m.contains("intermediate")), "{err}");

	let tmp = copy_folder(&bi_dir(), "too-many-layers");
	let dir = tmp.path();
	edit_config(dir, |c| c["num_hidden_layers"] = 7.into());
	let err = load_err(dir);
	assert!(matches!(&err, Error::Weights(m) if m.contains("layer.6")), "{err}");

	// A cross-encoder config over weights without a classifier head.
	let tmp = copy_folder(&bi_dir(), "no-head");
	let dir = tmp.path();
	edit_config(dir, |c| c["architectures"] = serde_json::json!(["BertForSequenceClassification"]));
	let err = load_err(dir);
	assert!(matches!(&err, Error::Weights(m) if m.contains("classifier")), "{err}");

	let tmp = scratch("corrupt-weights");
	let dir = tmp.path();
	for file in ["config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json"] {
		std::fs::copy(bi_dir().join(file), dir.join(file)).unwrap();
	}
	std::fs::create_dir(dir.join("1_Pooling")).unwrap();
	std::fs::copy(bi_dir().join("1_Pooling/config.json"), dir.join("1_Pooling/config.json"))
		.unwrap();
	std::fs::write(dir.join("model.safetensors"), b"definitely not safetensors").unwrap();
	let err = load_err(dir);
	assert!(matches!(&err, Error::Weights(_)), "{err}");
}
