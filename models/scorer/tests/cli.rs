//! The `poq-scorer` binary end to end, on the real all-MiniLM-L6-v2 weights.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{bi_dir, cases, cross_dir, default_dir, golden, scratch, DEFAULT_DIGEST};

fn poq_scorer(args: &[&str], stdin: Option<&str>) -> Output {
	poq_scorer_on(None, args, stdin)
}

/// [`poq_scorer`] with `POQ_SCORER_ISA` set to `isa` when given.
fn poq_scorer_on(isa: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
	let mut command = Command::new(env!("CARGO_BIN_EXE_poq-scorer"));
	if let Some(isa) = isa {
		command.env("POQ_SCORER_ISA", isa);
	}
	let mut child = command
		.args(args)
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();
	let mut pipe = child.stdin.take().unwrap();
	// A command that fails before reading its input closes the pipe; that is its business.
	if let Err(e) = pipe.write_all(stdin.unwrap_or("").as_bytes()) {
		assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
	}
	drop(pipe);
	child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
	assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
	String::from_utf8(out.stdout.clone()).unwrap()
}

fn jsonl() -> String {
	cases()
		.iter()
		.map(|c| serde_json::json!({"prompt": c.prompt, "response": c.response}).to_string() + "\n")
		.collect()
}

/// Parses `{"score": .., "raw": ..}` lines.
fn results(text: &str) -> Vec<(u64, f64)> {
	text.lines()
		.map(|line| {
			let v: serde_json::Value = serde_json::from_str(line).unwrap();
			assert_eq!(v.as_object().unwrap().len(), 2, "{line}");
			(v["score"].as_u64().unwrap(), v["raw"].as_f64().unwrap())
		})
		.collect()
}

#[test]
fn score_reads_a_file_and_prints_one_line_per_pair_in_order() {
	let tmp = scratch("cli-score");
	let input = tmp.path().join("pairs.jsonl");
	std::fs::write(&input, jsonl()).unwrap();
	let model = bi_dir();
	let out = poq_scorer(
		&["score", "--model", model.to_str().unwrap(), "--input", input.to_str().unwrap()],
		None,
	);
	let got = results(&stdout(&out));
	let golden = golden().bi;
	assert_eq!(got.len(), golden.len());
	for ((score, raw), g) in got.iter().zip(&golden) {
		assert!((*raw - f64::from(*g)).abs() < 1e-4, "{raw} vs {g}");
		assert!(*score <= 10_000);
	}
}

#[test]
fn score_reads_standard_input() {
	let model = cross_dir(true);
	let out =
		poq_scorer(&["score", "--model", model.to_str().unwrap(), "--input", "-"], Some(&jsonl()));
	let got = results(&stdout(&out));
	for ((_, raw), g) in got.iter().zip(&golden().cross) {
		assert!((*raw - f64::from(*g)).abs() < 1e-4, "{raw} vs {g}");
	}
	assert_eq!(got.len(), cases().len());
}

#[test]
fn score_rejects_bad_lines_with_their_number() {
	let model = bi_dir();
	let input = "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\"}\n";
	let out =
		poq_scorer(&["score", "--model", model.to_str().unwrap(), "--input", "-"], Some(input));
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("-:2:"), "{out:?}");
	assert!(out.stdout.is_empty());

	let out =
		poq_scorer(&["score", "--model", model.to_str().unwrap(), "--input", "-"], Some("\n"));
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("no pairs"), "{out:?}");
}

#[test]
fn digest_prints_the_manifest_hash_and_on_request_the_manifest() {
	let model = default_dir();
	let out = poq_scorer(&["digest", "--model", model.to_str().unwrap()], None);
	assert_eq!(stdout(&out).trim(), DEFAULT_DIGEST);
	let out = poq_scorer(&["digest", "--model", model.to_str().unwrap(), "--manifest"], None);
	let expected = poq_scorer::Manifest::of(&model).unwrap().text();
	assert_eq!(stdout(&out), format!("{DEFAULT_DIGEST}\n{expected}"));
}

#[test]
fn score_scores_exactly_as_the_library_the_node_calls() {
	// The node scores a request's responses with `QualityModel::scores`; the CLI must agree.
	let dir = default_dir();
	let prompt = "What is the capital of France?";
	let responses = [
		"The capital of France is Paris, on the Seine.",
		"What is the capital of France?",
		"Bananas are rich in potassium and make a good snack.",
		"I'm sorry, but I can't help with that.",
	];
	let input: String = responses
		.iter()
		.map(|r| serde_json::json!({"prompt": prompt, "response": r}).to_string() + "\n")
		.collect();
	let out =
		poq_scorer(&["score", "--model", dir.to_str().unwrap(), "--input", "-"], Some(&input));
	let cli: Vec<u64> = results(&stdout(&out)).into_iter().map(|(s, _)| s).collect();
	let library = poq_scorer::QualityModel::load(&dir).unwrap().scores(prompt, &responses).unwrap();
	assert_eq!(cli, library.iter().map(|&s| u64::from(s)).collect::<Vec<_>>());
	assert!(cli[0] >= 2_000 && cli[1..].iter().all(|&s| s < 2_000), "{cli:?}");
}

/// `poq-scorer eval`'s input: one `{"prompt", "response", "grade", "kind"}` line per row.
fn graded_jsonl(rows: &[(&str, &str, u8, &str)]) -> String {
	rows.iter()
		.map(|(p, r, g, k)| {
			serde_json::json!({"prompt": p, "response": r, "grade": g, "kind": k}).to_string()
				+ "\n"
		})
		.collect()
}

#[test]
fn eval_reports_the_metrics_in_text_and_json() {
	let tmp = scratch("cli-eval");
	let input = tmp.path().join("set.jsonl");
	let details = tmp.path().join("details.jsonl");
	let rows = [
		("What is the capital of France?", "The capital of France is Paris.", 3, "good"),
		("What is the capital of France?", "What is the capital of France?", 0, "echo"),
		(
			"How do magnets work?",
			"Magnets attract iron because their electrons' spins align.",
			3,
			"good",
		),
		("How do magnets work?", "I cannot help with that request.", 0, "refusal"),
	];
	std::fs::write(&input, graded_jsonl(&rows)).unwrap();
	let model = default_dir();
	let (m, i) = (model.to_str().unwrap(), input.to_str().unwrap());
	let out = poq_scorer(
		&["eval", "--model", m, "--input", i, "--json", "--details", details.to_str().unwrap()],
		None,
	);
	let report: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
	assert_eq!(report["prompts"], 2);
	assert_eq!(report["answers"], 4);
	assert_eq!(report["floor"], 2_000);
	assert_eq!(report["pairwise_accuracy"]["total"], 2);
	assert_eq!(report["pairwise_accuracy"]["value"], 1.0);
	assert_eq!(report["junk_paid"]["value"], 0.0);
	assert_eq!(report["good_paid"]["value"], 1.0);
	let kinds: Vec<&str> =
		report["kinds"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
	assert_eq!(kinds.len(), 3);
	let detail_lines = std::fs::read_to_string(&details).unwrap();
	assert_eq!(detail_lines.lines().count(), 4);
	assert!(detail_lines.contains("\"novelty\":0.0"), "the echo's stages: {detail_lines}");

	let out = poq_scorer(&["eval", "--model", m, "--input", i, "--floor", "9999"], None);
	let text = stdout(&out);
	for line in ["2 prompts, 4 answers, floor 9999", "pairwise accuracy", "junk paid", "good paid"]
	{
		assert!(text.contains(line), "{line} missing in {text}");
	}

	// Agreement needs two good answers to a prompt.
	let out = poq_scorer(&["eval", "--model", m, "--input", i, "--agreement"], None);
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("two good answers"), "{out:?}");
	let more = [
		("What is the capital of France?", "Paris is the French capital.", 3, "good"),
		("What is the capital of France?", "It is a big city in Europe.", 1, "vague"),
	];
	let all = std::fs::read_to_string(&input).unwrap() + &graded_jsonl(&more);
	std::fs::write(&input, all).unwrap();
	let out = poq_scorer(&["eval", "--model", m, "--input", i, "--agreement", "--json"], None);
	let report: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
	assert_eq!(report["agreement"]["vague"]["total"], 1, "{report}");

	let bad = "{\"prompt\": \"a\", \"response\": \"b\", \"grade\": 4}\n";
	let out = poq_scorer(&["eval", "--model", m, "--input", "-"], Some(bad));
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("grade 4"), "{out:?}");
}

#[test]
fn a_missing_model_fails_cleanly() {
	for args in [
		&["digest", "--model", "/nonexistent/poq"][..],
		&["score", "--model", "/nonexistent/poq", "--input", "-"][..],
		&["bench", "--model", "/nonexistent/poq"][..],
		&["attack", "--model", "/nonexistent/poq", "--input", "-"][..],
	] {
		let out = poq_scorer(args, Some("{\"prompt\": \"a\", \"response\": \"b\"}\n"));
		assert!(!out.status.success(), "{args:?}");
		assert!(String::from_utf8_lossy(&out.stderr).starts_with("poq-scorer: "), "{out:?}");
	}
}

#[test]
fn bench_reports_throughput_and_latency() {
	let model = bi_dir();
	let m = model.to_str().unwrap();
	let bench = ["bench", "--model", m, "--batch", "2", "--tokens", "16", "--threads", "1"];
	for (extra, request) in [(&[][..], "request=false"), (&["--request"][..], "request=true")] {
		let args = [&bench[..], &["--seconds", "0"], extra].concat();
		let text = stdout(&poq_scorer(&args, None));
		let fields = ["BiEncoder", "batch=2", "tokens=16", request, "threads=1", "pairs/s="];
		for field in fields.into_iter().chain(["p50=", "p99="]) {
			assert!(text.contains(field), "{field} missing in {text}");
		}
	}
}

#[test]
fn attack_reports_per_prompt_and_in_sum() {
	let dir = tempfile::tempdir().unwrap();
	let details = dir.path().join("outcomes.jsonl");
	let input =
		"{\"prompt\": \"What is the chemical symbol for gold?\", \"good\": \"It is Au.\"}\n\
	             {\"prompt\": \"How many legs does a spider have?\"}\n";
	let model = default_dir();
	let m = model.to_str().unwrap();
	let args = ["attack", "--model", m, "--input", "-", "--budget", "20", "--json"];
	let out =
		poq_scorer(&[&args[..], &["--details", details.to_str().unwrap()]].concat(), Some(input));
	let summary: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
	assert_eq!(summary["prompts"], 2);
	assert_eq!(summary["paid_by_strategy"].as_array().unwrap().len(), 4);
	let outcomes: Vec<serde_json::Value> = std::fs::read_to_string(&details)
		.unwrap()
		.lines()
		.map(|l| serde_json::from_str(l).unwrap())
		.collect();
	assert_eq!(outcomes.len(), 2);
	assert_eq!(outcomes[0]["calls"], 20);
	assert!(outcomes[0]["good"].is_u64() && outcomes[1]["good"].is_null());
	// The same seed finds the same texts: the text report names each prompt's best one.
	let text = stdout(&poq_scorer(&args[..7], Some(input)));
	let best = outcomes[1]["best"]["text"].as_str().unwrap();
	assert!(text.contains(&format!("{best:?}")), "{best} missing in {text}");
	assert!(text.contains("2 prompts, budget 20 judge calls each, floor 2000"), "{text}");
}

/// Every instruction set this CPU runs gives the same bits, and the same as the builds before:
/// every 60th answer of the three graded sets and the parity cases (Chinese, Arabic, emoji,
/// 1000-word texts), scored under each `POQ_SCORER_ISA` the CPU has, print the same scores and
/// the same raw cosines (printed in full: two floats print alike only when their bits are) as
/// `tests/pinned-scores.jsonl`. A faster kernel that changed one bit would split validators
/// running it from those that have not upgraded: a change that means to move scores changes the
/// judge's or the precision file's version, and so the digest the chain pins, and then this file.
#[test]
fn every_instruction_set_scores_the_same_bits() {
	let model = default_dir();
	let m = model.to_str().unwrap();
	let ran = |isa: &str| {
		let bench = ["bench", "--model", m, "--tokens", "8", "--seconds", "0", "--threads", "1"];
		let text = stdout(&poq_scorer_on(Some(isa), &bench, None));
		text.split("isa=").nth(1).unwrap().split(' ').next().unwrap().to_owned()
	};
	let isas: Vec<&str> = ["generic", "avx2", "avx512vnni", "amx"]
		.into_iter()
		.filter(|isa| ran(isa) == *isa)
		.collect();
	assert!(isas.contains(&"generic"), "the portable path always runs");
	let mut input = jsonl();
	for set in ["dev", "heldout", "adversarial"] {
		let path = common::manifest_dir().join("../eval").join(format!("{set}.jsonl"));
		for line in std::fs::read_to_string(path).unwrap().lines().step_by(60) {
			let v: serde_json::Value = serde_json::from_str(line).unwrap();
			input += &(serde_json::json!({"prompt": v["prompt"], "response": v["response"]})
				.to_string() + "\n");
		}
	}
	let scored: Vec<String> = isas
		.iter()
		.map(|isa| {
			stdout(&poq_scorer_on(
				Some(isa),
				&["score", "--model", m, "--input", "-"],
				Some(&input),
			))
		})
		.collect();
	println!("instruction sets compared: {isas:?}");
	assert!(scored[0].lines().count() > 40);
	for (isa, out) in isas.iter().zip(&scored) {
		assert_eq!(out, &scored[0], "{isa} against generic");
	}
	assert_eq!(scored[0], include_str!("pinned-scores.jsonl"), "against the pinned scores");
}

/// `embed` prints the library's embeddings, one line per input line in order: the sentence
/// embedding, or with `--layer` the pooled hidden states the judge's answer stage reads. Both
/// are unit vectors as wide as the model. A cross-encoder has none and a layer past the last
/// is refused, each a named error.
#[test]
fn embed_prints_the_librarys_embeddings_and_the_answer_stages_hidden_states() {
	let dir = default_dir();
	let m = dir.to_str().unwrap();
	let texts =
		["Paris is the capital of France.", "", "東京は大きい", "Paris is the capital of France."];
	let input: String =
		texts.iter().map(|t| serde_json::json!({ "text": t }).to_string() + "\n").collect();
	let model = poq_scorer::QualityModel::load(&dir).unwrap();
	for layer in [None, Some(3)] {
		let layer_arg = layer.map(|l: usize| l.to_string());
		let mut args = vec!["embed", "--model", m, "--input", "-"];
		if let Some(l) = &layer_arg {
			args.extend(["--layer", l.as_str()]);
		}
		let printed: Vec<Vec<f32>> = stdout(&poq_scorer(&args, Some(&input)))
			.lines()
			.map(|line| {
				let v: serde_json::Value = serde_json::from_str(line).unwrap();
				serde_json::from_value(v["embedding"].clone()).unwrap()
			})
			.collect();
		assert_eq!(printed, model.embeddings(&texts, layer).unwrap(), "layer {layer:?}");
		for e in &printed {
			assert_eq!(e.len(), 384);
			let norm: f32 = e.iter().map(|v| v * v).sum::<f32>().sqrt();
			assert!((norm - 1.0).abs() < 1e-4, "{norm}");
		}
		assert_eq!(printed[0], printed[3]);
	}
	let err = model.embeddings(&texts[..1], Some(7)).err().unwrap();
	assert!(matches!(&err, poq_scorer::Error::Unsupported(m) if m.contains("6 layers")), "{err}");
	let last = model.embeddings(&texts[..1], None).unwrap();
	assert_ne!(last, model.embeddings(&texts[..1], Some(3)).unwrap(), "a middle layer differs");
	let out = poq_scorer(
		&["embed", "--model", cross_dir(true).to_str().unwrap(), "--input", "-"],
		Some(&input),
	);
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("no sentence embeddings"));
}
