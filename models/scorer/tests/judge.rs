//! The default judge (all-MiniLM-L6-v2 with `judge.json`) on the graded sets in `models/eval`
//! and on the answers a node would send to be paid without working.

mod common;

use common::{copy_folder, default_dir, source_pairs};
use poq_scorer::eval::{Report, Row};
use poq_scorer::{Error, QualityModel};

/// The runtime's `MinQuality`: what scores below it is not paid.
const FLOOR: u16 = 2_000;

fn graded(set: &str) -> Report {
	let path = common::manifest_dir().join("../eval").join(set);
	let rows: Vec<serde_json::Value> = std::fs::read_to_string(&path)
		.unwrap()
		.lines()
		.map(|l| serde_json::from_str(l).unwrap())
		.collect();
	let model = QualityModel::load(&default_dir()).unwrap();
	let pairs: Vec<(&str, &str)> = rows
		.iter()
		.map(|r| (r["prompt"].as_str().unwrap(), r["response"].as_str().unwrap()))
		.collect();
	let scored = model.score(&pairs).unwrap();
	let rows: Vec<Row> = rows
		.iter()
		.zip(scored)
		.map(|(r, s)| Row {
			prompt: r["prompt"].as_str().unwrap().into(),
			grade: r["grade"].as_u64().unwrap() as u8,
			kind: r["kind"].as_str().unwrap().into(),
			score: s.score,
		})
		.collect();
	Report::of(&rows, FLOOR)
}

/// The targets of the judge (models/README.md): little junk paid, nearly every good answer
/// paid, good answers above junk, and answers ordered by grade.
fn assert_meets_targets(set: &str) {
	let r = graded(set);
	assert!(r.junk_paid.value <= 0.05, "{set}: junk paid {:?}", r.junk_paid);
	assert!(r.good_paid.value >= 0.95, "{set}: good paid {:?}", r.good_paid);
	assert!(r.best_beats_junk.value >= 0.98, "{set}: good beats junk {:?}", r.best_beats_junk);
	assert!(r.pairwise_accuracy.value >= 0.85, "{set}: pairwise {:?}", r.pairwise_accuracy);
}

#[test]
fn the_judge_meets_its_targets_on_the_development_set() {
	assert_meets_targets("dev.jsonl");
}

#[test]
fn the_judge_meets_its_targets_on_the_held_out_set() {
	assert_meets_targets("heldout.jsonl");
}

#[test]
fn lazy_answers_are_not_paid_and_an_answer_is() {
	let model = QualityModel::load(&default_dir()).unwrap();
	let prompt = "How does photosynthesis work in plants?";
	let answer = "Plants capture sunlight with chlorophyll in their leaves and use its energy to \
	              turn water and carbon dioxide into glucose, releasing oxygen as a by-product.";
	let lazy = [
		prompt.to_owned(),
		format!("{prompt} {prompt}"),
		"plants work photosynthesis in does How?".to_owned(),
		format!("Great question! {prompt} I hope this helps."),
		"photosynthesis plants chlorophyll sunlight glucose photosynthesis energy plants leaves \
		 chlorophyll sunlight glucose oxygen plants"
			.to_owned(),
		"Bananas are rich in potassium and make a quick, healthy snack before a workout."
			.to_owned(),
		"I'm sorry, but I can't help with that.".to_owned(),
		"Yes.".to_owned(),
	];
	let mut responses: Vec<&str> = vec![answer];
	responses.extend(lazy.iter().map(String::as_str));
	let scores = model.scores(prompt, &responses).unwrap();
	assert!(scores[0] >= 5_000, "the answer scored {}", scores[0]);
	for (text, score) in lazy.iter().zip(&scores[1..]) {
		assert!(*score < FLOOR, "{score} for {text:?}");
	}
}

/// Short, plain answers that restate the question are answers: the `answer` stage, trained
/// against inflected echoes of the prompt, must not read them as one. None of the 40 of
/// `models/eval/short.source.jsonl` is in the stage's training data; four in five must be paid
/// (the stage pays 34: one that is the question with two new words, "Plants absorb carbon
/// dioxide for photosynthesis.", is not).
#[test]
fn short_plain_answers_are_paid() {
	let model = QualityModel::load(&default_dir()).unwrap();
	let answers = source_pairs("short");
	assert_eq!(answers.len(), 40);
	let scores: Vec<u16> =
		answers.iter().map(|(p, a)| model.scores(p, &[a.as_str()]).unwrap()[0]).collect();
	let paid = scores.iter().filter(|&&s| s >= FLOOR).count();
	assert!(paid * 5 >= answers.len() * 4, "{paid} of {} paid: {scores:?}", answers.len());
}

/// `score` reads the answer stage's states on the way through the relevance pass (the prompt's
/// always, a response's when the judge struck nothing from it): they are the same bits as a
/// pass that stops at the stage's layer. The stage's ramp is widened here so that its factor
/// follows the logit (to within its lowest bits) instead of resting at 0 or 1.
#[test]
fn the_answer_stage_reads_the_states_a_shorter_pass_gives() {
	let tmp = copy_folder(&default_dir(), "wide-ramp");
	let path = tmp.path().join("judge.json");
	let mut judge: serde_json::Value =
		serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
	judge["answer"]["logit"] = serde_json::json!({ "lo": -32.0, "hi": 32.0 });
	std::fs::write(&path, judge.to_string()).unwrap();
	let model = QualityModel::load(tmp.path()).unwrap();
	let stage = model.judge().and_then(|j| j.file().answer.as_ref()).unwrap();
	let prompt = "What do bees make from nectar?";
	// The judge strikes "bees", "make", "from" and "nectar" from the first, nothing from the
	// others.
	let responses = [
		"Bees make honey from nectar and store it in wax cells.",
		"Honey",
		"They evaporate its water until it is honey",
	];
	let scored = model.score(&responses.map(|r| (prompt, r))).unwrap();
	let states = |t: &str| model.embeddings(&[t], Some(stage.layer)).unwrap().remove(0);
	let p = states(prompt);
	for (r, s) in responses.iter().zip(&scored) {
		let logit = stage.logit(&states(r), &p);
		let factor = stage.factor(logit);
		assert!(factor > 0.0 && factor < 1.0, "{r}: {factor}");
		assert_eq!(s.stages.unwrap().answer.to_bits(), factor.to_bits(), "{r}");
		assert_eq!(s.answer_logit.map(f32::to_bits), Some(logit.to_bits()), "{r}");
	}
}

#[test]
fn a_bad_judge_file_is_a_load_error() {
	let tmp = copy_folder(&default_dir(), "bad-judge");
	let path = tmp.path().join("judge.json");
	let good = std::fs::read_to_string(&path).unwrap();
	std::fs::write(&path, good.replace("\"version\": 4", "\"version\": 9")).unwrap();
	let err = QualityModel::load(tmp.path()).err().unwrap();
	assert!(matches!(&err, Error::Unsupported(m) if m.contains("version 9")), "{err}");
	let widen = |text: &str, name: &str| {
		text.replace(&format!("\"{name}\": ["), &format!("\"{name}\": [0.5, 0.5,"))
	};
	std::fs::write(&path, widen(&good, "response")).unwrap();
	let err = QualityModel::load(tmp.path()).err().unwrap();
	assert!(matches!(&err, Error::Unsupported(m) if m.contains("one width")), "{err}");
	let wide = ["response", "prompt", "distance"].iter().fold(good.clone(), |t, n| widen(&t, n));
	std::fs::write(&path, wide).unwrap();
	let err = QualityModel::load(tmp.path()).err().unwrap();
	assert!(matches!(&err, Error::Unsupported(m) if m.contains("they are 386")), "{err}");
	std::fs::write(&path, good.replace("\"layer\": 3", "\"layer\": 7")).unwrap();
	let err = QualityModel::load(tmp.path()).err().unwrap();
	assert!(matches!(&err, Error::Unsupported(m) if m.contains("it has 7")), "{err}");
	std::fs::write(&path, good.replace("\"strip\"", "\"stripe\"")).unwrap();
	let err = QualityModel::load(tmp.path()).err().unwrap();
	assert!(matches!(&err, Error::Json { .. }), "{err}");
}

#[test]
fn the_pinned_digest_is_the_same_everywhere() {
	// fetch-model.sh checks the folder against it and the runtime's presets pin it; a node
	// whose folder has another digest refuses to score.
	let root = common::manifest_dir().join("../..");
	let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
	let digest = QualityModel::load(&default_dir()).unwrap().digest_hex();
	assert_eq!(digest, common::DEFAULT_DIGEST);
	assert!(read("scripts/fetch-model.sh").contains(&format!("DIGEST=\"{digest}\"")));
	let genesis = read("runtime/src/genesis.rs");
	let pinned = genesis.split("DEFAULT_MODEL_DIGEST: [u8; 32] = [").nth(1).unwrap();
	let bytes: String = pinned
		.split("];")
		.next()
		.unwrap()
		.split(',')
		.filter_map(|b| b.trim().strip_prefix("0x"))
		.collect();
	assert_eq!(bytes, digest, "runtime/src/genesis.rs DEFAULT_MODEL_DIGEST");
}
