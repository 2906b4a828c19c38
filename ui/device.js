/*
 * One device: its registration and credential (the public part: the API
 * never gives a key), its objects and resources as its registration lists
 * them and the object model names them, with read, write, execute and
 * observe and the answer shown; values kept up to date from the event
 * stream; plots of its history over a time window; its queued operations,
 * alarms and log.
 *
 * Stable ids: val-O-I-R (a resource's value), read-, write-, in- (the
 * value to write), exec-, args-, obs- of the same path; read-O-I (a whole
 * instance); plot-P (a series' canvas, P its path with '/' as '-', with
 * data-points and data-values: the rows plotted and the values they
 * stand for); device-answer, device-registration, device-credential,
 * device-ops, device-alarms, device-logs, history-window, device-live.
 */
"use strict";

/* The charts of the page now, destroyed when it is built again. */
let deviceCharts = [];

/* The windows of the plots: raw points for the hour, buckets beyond. */
const HISTORY_WINDOWS = [
	{ name: "1h", label: "1 h", s: 3600, step: null },
	{ name: "6h", label: "6 h", s: 6 * 3600, step: 60 },
	{ name: "24h", label: "24 h", s: 86400, step: 300 },
	{ name: "7d", label: "7 d", s: 7 * 86400, step: 3600 },
];

/* At most this many pages of a raw window: 1 h at 1 point a second. */
const HISTORY_PAGES = 4;
const HISTORY_LIMIT = 1000;

/* "/3/0/9" or "health/cpu_pct" as an id's tail: "3-0-9". */
function pathId(path) {
	return path.replace(/^\//, "").replace(/\//g, "-");
}

/* The value of one SenML record, as text. */
function senmlText(r) {
	if (r.vs !== undefined)
		return String(r.vs);
	if (r.v !== undefined)
		return String(r.v);
	if (r.vb !== undefined)
		return String(r.vb);
	if (r.vlo !== undefined)
		return String(r.vlo);
	if (r.vd !== undefined)
		return "0x" + b64urlHex(r.vd);
	return null;
}

/* Opaque values as hex, the first 64 bytes of them. */
function b64urlHex(s) {
	let bin;
	try {
		bin = atob(String(s).replace(/-/g, "+").replace(/_/g, "/"));
	} catch (e) {
		return "?";
	}
	let out = "";
	for (let i = 0; i < bin.length && i < 64; i++)
		out += bin.charCodeAt(i).toString(16).padStart(2, "0");
	return out + (bin.length > 64 ? "..." : "");
}

/*
 * The values of a SenML pack (RFC 8428: the base name carries on to the
 * records after it) by resource path: "/3/0/9" -> "100"; the instances of
 * a multiple resource as "0: 5, 1: 7" under the resource's path.
 */
function senmlValues(pack) {
	const out = new Map();
	const multi = new Map();
	let bn = "";
	for (const r of Array.isArray(pack) ? pack : []) {
		if (!r || typeof r !== "object")
			continue;
		if (typeof r.bn === "string")
			bn = r.bn;
		const name = bn + (typeof r.n === "string" ? r.n : "");
		const v = senmlText(r);
		if (v === null)
			continue;
		const seg = name.split("/").filter(s => s !== "");
		if (seg.length === 4) {
			const res = "/" + seg.slice(0, 3).join("/");
			if (!multi.has(res))
				multi.set(res, []);
			multi.get(res).push(seg[3] + ": " + v);
		} else if (seg.length === 3)
			out.set("/" + seg.join("/"), v);
	}
	for (const [k, v] of multi)
		out.set(k, v.join(", "));
	return out;
}

/* A number for reading: six significant digits at most past the point. */
function num(v) {
	return Number.isInteger(v) ? String(v) :
	    String(Number(v.toPrecision(6)));
}

/* The SenML field a write of a resource of this type sets. */
function senmlField(type) {
	switch (type) {
	case "Integer":
	case "Unsigned Integer":
	case "Float":
	case "Time":
		return "v";
	case "Boolean":
		return "vb";
	case "Objlnk":
		return "vlo";
	case "Opaque":
		return "vd";
	default:
		return "vs";
	}
}

/* A write's body for the path, typed as the model says; throws on a value
 * that is none of its type. */
function writeBody(path, type, text) {
	const f = senmlField(type);
	let v = text;
	if (f === "v") {
		v = Number(text);
		if (text.trim() === "" || !isFinite(v))
			throw new Error("not a number: " + text);
	} else if (f === "vb") {
		if (!/^(true|false|1|0)$/.test(text))
			throw new Error("not a Boolean (true, false, 1, 0): " + text);
		v = text === "true" || text === "1";
	}
	return JSON.stringify([{ bn: path, [f]: v }]);
}

page("device", async function devicePage(q) {
	const ep = q.get("ep") || "";
	for (const c of deviceCharts)
		c.destroy();
	deviceCharts = [];
	if (!ep) {
		setPage(el("h1", {}, "Device"),
		    el("p", { class: "error", id: "device-error" },
			"No device named (#/device?ep=NAME)."));
		return;
	}
	const base = "/v1/devices/" + encodeURIComponent(ep);
	const [dr, obsr] = await Promise.all([
		api("GET", base),
		api("GET", "/v1/observations?limit=1000&ep=" +
		    encodeURIComponent(ep)),
	]);
	const operate = may("operate");
	const answer = el("div", { id: "device-answer", class: "answer" },
	    el("span", { class: "muted" }, "The answers of the device come " +
		"here."));
	const live = el("span", { id: "device-live", class: "muted" }, "");
	const opsBox = el("div", { id: "device-ops-box" });
	const alarmsBox = el("div", { id: "device-alarms-box" });
	const plots = el("div", { id: "device-plots", class: "plots" });
	const mine = new Set();		/* ops this page queued */
	const ended = new Set();	/* ops op_result said ended */
	/* Lists asked again while an ask is out: the last one shows. */
	const asked = { ops: 0, alarms: 0, plots: 0 };
	const cells = new Map();	/* resource path -> value cell */
	const observed = new Set(((obsr.json && obsr.json.observations) ||
	    []).filter(o => o.path).map(o => o.path.replace(/^\/?/, "/")));
	const obsButtons = new Map();

	/* The answer of one request, as text. */
	function show(what, r, note) {
		const seen = r.headers && r.headers.get("X-Observed-At");
		if (seen && !note)
			note = "from the gateway's cache: the device said it " +
			    ago(seen) + " (" + when(seen) + ")";
		const body = r.status === 202 && r.json && r.json.op ?
		    "queued as op " + r.json.op + " (" + r.json.state +
		    "): it goes when the device is reachable" :
		    r.json !== null ? JSON.stringify(r.json, null, 1) :
		    r.text;
		answer.replaceChildren(
		    el("div", {}, el("span", { class: "req" }, what), " ",
			el("span", { class: "status s" + Math.floor(r.status /
			    100), id: "device-answer-status" }, r.status),
			note ? " " + note : null),
		    body ? el("pre", { id: "device-answer-body" }, body) :
		    null);
		answer.setAttribute("data-status", r.status);
		if (r.status === 202) {
			if (r.json && r.json.op)
				mine.add(r.json.op);
			loadOps();
		}
	}

	function pending(what) {
		answer.removeAttribute("data-status");
		answer.replaceChildren(el("div", {}, el("span",
		    { class: "req" }, what), " ..."));
	}

	function failed(what, e) {
		answer.removeAttribute("data-status");
		answer.replaceChildren(el("div", { class: "error" }, what, ": ",
		    String(e.message || e)));
	}

	/* Puts the values of a SenML pack in their cells. */
	function fill(pack) {
		for (const [path, v] of senmlValues(pack)) {
			const c = cells.get(path);
			if (c) {
				c.textContent = v;
				c.setAttribute("data-at", new Date().toISOString());
			}
		}
	}

	/* How an op this page queued ended. The event comes in the batch
	 * that stores the end, and may be here before the store has it:
	 * the op is asked again until it has. */
	async function opEnded(op, state, tries) {
		const r = await api("GET", "/v1/ops/" + op);
		if (r.status === 200 && r.json.state !== state && tries < 20) {
			setTimeout(() => opEnded(op, state, tries + 1), 100);
			return;
		}
		show("op " + op + " " + state, r);
		if (r.status === 200)
			opFill(r.json);
	}

	/* The value a queued read brought, in its cell. */
	function opFill(op) {
		const res = op.result;
		if (op.method !== "GET" || !res || res.status !== 200 ||
		    typeof res.body !== "string")
			return;
		const ct = res.content_type || "";
		if (/json/.test(ct)) {
			try {
				fill(JSON.parse(res.body));
			} catch (e) { /* not ours to mend */ }
		} else if (/^text\/plain/.test(ct))
			fill([{ bn: "/" + op.path.replace(/^\//, ""),
			    vs: res.body }]);
	}

	async function read(path) {
		const what = "GET " + path;
		pending(what);
		try {
			const r = await api("GET", base + "/r" + path, null,
			    { Accept: "application/json" });
			show(what, r);
			if (r.status === 200 && Array.isArray(r.json))
				fill(r.json);
		} catch (e) {
			failed(what, e);
		}
	}

	async function write(path, type, input) {
		const what = "PUT " + path;
		let body;
		try {
			body = writeBody(path, type, input.value);
		} catch (e) {
			failed(what, e);
			return;
		}
		pending(what);
		try {
			show(what, await api("PUT", base + "/r" + path, body,
			    { "Content-Type": "application/json" }));
		} catch (e) {
			failed(what, e);
		}
	}

	async function execute(path, args) {
		const what = "POST " + path;
		pending(what);
		try {
			show(what, await api("POST", base + "/r" + path,
			    args.value || null, args.value ?
			    { "Content-Type": "text/plain" } : {}));
		} catch (e) {
			failed(what, e);
		}
	}

	async function observe(path) {
		const on = observed.has(path);
		const what = (on ? "DELETE" : "POST") + " observe " + path;
		pending(what);
		try {
			const r = await api(on ? "DELETE" : "POST", base +
			    "/observe" + path);
			show(what, r);
			if (r.status === 200 || r.status === 201)
				observed.add(path);
			else if (r.status === 204 || r.status === 404)
				observed.delete(path);
			const b = obsButtons.get(path);
			if (b)
				b.textContent = observed.has(path) ?
				    "Stop observing" : "Observe";
		} catch (e) {
			failed(what, e);
		}
	}

	/* Execute arms on the first click and goes on the second: a reboot
	 * or a factory reset is not one stray click away. */
	function execButton(path, args) {
		let armed = null;
		const b = el("button", { id: "exec-" + pathId(path),
		    class: "exec", type: "button", onclick: () => {
			if (armed === null) {
				b.textContent = "Confirm";
				b.classList.add("armed");
				armed = setTimeout(() => {
					armed = null;
					b.textContent = "Execute";
					b.classList.remove("armed");
				}, 5000);
				return;
			}
			clearTimeout(armed);
			armed = null;
			b.textContent = "Execute";
			b.classList.remove("armed");
			execute(path, args);
		} }, "Execute");
		return b;
	}

	/* The rows of one instance's resources. */
	function resourceRows(inst, model) {
		const rows = [];
		for (const res of model ? model.resources : []) {
			const path = inst + "/" + res.id;
			const id = pathId(path);
			const ops = res.operations || "";
			const cell = el("td", { id: "val-" + id,
			    class: "val" });
			cells.set(path, cell);
			const acts = el("td", { class: "acts" });
			if (ops.includes("R"))
				acts.append(el("button", { id: "read-" + id,
				    type: "button",
				    onclick: () => read(path) }, "Read"));
			if (operate && ops.includes("W") && !res.multiple) {
				const input = el("input", { id: "in-" + id,
				    class: "wval", placeholder: res.type,
				    "aria-label": "value of " + path });
				acts.append(input, el("button", {
				    id: "write-" + id, type: "button",
				    onclick: () => write(path, res.type,
					input) }, "Write"));
			}
			if (operate && ops.includes("E")) {
				const args = el("input", { id: "args-" + id,
				    class: "args", placeholder: "arguments",
				    "aria-label": "arguments of " + path });
				acts.append(args, execButton(path, args));
			}
			if (operate && ops.includes("R")) {
				const b = el("button", { id: "obs-" + id,
				    type: "button",
				    onclick: () => observe(path) },
				    observed.has(path) ? "Stop observing" :
				    "Observe");
				obsButtons.set(path, b);
				acts.append(b);
			}
			rows.push(el("tr", { id: "res-" + id },
			    el("td", { class: "rid" }, path),
			    el("td", {}, res.name,
				res.units ? el("span", { class: "muted" },
				    " (" + res.units + ")") : null),
			    el("td", { class: "muted" }, res.type),
			    el("td", { class: "ops" }, ops), cell, acts));
		}
		return rows;
	}

	/* The objects the registration lists, each with its model. */
	async function objectsSection(d) {
		const insts = new Map();	/* object id -> [instance path] */
		for (const o of d.objects || []) {
			const seg = String(o.path).split("/").filter(s => s);
			if (seg.length === 0 || !/^\d+$/.test(seg[0]))
				continue;
			if (!insts.has(seg[0]))
				insts.set(seg[0], []);
			if (seg.length >= 2)
				insts.get(seg[0]).push("/" + seg[0] + "/" + seg[1]);
		}
		const ids = [...insts.keys()].sort((a, b) => a - b);
		const models = await Promise.all(ids.map(id =>
		    api("GET", "/v1/objects/" + id)));
		const out = el("div", { id: "device-objects" });
		ids.forEach((id, i) => {
			const m = models[i].status === 200 ? models[i].json :
			    null;
			const paths = insts.get(id);
			out.append(el("h3", {}, "/" + id + " ",
			    m ? m.name : "(not in the object model)"));
			if (paths.length === 0)
				paths.push("/" + id);
			for (const inst of paths) {
				out.append(el("div", { class: "inst" },
				    el("span", { class: "rid" }, inst), " ",
				    el("button", { id: "read-" + pathId(inst),
					type: "button",
					onclick: () => read(inst) },
					"Read all")));
				if (m)
					out.append(el("table", { id: "inst-" +
					    pathId(inst), class: "resources" },
					    el("thead", {}, el("tr", {},
						["path", "resource", "type",
						    "ops", "value", ""].map(h =>
						    el("th", {}, h)))),
					    el("tbody", {},
						resourceRows(inst, m))));
			}
		});
		if (ids.length === 0)
			out.append(el("p", { class: "muted" },
			    "The registration lists no objects."));
		return out;
	}

	/* The queued operations, with a cancel for those not yet sent. */
	async function loadOps() {
		const n = ++asked.ops;
		const r = await api("GET", base + "/ops?limit=100");
		if (n !== asked.ops)
			return;		/* a later ask answers */
		if (r.status !== 200) {
			opsBox.replaceChildren(el("p", { class: "error" },
			    apiError(r)));
			return;
		}
		/* The op_result event may come before the list holds the
		 * op's end: an op it ended is not listed. */
		const rows = r.json.ops.filter(o => !ended.has(o.op))
		    .map(o => [String(o.op), o.state,
		    o.method, o.path + (o.query ? "?" + o.query : ""),
		    ago(o.created_at), o.result ? String(o.result.status ||
			"") + (o.result.error ? " " + o.result.error : "") :
			"",
		    operate && o.state === "queued" ? el("button", {
			id: "cancel-op-" + o.op, type: "button",
			onclick: async () => {
				mine.delete(o.op);	/* its answer says */
				const c = await api("DELETE", "/v1/ops/" +
				    o.op);
				show("DELETE op " + o.op, c);
				loadOps();
			} }, "Cancel") : ""]);
		opsBox.replaceChildren(table("device-ops", ["op", "state",
		    "method", "path", "queued", "result", ""], rows),
		    rows.length === 0 ? el("p", { class: "muted" },
			"Nothing queued.") : null);
	}

	async function loadAlarms() {
		const n = ++asked.alarms;
		const r = await api("GET", "/v1/alarms?limit=50&ep=" +
		    encodeURIComponent(ep));
		if (n !== asked.alarms)
			return;
		if (r.status !== 200) {
			alarmsBox.replaceChildren(el("p", { class: "error" },
			    apiError(r)));
			return;
		}
		const rows = r.json.alarms.map(a => [
		    el("span", { class: "sev " + a.severity }, a.severity),
		    a.kind, a.path || "", a.state, String(a.value),
		    String(a.count), ago(a.first), a.note || "",
		    a.acked ? a.acked.by + ", " + ago(a.acked.at) :
		    operate && a.state === "active" ? el("button", {
			id: "ack-" + a.id, type: "button",
			onclick: async () => {
				show("POST ack alarm " + a.id, await api(
				    "POST", "/v1/alarms/" + a.id + "/ack"));
				loadAlarms();
			} }, "Acknowledge") : ""]);
		alarmsBox.replaceChildren(table("device-alarms", ["severity",
		    "kind", "path", "state", "value", "count", "raised",
		    "note", "acknowledged"], rows),
		    rows.length === 0 ? el("p", { class: "muted" },
			"No alarms.") : null);
	}

	/* The log lines, read from the device when asked (a sleeping
	 * device gets the read queued). */
	const logsBox = el("div", { id: "device-logs-box" });
	async function readLogs() {
		pending("GET logs");
		try {
			const r = await api("GET", base + "/logs?limit=200");
			if (r.status !== 200) {
				show("GET logs", r);
				return;
			}
			answer.replaceChildren(el("div", {}, el("span",
			    { class: "req" }, "GET logs"), " ",
			    el("span", { class: "status s2",
				id: "device-answer-status" }, r.status),
			    " " + r.json.lines.length + " lines"));
			answer.setAttribute("data-status", r.status);
			logsBox.replaceChildren(el("pre", { id: "device-logs",
			    class: "logs" }, r.json.lines.map(l =>
				(l.t ? when(l.t) + "  " : "") + l.text +
				"\n")));
		} catch (e) {
			failed("GET logs", e);
		}
	}

	/* One series over the window, page by page: [{x, y, n}]. */
	async function series(path, w) {
		const now = Date.now() / 1000;
		const ask = new URLSearchParams({ from: String(now - w.s),
		    to: String(now), limit: String(HISTORY_LIMIT) });
		if (w.step)
			ask.set("step", String(w.step));
		const pts = [];
		for (let i = 0; i < HISTORY_PAGES; i++) {
			const r = await api("GET", base + "/history/" +
			    path.split("/").map(encodeURIComponent).join("/") +
			    "?" + ask);
			if (r.status !== 200)
				throw new Error(apiError(r));
			for (const p of (w.step ? r.json.buckets :
			    r.json.points) || [])
				pts.push(p.v !== undefined ?
				    { x: ms(p.t), y: p.v, n: 1 } :
				    { x: ms(p.t), y: p.mean, n: p.count });
			if (!r.json.next)
				break;
			ask.set("after", r.json.next);
		}
		return pts;
	}

	/* The x axis runs from the first value in the window (the whole
	 * window when it is full) to now. */
	function chart(canvas, path, pts, w) {
		const now = Date.now();
		const min = Math.max(now - w.s * 1000, pts.length ? pts[0].x :
		    0);
		const span = now - min;
		const fmt = span > 2 * 86400000 ?
		    { month: "short", day: "numeric", hour: "2-digit" } :
		    span > 600000 ? { hour: "2-digit", minute: "2-digit" } :
		    { hour: "2-digit", minute: "2-digit", second: "2-digit" };
		return new Chart(canvas, {
			type: "line",
			data: { datasets: [{ label: path,
			    data: pts.map(p => ({ x: p.x, y: p.y })),
			    borderColor: "#457b9d", backgroundColor: "#457b9d",
			    borderWidth: 1, pointRadius: pts.length > 200 ?
			    0 : 2 }] },
			options: {
				animation: false,
				parsing: false,
				normalized: true,
				responsive: true,
				maintainAspectRatio: false,
				plugins: { legend: { display: false } },
				scales: { x: { type: "linear",
				    min: min, max: now,
				    ticks: { maxTicksLimit: 6,
					callback: v => new Date(v)
					.toLocaleString([], fmt) } } },
			},
		});
	}

	/* Every series of the device, plotted over the window chosen. */
	async function loadPlots(w) {
		const n = ++asked.plots;
		plots.setAttribute("data-window", w.name);
		plots.removeAttribute("data-ready");
		const list = [];
		let after = null, err = null;
		for (let i = 0; i < 10; i++) {
			const r = await api("GET", base + "/history?limit=100" +
			    (after ? "&after=" + encodeURIComponent(after) :
				""));
			if (r.status !== 200) {
				err = r.status === 404 ? "No history." :
				    apiError(r);
				break;
			}
			list.push(...r.json.series);
			if (!(after = r.json.next))
				break;
		}
		const got = await Promise.all(list.map(s =>
		    series(s.path, w).catch(e => e)));
		if (list.length > 0)
			await needChart().catch(e => { err = e.message; });
		if (n !== asked.plots)
			return;		/* another window was chosen */
		for (const c of deviceCharts)
			c.destroy();
		deviceCharts = [];
		const boxes = [];
		list.forEach((s, i) => {
			const pts = got[i];
			const head = el("div", { class: "plot-head" },
			    el("span", { class: "rid" }, s.path));
			if (pts instanceof Error) {
				head.append(" ", el("span", { class: "error" },
				    pts.message));
				boxes.push(el("div", { class: "plot" }, head));
				return;
			}
			const values = pts.reduce((a, p) => a + p.n, 0);
			const canvas = el("canvas", { id: "plot-" +
			    pathId(s.path), "data-path": s.path,
			    "data-window": w.name, "data-points": pts.length,
			    "data-values": values });
			const ys = pts.map(p => p.y);
			head.append(" ", el("span", { class: "muted" },
			    pts.length === 0 ? "no values in the window" :
			    values + " values, " + num(Math.min(...ys)) +
			    " to " + num(Math.max(...ys)) + ", last " +
			    num(ys[ys.length - 1])));
			boxes.push(el("div", { class: "plot" }, head,
			    el("div", { class: "plot-area" }, canvas)));
			s.canvas = canvas;
			s.pts = pts;
		});
		plots.replaceChildren(...boxes);
		if (err !== null || list.length === 0)
			plots.append(el("p", { class: "muted" },
			    err || "No history."));
		for (const s of list)
			if (s.canvas && typeof Chart !== "undefined")
				deviceCharts.push(chart(s.canvas, s.path, s.pts,
				    w));
		plots.setAttribute("data-ready", "1");
	}

	const windowSel = el("select", { id: "history-window",
	    "aria-label": "time window",
	    onchange: () => loadPlots(HISTORY_WINDOWS.find(w =>
		w.name === windowSel.value)) },
	    HISTORY_WINDOWS.map(w => el("option", { value: w.name },
		w.label)));
	const historySection = [el("h2", {}, "Health and history"),
	    el("div", { class: "plot-tools" }, "Window: ", windowSel, " ",
		el("button", { id: "history-reload", type: "button",
		    onclick: () => loadPlots(HISTORY_WINDOWS.find(w =>
			w.name === windowSel.value)) }, "Reload")),
	    plots];

	if (dr.status !== 200) {
		/* A device deregistered keeps its history and alarms. */
		setPage(el("h1", {}, "Device ", el("span", { id: "device-ep" },
		    ep)), el("p", { class: "error", id: "device-error" },
			apiError(dr)),
		    ...historySection, el("h2", {}, "Alarms"), alarmsBox);
		loadAlarms();
		loadPlots(HISTORY_WINDOWS[0]);
		return;
	}
	const d = dr.json;
	const reg = [["state", el("span", { class: "state " + d.state,
	    id: "device-state" }, d.state)],
	    ["LwM2M", d.lwm2m], ["binding", d.binding +
		(d.queue_mode ? " (queue mode)" : "")],
	    ["lifetime", d.lifetime + " s"], ["address", d.address],
	    ["registration", d.registration_id],
	    ["registered", when(d.registered_at)],
	    ["updated", when(d.updated_at)],
	    ["last seen", when(d.last_seen) + " (" + ago(d.last_seen) + ")"],
	    ["root", d.root_path], ["tags", (d.tags || []).join(", ") ||
		"none"]];
	/* The credential's kind and public part: {kind, psk_identity | rpk
	 * | x509_cn}. */
	const c = d.credential;
	const kind = c ? c.kind || c.credential : null;
	const cred = !c ? "none: plain CoAP" :
	    kind === "psk" ? "PSK, identity " + c.psk_identity :
	    kind === "rpk" ? "raw public key " + c.rpk :
	    kind === "x509" ? "X.509, CN " + c.x509_cn : String(kind);
	const objects = await objectsSection(d);
	const has20 = (d.objects || []).some(o => /^\/20(\/|$)/.test(o.path));

	setPage(el("h1", {}, "Device ", el("span", { id: "device-ep" }, ep),
	    " ", live),
	    el("div", { class: "device-top" },
		el("div", {}, el("h2", {}, "Registration"),
		    el("table", { id: "device-registration", class: "kv" },
			el("tbody", {}, reg.map(([k, v]) => el("tr", {},
			    el("th", {}, k), el("td", {}, v))))),
		    el("h2", {}, "Credential"),
		    el("p", { id: "device-credential" }, cred)),
		el("div", { class: "answer-box" }, el("h2", {}, "Answer"),
		    answer)),
	    ...historySection,
	    el("h2", {}, "Objects and resources"), objects,
	    el("h2", {}, "Queued operations"), opsBox,
	    el("h2", {}, "Alarms"), alarmsBox,
	    el("h2", {}, "Log"), has20 ? el("p", {},
		el("button", { id: "logs-read", type: "button",
		    onclick: readLogs }, "Read the log")) :
		el("p", { class: "muted" },
		    "The device has no Event Log (object 20)."),
	    logsBox);

	/* Live: notifications and sends fill the values; how an op ended
	 * and alarms refresh their lists. */
	events("type=notification,send,op_result,alarm&ep=" +
	    encodeURIComponent(ep), (type, e) => {
		if (!e)
			return;
		if (type === "notification") {
			if (e.records)
				fill(e.records);
			else if (Array.isArray(e.value))
				fill(e.value);
			else if (typeof e.value === "string" && e.path)
				fill([{ bn: e.path, vs: e.value }]);
		} else if (type === "send")
			fill(e.senml);
		else if (type === "op_result") {
			if (e.state !== "queued" && e.state !== "sending")
				ended.add(e.op);
			loadOps();
			if (mine.has(e.op) && ended.has(e.op)) {
				mine.delete(e.op);
				opEnded(e.op, e.state, 0);
			}
		} else if (type === "alarm")
			loadAlarms();
	}, s => {
		live.textContent = s === "live" ? "live" : s;
		live.className = s === "live" ? "live" : "muted";
	});
	loadOps();
	loadAlarms();
	loadPlots(HISTORY_WINDOWS[0]);
});
