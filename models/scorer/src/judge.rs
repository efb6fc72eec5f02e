//! The judge: deterministic text stages around the model, which together turn "how similar is
//! this response to the prompt" into "how much is this response worth paying for".
//!
//! A model alone scores similarity, so the prompt echoed back scores best of all. The judge
//! (parameters in the model folder's `judge.json`, see [`Judge`]) scores a response in two
//! parts, each a pure function of the texts and the parameters:
//!
//! 1. **Relevance of what the response adds.** Every word of the response that also occurs in
//!    the prompt is struck out ([`Strip`]); the model scores the prompt against the words left
//!    (joined by spaces: punctuation and symbols are left out too, since those of an echo
//!    would otherwise still resemble the prompt),
//!    and [`Judge::relevance`] maps its `x` (cosine, or sigmoid of the logit) linearly from
//!    `lo..hi` onto `0..1`. An echo, shuffled or framed, leaves nothing relevant; an answer
//!    leaves its answer.
//! 2. **Stages**, each a factor in `0..=1` ([`Stages`]), multiplied in:
//!    - `length`: the response's words, ramped from `lo` to `hi` (near-empty replies);
//!    - `novelty`: the share of the response's content words (not function words) that are
//!      not in the prompt (echoes in any order);
//!    - `repetition`: one minus the ramp of the share of repeated word trigrams (loops, echoes
//!      repeated);
//!    - `function_words`: one minus the ramp of the mean length of the runs of content words
//!      between function words, line by line, outside code blocks: sentences alternate the
//!      two, keyword lists do not. Numbers and ideographs end a run and are not counted (maths
//!      and scripts without spaces are not keyword lists); skipped below `min_words` words;
//!    - `diversity`: the share of distinct words among the first `window` content words,
//!      ramped (keywords repeated); skipped below `min_words`;
//!    - `refusal`: 0 when a reply of at most `max_words` words contains a refusal phrase
//!      outside quotation marks (a translation of "I can't wait" is not a refusal);
//!    - `unfinished`: a fixed factor when the text stops mid-sentence (its last character a
//!      letter, digit or comma, outside a code block and a list item);
//!    - `grounding`: a fixed factor when the response shares no content word with a prompt
//!      that has some (text on a neighbouring topic that never touches the question).
//!
//! The score is `round(10_000 * relevance * product of stages)`.
//!
//! **Text as the model sees it.** Both texts are first [`normalise`]d: compatibility forms
//! folded (NFKC: full-width letters are letters), invisible characters dropped (zero-width
//! spaces, joiners, soft hyphens: the tokenizer drops them too), accents stripped (the
//! tokenizer of an uncased BERT does), and letters of another script that look like Latin ones
//! read as Latin inside a word that mixes them. Every rule and the model then read the same
//! text, so "symböl", "ｓｙｍｂｏｌ" and "sym\u{200B}bol" are all "symbol". Words are maximal runs
//! of alphanumeric characters, lower-cased (`char::to_lowercase`); each Han, Hiragana or
//! Katakana character is a word of its own. Phrases and word lists in `judge.json` are
//! normalised and split the same way, so punctuation, case, accents and apostrophes never
//! matter. A response word **restates** a prompt word when it is that word or a form of it
//! ([`forms_of_one_word`]: `solve`, `solving`, `solved`; `propagate`, `propogate`): striking,
//! `novelty` and `grounding` read restated words as the prompt's own.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use unicode_normalization::{char::canonical_combining_class, UnicodeNormalization};

use crate::error::{Error, Result};

/// The judge file in a model folder.
pub const JUDGE_FILE: &str = "judge.json";

/// The only `version` of `judge.json` this crate reads. A change to what a stage computes
/// bumps it, so an old file never silently scores by new rules.
pub const JUDGE_VERSION: u32 = 4;

/// A linear ramp: `0` at or below `lo`, `1` at or above `hi`, linear between.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
	/// Where the ramp leaves 0.
	pub lo: f32,
	/// Where it reaches 1 (above `lo`).
	pub hi: f32,
}

impl Ramp {
	/// The ramp's value at `v`, in `0..=1`: its [`Self::position`] clamped; NaN maps to 0.
	pub fn at(&self, v: f32) -> f32 {
		let x = self.position(v);
		if x.is_nan() {
			0.0
		} else {
			x.clamp(0.0, 1.0)
		}
	}

	/// Where `v` lies along the ramp, unclamped: 0 at `lo`, 1 at `hi`, below 0 beneath it.
	pub fn position(&self, v: f32) -> f32 {
		(v - self.lo) / (self.hi - self.lo)
	}
}

/// Which words of the response are struck out before the model scores it against the prompt.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Strip {
	/// None: the model sees every word of the response.
	None,
	/// The prompt's content words (function words stay).
	Content,
	/// Every word of the prompt.
	All,
}

/// `function_words` stage parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunctionWordsStage {
	/// Ramp over the mean length of the runs of content words; the stage is one minus it.
	pub run: Ramp,
	/// Below this many prose words the stage is 1 (too little text to judge).
	pub min_words: usize,
}

/// `diversity` stage parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiversityStage {
	/// Ramp over the share of distinct words among the content words counted.
	pub share: Ramp,
	/// How many content words, from the start, are counted (long texts repeat words honestly).
	pub window: usize,
	/// Below this many content words the stage is 1.
	pub min_words: usize,
}

/// `refusal` stage parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RefusalStage {
	/// Replies longer than this are not refusals, whatever phrase they contain.
	pub max_words: usize,
	/// Phrases that mark a refusal, matched as word sequences.
	pub phrases: Vec<String>,
}

/// `answer` stage parameters: a linear classifier that tells an answer from text written to
/// please the other stages (word salad from the model's vocabulary, the prompt inflected or
/// framed in filler, on-topic text that never answers). It reads the hidden states after the
/// model's first `layer` layers of the whole response and of the prompt, each pooled as the
/// model pools its embeddings and normalised to unit length (`r` and `p`): the middle layers
/// carry more of how words fit together than the last one, which is trained to place topics.
/// The logit is `bias + response · r + prompt · p + distance · |r − p|` (the last unit by
/// unit): the distance terms tell a response that moves away from its prompt the way answers
/// do from one that stays beside it, which no sum of the two alone can. The stage is the
/// logit's ramp. Trained by `scripts/train-answer.py` on the dev and training sets' answers and
/// junk and the red team's texts for their prompts (`models/README.md`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnswerStage {
	/// How many of the model's layers run (at least one).
	pub layer: usize,
	/// Ramp over the logit.
	pub logit: Ramp,
	/// The logit's constant term.
	pub bias: f32,
	/// One weight per hidden unit of the response's states.
	pub response: Vec<f32>,
	/// One weight per hidden unit of the prompt's states.
	pub prompt: Vec<f32>,
	/// One weight per hidden unit of their absolute difference.
	pub distance: Vec<f32>,
}

impl AnswerStage {
	/// How many hidden units each of its weight vectors covers (the model's width).
	pub fn width(&self) -> usize {
		self.response.len()
	}

	/// The classifier's logit for the response's and the prompt's pooled hidden states (each
	/// as wide as the weights). Summed in one fixed order, the response's terms, the prompt's,
	/// then the distance's, so the same states give the same bits everywhere.
	pub fn logit(&self, response: &[f32], prompt: &[f32]) -> f32 {
		let z = self.response.iter().zip(response).fold(self.bias, |z, (w, r)| z + w * r);
		let z = self.prompt.iter().zip(prompt).fold(z, |z, (w, p)| z + w * p);
		let distance = response.iter().zip(prompt).map(|(r, p)| (r - p).abs());
		self.distance.iter().zip(distance).fold(z, |z, (w, d)| z + w * d)
	}

	/// The stage's factor for its [`Self::logit`]: the ramp at it.
	pub fn factor(&self, logit: f32) -> f32 {
		self.logit.at(logit)
	}
}

/// `judge.json`: every parameter of the judge. The model digest covers this file, so two
/// validators with different parameters never both match the chain's digest.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JudgeFile {
	/// Must be [`JUDGE_VERSION`].
	pub version: u32,
	/// What the model sees of the response.
	pub strip: Strip,
	/// Ramp over the model's `x` (cosine, or sigmoid of the logit).
	pub relevance: Ramp,
	/// Ramp over the response's word count.
	pub length: Ramp,
	/// Ramp over the share of content words not in the prompt.
	pub novelty: Ramp,
	/// Ramp over the share of repeated word trigrams; the stage is one minus it.
	pub repetition: Ramp,
	/// Keyword lists.
	pub function_words: FunctionWordsStage,
	/// Keywords repeated.
	pub diversity: DiversityStage,
	/// Refusals.
	pub refusal: RefusalStage,
	/// The factor for a text that stops mid-sentence.
	pub unfinished: f32,
	/// The factor for a response that shares no content word with the prompt.
	pub grounding: f32,
	/// Function words of the languages the judge reads (any case).
	pub stopwords: Vec<String>,
	/// Answers against text written for the judge; needs a bi-encoder of the weights' width.
	#[serde(default)]
	pub answer: Option<AnswerStage>,
}

/// A loaded judge: the file's parameters with its word lists ready to match.
#[derive(Clone, Debug)]
pub struct Judge {
	file: JudgeFile,
	stopwords: HashSet<String>,
	refusals: Vec<Vec<String>>,
}

/// The factor of each stage for one response, all in `0..=1`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Stages {
	/// Near-empty replies.
	pub length: f32,
	/// Echoes of the prompt.
	pub novelty: f32,
	/// Repeated text.
	pub repetition: f32,
	/// Keyword lists.
	pub function_words: f32,
	/// Keywords repeated.
	pub diversity: f32,
	/// Refusals.
	pub refusal: f32,
	/// Text cut off mid-sentence.
	pub unfinished: f32,
	/// Responses that share no content word with the prompt.
	pub grounding: f32,
	/// Text that is not an answer ([`AnswerStage`]); 1 until the model has run, and without
	/// the stage.
	pub answer: f32,
}

impl Stages {
	/// The product of every stage.
	pub fn product(&self) -> f32 {
		self.length
			* self.novelty
			* self.repetition
			* self.function_words
			* self.diversity
			* self.refusal
			* self.unfinished
			* self.grounding
			* self.answer
	}
}

/// What the judge makes of one (prompt, response) pair before the model runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
	/// The text the model scores against the prompt: the response with the prompt's words
	/// struck out as [`Strip`] says.
	pub model_text: String,
	/// The stage factors.
	pub stages: Stages,
}

impl Judge {
	/// Reads `dir/judge.json`; `Ok(None)` when the folder has none (the model scores alone).
	pub fn load(dir: &Path) -> Result<Option<Self>> {
		let path = dir.join(JUDGE_FILE);
		let text = match std::fs::read_to_string(&path) {
			Ok(text) => text,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
			Err(source) => return Err(Error::Io { path, source }),
		};
		let file: JudgeFile =
			serde_json::from_str(&text).map_err(|source| Error::Json { path, source })?;
		Self::new(file).map(Some)
	}

	/// Checks the parameters and prepares the word lists.
	pub fn new(file: JudgeFile) -> Result<Self> {
		let bad = |what: &str| Err(Error::Unsupported(format!("{JUDGE_FILE}: {what}")));
		if file.version != JUDGE_VERSION {
			return bad(&format!(
				"version {} (this scorer reads version {JUDGE_VERSION})",
				file.version
			));
		}
		let ramps = [
			("relevance", file.relevance),
			("length", file.length),
			("novelty", file.novelty),
			("repetition", file.repetition),
			("function_words.run", file.function_words.run),
			("diversity.share", file.diversity.share),
		];
		let answer_ramp = file.answer.as_ref().map(|a| ("answer.logit", a.logit));
		for (name, ramp) in ramps.into_iter().chain(answer_ramp) {
			if !(ramp.lo.is_finite() && ramp.hi.is_finite() && ramp.lo < ramp.hi) {
				return bad(&format!("{name} needs finite lo < hi"));
			}
		}
		if let Some(answer) = &file.answer {
			let weights = [&answer.response, &answer.prompt, &answer.distance];
			if answer.layer == 0
				|| answer.width() == 0
				|| weights.iter().any(|w| w.len() != answer.width())
				|| !answer.bias.is_finite()
				|| !weights.iter().all(|w| w.iter().all(|v| v.is_finite()))
			{
				return bad(
					"answer needs a layer, a finite bias and three weight vectors of one width, \
					 finite and not empty",
				);
			}
		}
		for (name, factor) in [("unfinished", file.unfinished), ("grounding", file.grounding)] {
			if !(0.0..=1.0).contains(&factor) {
				return bad(&format!("{name} must lie in 0..=1"));
			}
		}
		let stopwords = file.stopwords.iter().flat_map(|w| words(&normalise(w))).collect();
		let refusals: Vec<Vec<String>> = file
			.refusal
			.phrases
			.iter()
			.map(|p| words(&normalise(p)))
			.filter(|p| !p.is_empty())
			.collect();
		Ok(Self { file, stopwords, refusals })
	}

	/// The parameters.
	pub fn file(&self) -> &JudgeFile {
		&self.file
	}

	/// Runs the text stages on one pair.
	pub fn analyse(&self, prompt: &str, response: &str) -> Analysis {
		let f = &self.file;
		let (prompt, response) = (&normalise(prompt), &normalise(response));
		let is_content = |w: &String| !self.stopwords.contains(w);
		let prompt_words = PromptWords::of(prompt, is_content);
		let response_words = words(response);

		let content: Vec<&String> = response_words.iter().filter(|w| is_content(w)).collect();
		let novel = content.iter().filter(|w| !prompt_words.restates(w)).count();
		let prompt_has_content = !prompt_words.content.is_empty();
		let grounded = !prompt_has_content || novel < content.len();
		let novelty = if content.is_empty() { 0.0 } else { novel as f32 / content.len() as f32 };

		let (prose_words, prose_content, runs) = content_runs(response, &is_content);
		let function_words = if prose_words < f.function_words.min_words || runs == 0 {
			1.0
		} else {
			1.0 - f.function_words.run.at(prose_content as f32 / runs as f32)
		};

		let counted: Vec<&String> =
			content.iter().copied().filter(|w| !is_number(w)).take(f.diversity.window).collect();
		let diversity = if counted.len() < f.diversity.min_words {
			1.0
		} else {
			let distinct: HashSet<&String> = counted.iter().copied().collect();
			f.diversity.share.at(distinct.len() as f32 / counted.len() as f32)
		};

		let unquoted = words(&unquoted(response));
		let refused = response_words.len() <= f.refusal.max_words
			&& self.refusals.iter().any(|phrase| contains(&unquoted, phrase));

		let model_text = match f.strip {
			Strip::None => strike(response, |_| false),
			Strip::Content => strike(response, |w| prompt_words.restates(w) && is_content(w)),
			Strip::All => strike(response, |w| prompt_words.restates(w)),
		};
		let stages = Stages {
			length: f.length.at(response_words.len() as f32),
			novelty: f.novelty.at(novelty),
			repetition: 1.0 - f.repetition.at(repeated_trigrams(&response_words)),
			function_words,
			diversity,
			refusal: if refused { 0.0 } else { 1.0 },
			unfinished: if unfinished(response) { f.unfinished } else { 1.0 },
			grounding: if grounded { 1.0 } else { f.grounding },
			answer: 1.0,
		};
		Analysis { model_text, stages }
	}

	/// The judged value in `0..=1`: the relevance ramp at the model's `x`, times the stages.
	pub fn combine(&self, x: f32, stages: &Stages) -> f32 {
		self.file.relevance.at(x) * stages.product()
	}
}

/// `text` as the judge reads it (see the module docs): NFKC, without default-ignorable
/// characters, without the marks that stack on a letter (non-zero canonical combining class,
/// after canonical decomposition: accents, cedillas, dakuten), and with the Cyrillic and Greek
/// letters of a word read as the Latin letters they look like when all of that word's
/// Cyrillic and Greek letters look like Latin ones and the word also has Latin letters or
/// stands in a text with more Latin letters than Cyrillic and Greek ones. Case is kept (a
/// cased model sees it); [`words`] lower-cases.
pub fn normalise(text: &str) -> String {
	let plain: String = text
		.nfkc()
		.filter(|&c| !is_ignorable(c))
		.nfd()
		.filter(|&c| canonical_combining_class(c) == 0)
		.nfc()
		.collect();
	let is_greek_or_cyrillic = |c: char| matches!(c, '\u{370}'..='\u{52F}');
	let latin = plain.chars().filter(char::is_ascii_alphabetic).count();
	let latin_text = latin > plain.chars().filter(|&c| is_greek_or_cyrillic(c)).count();
	let mut out = String::with_capacity(plain.len());
	let mut word = String::new();
	let flush = |word: &mut String, out: &mut String| {
		let mixed = word.chars().any(|c| c.is_ascii_alphabetic());
		let drawn_latin =
			word.chars().filter(|&c| is_greek_or_cyrillic(c)).all(|c| as_latin(c).is_some());
		if word.chars().any(|c| as_latin(c).is_some()) && (mixed || latin_text) && drawn_latin {
			out.extend(word.chars().map(|c| as_latin(c).unwrap_or(c)));
		} else {
			out.push_str(word);
		}
		word.clear();
	};
	for c in plain.chars() {
		if c.is_alphanumeric() {
			word.push(c);
		} else {
			flush(&mut word, &mut out);
			out.push(c);
		}
	}
	flush(&mut word, &mut out);
	out
}

/// Unicode's default-ignorable code points (DerivedCoreProperties 15.1): characters that are
/// not drawn, such as zero-width spaces and joiners, soft hyphens, bidirectional controls,
/// variation selectors and tags.
fn is_ignorable(c: char) -> bool {
	matches!(c,
		'\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
		| '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
		| '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
		| '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
		| '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// The Latin letter a Cyrillic or Greek letter is drawn like (Unicode's confusables), if any.
fn as_latin(c: char) -> Option<char> {
	const PAIRS: [(char, char); 44] = [
		('а', 'a'),
		('в', 'b'),
		('с', 'c'),
		('ԁ', 'd'),
		('е', 'e'),
		('һ', 'h'),
		('і', 'i'),
		('ј', 'j'),
		('к', 'k'),
		('м', 'm'),
		('н', 'h'),
		('о', 'o'),
		('р', 'p'),
		('ԛ', 'q'),
		('ѕ', 's'),
		('т', 't'),
		('у', 'y'),
		('ԝ', 'w'),
		('х', 'x'),
		('ү', 'y'),
		('А', 'A'),
		('В', 'B'),
		('С', 'C'),
		('Е', 'E'),
		('Н', 'H'),
		('І', 'I'),
		('Ј', 'J'),
		('К', 'K'),
		('М', 'M'),
		('О', 'O'),
		('Р', 'P'),
		('Ѕ', 'S'),
		('Т', 'T'),
		('Х', 'X'),
		('У', 'Y'),
		('α', 'a'),
		('ο', 'o'),
		('ν', 'v'),
		('ι', 'i'),
		('κ', 'k'),
		('ρ', 'p'),
		('τ', 't'),
		('υ', 'u'),
		('χ', 'x'),
	];
	PAIRS.iter().find(|(from, _)| *from == c).map(|&(_, to)| to)
}

/// The words of a prompt, to tell which words of a response restate them.
struct PromptWords {
	/// Every word.
	all: HashSet<String>,
	/// The content words (not function words), whose forms count too, as characters: split
	/// once per prompt, not once per response word.
	content: Vec<Vec<char>>,
}

impl PromptWords {
	fn of(prompt: &str, is_content: impl Fn(&String) -> bool) -> Self {
		let all: HashSet<String> = words(prompt).into_iter().collect();
		let content = all.iter().filter(|w| is_content(w)).map(|w| w.chars().collect()).collect();
		Self { all, content }
	}

	/// Whether `word` is one of the prompt's words or a form of one of its content words.
	fn restates(&self, word: &str) -> bool {
		if self.all.contains(word) {
			return true;
		}
		let word: Vec<char> = word.chars().collect();
		self.content.iter().any(|p| forms(p, &word))
	}
}

/// Whether two lower-cased words read as forms of one word: one is the other, of at least
/// three characters, with one to three letters added (`zip`/`zipal`, `12345`/`12345s`); or
/// both are alphabetic and at least four letters long, and either they share a prefix of at
/// least three letters that leaves at most two letters of the shorter one (`symbol`/`symbols`,
/// `solve`/`solving`, `gold`/`golden`), or one is the other with one letter added, removed,
/// changed or two swapped (two such edits from eight letters on: `propagate`/`propogate`).
pub fn forms_of_one_word(a: &str, b: &str) -> bool {
	forms(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>())
}

/// [`forms_of_one_word`] on words already split into characters.
fn forms(a: &[char], b: &[char]) -> bool {
	let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
	let added = &long[short.len()..];
	if short.len() >= 3
		&& (1..=3).contains(&added.len())
		&& long.starts_with(short)
		&& added.iter().all(|c| c.is_alphabetic())
	{
		return true;
	}
	if short.len() < 4 || !a.iter().chain(b).all(|c| c.is_alphabetic()) {
		return false;
	}
	let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
	if prefix >= 3 && prefix + 2 >= short.len() {
		return true;
	}
	let limit = 1 + usize::from(short.len() >= 8);
	edit_distance(a, b, limit) <= limit
}

/// The optimal-string-alignment distance of `a` and `b` (insertions, deletions, substitutions
/// and swaps of neighbours), or `limit + 1` when it is larger than `limit`.
fn edit_distance(a: &[char], b: &[char], limit: usize) -> usize {
	if a.len().abs_diff(b.len()) > limit {
		return limit + 1;
	}
	let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
	for (i, row) in rows.iter_mut().enumerate() {
		row[0] = i;
	}
	for (j, cell) in rows[0].iter_mut().enumerate() {
		*cell = j;
	}
	for i in 1..=a.len() {
		for j in 1..=b.len() {
			let cost = usize::from(a[i - 1] != b[j - 1]);
			let mut d = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
			if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
				d = d.min(rows[i - 2][j - 2] + 1);
			}
			rows[i][j] = d;
		}
	}
	rows[a.len()][b.len()].min(limit + 1)
}

/// Whether `c` is a word on its own (scripts written without spaces between words).
fn is_ideograph(c: char) -> bool {
	matches!(c,
		'\u{3040}'..='\u{30FF}' // Hiragana, Katakana
		| '\u{3400}'..='\u{4DBF}' // CJK Extension A
		| '\u{4E00}'..='\u{9FFF}' // CJK Unified Ideographs
		| '\u{F900}'..='\u{FAFF}') // CJK Compatibility Ideographs
}

/// The byte ranges of the words of `text` (see the module docs).
fn word_spans(text: &str) -> Vec<(usize, usize)> {
	let mut spans = Vec::new();
	let mut start = None;
	for (i, c) in text.char_indices() {
		if is_ideograph(c) {
			if let Some(s) = start.take() {
				spans.push((s, i));
			}
			spans.push((i, i + c.len_utf8()));
		} else if c.is_alphanumeric() {
			start.get_or_insert(i);
		} else if let Some(s) = start.take() {
			spans.push((s, i));
		}
	}
	if let Some(s) = start {
		spans.push((s, text.len()));
	}
	spans
}

/// The lower-cased words of `text`.
pub fn words(text: &str) -> Vec<String> {
	word_spans(text).into_iter().map(|(a, b)| text[a..b].to_lowercase()).collect()
}

/// The words of `text` that `drop` does not pick (by their lower-cased form), as written,
/// joined by single spaces.
fn strike(text: &str, drop: impl Fn(&String) -> bool) -> String {
	let kept: Vec<&str> = word_spans(text)
		.into_iter()
		.map(|(a, b)| &text[a..b])
		.filter(|w| !drop(&w.to_lowercase()))
		.collect();
	kept.join(" ")
}

/// Whether a word is a number (only digits, in any script).
fn is_number(word: &str) -> bool {
	word.chars().all(char::is_numeric)
}

/// Over the lines of `text` outside fenced code blocks (a line starting with three backticks
/// opens or closes one): how many words there are, how many of them are content words, and in
/// how many runs of consecutive content words these stand (function words, numbers,
/// ideographs and line ends end a run; numbers and ideographs are not counted).
fn content_runs(text: &str, is_content: &impl Fn(&String) -> bool) -> (usize, usize, usize) {
	let (mut in_code, mut counted, mut content, mut runs) = (false, 0, 0, 0);
	for line in text.lines() {
		if line.trim_start().starts_with("```") {
			in_code = !in_code;
			continue;
		}
		if in_code {
			continue;
		}
		let mut in_run = false;
		for word in words(line) {
			if is_number(&word) || word.chars().all(is_ideograph) {
				in_run = false;
				continue;
			}
			counted += 1;
			let is = is_content(&word);
			content += usize::from(is);
			runs += usize::from(is && !in_run);
			in_run = is;
		}
	}
	(counted, content, runs)
}

/// `text` without what stands between quotation marks: `"…"`, `“…”`, `«…»`, `「…」`, `『…』`
/// (an opening mark without its closing one quotes nothing).
fn unquoted(text: &str) -> String {
	const PAIRS: [(char, char); 5] =
		[('"', '"'), ('“', '”'), ('«', '»'), ('「', '」'), ('『', '』')];
	let mut out = String::with_capacity(text.len());
	let mut rest = text;
	while let Some((i, open)) = rest.char_indices().find(|(_, c)| PAIRS.iter().any(|p| p.0 == *c)) {
		let close = PAIRS.iter().find(|p| p.0 == open).map_or(open, |p| p.1);
		let after = &rest[i + open.len_utf8()..];
		match after.find(close) {
			Some(j) => {
				out.push_str(&rest[..i]);
				out.push(' ');
				rest = &after[j + close.len_utf8()..];
			},
			None => break,
		}
	}
	out.push_str(rest);
	out
}

/// Whether `needle` occurs as a contiguous run in `hay`.
fn contains(hay: &[String], needle: &[String]) -> bool {
	!needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The share of word trigrams that repeat an earlier one; 0 below four words.
fn repeated_trigrams(words: &[String]) -> f32 {
	let trigrams: Vec<&[String]> = words.windows(3).collect();
	if trigrams.len() < 2 {
		return 0.0;
	}
	let distinct: HashSet<&[String]> = trigrams.iter().copied().collect();
	(trigrams.len() - distinct.len()) as f32 / trigrams.len() as f32
}

/// Whether `text` stops mid-sentence: it ends in a letter, digit or comma, outside a code
/// block, on a line that is not a list item.
fn unfinished(text: &str) -> bool {
	let text = text.trim_end();
	let Some(last) = text.chars().last() else { return false };
	let fences = text.lines().filter(|l| l.trim_start().starts_with("```")).count();
	if fences % 2 == 1 || text.ends_with("```") {
		return false;
	}
	let line = text.lines().last().unwrap_or("").trim_start();
	let list_item = line.starts_with(['-', '*', '•', '|'])
		|| line.split_once(['.', ')']).is_some_and(|(n, _)| {
			!n.is_empty() && n.len() <= 3 && n.chars().all(|c| c.is_ascii_digit())
		});
	(last.is_alphanumeric() || last == ',') && !list_item && !is_ideograph(last)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn judge() -> Judge {
		Judge::new(JudgeFile {
			version: JUDGE_VERSION,
			strip: Strip::All,
			relevance: Ramp { lo: 0.1, hi: 0.5 },
			length: Ramp { lo: 0.0, hi: 3.0 },
			novelty: Ramp { lo: 0.1, hi: 0.3 },
			repetition: Ramp { lo: 0.2, hi: 0.5 },
			function_words: FunctionWordsStage { run: Ramp { lo: 3.5, hi: 5.0 }, min_words: 8 },
			diversity: DiversityStage {
				share: Ramp { lo: 0.45, hi: 0.55 },
				window: 60,
				min_words: 8,
			},
			refusal: RefusalStage {
				max_words: 40,
				phrases: vec!["I can't help".into(), "as an AI".into()],
			},
			unfinished: 0.6,
			grounding: 0.5,
			stopwords: "the a of is what to in and it".split(' ').map(String::from).collect(),
			answer: None,
		})
		.unwrap()
	}

	#[test]
	fn words_split_on_anything_not_alphanumeric_and_lower_case() {
		assert_eq!(words("Don’t STOP-me, 42 times!"), ["don", "t", "stop", "me", "42", "times"]);
		assert_eq!(words("Ünïcode ÉCOLE"), ["ünïcode", "école"]);
		assert_eq!(words("東京は大きい city"), ["東", "京", "は", "大", "き", "い", "city"]);
		assert!(words(" ... ").is_empty());
	}

	#[test]
	fn text_is_read_as_the_model_reads_it() {
		assert_eq!(
			normalise("symböl ｓｙｍｂｏｌ sym\u{200B}bol syn\u{301}bol"),
			"symbol symbol symbol synbol"
		);
		assert_eq!(normalise("Whаt іs thе gоld"), "What is the gold", "Cyrillic in Latin words");
		assert_eq!(normalise("Что это"), "Что это", "a Cyrillic word stays Cyrillic");
		assert_eq!(normalise("hоw dо і sоlve 2х"), "how do i solve 2x", "lone look-alikes");
		assert_eq!(normalise("я и а о"), "я и а о", "in a Cyrillic text, Cyrillic");
		let poet = "Пушкин wrote poems in Russian";
		assert_eq!(normalise(poet), poet, "not every letter looks Latin");
		assert_eq!(normalise("caf\u{AD}é «naïve» Ⅻ ﬁne"), "cafe «naive» XII fine");
		// Hangul recomposes; a virama stacks (class 9) and goes, as an uncased BERT drops it.
		assert_eq!(normalise("한국어 日本語 हिन्दी"), "한국어 日本語 हिनदी");
	}

	#[test]
	fn forms_of_one_word_are_inflections_and_typos_not_other_words() {
		for (a, b) in [
			("symbol", "symbols"),
			("solve", "solving"),
			("propagate", "propogate"),
			("capitol", "capitolion"),
			("liechtenstein", "liechtensteins"),
			("live", "livion"),
			("gold", "golden"),
			("chemical", "chemcial"),
			("solve", "solution"),
			("zip", "zipal"),
			("12345", "12345ers"),
			("pass", "pas"),
		] {
			assert!(forms_of_one_word(a, b), "{a} {b}");
			assert!(forms_of_one_word(b, a), "{b} {a}");
		}
		for (a, b) in [
			("solve", "resolve"),
			("paris", "france"),
			("22", "222"),
			("12", "12s"),
			("cat", "catalog"),
			("capital", "vaduz"),
		] {
			assert!(!forms_of_one_word(a, b), "{a} {b}");
		}
	}

	#[test]
	fn restated_words_are_struck_whatever_their_form_or_disguise() {
		let j = judge();
		let p = "What is the chemical symbol for gold?";
		for r in [
			"Whát ís thé çhemical symból fór góld.",
			"Whаt іs thе сhemical sуmbol fоr gоld?",
			"Ｗｈａｔ ｉｓ ｔｈｅ ｃｈｅｍｉｃａｌ ｓｙｍｂｏｌ ｆｏｒ ｇｏｌｄ？",
			"W\u{200B}hat i\u{200B}s the che\u{AD}mical sym\u{2060}bol for go\u{200D}ld?",
			"Chemicals symbols golden.",
		] {
			let a = j.analyse(p, r);
			assert_eq!(a.model_text, "", "{r}");
			assert_eq!(a.stages.novelty, 0.0, "{r}");
		}
		assert_eq!(j.analyse(p, "The chemical symbol for gold is Au.").model_text, "Au");
	}

	#[test]
	fn ramps() {
		let r = Ramp { lo: 0.2, hi: 0.6 };
		assert_eq!(r.at(0.0), 0.0);
		assert_eq!(r.at(0.2), 0.0);
		assert!((r.at(0.4) - 0.5).abs() < 1e-6);
		assert_eq!(r.at(0.6), 1.0);
		assert_eq!(r.at(9.0), 1.0);
		assert_eq!(r.at(f32::NAN), 0.0);
		// Unclamped, the position goes on past either end.
		assert!((r.position(0.0) + 0.5).abs() < 1e-6);
		assert!((r.position(1.0) - 2.0).abs() < 1e-6);
	}

	/// A stage of width `response.len()`: the prompt's weights are the response's halved, the
	/// distance's the response's negated.
	fn answer_stage(response: Vec<f32>) -> AnswerStage {
		AnswerStage {
			layer: 2,
			logit: Ramp { lo: -1.0, hi: 1.0 },
			bias: 0.5,
			prompt: response.iter().map(|w| w / 2.0).collect(),
			distance: response.iter().map(|w| -w).collect(),
			response,
		}
	}

	#[test]
	fn the_answer_stage_is_its_ramp_at_a_linear_logit_of_both_texts_and_their_distance() {
		let a = answer_stage(vec![1.0, -2.0, 4.0]);
		let r = [0.5, 0.25, 0.125];
		// 0.5 + (1·0.5 − 2·0.25 + 4·0.125) + (0.5·0.5 − 1·0.25 + 2·0.125) − (0 + 0 + 0)
		assert_eq!(a.logit(&r, &r), 1.25);
		assert_eq!(a.factor(a.logit(&r, &r)), 1.0);
		// The same response far from its prompt: 0.5 + 0.5 + 0 + (−1·0.5 + 2·0.25 − 4·0.125)
		assert_eq!(a.logit(&r, &[0.0; 3]), 0.5);
		assert_eq!(a.factor(a.logit(&r, &[0.0; 3])), 0.75);
		assert_eq!(a.factor(a.logit(&[0.0; 3], &[0.0; 3])), 0.75, "the bias alone");
		assert_eq!(a.logit(&[0.0; 3], &r), 0.25, "0.5 + 0 + (0.25 − 0.25 + 0.25) − 0.5");
		assert_eq!(a.factor(a.logit(&[-1.0, 1.0, -1.0], &[-1.0, 1.0, -1.0])), 0.0);
	}

	#[test]
	fn a_bad_answer_stage_is_refused() {
		let bad = [
			answer_stage(vec![]),
			answer_stage(vec![1.0, f32::NAN]),
			AnswerStage { prompt: vec![1.0, f32::INFINITY], ..answer_stage(vec![1.0, 2.0]) },
			AnswerStage { distance: vec![1.0], ..answer_stage(vec![1.0, 2.0]) },
			AnswerStage { prompt: vec![1.0, 2.0, 3.0], ..answer_stage(vec![1.0, 2.0]) },
			AnswerStage { bias: f32::INFINITY, ..answer_stage(vec![1.0]) },
			AnswerStage { layer: 0, ..answer_stage(vec![1.0]) },
			AnswerStage { logit: Ramp { lo: 1.0, hi: 1.0 }, ..answer_stage(vec![1.0]) },
		];
		for answer in bad {
			let mut file = judge().file().clone();
			file.answer = Some(answer.clone());
			let err = Judge::new(file).err();
			assert!(
				matches!(&err, Some(Error::Unsupported(m)) if m.contains("answer")),
				"{answer:?}"
			);
		}
	}

	#[test]
	fn striking_the_prompts_words_leaves_what_the_response_adds() {
		let j = judge();
		let a = j.analyse("What is the capital of France?", "The capital of France is Paris.");
		assert_eq!(a.model_text, "Paris");
		let b = j.analyse("Is 2 + 2 = 4?", "Yes: 2 + 2 = 4, since two and two make four.");
		assert_eq!(b.model_text, "Yes since two and two make four");
		let echo = j.analyse("What is the capital of France?", "what IS the capital of france");
		assert_eq!(echo.model_text, "");
		assert_eq!(echo.stages.novelty, 0.0);
	}

	#[test]
	fn an_echo_in_any_order_has_no_novelty() {
		let j = judge();
		let p = "How do plants turn sunlight into sugar";
		for r in [p, "sugar into turn plants sunlight How do", &format!("{p}\n\n{p}")] {
			assert_eq!(j.analyse(p, r).stages.novelty, 0.0, "{r}");
		}
		let answer = "Chloroplasts capture light and fix carbon dioxide into glucose.";
		assert_eq!(j.analyse(p, answer).stages.novelty, 1.0);
	}

	#[test]
	fn refusals_are_short_replies_with_a_refusal_phrase() {
		let j = judge();
		assert_eq!(j.analyse("p", "Sorry, I can’t help with that.").stages.refusal, 0.0);
		assert_eq!(j.analyse("p", "As an AI, I have no opinion.").stages.refusal, 0.0);
		let long = format!("As an AI I can say: {}", "the answer is long. ".repeat(20));
		assert_eq!(j.analyse("p", &long).stages.refusal, 1.0);
		assert_eq!(j.analyse("p", "I can help with that.").stages.refusal, 1.0);
		let quoted = "It means “I can't help falling in love”, a song title.";
		assert_eq!(j.analyse("p", quoted).stages.refusal, 1.0);
		assert_eq!(unquoted("a \"b\" c «d» e \"f"), "a   c   e \"f");
	}

	#[test]
	fn keyword_lists_lack_function_words_but_code_is_not_prose() {
		let j = judge();
		let stuffing =
			"photosynthesis chlorophyll sunlight glucose plants energy leaves light carbon";
		assert_eq!(j.analyse("p", stuffing).stages.function_words, 0.0);
		let commas = "Photosynthesis, chlorophyll, sunlight, glucose, is, plants, energy, leaves, \
		              light, water, carbon.";
		assert_eq!(j.analyse("p", commas).stages.function_words, 0.0);
		let list = "You need:\n- flour\n- sugar\n- eggs\n- butter\n- milk\n- vanilla extract";
		assert_eq!(j.analyse("p", list).stages.function_words, 1.0);
		let sentence =
			"Plants use the energy of light to make sugar and it is stored in the leaves.";
		assert_eq!(j.analyse("p", sentence).stages.function_words, 1.0);
		let code = "Use slicing:\n```python\ndef rev(s):\n    return s[::-1]\nprint(rev(x)) # x y z w\n```";
		assert_eq!(j.analyse("p", code).stages.function_words, 1.0);
		let maths =
			"Travel time = 210 ÷ 84 = 2.5 hours = 2 hours 30 minutes, and 9:40 + 2:30 = 12:10.";
		assert_eq!(j.analyse("p", maths).stages.function_words, 1.0);
	}

	#[test]
	fn keywords_repeated_lack_diversity() {
		let j = judge();
		let repeated =
			"bones skeleton adult bones human skeleton body bones adult human skeleton body";
		assert_eq!(j.analyse("p", repeated).stages.diversity, 0.0);
		let sentence =
			"An adult human skeleton usually has 206 bones, fused from about 270 at birth.";
		assert_eq!(j.analyse("p", sentence).stages.diversity, 1.0);
	}

	#[test]
	fn repetition_and_length() {
		let j = judge();
		let looped = "the cat sat on the mat ".repeat(6);
		assert_eq!(j.analyse("p", &looped).stages.repetition, 0.0);
		assert_eq!(j.analyse("p", "Fine.").stages.length, 1.0 / 3.0);
		assert_eq!(j.analyse("p", "").stages.length, 0.0);
	}

	#[test]
	fn an_answer_that_never_touches_the_question_is_not_grounded() {
		let j = judge();
		let p = "What gas do plants absorb from the air for photosynthesis?";
		let off = j.analyse(p, "Bananas are rich in potassium and grow in tropical climates.");
		assert_eq!(off.stages.grounding, 0.5);
		let answer = j.analyse(p, "They take in carbon dioxide through their leaves.");
		assert_eq!(answer.stages.grounding, 0.5, "no shared word: the stage cannot tell");
		let restated = j.analyse(p, "Plants absorb carbon dioxide.");
		assert_eq!(restated.stages.grounding, 1.0);
		// A prompt of function words only grounds nothing.
		assert_eq!(j.analyse("What is it?", "A cat.").stages.grounding, 1.0);
	}

	#[test]
	fn unfinished_text() {
		for done in
			["It is 4.", "Done!", "x\n```\ncode\n```", "- item one\n- item two", "1. first", "好。"]
		{
			assert!(!unfinished(done), "{done}");
		}
		for cut in ["The answer is that the", "First, mix the flour,", "It costs 12"] {
			assert!(unfinished(cut), "{cut}");
		}
	}

	#[test]
	fn bad_parameters_are_named_errors() {
		let mut f = judge().file.clone();
		f.version = 1;
		assert!(matches!(Judge::new(f), Err(Error::Unsupported(m)) if m.contains("version 1")));
		let mut f = judge().file.clone();
		f.novelty = Ramp { lo: 0.5, hi: 0.5 };
		assert!(matches!(Judge::new(f), Err(Error::Unsupported(m)) if m.contains("novelty")));
		let mut f = judge().file.clone();
		f.unfinished = 1.5;
		assert!(Judge::new(f).is_err());
	}

	proptest! {
		#[test]
		fn stages_and_scores_stay_in_the_unit_interval(
			prompt in "\\PC{0,60}", response in "\\PC{0,200}", x in -1.0f32..2.0
		) {
			let j = judge();
			let a = j.analyse(&prompt, &response);
			let s = a.stages;
			for v in [
				s.length, s.novelty, s.repetition, s.function_words, s.diversity, s.refusal,
				s.unfinished, s.grounding, s.answer,
			] {
				prop_assert!((0.0..=1.0).contains(&v));
			}
			prop_assert!((0.0..=1.0).contains(&j.combine(x, &s)));
		}

		#[test]
		fn the_answer_stages_logit_is_summed_in_order_and_its_factor_in_the_unit_interval(
			weights in prop::collection::vec(-8.0f32..8.0, 1..64),
			response in prop::collection::vec(-1.0f32..1.0, 64),
			prompt in prop::collection::vec(-1.0f32..1.0, 64),
		) {
			let a = answer_stage(weights);
			let mut z = a.bias;
			for (w, r) in a.response.iter().zip(&response) {
				z += w * r;
			}
			for (w, p) in a.prompt.iter().zip(&prompt) {
				z += w * p;
			}
			for ((w, r), p) in a.distance.iter().zip(&response).zip(&prompt) {
				z += w * (r - p).abs();
			}
			prop_assert_eq!(a.logit(&response, &prompt).to_bits(), z.to_bits());
			prop_assert!((0.0..=1.0).contains(&a.factor(a.logit(&response, &prompt))));
		}

		#[test]
		fn a_ramp_is_its_position_clamped_and_the_position_grows_with_the_value(
			lo in -2.0f32..2.0, width in 0.01f32..3.0, a in -5.0f32..5.0, b in -5.0f32..5.0
		) {
			let r = Ramp { lo, hi: lo + width };
			prop_assert_eq!(r.at(a).to_bits(), r.position(a).clamp(0.0, 1.0).to_bits());
			if a <= b {
				prop_assert!(r.position(a) <= r.position(b));
			}
		}

		#[test]
		fn edit_distance_is_a_symmetric_bounded_metric(
			a in "[a-d]{0,9}", b in "[a-d]{0,9}", c in "[a-d]{0,9}"
		) {
			let v = |s: &str| s.chars().collect::<Vec<_>>();
			let d = |x: &str, y: &str| edit_distance(&v(x), &v(y), 20);
			prop_assert_eq!(d(&a, &b), d(&b, &a));
			prop_assert_eq!(d(&a, &a), 0);
			prop_assert!(d(&a, &b) <= a.len().max(b.len()));
			// The optimal-string-alignment distance breaks the triangle inequality only through
			// swaps; with one edit at a time it holds.
			prop_assert!(d(&a, &c) <= d(&a, &b) + d(&b, &c) + 1);
			prop_assert_eq!(edit_distance(&v(&a), &v(&b), 1).min(2), d(&a, &b).min(2));
		}

		#[test]
		fn normalising_is_idempotent(text in "\\PC{0,80}") {
			let once = normalise(&text);
			prop_assert_eq!(normalise(&once), once.clone());
		}

		#[test]
		fn struck_text_keeps_no_prompt_word(prompt in "[a-c ]{0,30}", response in "[a-e ,.]{0,60}") {
			let j = judge();
			let p = PromptWords::of(&prompt, |_| true);
			let a = j.analyse(&prompt, &response);
			prop_assert!(words(&a.model_text).iter().all(|w| !p.restates(w)));
		}

		#[test]
		fn the_judge_is_monotone_in_the_models_x(a in -1.0f32..2.0, b in -1.0f32..2.0) {
			let j = judge();
			let s = j.analyse("What is the capital of France?", "Paris is the capital.").stages;
			let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
			prop_assert!(j.combine(lo, &s) <= j.combine(hi, &s));
		}
	}
}
