//! `poq-scorer`: score (prompt, response) pairs, print a model's digest, or benchmark it.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use poq_scorer::{attack, eval, to_hex, Manifest, ModelKind, QualityModel, Scored};
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
	/// Print the sentence embedding of each JSON line `{"text": "..."}`, as `{"embedding": [..]}`
	/// per input line, in order (a bi-encoder only).
	Embed {
		/// HF model folder.
		#[arg(long)]
		model: PathBuf,
		/// JSON-lines file, or `-` for standard input.
		#[arg(long)]
		input: String,
		/// Pool the hidden states after this many layers instead, normalised (what the judge's
		/// answer stage reads).
		#[arg(long)]
		layer: Option<usize>,
	},
	/// Measure the model (and its judge) on a graded set: JSON lines `{"prompt", "response",
	/// "grade", "kind"?}`, grade 0 (junk) to 3 (good). Prints pairwise accuracy, how often the
	/// best answer beats junk, the shares of junk and of good answers paid, and the mean score
	/// per kind.
	Eval {
		/// HF model folder.
		#[arg(long)]
		model: PathBuf,
		/// JSON-lines file, or `-` for standard input.
		#[arg(long)]
		input: String,
		/// The payment floor (the runtime's `MinQuality`).
		#[arg(long, default_value_t = MIN_QUALITY)]
		floor: u16,
		/// Print the report as one JSON object.
		#[arg(long)]
		json: bool,
		/// Also write every answer's score, raw model output and stages to this JSON-lines file.
		#[arg(long)]
		details: Option<PathBuf>,
		/// Also measure agreement among answers: for each prompt with two good answers, and each
		/// non-junk answer of a lower grade, whether that answer's mean similarity to the other
		/// two (the model's, without the judge) ranks it below both good ones.
		#[arg(long)]
		agreement: bool,
	},
	/// Print the model's digest (the one the chain pins): the hex SHA-256 of the folder's
	/// manifest, the list of every file that changes a score with its own SHA-256.
	Digest {
		/// HF model folder.
		#[arg(long)]
		model: PathBuf,
		/// Print the manifest itself after the digest, to compare two folders file by file.
		#[arg(long)]
		manifest: bool,
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
		/// Scoring threads (a pool of the scorer's own, as the node runs it); rayon's global
		/// pool (all cores) when absent.
		#[arg(long)]
		threads: Option<usize>,
		/// Measure for at least this many seconds (after a warm-up).
		#[arg(long, default_value_t = 10.0)]
		seconds: f64,
		/// The pairs are one request's answers: they share one prompt, and each opens with its
		/// first word, which a judge strikes. A validator's cost per request; without it
		/// every text is distinct, as a comparison with other libraries needs.
		#[arg(long)]
		request: bool,
	},
	/// The judge's red team: for each prompt of JSON lines `{"prompt", "good"?}` (a graded
	/// set's source file works), search for cheap text the judge pays, within a budget of judge
	/// calls, with no language model (see `poq_scorer::attack`). Prints what it found per
	/// prompt and a summary: on how many prompts some text reached the floor, scored 10 000, or
	/// beat the good answer.
	Attack {
		/// HF model folder (with its judge).
		#[arg(long)]
		model: PathBuf,
		/// JSON-lines file, or `-` for standard input.
		#[arg(long)]
		input: String,
		/// Judge calls per prompt.
		#[arg(long, default_value_t = 300)]
		budget: usize,
		/// The payment floor (the runtime's `MinQuality`).
		#[arg(long, default_value_t = MIN_QUALITY)]
		floor: u16,
		/// Seeds the search (the same seed finds the same texts).
		#[arg(long, default_value_t = 0)]
		seed: u64,
		/// Read the judge, not only its scores: the salad search climbs the judge's readings
		/// below the floor (the relevance and answer ramps' positions), where every score is 0.
		#[arg(long)]
		guided: bool,
		/// Print the summary as one JSON object.
		#[arg(long)]
		json: bool,
		/// Also write every prompt's outcome (best text per strategy) to this JSON-lines file.
		#[arg(long)]
		details: Option<PathBuf>,
	},
}

#[derive(Deserialize)]
struct Target {
	prompt: String,
	#[serde(default)]
	good: Option<String>,
}

#[derive(Deserialize)]
struct Input {
	prompt: String,
	response: String,
}

#[derive(Deserialize)]
struct Text {
	text: String,
}

#[derive(Serialize)]
struct Output {
	score: u16,
	raw: f32,
}

#[derive(Deserialize)]
struct Graded {
	prompt: String,
	response: String,
	grade: u8,
	#[serde(default)]
	kind: Option<String>,
}

/// The runtime's `MinQuality`: responses scoring below it are not paid.
const MIN_QUALITY: u16 = 2_000;

fn main() -> ExitCode {
	let cli = Cli::parse();
	let result = match cli.command {
		Command::Score { model, input } => score(&model, &input),
		Command::Embed { model, input, layer } => embed(&model, &input, layer),
		Command::Eval { model, input, floor, json, details, agreement } => {
			eval(&model, &input, floor, json, details.as_deref(), agreement)
		},
		Command::Digest { model, manifest } => digest(&model, manifest),
		Command::Bench { model, batch, tokens, threads, seconds, request } => {
			bench(&model, batch, tokens, threads, seconds, request)
		},
		Command::Attack { model, input, budget, floor, seed, guided, json, details } => {
			let options = attack::Options { budget, floor, seed, guided };
			red_team(&model, &input, options, json, details.as_deref())
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

/// Reads JSON lines (blank lines skipped) from a file or `-` (standard input).
fn read_lines<T: serde::de::DeserializeOwned>(input: &str) -> Result<Vec<T>, String> {
	let reader: Box<dyn BufRead> = if input == "-" {
		Box::new(std::io::stdin().lock())
	} else {
		let file = std::fs::File::open(input).map_err(|e| format!("cannot open {input}: {e}"))?;
		Box::new(std::io::BufReader::new(file))
	};
	let mut rows = Vec::new();
	for (n, line) in reader.lines().enumerate() {
		let line = line.map_err(|e| format!("cannot read {input}: {e}"))?;
		if line.trim().is_empty() {
			continue;
		}
		rows.push(serde_json::from_str(&line).map_err(|e| format!("{input}:{}: {e}", n + 1))?);
	}
	if rows.is_empty() {
		return Err(format!("{input} holds no pairs"));
	}
	Ok(rows)
}

/// Scores `pairs` in chunks of [`CHUNK`], in order.
fn score_all(model: &QualityModel, pairs: &[(&str, &str)]) -> Result<Vec<Scored>, String> {
	let mut out = Vec::with_capacity(pairs.len());
	for chunk in pairs.chunks(CHUNK) {
		out.extend(model.score(chunk).map_err(|e| e.to_string())?);
	}
	Ok(out)
}

fn score(model: &Path, input: &str) -> Result<(), String> {
	let inputs: Vec<Input> = read_lines(input)?;
	let model = QualityModel::load(model).map_err(|e| e.to_string())?;
	let pairs: Vec<(&str, &str)> =
		inputs.iter().map(|i| (i.prompt.as_str(), i.response.as_str())).collect();
	let mut out = BufWriter::new(std::io::stdout().lock());
	for s in score_all(&model, &pairs)? {
		let line = serde_json::to_string(&Output { score: s.score, raw: s.raw })
			.map_err(|e| e.to_string())?;
		writeln!(out, "{line}").map_err(|e| e.to_string())?;
	}
	out.flush().map_err(|e| e.to_string())
}

fn embed(model: &Path, input: &str, layer: Option<usize>) -> Result<(), String> {
	let inputs: Vec<Text> = read_lines(input)?;
	let model = QualityModel::load(model).map_err(|e| e.to_string())?;
	let mut out = BufWriter::new(std::io::stdout().lock());
	for chunk in inputs.chunks(CHUNK) {
		let texts: Vec<&str> = chunk.iter().map(|t| t.text.as_str()).collect();
		for e in model.embeddings(&texts, layer).map_err(|e| e.to_string())? {
			writeln!(out, "{}", serde_json::json!({ "embedding": e }))
				.map_err(|e| e.to_string())?;
		}
	}
	out.flush().map_err(|e| e.to_string())
}

fn eval(
	model: &Path,
	input: &str,
	floor: u16,
	json: bool,
	details: Option<&Path>,
	agreement: bool,
) -> Result<(), String> {
	let graded: Vec<Graded> = read_lines(input)?;
	if let Some((n, g)) = graded.iter().enumerate().find(|(_, g)| g.grade > eval::TOP_GRADE) {
		return Err(format!("{input}: answer {} has grade {} (0..=3)", n + 1, g.grade));
	}
	let model = QualityModel::load(model).map_err(|e| e.to_string())?;
	let pairs: Vec<(&str, &str)> =
		graded.iter().map(|g| (g.prompt.as_str(), g.response.as_str())).collect();
	let scored = score_all(&model, &pairs)?;
	let kind = |g: &Graded| g.kind.clone().unwrap_or_else(|| format!("grade {}", g.grade));
	if let Some(path) = details {
		let io = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
		let mut out = BufWriter::new(std::fs::File::create(path).map_err(io)?);
		for (g, s) in graded.iter().zip(&scored) {
			let line = serde_json::json!({
				"prompt": g.prompt, "response": g.response, "grade": g.grade, "kind": kind(g),
				"score": s.score, "raw": s.raw, "stages": s.stages,
			});
			writeln!(out, "{line}").map_err(io)?;
		}
		out.flush().map_err(io)?;
	}
	let rows: Vec<eval::Row> = graded
		.iter()
		.zip(&scored)
		.map(|(g, s)| eval::Row {
			prompt: g.prompt.clone(),
			grade: g.grade,
			kind: kind(g),
			score: s.score,
		})
		.collect();
	let report = eval::Report::of(&rows, floor);
	let agreement = if agreement { Some(agreement_of(&model, &graded, &kind)?) } else { None };
	if json {
		let mut out = serde_json::to_value(&report).map_err(|e| e.to_string())?;
		if let Some(a) = &agreement {
			out["agreement"] = serde_json::to_value(a).map_err(|e| e.to_string())?;
		}
		println!("{out}");
	} else {
		print_report(&report);
		for (kind, rate) in agreement.iter().flatten() {
			println!(
				"agreement ranks {kind} below both good answers in {:.1} % ({}/{})",
				100.0 * rate.value,
				rate.hits,
				rate.total
			);
		}
	}
	Ok(())
}

/// The agreement measurement of `eval --agreement` (see [`eval::Trio`]).
fn agreement_of(
	model: &QualityModel,
	graded: &[Graded],
	kind: &dyn Fn(&Graded) -> String,
) -> Result<std::collections::BTreeMap<String, eval::Rate>, String> {
	let mut by_prompt: std::collections::BTreeMap<&str, Vec<&Graded>> = Default::default();
	for g in graded {
		by_prompt.entry(&g.prompt).or_default().push(g);
	}
	let (mut pairs, mut trios) = (Vec::new(), Vec::new());
	for answers in by_prompt.values() {
		let good: Vec<&str> = answers
			.iter()
			.filter(|g| g.grade == eval::TOP_GRADE)
			.map(|g| g.response.as_str())
			.collect();
		let [first, second, ..] = good[..] else { continue };
		pairs.push((first, second));
		let good_good = pairs.len() - 1;
		for other in answers.iter().filter(|g| (1..eval::TOP_GRADE).contains(&g.grade)) {
			pairs.push((first, other.response.as_str()));
			pairs.push((second, other.response.as_str()));
			trios.push((kind(other), good_good, pairs.len() - 2));
		}
	}
	if pairs.is_empty() {
		return Err("no prompt has two good answers to measure agreement with".into());
	}
	let sim = model.similarity(&pairs).map_err(|e| e.to_string())?;
	let trios: Vec<(String, eval::Trio)> = trios
		.into_iter()
		.map(|(k, gg, i)| {
			(k, eval::Trio { good_good: sim[gg], first_other: sim[i], second_other: sim[i + 1] })
		})
		.collect();
	Ok(eval::agreement(&trios))
}

fn print_report(r: &eval::Report) {
	let pct =
		|rate: eval::Rate| format!("{:5.1} %  ({}/{})", 100.0 * rate.value, rate.hits, rate.total);
	println!("{} prompts, {} answers, floor {}", r.prompts, r.answers, r.floor);
	println!("pairwise accuracy       {}", pct(r.pairwise_accuracy));
	println!("best answer beats junk  {}", pct(r.best_beats_junk));
	println!("junk paid (>= floor)    {}", pct(r.junk_paid));
	println!("good paid (>= floor)    {}", pct(r.good_paid));
	println!("{:<16} {:>5} {:>5} {:>8} {:>6}", "kind", "grade", "n", "mean", "paid");
	for k in &r.kinds {
		println!("{:<16} {:>5} {:>5} {:>8.0} {:>6}", k.kind, k.grade, k.count, k.mean, k.paid);
	}
}

fn red_team(
	model: &Path,
	input: &str,
	options: attack::Options,
	json: bool,
	details: Option<&Path>,
) -> Result<(), String> {
	let targets: Vec<Target> = read_lines(input)?;
	let model = QualityModel::load(model).map_err(|e| e.to_string())?;
	let mut outcomes = Vec::with_capacity(targets.len());
	for t in &targets {
		let o = attack::attack(&model, &t.prompt, t.good.as_deref(), options)
			.map_err(|e| e.to_string())?;
		if !json {
			let good = o.good.map_or("-".into(), |g| g.to_string());
			println!(
				"{:>5} (good {good:>5}, {:?}) {:?} for {:?}",
				o.best.score, o.best.strategy, o.best.text, o.prompt
			);
		}
		outcomes.push(o);
	}
	if let Some(path) = details {
		let lines: Vec<String> = outcomes
			.iter()
			.map(|o| serde_json::to_string(o).map_err(|e| e.to_string()))
			.collect::<Result<_, _>>()?;
		std::fs::write(path, lines.join("\n") + "\n")
			.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
	}
	let s = attack::summarise(&outcomes, options.floor);
	if json {
		println!("{}", serde_json::to_string(&s).map_err(|e| e.to_string())?);
		return Ok(());
	}
	println!(
		"{} prompts, budget {} judge calls each{}, floor {}: paid on {}, 10 000 on {}, above the good answer on {}; median calls to the first paid text {}, median best score {}",
		s.prompts,
		options.budget,
		if options.guided { " (guided)" } else { "" },
		options.floor,
		s.paid,
		s.full,
		s.above_good,
		s.median_first_paid.map_or("-".into(), |m| m.to_string()),
		s.median_best
	);
	for (strategy, paid) in &s.paid_by_strategy {
		println!("  {strategy:?}: paid on {paid}");
	}
	Ok(())
}

fn digest(model: &Path, show_manifest: bool) -> Result<(), String> {
	// Hash the files without loading the model: this is how an operator checks a folder
	// against the on-chain digest.
	let manifest = Manifest::of(model).map_err(|e| e.to_string())?;
	println!("{}", to_hex(&manifest.digest()));
	if show_manifest {
		print!("{}", manifest.text());
	}
	Ok(())
}

/// Common English words that are each one WordPiece token in BERT's uncased vocabulary, so a
/// text of `n` of them encodes to exactly `n` tokens: prompts are made of [`PROMPT_WORDS`] and
/// responses of [`RESPONSE_WORDS`], which share no word, so the model alone sees every token. A
/// judge strikes "fire" and "tree" from responses as forms of "first" and "true", as it strikes
/// what a real answer repeats of its prompt. `scripts/bench-pytorch.py` builds the same texts
/// from the same lists.
const PROMPT_WORDS: [&str; 32] = [
	"the", "quality", "of", "this", "answer", "is", "good", "and", "clear", "model", "chain",
	"score", "node", "block", "value", "test", "data", "time", "work", "fast", "small", "large",
	"first", "last", "high", "low", "open", "true", "water", "city", "house", "music",
];
/// See [`PROMPT_WORDS`].
const RESPONSE_WORDS: [&str; 32] = [
	"river", "light", "green", "stone", "paper", "table", "window", "garden", "road", "tree",
	"bird", "sun", "moon", "star", "night", "day", "cold", "warm", "blue", "red", "book", "door",
	"wall", "hill", "sea", "sky", "rain", "snow", "fire", "wind", "song", "game",
];

/// `n` of `words`: word `i` is `words[(seed + i * stride) % 32]`. Prompts use stride 7 and
/// responses stride 5, so with the pair index as seed no text repeats within 32 pairs (a
/// repeated text would be embedded once by the bi-encoder and flatter its numbers).
fn text(words: &[&str; 32], n: usize, seed: usize, stride: usize) -> String {
	(0..n).map(|i| words[(seed + i * stride) % words.len()]).collect::<Vec<_>>().join(" ")
}

fn bench(
	model: &Path,
	batch: usize,
	tokens: usize,
	threads: Option<usize>,
	seconds: f64,
	request: bool,
) -> Result<(), String> {
	if batch == 0 || tokens < 4 {
		return Err("--batch must be at least 1 and --tokens at least 4".into());
	}
	let mut model = QualityModel::load(model).map_err(|e| e.to_string())?;
	if let Some(n) = threads {
		model = model.with_threads(n).map_err(|e| e.to_string())?;
	}
	if tokens > model.max_len() {
		return Err(format!(
			"--tokens {tokens} exceeds the model's max length {}",
			model.max_len()
		));
	}
	let (prompt_words, response_words) = match model.kind() {
		// The pair and its special tokens: [CLS] prompt [SEP] response [SEP] for BERT.
		ModelKind::CrossEncoder => {
			let words = tokens.saturating_sub(model.added_tokens(true));
			(words / 2, words - words / 2)
		},
		// [CLS] text [SEP], for each of prompt and response
		ModelKind::BiEncoder => {
			let words = tokens.saturating_sub(model.added_tokens(false));
			(words, words)
		},
	};
	let texts: Vec<(String, String)> = (0..batch)
		.map(|i| match request {
			true => (
				text(&PROMPT_WORDS, prompt_words, 0, 7),
				format!("{} {}", PROMPT_WORDS[0], text(&RESPONSE_WORDS, response_words - 1, i, 5)),
			),
			false => (
				text(&PROMPT_WORDS, prompt_words, i, 7),
				text(&RESPONSE_WORDS, response_words, i, 5),
			),
		})
		.collect();
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
	let threads = model.threads();
	println!(
        "{:?} batch={batch} tokens={tokens} request={request} threads={threads} isa={} calls={} pairs/s={:.1} p50={:.2}ms p99={:.2}ms",
        model.kind(),
        poq_scorer::isa(),
        times.len(),
        (times.len() * batch) as f64 / total.as_secs_f64(),
        pct(0.5),
        pct(0.99),
    );
	Ok(())
}
