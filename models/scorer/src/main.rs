//! `poq-scorer`: score (prompt, response) pairs, print a model's digest, or benchmark it.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use poq_scorer::{digest_file, to_hex, weights_file, ModelKind, QualityModel};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(name = "poq-scorer", version, about = "Proof of Quality scorer (Candle BERT, CPU)")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Score JSON lines `{"prompt": "...", "response": "..."}`; prints `{"score": .., "raw": ..}`
	/// per input line, in order.
	Score {
		/// HF model folder.
		#[arg(long)]
		model: PathBuf,
		/// JSON-lines file, or `-` for standard input.
		#[arg(long)]
		input: String,
	},
	/// Print the hex SHA-256 of the model's weights file (the digest the chain pins).
	Digest {
		/// HF model folder.
		#[arg(long)]
		model: PathBuf,
	},
	/// Measure throughput and latency on generated pairs of a fixed token length.
	Bench {
		/// HF model folder.
		#[arg(long)]
		model: PathBuf,
		/// Pairs per `score` call.
		#[arg(long, default_value_t = 1)]
		batch: usize,
		/// Tokens per encoded sequence, special tokens included (the pair for a cross-encoder,
		/// each text for a bi-encoder).
		#[arg(long, default_value_t = 128)]
		tokens: usize,
		/// Worker threads (sets RAYON_NUM_THREADS); all cores when absent.
		#[arg(long)]
		threads: Option<usize>,
		/// Measure for at least this many seconds (after a warm-up).
		#[arg(long, default_value_t = 10.0)]
		seconds: f64,
	},
}

#[derive(Deserialize)]
struct Input {
	prompt: String,
	response: String,
}

#[derive(Serialize)]
struct Output {
	score: u16,
	raw: f32,
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	// Candle splits large element-wise ops over its own spin-waiting thread pool. For a model
	// this small the matmuls (threaded through rayon) are the work that matters, and on a busy
	// machine the spinning workers cost more than they save, so default that pool to the
	// calling thread alone. Set here, before any thread exists, as `set_var` requires.
	if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
		std::env::set_var("CANDLE_NUM_THREADS", "1");
	}
	poq_scorer::tune_allocator();
	let result = match cli.command {
		Command::Score { model, input } => score(&model, &input),
		Command::Digest { model } => digest(&model),
		Command::Bench { model, batch, tokens, threads, seconds } => {
			if let Some(n) = threads {
				// Candle's matmuls and the tokenizer read this when they first build their
				// thread pools, which happens later, on this (still single) thread.
				std::env::set_var("RAYON_NUM_THREADS", n.to_string());
			}
			bench(&model, batch, tokens, seconds)
		},
	};
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("poq-scorer: {e}");
			ExitCode::FAILURE
		},
	}
}

/// Pairs per `score` call when scoring a file: bounds memory on big inputs.
const CHUNK: usize = 256;

fn score(model: &Path, input: &str) -> Result<(), String> {
	let reader: Box<dyn BufRead> = if input == "-" {
		Box::new(std::io::stdin().lock())
	} else {
		let file = std::fs::File::open(input).map_err(|e| format!("cannot open {input}: {e}"))?;
		Box::new(std::io::BufReader::new(file))
	};
	let mut inputs = Vec::new();
	for (n, line) in reader.lines().enumerate() {
		let line = line.map_err(|e| format!("cannot read {input}: {e}"))?;
		if line.trim().is_empty() {
			continue;
		}
		let parsed: Input =
			serde_json::from_str(&line).map_err(|e| format!("{input}:{}: {e}", n + 1))?;
		inputs.push(parsed);
	}
	if inputs.is_empty() {
		return Err(format!("{input} holds no pairs"));
	}
	let model = QualityModel::load(model).map_err(|e| e.to_string())?;
	let mut out = BufWriter::new(std::io::stdout().lock());
	for chunk in inputs.chunks(CHUNK) {
		let pairs: Vec<(&str, &str)> =
			chunk.iter().map(|i| (i.prompt.as_str(), i.response.as_str())).collect();
		for s in model.score(&pairs).map_err(|e| e.to_string())? {
			let line = serde_json::to_string(&Output { score: s.score, raw: s.raw })
				.map_err(|e| e.to_string())?;
			writeln!(out, "{line}").map_err(|e| e.to_string())?;
		}
	}
	out.flush().map_err(|e| e.to_string())
}

fn digest(model: &Path) -> Result<(), String> {
	// Hash the file without loading the model: this is how an operator checks a folder
	// against the on-chain digest.
	let weights = weights_file(model).map_err(|e| e.to_string())?;
	println!("{}", to_hex(&digest_file(&weights).map_err(|e| e.to_string())?));
	Ok(())
}

/// Common English words that are each one WordPiece token in BERT's uncased vocabulary, so a
/// text of `n` of them encodes to exactly `n` tokens. `scripts/bench-pytorch.py` builds the
/// same texts from the same list.
const WORDS: [&str; 32] = [
	"the", "quality", "of", "this", "answer", "is", "good", "and", "clear", "model", "chain",
	"score", "node", "block", "value", "test", "data", "time", "work", "fast", "small", "large",
	"first", "last", "high", "low", "open", "true", "water", "city", "house", "music",
];

/// `n` words from [`WORDS`]: word `i` is `WORDS[(seed + i * stride) % 32]`. Prompts use stride
/// 7 and responses stride 5, so with the pair index as seed no text repeats within 32 pairs
/// (a repeated text would be embedded once by the bi-encoder and flatter its numbers).
fn text(n: usize, seed: usize, stride: usize) -> String {
	(0..n).map(|i| WORDS[(seed + i * stride) % WORDS.len()]).collect::<Vec<_>>().join(" ")
}

fn bench(model: &Path, batch: usize, tokens: usize, seconds: f64) -> Result<(), String> {
	if batch == 0 || tokens < 4 {
		return Err("--batch must be at least 1 and --tokens at least 4".into());
	}
	let model = QualityModel::load(model).map_err(|e| e.to_string())?;
	if tokens > model.max_len() {
		return Err(format!(
			"--tokens {tokens} exceeds the model's max length {}",
			model.max_len()
		));
	}
	let (prompt_words, response_words) = match model.kind() {
		// [CLS] prompt [SEP] response [SEP]
		ModelKind::CrossEncoder => ((tokens - 3) / 2, tokens - 3 - (tokens - 3) / 2),
		// [CLS] text [SEP], for each of prompt and response
		ModelKind::BiEncoder => (tokens - 2, tokens - 2),
	};
	let texts: Vec<(String, String)> =
		(0..batch).map(|i| (text(prompt_words, i, 7), text(response_words, i, 5))).collect();
	let pairs: Vec<(&str, &str)> = texts.iter().map(|(p, r)| (p.as_str(), r.as_str())).collect();
	let run = || -> Result<Duration, String> {
		let start = Instant::now();
		model.score(&pairs).map_err(|e| e.to_string())?;
		Ok(start.elapsed())
	};
	for _ in 0..3 {
		run()?;
	}
	let mut times = Vec::new();
	let started = Instant::now();
	while times.len() < 10 || started.elapsed().as_secs_f64() < seconds {
		times.push(run()?);
	}
	let total: Duration = times.iter().sum();
	times.sort();
	let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
	let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
	println!(
        "{:?} batch={batch} tokens={tokens} threads={threads} calls={} pairs/s={:.1} p50={:.2}ms p99={:.2}ms",
        model.kind(),
        times.len(),
        (times.len() * batch) as f64 / total.as_secs_f64(),
        pct(0.5),
        pct(0.99),
    );
	Ok(())
}
