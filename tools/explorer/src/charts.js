// The explorer's plots, drawn with Chart.js (only the parts it uses are registered).

import {
	BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
	PointElement, ScatterController, Tooltip,
} from "chart.js";
import { MAX_SCORE } from "./model.js";

Chart.register(
	BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement,
	ScatterController, Tooltip,
);

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** A canvas in a sized box, and its chart; the page replaces both when it refreshes. */
function plot(config, label) {
	const canvas = document.createElement("canvas");
	canvas.setAttribute("role", "img");
	canvas.setAttribute("aria-label", label);
	const box = document.createElement("div");
	box.className = "plot";
	box.append(canvas);
	new Chart(canvas, { ...config, options: { animation: false, maintainAspectRatio: false, ...config.options } });
	return box;
}

/**
 * Each committee member's revealed score of each answer against the consensus score:
 * `answers` are labels, `consensus` scores (0..=10 000), `members` `{ name, scores }`. Members
 * sit side by side around their answer, so that equal scores do not hide each other; the
 * consensus is a bar across them.
 */
export function scoresPlot(answers, consensus, members) {
	const spread = (i) => (members.length > 1 ? (i / (members.length - 1) - 0.5) * 0.4 : 0);
	const points = (scores, dx = 0) => scores.map((score, j) => ({ x: j + dx, y: score / MAX_SCORE }));
	return plot(
		{
			type: "scatter",
			data: {
				datasets: [
					...members.map((member, i) => ({
						label: member.name,
						data: points(member.scores, spread(i)),
						backgroundColor: COLORS[i % COLORS.length],
						pointRadius: 6,
						order: 0,
					})),
					{
						label: "consensus",
						data: points(consensus),
						borderColor: "#000",
						pointStyle: "line",
						pointRadius: 40,
						pointBorderWidth: 3,
						order: 1,
					},
				],
			},
			options: {
				scales: {
					x: {
						type: "linear",
						min: -0.5,
						max: answers.length - 0.5,
						afterBuildTicks: (axis) => (axis.ticks = answers.map((_, j) => ({ value: j }))),
						ticks: { callback: (value) => answers[value] ?? "" },
						title: { display: true, text: "answer" },
					},
					y: {
						min: -0.05,
						max: 1.05,
						afterBuildTicks: (axis) => (axis.ticks = Array.from({ length: 11 }, (_, i) => ({ value: i / 10 }))),
						ticks: { callback: (value) => value.toFixed(1) },
						title: { display: true, text: "score" },
					},
				},
			},
		},
		"committee members' revealed scores and the consensus score of each answer",
	);
}

/** An account's running earnings and losses by block: `series` of `{ block, earned, lost }`. */
export function earningsPlot(series, toUnits, symbol) {
	const line = (key, color) => ({
		label: key,
		data: series.map((p) => ({ x: p.block, y: toUnits(p[key]) })),
		borderColor: color,
		backgroundColor: color,
		stepped: true,
		showLine: true,
	});
	return plot(
		{
			type: "scatter",
			data: { datasets: [line("earned", "#2ca02c"), line("lost", "#d62728")] },
			options: {
				scales: {
					x: { type: "linear", title: { display: true, text: "block" }, ticks: { precision: 0 } },
					y: { beginAtZero: true, title: { display: true, text: symbol } },
				},
			},
		},
		"earnings and losses over time",
	);
}

/** Requests finalized and expired in each block: `rows` of `{ block, finalized, expired }`. */
export function settledPlot(rows) {
	return plot(
		{
			type: "bar",
			data: {
				labels: rows.map((r) => r.block),
				datasets: [
					{ label: "finalized", data: rows.map((r) => r.finalized), backgroundColor: "#2ca02c" },
					{ label: "expired", data: rows.map((r) => r.expired), backgroundColor: "#d62728" },
				],
			},
			options: {
				scales: {
					x: { stacked: true, title: { display: true, text: "block" } },
					y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "requests" } },
				},
			},
		},
		"requests settled per block",
	);
}
