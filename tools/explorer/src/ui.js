// A few DOM helpers, so the pages read as what they show.

/**
 * An element: `h("td", { class: "num", dataset: { score: 5 } }, "0.50")`. Children may be
 * strings, numbers, nodes, arrays of them, or null (skipped).
 */
export function h(tag, props = {}, ...children) {
	const el = document.createElement(tag);
	for (const [key, value] of Object.entries(props ?? {})) {
		if (value === undefined || value === null || value === false) continue;
		if (key === "dataset") Object.assign(el.dataset, value);
		else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
		else if (key === "style") el.setAttribute("style", value);
		else if (key in el && key !== "list") el[key] = value;
		else el.setAttribute(key, value === true ? "" : value);
	}
	for (const child of children.flat(Infinity)) {
		if (child === null || child === undefined || child === false) continue;
		el.append(child instanceof Node ? child : String(child));
	}
	return el;
}

/** A table of `rows` (arrays of cells, or `<tr>` elements) under `headers`. */
export function table(headers, rows, props = {}) {
	return h(
		"table",
		props,
		h("thead", {}, h("tr", {}, headers.map((title) => h("th", {}, title)))),
		h("tbody", {}, rows.map((row) => (row instanceof Node ? row : h("tr", {}, row.map((cell) => (cell instanceof Node && cell.tagName === "TD" ? cell : h("td", {}, cell))))))),
	);
}

/** A titled block of a page. */
export function section(title, ...children) {
	return h("section", {}, h("h2", {}, title), ...children);
}

/** A label and its value, for the summary lists at the top of pages. */
export function facts(pairs) {
	return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** A message box: `kind` is "error", "note" or "ok". */
export function notice(kind, ...children) {
	return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}
