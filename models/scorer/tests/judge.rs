//! The default judge (all-MiniLM-L6-v2 with `judge.json`) on the graded sets in `models/eval`
//! and on the answers a node would send to be paid without working.

mod common;

use common::{copy_folder, default_dir};
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
/// against inflected echoes of the prompt, must not read them as one. None of these 40 is in
/// the stage's training data; four in five must be paid (the stage pays 34: one that is the
/// question with two new words, "Plants absorb carbon dioxide for photosynthesis.", is not).
#[test]
fn short_plain_answers_are_paid() {
	let model = QualityModel::load(&default_dir()).unwrap();
	let answers = [
		("Question 3: what is 3 plus 3?", "3 plus 3 is 6."),
		("Question 12: what is 12 plus 12?", "12 plus 12 is 24."),
		("What is 6 times 7?", "6 times 7 is 42."),
		("What is the capital of France?", "The capital of France is Paris."),
		(
			"Which planet is the largest in the solar system?",
			"Jupiter is the largest planet in the solar system.",
		),
		(
			"What gas do plants absorb from the air for photosynthesis?",
			"Plants absorb carbon dioxide for photosynthesis.",
		),
		("How many sides does a hexagon have?", "A hexagon has six sides."),
		("Who discovered penicillin?", "Alexander Fleming discovered penicillin in 1928."),
		("What is the currency of Japan?", "The currency of Japan is the yen."),
		("How many bones are in the adult human body?", "An adult human body has 206 bones."),
		("What is 9 minus 4?", "9 minus 4 is 5."),
		("What is 5 times 8?", "5 times 8 is 40."),
		("What is the capital of Italy?", "The capital of Italy is Rome."),
		("What is the capital of Canada?", "Ottawa is the capital of Canada."),
		("Who wrote Romeo and Juliet?", "William Shakespeare wrote Romeo and Juliet."),
		(
			"What is the freezing point of water in Fahrenheit?",
			"Water freezes at 32 degrees Fahrenheit.",
		),
		("What is the chemical symbol for iron?", "The chemical symbol for iron is Fe."),
		("How many minutes are in an hour?", "An hour has 60 minutes."),
		("What is the square root of 81?", "The square root of 81 is 9."),
		("Who was the first person to walk on the Moon?", "Neil Armstrong, in 1969."),
		("What do bees make?", "Bees make honey and wax."),
		("What is the smallest prime number?", "The smallest prime number is 2."),
		("What is H2O commonly called?", "H2O is water."),
		("What is the main ingredient of guacamole?", "Guacamole is made mainly from avocado."),
		("Which organ pumps blood through the body?", "The heart pumps blood through the body."),
		("What is the opposite of hot?", "The opposite of hot is cold."),
		("What is 15 plus 27?", "15 plus 27 is 42."),
		("Which animal is known as the king of the jungle?", "The lion."),
		("How many strings does a standard guitar have?", "A standard guitar has six strings."),
		("How many sides does a pentagon have?", "A pentagon has five sides."),
		("What is the capital of Egypt?", "The capital of Egypt is Cairo."),
		("Who wrote Pride and Prejudice?", "Jane Austen wrote Pride and Prejudice."),
		("What is the chemical symbol for oxygen?", "The chemical symbol for oxygen is O."),
		("How many seconds are in a minute?", "A minute has 60 seconds."),
		("What is 11 times 11?", "11 times 11 is 121."),
		("Which bird is a symbol of peace?", "The dove is a symbol of peace."),
		("What is the fastest land animal?", "The cheetah is the fastest land animal."),
		("What do pandas mainly eat?", "Pandas mainly eat bamboo."),
		("What is the capital of Kenya?", "Nairobi is the capital of Kenya."),
		("How many hearts does an octopus have?", "An octopus has three hearts."),
	];
	let scores: Vec<u16> = answers.iter().map(|(p, a)| model.scores(p, &[a]).unwrap()[0]).collect();
	let paid = scores.iter().filter(|&&s| s >= FLOOR).count();
	assert!(paid * 5 >= answers.len() * 4, "{paid} of {} paid: {scores:?}", answers.len());
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
