//! The judge's red team (`poq_scorer::attack`) against the default judge at CI's budget: the
//! tricks the judge is built to resist must fail, every time, and the salad of the search that
//! sees only scores nearly every time; the search that reads the judge, which the judge does not
//! hold against, is held where it stands. What it finds is printed (run with `--nocapture`) and
//! reported at larger budgets in models/README.md.

mod common;

use common::{bi_dir, default_dir, source_pairs};
use poq_scorer::attack::{attack, summarise, Options, Outcome, Strategy};
use poq_scorer::QualityModel;

/// The runtime's `MinQuality`: what scores below it is not paid.
const FLOOR: u16 = 2_000;

fn run(model: &QualityModel, sets: &[&str], budget: usize, guided: bool) -> Vec<Outcome> {
	let options = Options { budget, floor: FLOOR, seed: 0, guided };
	sets.iter()
		.flat_map(|set| source_pairs(set))
		.map(|(prompt, good)| attack(model, &prompt, Some(&good), options).unwrap())
		.collect()
}

/// Every Unicode candidate (the prompt with accents, confusable letters, invisible characters
/// or full-width forms in every word) of every prompt of every set stays unpaid: the judge
/// reads text as the model's tokenizer does.
#[test]
fn unicode_tricks_are_never_paid() {
	let model = QualityModel::load(&default_dir()).unwrap();
	// 14 calls: exactly the Unicode candidates, tried first.
	for o in run(&model, &["dev", "heldout", "adversarial"], 14, false) {
		assert_eq!(o.by_strategy.len(), 1);
		assert_eq!(o.best.strategy, Strategy::Unicode);
		assert!(o.best.score < FLOOR, "{} for {:?} ({:?})", o.best.score, o.best.text, o.prompt);
	}
}

/// On the two sets the judge was not tuned on, at 100 calls per prompt: the red team's text is
/// paid on at most one prompt in twenty, and then only word salad (the answer stage reads it as
/// no answer nearly always); the prompt's words inflected or misspelt (struck as the prompt's own
/// words), filler that answers nothing and Unicode tricks on none.
#[test]
fn the_red_team_is_rarely_paid_at_cis_budget() {
	let model = QualityModel::load(&default_dir()).unwrap();
	let outcomes = run(&model, &["heldout", "adversarial"], 100, false);
	let s = summarise(&outcomes, FLOOR);
	println!("red team at 100 calls per prompt: {s:?}");
	let paid = |strategy| s.paid_by_strategy.iter().find(|(k, _)| *k == strategy).unwrap().1;
	for strategy in [Strategy::Unicode, Strategy::Inflect, Strategy::Filler] {
		assert_eq!(paid(strategy), 0, "{strategy:?}: {s:?}");
	}
	assert!(s.paid * 20 <= s.prompts, "{s:?}");
	assert!(outcomes.iter().all(|o| o.calls == 100));
}

/// Short factual questions (`short.source.jsonl`: "What is the capital of Egypt?") are where
/// the answer stage is weakest: a short prompt gives it little to measure a distance from. At
/// 100 calls per prompt the red team's salad is paid on 5 of the 40 today; this holds the line
/// at one in five, and the prompt inflected or in Unicode disguise on none (models/README.md,
/// the red team, reports 300 calls: 16 of 40).
#[test]
fn the_red_team_on_short_questions_is_held_where_it_stands() {
	let model = QualityModel::load(&default_dir()).unwrap();
	let outcomes = run(&model, &["short"], 100, false);
	let s = summarise(&outcomes, FLOOR);
	println!("red team at 100 calls per short question: {s:?}");
	let paid = |strategy| s.paid_by_strategy.iter().find(|(k, _)| *k == strategy).unwrap().1;
	assert_eq!((paid(Strategy::Unicode), paid(Strategy::Inflect)), (0, 0), "{s:?}");
	assert!(s.paid * 5 <= s.prompts, "{s:?}");
}

/// The attacker who reads the judge (`guided`: the salad search climbs the answer stage's logit
/// and the relevance ramp where every score is 0) is far stronger than the one who sees only
/// scores, and the judge does not hold against it: at 100 calls per prompt its salad is paid on
/// 11 of the 60 held-out and adversarial prompts and on 21 of the 40 short questions today (at
/// 300 calls: 39 of 60 and 38 of 40; models/README.md, the red team). This holds the line where
/// it stands, one in five and three in five, and nothing but salad paid, until a judge meets the
/// issue's one in ten against it.
#[test]
fn the_red_team_that_reads_the_judge_is_held_where_it_stands() {
	let model = QualityModel::load(&default_dir()).unwrap();
	let outcomes = run(&model, &["heldout", "adversarial"], 100, true);
	let s = summarise(&outcomes, FLOOR);
	println!("guided red team at 100 calls per prompt: {s:?}");
	for (strategy, paid) in &s.paid_by_strategy {
		assert!(*strategy == Strategy::Salad || *paid == 0, "{strategy:?}: {s:?}");
	}
	assert!(s.paid * 5 <= s.prompts, "{s:?}");
	// Above the ceiling `the_red_team_is_rarely_paid_at_cis_budget` holds the blind search to.
	assert!(s.paid * 20 > s.prompts, "reading the judge finds more than the blind search: {s:?}");
	let short = summarise(&run(&model, &["short"], 100, true), FLOOR);
	println!("guided red team at 100 calls per short question: {short:?}");
	assert!(short.paid * 5 <= short.prompts * 3, "{short:?}");
}

/// A guided attack needs a judge to read: on a folder without one it is refused.
#[test]
fn a_guided_attack_on_a_model_without_a_judge_is_refused() {
	let model = QualityModel::load(&bi_dir()).unwrap();
	let options = Options { budget: 30, floor: FLOOR, seed: 0, guided: true };
	let refused = attack(&model, "What is 6 times 7?", None, options).unwrap_err();
	assert!(refused.to_string().contains("reads the judge"), "{refused}");
	assert!(
		attack(&model, "What is 6 times 7?", None, Options { guided: false, ..options }).is_ok()
	);
}

/// The same seed finds the same texts with the same scores, reading the judge or not; the
/// budget is spent exactly.
#[test]
fn the_red_team_is_deterministic_and_keeps_to_its_budget() {
	let model = QualityModel::load(&default_dir()).unwrap();
	let prompt = "How many bones are in the adult human body?";
	for guided in [false, true] {
		// 60 calls: the salad search has about half of them.
		let options = Options { budget: 60, floor: FLOOR, seed: 7, guided };
		let a = attack(&model, prompt, None, options).unwrap();
		let b = attack(&model, prompt, None, options).unwrap();
		assert_eq!(a.calls, 60);
		assert_eq!((a.best, a.by_strategy, a.first_paid), (b.best, b.by_strategy, b.first_paid));
		let other = attack(&model, prompt, None, Options { seed: 8, ..options }).unwrap();
		assert_eq!(other.calls, 60);
	}
}
