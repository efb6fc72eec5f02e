//! The measurements as tables: CSV files for tools, markdown for the documentation.
//!
//! Every table is a header and rows of cells, rendered either way, so the CSV files and the
//! tables pasted in `docs/economics.md` cannot disagree.

use crate::{
	aggregate::Aggregator,
	experiment::{
		AttackRow, CaptureRow, DisputeRow, GamingRow, GrindRow, LazyConstantRow, ModelSwitchRow,
		RewardRow, ShadingRow, SlotRow, SplitRow,
	},
};

/// A table of text cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
	/// Column names.
	pub header: Vec<String>,
	/// Rows, one cell per column.
	pub rows: Vec<Vec<String>>,
}

impl Table {
	/// Comma-separated values; no cell holds a comma or a quote, so nothing needs quoting.
	pub fn csv(&self) -> String {
		std::iter::once(&self.header).chain(&self.rows).map(|row| row.join(",") + "\n").collect()
	}

	/// A GitHub-flavoured markdown table.
	pub fn markdown(&self) -> String {
		let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
		let rule = vec!["---".to_string(); self.header.len()];
		std::iter::once(line(&self.header))
			.chain(std::iter::once(line(&rule)))
			.chain(self.rows.iter().map(|row| line(row)))
			.collect()
	}
}

/// `rewards.csv`: net reward per round (mean, std, p10, p90 across participants), per seat,
/// success rate and bond kept, per role and strategy.
pub fn rewards_table(rows: &[RewardRow]) -> Table {
	Table {
		header: columns(&[
			"role",
			"strategy",
			"participants",
			"mean",
			"std",
			"p10",
			"p90",
			"per_seat",
			"success",
			"bond_kept",
		]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					row.role.to_string(),
					row.strategy.to_string(),
					row.per_round.count.to_string(),
					fixed(row.per_round.mean, 3),
					fixed(row.per_round.std, 3),
					fixed(row.per_round.p10, 3),
					fixed(row.per_round.p90, 3),
					fixed(row.per_seat, 2),
					fixed(row.success, 3),
					fixed(row.bond_kept, 3),
				]
			})
			.collect(),
	}
}

/// `attack.csv`: per colluding share, each rule's mean error and share of responses off by more
/// than the tolerance, how often the median follows the lie, seat rewards, and the colluders'
/// share left after slashing.
pub fn attack_table(rows: &[AttackRow]) -> Table {
	let mut header = columns(&["fraction", "realised"]);
	header.extend(Aggregator::ALL.iter().map(|rule| format!("error_{}", rule.name())));
	header.extend(Aggregator::ALL.iter().map(|rule| format!("off_{}", rule.name())));
	header.extend(columns(&["follows", "honest_per_seat", "colluder_per_seat", "share_after"]));
	Table {
		header,
		rows: rows
			.iter()
			.map(|row| {
				let mut cells = vec![fixed(row.fraction, 2), fixed(row.realised, 3)];
				cells.extend(row.error.iter().map(|e| fixed(*e, 1)));
				cells.extend(row.off.iter().map(|o| fixed(*o, 3)));
				cells.extend([
					fixed(row.follows, 3),
					fixed(row.honest_per_seat, 2),
					fixed(row.colluder_per_seat, 2),
					fixed(row.share_after, 3),
				]);
				cells
			})
			.collect(),
	}
}

/// `lazy_constant.csv`: in-consensus rate of each constant with the run's node mix, with every
/// node honest, and with every node honest and clustered answers.
pub fn lazy_constant_table(rows: &[LazyConstantRow]) -> Table {
	Table {
		header: columns(&[
			"constant",
			"in_consensus_mixed",
			"in_consensus_honest",
			"in_consensus_clustered",
		]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					row.constant.to_string(),
					fixed(row.mixed_rate, 3),
					fixed(row.honest_rate, 3),
					fixed(row.clustered_rate, 3),
				]
			})
			.collect(),
	}
}

/// The stake-splitting run as a table.
pub fn split_table(rows: &[SplitRow]) -> Table {
	Table {
		header: columns(&["share", "pieces", "seats_per_round", "paid_per_round", "vs_whole"]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					fixed(row.share, 2),
					row.pieces.to_string(),
					fixed(row.seats_per_round, 4),
					fixed(row.paid_per_round, 3),
					fixed(row.vs_whole, 3),
				]
			})
			.collect(),
	}
}

/// `model_switch.csv`: an honest member's in-consensus rate scoring with another model than its
/// committee, and with the committee's.
pub fn model_switch_table(rows: &[ModelSwitchRow]) -> Table {
	Table {
		header: columns(&["disagreement", "in_consensus_other_model", "in_consensus_own_model"]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					row.disagreement.to_string(),
					fixed(row.other_model_rate, 3),
					fixed(row.own_model_rate, 3),
				]
			})
			.collect(),
	}
}

/// The grinding run as a table.
pub fn grind_table(rows: &[GrindRow]) -> Table {
	Table {
		header: columns(&["share", "one_draw", "best_of", "tries"]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					fixed(row.share, 2),
					fixed(row.one_draw, 4),
					fixed(row.best_of, 4),
					row.tries.to_string(),
				]
			})
			.collect(),
	}
}

/// The capture curve as a table.
pub fn capture_table(rows: &[CaptureRow]) -> Table {
	Table {
		header: columns(&["seats", "share", "whole", "split", "binomial"]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					row.seats.to_string(),
					fixed(row.share, 3),
					fixed(row.whole, 4),
					fixed(row.split, 4),
					fixed(row.binomial, 4),
				]
			})
			.collect(),
	}
}

/// `disputes`' rows.
pub fn disputes_table(rows: &[DisputeRow]) -> Table {
	Table {
		header: columns(&[
			"levels",
			"share",
			"dispute_rate",
			"members_dispute",
			"captured",
			"jury_captured",
			"decided",
			"capture_gain_per_request",
			"frivolous_loss_per_dispute",
			"frivolous_won",
			"honest_net_per_seat",
		]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					row.levels.to_string(),
					fixed(row.share, 3),
					fixed(row.dispute_rate, 2),
					u8::from(row.members_dispute).to_string(),
					fixed(row.captured, 4),
					fixed(row.jury_captured, 4),
					fixed(row.decided, 4),
					fixed(row.capture_gain, 5),
					fixed(row.frivolous_loss, 4),
					fixed(row.frivolous_won, 4),
					fixed(row.honest_net, 5),
				]
			})
			.collect(),
	}
}

/// `judge_gaming`'s rows.
pub fn judge_gaming_table(rows: &[GamingRow]) -> Table {
	Table {
		header: columns(&[
			"dispute_rate",
			"appeal_accuracy",
			"gaming_net_per_request",
			"honest_net_per_request",
			"frivolous_loss_per_dispute",
			"honest_penalised",
		]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					fixed(row.dispute_rate, 2),
					fixed(row.appeal_accuracy, 2),
					fixed(row.gaming_net, 4),
					fixed(row.honest_net, 4),
					fixed(row.frivolous_loss, 4),
					fixed(row.honest_penalised, 4),
				]
			})
			.collect(),
	}
}

/// `slots`' rows, fees in units of `unit` (the runtime's `UNIT`, say) with three decimals.
pub fn slots_table(rows: &[SlotRow], unit: u128) -> Table {
	let units = |amount: u128| fixed(amount as f64 / unit as f64, 3);
	Table {
		header: columns(&["share", "held", "rounds_an_hour", "burst_an_hour", "steady_an_hour"]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					fixed(row.share, 2),
					row.held.to_string(),
					row.rounds.to_string(),
					units(row.burst),
					units(row.steady),
				]
			})
			.collect(),
	}
}

/// `shading.csv`: what shading buys and costs, per coalition share, honest noise, `Tolerance`
/// and shade.
pub fn shading_table(rows: &[ShadingRow]) -> Table {
	Table {
		header: columns(&[
			"share",
			"noise",
			"tolerance",
			"shade",
			"shader_paid",
			"honest_paid",
			"lift",
			"honest_per_seat",
			"shader_per_seat",
		]),
		rows: rows
			.iter()
			.map(|row| {
				vec![
					fixed(row.share, 2),
					row.noise.to_string(),
					row.tolerance.to_string(),
					row.shade.to_string(),
					fixed(row.shader_paid, 3),
					fixed(row.honest_paid, 3),
					fixed(row.lift, 1),
					fixed(row.honest_per_seat, 2),
					fixed(row.shader_per_seat, 2),
				]
			})
			.collect(),
	}
}

fn columns(names: &[&str]) -> Vec<String> {
	names.iter().map(|name| name.to_string()).collect()
}

fn fixed(value: f64, decimals: usize) -> String {
	format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn renders_both_formats() {
		let table = Table { header: columns(&["a", "b"]), rows: vec![columns(&["1", "2.50"])] };
		assert_eq!(table.csv(), "a,b\n1,2.50\n");
		assert_eq!(table.markdown(), "| a | b |\n| --- | --- |\n| 1 | 2.50 |\n");
	}
}
