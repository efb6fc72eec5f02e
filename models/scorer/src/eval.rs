//! Measuring a judge on a graded set: pure functions of `(prompt, grade, kind, score)` rows.
//!
//! A graded set holds, for each prompt, answers graded by hand from 0 (junk an inference node
//! would send to be paid without working) to 3 (a good answer). [`Report::of`] summarises how
//! a judge's scores order them and how many clear a payment floor (`MinQuality` on chain).

use std::collections::BTreeMap;

use serde::Serialize;

/// The grade of a good answer; grade 0 is junk.
pub const TOP_GRADE: u8 = 3;

/// One graded answer with the score the judge gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
	/// Answers to the same prompt are compared with each other only.
	pub prompt: String,
	/// 0 (junk) ..= 3 (good).
	pub grade: u8,
	/// What sort of answer it is (`good`, `echo`, `refusal`, ...), for the per-kind means.
	pub kind: String,
	/// The judge's score, `0..=10_000`.
	pub score: u16,
}

/// A ratio with what it counts, so a report says how much evidence stands behind each number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rate {
	/// `hits / total`, or 0 for an empty total.
	pub value: f64,
	/// What went into the numerator (ties count half where a metric says so).
	pub hits: f64,
	/// How many cases were counted.
	pub total: usize,
}

impl Rate {
	fn new(hits: f64, total: usize) -> Self {
		Self { value: if total == 0 { 0.0 } else { hits / total as f64 }, hits, total }
	}
}

/// The mean score of one kind of answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindMean {
	/// The kind.
	pub kind: String,
	/// Its grade (the highest seen, should a kind be graded differently across prompts).
	pub grade: u8,
	/// How many answers of this kind.
	pub count: usize,
	/// Their mean score.
	pub mean: f64,
	/// How many of them score at or above the floor.
	pub paid: usize,
}

/// What [`Report::of`] measures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
	/// The payment floor the `*_paid` rates count against.
	pub floor: u16,
	/// Prompts in the set.
	pub prompts: usize,
	/// Answers in the set.
	pub answers: usize,
	/// Over every pair of answers to one prompt with different grades: the share in which the
	/// higher grade scores higher (an equal score counts half).
	pub pairwise_accuracy: Rate,
	/// Over every pair (a top-grade answer, a junk answer) of one prompt: the share in which
	/// the top-grade answer scores strictly higher.
	pub best_beats_junk: Rate,
	/// The share of junk (grade 0) that scores at or above the floor: what the chain would pay.
	pub junk_paid: Rate,
	/// The share of good answers (grade 3) that score at or above the floor.
	pub good_paid: Rate,
	/// Mean score per kind, best first.
	pub kinds: Vec<KindMean>,
}

impl Report {
	/// Measures `rows` against the payment `floor`.
	pub fn of(rows: &[Row], floor: u16) -> Self {
		let mut by_prompt: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
		for row in rows {
			by_prompt.entry(&row.prompt).or_default().push(row);
		}
		let (mut ordered, mut pairs) = (0.0, 0);
		let (mut beats, mut contests) = (0.0, 0);
		for answers in by_prompt.values() {
			for (i, a) in answers.iter().enumerate() {
				for b in &answers[i + 1..] {
					if a.grade == b.grade {
						continue;
					}
					let (hi, lo) = if a.grade > b.grade { (a, b) } else { (b, a) };
					pairs += 1;
					ordered += order_credit(hi.score, lo.score);
					if hi.grade == TOP_GRADE && lo.grade == 0 {
						contests += 1;
						beats += f64::from(u8::from(hi.score > lo.score));
					}
				}
			}
		}
		let paid_share = |grade: u8| {
			let of_grade: Vec<&Row> = rows.iter().filter(|r| r.grade == grade).collect();
			let paid = of_grade.iter().filter(|r| r.score >= floor).count();
			Rate::new(paid as f64, of_grade.len())
		};
		Self {
			floor,
			prompts: by_prompt.len(),
			answers: rows.len(),
			pairwise_accuracy: Rate::new(ordered, pairs),
			best_beats_junk: Rate::new(beats, contests),
			junk_paid: paid_share(0),
			good_paid: paid_share(TOP_GRADE),
			kinds: kind_means(rows, floor),
		}
	}
}

/// A request answered by two good answers and one other, as the judge could see it when several
/// nodes answer: the model's similarity of each pair of the three answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trio {
	/// Between the two good answers.
	pub good_good: f32,
	/// Between the first good answer and the other.
	pub first_other: f32,
	/// Between the second good answer and the other.
	pub second_other: f32,
}

impl Trio {
	/// Whether agreement (each answer's mean similarity to the two others) ranks the other
	/// answer strictly below both good ones: what an agreement stage would need to pay less for
	/// it.
	pub fn agreement_ranks_other_last(&self) -> bool {
		let other = (self.first_other + self.second_other) / 2.0;
		let first = (self.good_good + self.first_other) / 2.0;
		let second = (self.good_good + self.second_other) / 2.0;
		other < first && other < second
	}
}

/// Per kind of the "other" answer: how often agreement ranks it below both good answers.
pub fn agreement(trios: &[(String, Trio)]) -> BTreeMap<String, Rate> {
	let mut counts: BTreeMap<String, (f64, usize)> = BTreeMap::new();
	for (kind, trio) in trios {
		let c = counts.entry(kind.clone()).or_default();
		c.0 += f64::from(u8::from(trio.agreement_ranks_other_last()));
		c.1 += 1;
	}
	counts.into_iter().map(|(k, (hits, total))| (k, Rate::new(hits, total))).collect()
}

/// 1 when the higher-graded answer scores higher, ½ on a tie, 0 otherwise.
fn order_credit(higher_grade: u16, lower_grade: u16) -> f64 {
	match higher_grade.cmp(&lower_grade) {
		std::cmp::Ordering::Greater => 1.0,
		std::cmp::Ordering::Equal => 0.5,
		std::cmp::Ordering::Less => 0.0,
	}
}

fn kind_means(rows: &[Row], floor: u16) -> Vec<KindMean> {
	let mut kinds: BTreeMap<&str, KindMean> = BTreeMap::new();
	for row in rows {
		let k = kinds.entry(&row.kind).or_insert_with(|| KindMean {
			kind: row.kind.clone(),
			grade: row.grade,
			count: 0,
			mean: 0.0,
			paid: 0,
		});
		k.grade = k.grade.max(row.grade);
		k.count += 1;
		k.mean += f64::from(row.score);
		k.paid += usize::from(row.score >= floor);
	}
	let mut kinds: Vec<KindMean> = kinds
		.into_values()
		.map(|mut k| {
			k.mean /= k.count as f64;
			k
		})
		.collect();
	kinds.sort_by(|a, b| b.mean.total_cmp(&a.mean).then_with(|| a.kind.cmp(&b.kind)));
	kinds
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn row(prompt: &str, grade: u8, kind: &str, score: u16) -> Row {
		Row { prompt: prompt.into(), grade, kind: kind.into(), score }
	}

	#[test]
	fn a_small_set_by_hand() {
		let rows = [
			row("p", 3, "good", 9_000),
			row("p", 1, "vague", 9_000), // tie with a higher grade: half a point
			row("p", 0, "echo", 2_000),  // at the floor: paid
			row("p", 0, "refusal", 100),
			row("q", 3, "good", 1_000), // below the floor and below its junk
			row("q", 0, "echo", 5_000),
		];
		let r = Report::of(&rows, 2_000);
		assert_eq!((r.prompts, r.answers), (2, 6));
		// p: good>vague ½, good>echo 1, good>refusal 1, vague>echo 1, vague>refusal 1; q: 0.
		assert_eq!(r.pairwise_accuracy, Rate::new(4.5, 6));
		assert_eq!(r.best_beats_junk, Rate::new(2.0, 3));
		assert_eq!(r.junk_paid, Rate::new(2.0, 3));
		assert_eq!(r.good_paid, Rate::new(1.0, 2));
		let kinds: Vec<(&str, usize, f64, usize)> =
			r.kinds.iter().map(|k| (k.kind.as_str(), k.count, k.mean, k.paid)).collect();
		assert_eq!(
			kinds,
			[
				("vague", 1, 9_000.0, 1),
				("good", 2, 5_000.0, 1),
				("echo", 2, 3_500.0, 2),
				("refusal", 1, 100.0, 0)
			]
		);
	}

	#[test]
	fn agreement_ranks_the_odd_one_out_last() {
		let odd = Trio { good_good: 0.9, first_other: 0.2, second_other: 0.3 };
		let close = Trio { good_good: 0.5, first_other: 0.8, second_other: 0.7 };
		assert!(odd.agreement_ranks_other_last());
		assert!(!close.agreement_ranks_other_last());
		let r = agreement(&[("wrong".into(), odd), ("wrong".into(), close), ("vague".into(), odd)]);
		assert_eq!(r["wrong"], Rate::new(1.0, 2));
		assert_eq!(r["vague"], Rate::new(1.0, 1));
	}

	#[test]
	fn an_empty_set_reports_zeros_not_nan() {
		let r = Report::of(&[], 2_000);
		assert_eq!(r.pairwise_accuracy, Rate::new(0.0, 0));
		assert_eq!(r.junk_paid.value, 0.0);
		assert!(r.kinds.is_empty());
	}

	fn rows() -> impl Strategy<Value = Vec<Row>> {
		proptest::collection::vec((0usize..4, 0u8..=3, 0u16..=10_000), 0..40).prop_map(|v| {
			v.into_iter()
				.map(|(p, grade, score)| row(&format!("p{p}"), grade, &format!("k{grade}"), score))
				.collect()
		})
	}

	proptest! {
		#[test]
		fn scoring_by_grade_orders_every_pair(rows in rows()) {
			let perfect: Vec<Row> =
				rows.iter().map(|r| Row { score: u16::from(r.grade) * 1_000, ..r.clone() }).collect();
			let r = Report::of(&perfect, 1_000);
			prop_assert_eq!(r.pairwise_accuracy.hits, r.pairwise_accuracy.total as f64);
			prop_assert_eq!(r.best_beats_junk.hits, r.best_beats_junk.total as f64);
			prop_assert_eq!(r.junk_paid.hits, 0.0);
			prop_assert_eq!(r.good_paid.hits, r.good_paid.total as f64);
		}

		#[test]
		fn reversing_the_scores_mirrors_pairwise_accuracy(rows in rows()) {
			let reversed: Vec<Row> =
				rows.iter().map(|r| Row { score: 10_000 - r.score, ..r.clone() }).collect();
			let (a, b) = (Report::of(&rows, 0), Report::of(&reversed, 0));
			prop_assert_eq!(a.pairwise_accuracy.total, b.pairwise_accuracy.total);
			prop_assert!(
				(a.pairwise_accuracy.hits + b.pairwise_accuracy.hits
					- a.pairwise_accuracy.total as f64).abs() < 1e-9
			);
		}

		#[test]
		fn rates_are_shares(rows in rows(), floor in 0u16..=10_000) {
			let r = Report::of(&rows, floor);
			for rate in [r.pairwise_accuracy, r.best_beats_junk, r.junk_paid, r.good_paid] {
				prop_assert!((0.0..=1.0).contains(&rate.value));
				prop_assert!(rate.hits <= rate.total as f64);
			}
			prop_assert_eq!(r.kinds.iter().map(|k| k.count).sum::<usize>(), rows.len());
		}
	}
}
