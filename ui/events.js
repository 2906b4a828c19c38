/*
 * The live event stream, newest first: filtered by type and endpoint (the
 * gateway filters, GET /v1/events?type=&ep=, and what is kept is filtered
 * again here when the filter changes), the last EV_KEEP kept, and paused
 * on demand (events still come and are kept; they are shown on resume).
 */
"use strict";

/* The page's names stay its own: pages share one global scope. */
(() => {
/* The types of proxy/stream.c's stream_types. */
const EV_TYPES = ["registration", "update", "deregistration", "decommission",
	"expired", "awake", "sleeping", "notification", "send", "op_result",
	"fw_progress", "gap", "bootstrap_started", "bootstrap_done",
	"bootstrap_failed", "job", "job_progress", "tags", "alarm", "campaign"];
const EV_KEEP = 500;

page("events", async function eventsPage(q) {
	const asked = (q.get("type") || "").split(",").filter(t =>
	    EV_TYPES.includes(t));
	const kept = [];		/* {type, data, id}, oldest first */
	let paused = false, unseen = 0, stop = null;

	const boxes = EV_TYPES.map(t => el("label", { class: "ev-pick" },
	    el("input", { type: "checkbox", id: "events-type-" + t, value: t,
		checked: asked.length === 0 || asked.includes(t) }), " " + t));
	const ep = el("input", { id: "events-ep", value: q.get("ep") || "",
	    placeholder: "endpoint (all)" });
	const state = el("span", { id: "events-state", class: "muted" },
	    "connecting");
	const count = el("span", { id: "events-count", class: "muted" });
	const list = el("ul", { id: "events-list", class: "events" });
	const pause = el("button", { id: "events-pause", type: "button" },
	    "Pause");

	function chosen() {
		return boxes.map(b => b.firstChild).filter(c => c.checked)
		    .map(c => c.value);
	}

	/* With every box ticked, a type this page does not know yet is
	 * shown too: the stream is then asked for all. */
	function shows(e, types) {
		return (types.length === EV_TYPES.length ||
		    types.includes(e.type)) &&
		    (!ep.value || (e.data && e.data.ep === ep.value));
	}

	function item(e) {
		const d = e.data || {};
		const rest = Object.assign({}, d);
		delete rest.type;
		delete rest.ep;
		delete rest.time;
		return el("li", { class: "ev " + e.type, "data-id": e.id },
		    el("span", { class: "ev-type" }, e.type), " ",
		    el("span", { class: "ev-time" }, when(d.time)), " ",
		    d.ep ? epLink(d.ep) : null, " ",
		    el("code", { class: "ev-data" }, JSON.stringify(rest)));
	}

	function counted() {
		count.textContent = list.childElementCount + " shown, " +
		    kept.length + " kept" + (paused && unseen ?
		    ", " + unseen + " new while paused" : "");
	}

	/* The list again from what is kept, newest first. */
	function render() {
		const types = chosen();
		const rows = [];
		for (let i = kept.length - 1; i >= 0; i--)
			if (shows(kept[i], types))
				rows.push(item(kept[i]));
		list.replaceChildren(...rows);
		counted();
	}

	function onEvent(type, data, id) {
		kept.push({ type, data, id });
		if (kept.length > EV_KEEP)
			kept.shift();
		if (paused) {
			unseen++;
		} else if (shows(kept[kept.length - 1], chosen())) {
			list.prepend(item(kept[kept.length - 1]));
			while (list.childElementCount > EV_KEEP)
				list.lastElementChild.remove();
		}
		counted();
	}

	/* The stream again with the filter as the query; the filter in
	 * the address too, without reloading the page. */
	function listen() {
		if (stop)
			stop();
		const types = chosen();
		const p = new URLSearchParams();
		if (types.length < EV_TYPES.length)
			p.set("type", types.join(","));
		if (ep.value)
			p.set("ep", ep.value);
		history.replaceState(null, "", "#/events" +
		    (p.toString() ? "?" + p : ""));
		render();
		if (types.length === 0) {
			stop = null;
			state.textContent = "no type chosen";
			return;
		}
		state.textContent = "connecting";
		stop = events(p.toString(), onEvent,
		    s => { state.textContent = s; });
	}

	for (const b of boxes)
		b.firstChild.addEventListener("change", listen);
	const all = v => () => {
		for (const b of boxes)
			b.firstChild.checked = v;
		listen();
	};
	pause.addEventListener("click", () => {
		paused = !paused;
		pause.textContent = paused ? "Resume" : "Pause";
		pause.classList.toggle("armed", paused);
		if (!paused) {
			unseen = 0;
			render();
		}
		counted();
	});

	setPage(el("h1", {}, "Events ", state),
	    el("form", { id: "events-filter", onsubmit: e => {
		e.preventDefault();
		listen();
	    } }, ep, el("button", { type: "submit" }, "Filter"), pause,
		el("button", { id: "events-clear", type: "button",
		    onclick: () => {
			kept.length = 0;
			unseen = 0;
			render();
		    } }, "Clear"), count),
	    el("div", { id: "events-types", class: "ev-types" },
		el("button", { type: "button", id: "events-all",
		    onclick: all(true) }, "all"),
		el("button", { type: "button", id: "events-none",
		    onclick: all(false) }, "none"), boxes),
	    list);
	listen();
});
})();
