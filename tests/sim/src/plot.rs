//! SVG plots of the measurements.
//!
//! Plotters runs without a font library here: the SVG keeps text as `<text>` elements that the
//! viewer renders, and plotters only estimates their size for layout.

use crate::{
	aggregate::Aggregator,
	experiment::{AttackRow, RewardRow},
};
use plotters::prelude::*;
use std::path::Path;

/// Errors of the plotting backend, as text.
pub type PlotResult = Result<(), String>;

const SIZE: (u32, u32) = (1200, 520);
const PALETTE: [RGBColor; 3] =
	[RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44)];

/// Bars of mean net reward per round per strategy, whiskers from p10 to p90; nodes left,
/// validators right.
pub fn rewards(rows: &[RewardRow], path: &Path) -> PlotResult {
	let root = SVGBackend::new(path, SIZE).into_drawing_area();
	root.fill(&WHITE).map_err(text)?;
	let (left, right) = root.split_horizontally(SIZE.0 * 2 / 5);
	for (area, role, title) in [
		(&left, "node", "Inference nodes: net reward per round"),
		(&right, "validator", "Validators: net reward per round"),
	] {
		let group: Vec<&RewardRow> = rows.iter().filter(|r| r.role == role).collect();
		bars(area, &group, title)?;
	}
	root.present().map_err(text)
}

fn bars(
	area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
	rows: &[&RewardRow],
	title: &str,
) -> PlotResult {
	let low = rows.iter().map(|r| r.per_round.p10.min(r.per_round.mean)).fold(0.0, f64::min);
	let high = rows.iter().map(|r| r.per_round.p90.max(r.per_round.mean)).fold(0.0, f64::max);
	let pad = (high - low).max(1.0) * 0.08;
	let mut chart = ChartBuilder::on(area)
		.caption(title, ("sans-serif", 20))
		.margin(12)
		.x_label_area_size(40)
		.y_label_area_size(60)
		.build_cartesian_2d(
			(0..rows.len().saturating_sub(1)).into_segmented(),
			(low - pad)..(high + pad),
		)
		.map_err(text)?;
	chart
		.configure_mesh()
		.disable_x_mesh()
		.y_desc("net reward per round (p10-p90 whiskers)")
		.x_labels(rows.len())
		.x_label_formatter(&|value| match value {
			SegmentValue::CenterOf(i) => rows.get(*i).map_or("", |r| r.strategy).to_string(),
			_ => String::new(),
		})
		.draw()
		.map_err(text)?;
	chart
		.draw_series(rows.iter().enumerate().map(|(i, row)| {
			let color = if row.per_round.mean >= 0.0 { PALETTE[0] } else { PALETTE[1] };
			let mut bar = Rectangle::new(
				[(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), row.per_round.mean)],
				color.mix(0.7).filled(),
			);
			bar.set_margin(0, 0, 12, 12);
			bar
		}))
		.map_err(text)?;
	chart
		.draw_series(rows.iter().enumerate().map(|(i, row)| {
			let s = &row.per_round;
			ErrorBar::new_vertical(
				SegmentValue::CenterOf(i),
				s.p10,
				s.mean,
				s.p90,
				BLACK.stroke_width(2),
				14,
			)
		}))
		.map_err(text)?;
	Ok(())
}

/// Consensus error (left) and share of responses off by more than the tolerance (right) against
/// the colluding share of stake, one line per rule.
pub fn attack(rows: &[AttackRow], path: &Path) -> PlotResult {
	let root = SVGBackend::new(path, SIZE).into_drawing_area();
	root.fill(&WHITE).map_err(text)?;
	let (left, right) = root.split_horizontally(SIZE.0 / 2);
	let max_error = rows.iter().flat_map(|r| r.error).fold(1.0, f64::max) * 1.05;
	let error = Panel {
		title: "Consensus error vs true quality",
		y_desc: "mean |consensus - truth| (score units)",
		y_max: max_error,
	};
	lines(&left, &error, rows, |r| r.error)?;
	let off = Panel {
		title: "Consensus off by more than Tolerance",
		y_desc: "share of responses",
		y_max: 1.0,
	};
	lines(&right, &off, rows, |r| r.off)?;
	root.present().map_err(text)
}

/// Titles and vertical extent of one line chart.
struct Panel {
	title: &'static str,
	y_desc: &'static str,
	y_max: f64,
}

/// One line per rule of `metric` against the colluding share.
fn lines(
	area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
	panel: &Panel,
	rows: &[AttackRow],
	metric: impl Fn(&AttackRow) -> [f64; 3],
) -> PlotResult {
	let mut chart = ChartBuilder::on(area)
		.caption(panel.title, ("sans-serif", 20))
		.margin(12)
		.x_label_area_size(40)
		.y_label_area_size(60)
		.build_cartesian_2d(0.0..60.0, 0.0..panel.y_max)
		.map_err(text)?;
	chart
		.configure_mesh()
		.x_desc("colluding share of validator stake (%)")
		.y_desc(panel.y_desc)
		.draw()
		.map_err(text)?;
	for (k, rule) in Aggregator::ALL.into_iter().enumerate() {
		let color = PALETTE[k];
		let points: Vec<(f64, f64)> =
			rows.iter().map(|r| (r.fraction * 100.0, metric(r)[k])).collect();
		chart
			.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
			.map_err(text)?
			.label(rule.name())
			.legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
		chart
			.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))
			.map_err(text)?;
	}
	chart
		.configure_series_labels()
		.position(SeriesLabelPosition::UpperLeft)
		.background_style(WHITE.mix(0.8))
		.border_style(BLACK)
		.draw()
		.map_err(text)
}

fn text(error: impl std::fmt::Display) -> String {
	error.to_string()
}
