//! `poq-sim`: plays the Proof of Quality protocol with adversaries and writes what it measured.

use clap::{Parser, Subcommand};
use poq_sim::{
	config::Config,
	experiment::{self, attack_fractions, breaking_fraction},
	plot,
	report::{self, Table},
};
use std::{fs, path::Path, path::PathBuf, process::ExitCode};

/// Adversarial simulator of the Proof of Quality protocol, on the pallet's own selection,
/// consensus and settlement code.
#[derive(Parser)]
#[command(name = "poq-sim", version)]
struct Cli {
	#[command(subcommand)]
	command: Command,
	/// Directory the CSV and SVG files are written to.
	#[arg(long, default_value = "docs/economics", global = true)]
	out: PathBuf,
	#[command(flatten)]
	config: Config,
}

#[derive(Subcommand, Clone, Copy, PartialEq, Eq)]
enum Command {
	/// Net reward per strategy: rewards.csv, rewards.svg.
	Rewards,
	/// Consensus under a colluding group of 0 to 60 % of stake: attack.csv, attack.svg.
	Attack,
	/// How often a lazy constant lands in consensus: lazy_constant.csv.
	LazyConstant,
	/// All of the above.
	All,
	/// What one entity earns from 5 % or 20 % of the validator stake in 1, 2, 4 or 8 accounts:
	/// split.csv (not part of `all`).
	Split,
	/// How often a coalition of 10 to 40 % of the validator stake captures a committee with one
	/// draw (protocol v2) and with the best of ten (a grinding last responder under v1):
	/// grind.csv (not part of `all`).
	Grind,
	/// The capture curve: how often a coalition of 10 to 45 % of the validator stake holds a
	/// majority of a committee's seats, held whole and split, for committees of 5 to 51 seats:
	/// capture.csv (not part of `all`).
	Capture,
	/// How often an honest validator scoring with another model than its committee (a model
	/// change under a live request) is in consensus: model_switch.csv (not part of `all`).
	ModelSwitch,
	/// What holding 10 to 90 % of the live-request slots for an hour costs in slot fees, at the
	/// runtime's prices: slots.csv (not part of `all`).
	Slots,
	/// What shading (moving every score towards a cartel by 1 to 1 000 units) earns a
	/// coalition of 20 % or 60 % of the validator stake, under `Tolerance` 0, 10 and 1 000, with
	/// honest machines exact (the default model) or off by up to 3 units: shading.csv (not part
	/// of `all`).
	Shading,
	/// What capturing committees earns a coalition of 20 to 40 % of the validator stake when
	/// clients dispute the junk it pays with probability 0 to 1 or the honest members it
	/// outvotes do, what honest validators earn beside it, and what a frivolous dispute costs
	/// its client, with one jury and with an appeal to a second: disputes.csv (not part of
	/// `all`).
	Disputes,
	/// What a node that writes text to please the committee's judge earns when clients dispute
	/// it with probability 0 to 1 and an appeal judge grades rightly 80 to 100 % of the time,
	/// against an honest node, and what a frivolous dispute costs: judge_gaming.csv (not part
	/// of `all`).
	JudgeGaming,
}

/// How far apart two models' scores of one answer are, for `model-switch`.
const MODEL_DISAGREEMENTS: [u16; 7] = [0, 250, 500, 1_000, 1_500, 2_000, 3_000];

fn main() -> ExitCode {
	let cli = Cli::parse();
	match run(&cli) {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("poq-sim: {error}");
			ExitCode::FAILURE
		},
	}
}

fn run(cli: &Cli) -> Result<(), String> {
	let config = &cli.config;
	let qualities = config.qualities()?;
	fs::create_dir_all(&cli.out).map_err(|e| format!("{}: {e}", cli.out.display()))?;
	let wants = |command| cli.command == command || cli.command == Command::All;

	if wants(Command::Rewards) {
		let rows = experiment::rewards(config, &qualities);
		write(&cli.out, "rewards.csv", &report::rewards_table(&rows))?;
		plot::rewards(&rows, &cli.out.join("rewards.svg"))?;
	}
	if wants(Command::Attack) {
		let rows = experiment::attack(config, &qualities, &attack_fractions());
		write(&cli.out, "attack.csv", &report::attack_table(&rows))?;
		plot::attack(&rows, &cli.out.join("attack.svg"))?;
		match breaking_fraction(&rows) {
			Some(fraction) => println!(
				"consensus follows the colluders on most responses from {:.0} % of stake\n",
				fraction * 100.0
			),
			None => println!("consensus never followed the colluders on most responses\n"),
		}
	}
	if wants(Command::LazyConstant) {
		let rows = experiment::lazy_constant(config, &qualities);
		write(&cli.out, "lazy_constant.csv", &report::lazy_constant_table(&rows))?;
	}
	if cli.command == Command::Split {
		let rows = experiment::split(config, &qualities, &[0.05, 0.2], &[1, 2, 4, 8]);
		write(&cli.out, "split.csv", &report::split_table(&rows))?;
	}
	if cli.command == Command::Grind {
		let rows = experiment::grind(config, &[0.1, 0.2, 0.3, 0.4], 10);
		write(&cli.out, "grind.csv", &report::grind_table(&rows))?;
	}
	if cli.command == Command::Capture {
		let sizes = [5, 11, 15, 21, 31, 41, 51];
		let rows =
			experiment::capture(config, &sizes, &[0.1, 0.2, 0.25, 0.3, 1.0 / 3.0, 0.4, 0.45]);
		write(&cli.out, "capture.csv", &report::capture_table(&rows))?;
	}
	if cli.command == Command::Slots {
		let shares = [0.1, 0.25, 0.5, 0.75, 0.9];
		let rows = experiment::slots(&experiment::RUNTIME_SLOTS, &shares);
		write(&cli.out, "slots.csv", &report::slots_table(&rows, experiment::UNIT))?;
	}
	if cli.command == Command::Disputes {
		let shares = [0.2, 0.25, 0.3, 1.0 / 3.0, 0.4];
		let rates = [0.0, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0];
		// One jury (protocol v4 and v5), and the runtime's appeal to a second (v6); clients
		// who dispute at each rate, and outvoted members who always do while no client does
		// (v7).
		let rows: Vec<_> = [1, 2]
			.iter()
			.flat_map(|&levels| {
				let clients = experiment::disputes(config, &shares, &rates, levels, false);
				[clients, experiment::disputes(config, &shares, &[0.0], levels, true)].concat()
			})
			.collect();
		write(&cli.out, "disputes.csv", &report::disputes_table(&rows))?;
	}
	if cli.command == Command::JudgeGaming {
		let rates = [0.0, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0];
		let scores = config.gaming_scores()?;
		let rows = experiment::judge_gaming(config, &rates, &[0.8, 0.9, 0.95, 1.0], &scores);
		let name = match config.red_team {
			Some(_) => "judge_gaming_red_team.csv",
			None => "judge_gaming.csv",
		};
		write(&cli.out, name, &report::judge_gaming_table(&rows))?;
	}
	if cli.command == Command::Shading {
		let rows = experiment::shading(
			config,
			&qualities,
			&[0.2, 0.6],
			&[0, 3],
			&[0, 10, 1_000],
			&[1, 10, 1_000],
		);
		write(&cli.out, "shading.csv", &report::shading_table(&rows))?;
	}
	if cli.command == Command::ModelSwitch {
		let rows = experiment::model_switch(config, &qualities, &MODEL_DISAGREEMENTS);
		write(&cli.out, "model_switch.csv", &report::model_switch_table(&rows))?;
	}
	Ok(())
}

/// Writes `table` as CSV to `dir/name` and prints it as markdown.
fn write(dir: &Path, name: &str, table: &Table) -> Result<(), String> {
	let path = dir.join(name);
	fs::write(&path, table.csv()).map_err(|e| format!("{}: {e}", path.display()))?;
	println!("{}:\n\n{}", path.display(), table.markdown());
	Ok(())
}
