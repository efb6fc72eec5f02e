//! The `poq-scorer` binary end to end, on the real all-MiniLM-L6-v2 weights.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{bi_dir, cases, cross_dir, golden, scratch, MINILM_SHA256};

fn poq_scorer(args: &[&str], stdin: Option<&str>) -> Output {
	let mut child = Command::new(env!("CARGO_BIN_EXE_poq-scorer"))
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
fn digest_prints_the_weights_sha256() {
	let model = bi_dir();
	let out = poq_scorer(&["digest", "--model", model.to_str().unwrap()], None);
	assert_eq!(stdout(&out).trim(), MINILM_SHA256);
}

#[test]
fn a_missing_model_fails_cleanly() {
	for args in [
		&["digest", "--model", "/nonexistent/poq"][..],
		&["score", "--model", "/nonexistent/poq", "--input", "-"][..],
		&["bench", "--model", "/nonexistent/poq"][..],
	] {
		let out = poq_scorer(args, Some("{\"prompt\": \"a\", \"response\": \"b\"}\n"));
		assert!(!out.status.success(), "{args:?}");
		assert!(String::from_utf8_lossy(&out.stderr).starts_with("poq-scorer: "), "{out:?}");
	}
}

#[test]
fn bench_reports_throughput_and_latency() {
	let model = bi_dir();
	let out = poq_scorer(
		&[
			"bench",
			"--model",
			model.to_str().unwrap(),
			"--batch",
			"2",
			"--tokens",
			"16",
			"--threads",
			"1",
			"--seconds",
			"0",
		],
		None,
	);
	let text = stdout(&out);
	for field in ["BiEncoder", "batch=2", "tokens=16", "threads=1", "pairs/s=", "p50=", "p99="] {
		assert!(text.contains(field), "{field} missing in {text}");
	}
}
