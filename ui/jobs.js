/*
 * Jobs and firmware campaigns: their lists, each with a progress bar, and
 * one job or campaign with its progress overall and by group, its devices'
 * states with their reasons, the failed devices' log lines, and the
 * actions that the token's role and the status allow. The figures follow
 * the event stream (job, job_progress; fw_progress, campaign; op_result
 * for a failed device's log) without a reload: an event only says that something moved,
 * the page then asks the API again (a burst of events makes one request),
 * so what is shown is always the gateway's own count.
 */
"use strict";

const JOB_STATES = ["pending", "in_progress", "deferred", "succeeded",
    "failed", "cancelled", "skipped", "removed"];
const JOB_FINAL = ["succeeded", "failed", "cancelled", "skipped", "removed"];
const CAMP_STATES = ["pending", "announced", "downloading", "downloaded",
    "updating", "succeeded", "failed", "removed"];
const CAMP_FINAL = ["succeeded", "failed", "removed"];

/* What each kind is called, where it lives, and what it may be asked to
 * do in which status (the gateway answers 409 to the rest). Every action
 * is POST .../{id}/{action}, role admin (doc/openapi.yaml). */
const KINDS = {
	job: {
		title: "Job", path: "/v1/jobs", states: JOB_STATES,
		final: JOB_FINAL, finished: ["done", "cancelled", "ended"],
		events: "type=job,job_progress", idOf: d => d.job,
		actions: [
			["pause", "Pause", s => s === "running" ||
			    s === "scheduled" || s === "awaiting_approval"],
			["resume", "Resume", s => s === "paused"],
			["continue", "Continue with the next group",
			    s => s === "awaiting_approval"],
			["cancel", "Cancel", s => !["done", "cancelled",
			    "ended"].includes(s)],
		],
	},
	campaign: {
		title: "Campaign", path: "/v1/campaigns", states: CAMP_STATES,
		final: CAMP_FINAL, finished: ["done", "cancelled"],
		events: "type=fw_progress,campaign", idOf: d => d.campaign,
		actions: [
			["pause", "Pause", s => s === "running"],
			["resume", "Resume", s => s === "paused"],
			["cancel", "Cancel", s => s === "running" ||
			    s === "paused"],
		],
	},
};

/* Devices of a job or campaign shown at once. */
const DEV_PAGE = 100;

/* The devices that are finished, of counts by state. */
function doneOf(counts, final) {
	return final.reduce((n, s) => n + ((counts || {})[s] || 0), 0);
}

/*
 * fn() at most once per delay (ms, or a function that says it) after
 * each kick(), never two at once: a burst of events makes one request,
 * and the last event is always followed by one. A large job or campaign
 * is asked less often: each time reads every device.
 */
function coalesce(fn, delay) {
	const wait = typeof delay === "function" ? delay : () => delay;
	const at = location.hash;	/* the page it works for */
	let timer = null, busy = false, again = false;
	const run = async () => {
		timer = null;
		if (location.hash !== at)
			return;
		if (busy) {
			again = true;
			return;
		}
		busy = true;
		let failed = false;
		try {
			await fn();
		} catch (e) {
			failed = true;
		}
		busy = false;
		if (failed && timer === null)
			/* refused (429 over the token's rate) or cut: again
			 * later, or the page would stay behind */
			timer = setTimeout(run, 2000);
		else if (again) {
			again = false;
			kick();
		}
	};
	const kick = () => {
		if (timer === null)
			timer = setTimeout(run, wait());
	};
	return kick;
}

/* The stream's state, shown: "live" once it is open. A stream that comes
 * back may have missed events, so it asks again then too. */
function liveMark(id, refresh) {
	const mark = el("span", { id: id, class: "live muted" }, "connecting");
	return [mark, s => {
		mark.textContent = s;
		mark.classList.toggle("muted", s !== "live");
		if (s === "live")
			refresh();
	}];
}

function statusSpan(id, status) {
	return el("span", { id: id, class: "status " + status }, status);
}

/* ---- the lists ---- */

function listPage(kind, q) {
	const k = KINDS[kind];
	const key = kind + "s";
	const after = q.get("after") || "";
	return async function () {
		const ask = new URLSearchParams({ limit: "50" });
		if (after)
			ask.set("after", after);
		const first = await api("GET", k.path + "?" + ask);
		if (first.status !== 200) {
			setPage(el("h1", {}, k.title + "s"), el("p",
			    { class: "error", id: key + "-error" },
			    apiError(first)));
			return;
		}
		const body = el("tbody", {});
		const render = items => {
			body.replaceChildren(...items.map(x =>
			    listRow(kind, x)));
		};
		render(first.json[key]);
		const refresh = coalesce(async () => {
			const r = await api("GET", k.path + "?" + ask);
			if (r.status !== 200)
				throw new Error(apiError(r));
			render(r.json[key]);
		}, 300);
		const [mark, onState] = liveMark(key + "-live", refresh);
		const heads = kind === "job" ?
		    ["job", "name", "status", "progress", "group", "created"] :
		    ["campaign", "image", "status", "progress", "group",
		    "created"];
		setPage(el("h1", {}, k.title + "s ", mark),
		    el("table", { id: key, class: "runs" },
			el("thead", {}, el("tr", {},
			    heads.map(h => el("th", {}, h)))), body),
		    el("p", { class: "muted", id: key + "-none" },
			first.json[key].length === 0 ? "None yet." : null),
		    el("p", { class: "pager" },
			after ? el("a", { href: "#/" + key }, "newest") : null,
			" ",
			first.json.next ? el("a", { id: key + "-next",
			    href: "#/" + key + "?after=" +
			    encodeURIComponent(first.json.next) }, "older") :
			null));
		events(k.events, () => refresh(), onState);
	};
}

function listRow(kind, x) {
	const k = KINDS[kind];
	const link = el("a", { href: "#/" + kind + "?id=" + x.id,
	    id: kind + "-link-" + x.id }, "#" + x.id);
	return el("tr", { id: kind + "-row-" + x.id, "data-status": x.status },
	    el("td", {}, link),
	    el("td", {}, kind === "job" ? x.name || "" : x.image || ""),
	    el("td", {}, statusSpan(kind + "-status-" + x.id, x.status),
		x.reason ? el("div", { class: "reason muted" }, x.reason) :
		null),
	    el("td", {}, progress(doneOf(x.counts, k.final), x.total || 0,
		kind + "-progress-" + x.id)),
	    el("td", {}, x.groups ? Math.min(x.group + 1, x.groups) + " of " +
		x.groups : ""),
	    el("td", { title: when(x.created_at) }, ago(x.created_at)));
}

page("jobs", q => listPage("job", q)());
page("campaigns", q => listPage("campaign", q)());

/* ---- one job or campaign ---- */

/* Its progress by group: [group, done, total] from the devices' states. */
function byGroup(devs, final) {
	const g = new Map();
	for (const d of devs.values()) {
		const t = g.get(d.group) || [d.group, 0, 0];
		t[2]++;
		if (final.includes(d.state))
			t[1]++;
		g.set(d.group, t);
	}
	return [...g.values()].sort((a, b) => a[0] - b[0]);
}

/* Every device record of a job, all pages: the groups' progress needs
 * each device's group. */
async function jobDevices(id) {
	const out = new Map();
	let after = "";
	for (;;) {
		const ask = new URLSearchParams({ limit: "1000" });
		if (after)
			ask.set("after", after);
		const r = await api("GET", "/v1/jobs/" + id + "/devices?" +
		    ask);
		if (r.status !== 200)
			throw new Error(apiError(r));
		for (const d of r.json.devices)
			out.set(d.ep, d);
		if (!r.json.next)
			return out;
		after = r.json.next;
	}
}

/* The log lines of the failed devices that have them, as text. */
function logsOf(kind, devs) {
	const failed = [...devs.values()].filter(d => d.state === "failed" &&
	    d.log && d.log.length);
	if (failed.length === 0)
		return [el("p", { class: "muted" }, "No failed device has " +
		    "sent its log.")];
	return failed.map(d => el("div", { class: "devlog",
	    id: kind + "-log-" + d.ep },
	    el("h3", {}, epLink(d.ep)),
	    el("pre", {}, d.log.map(l => (l.t ? l.t + "  " : "") + l.text)
		.join("\n"))));
}

function devRow(kind, d) {
	const reason = kind === "job" ? [d.phase || "",
	    d.error || "", d.next_at ? "next " + when(d.next_at) : ""] :
	    [d.via || "", d.result !== undefined ? "result " + d.result : ""];
	const cells = kind === "job" ?
	    [epLink(d.ep), d.group + 1, el("span", { class: "dstate " +
		d.state }, d.state), reason[0], d.steps_done, d.attempts,
	    el("span", { class: "reason" }, reason[1]), reason[2]] :
	    [epLink(d.ep), d.group + 1, el("span", { class: "dstate " +
		d.state }, d.state), reason[0], reason[1],
	    d.op ? d.op : ""];
	return el("tr", { "data-ep": d.ep, "data-state": d.state },
	    cells.map(c => el("td", {}, c)));
}

function onePage(kind) {
	const k = KINDS[kind];
	return async function (q) {
		const id = q.get("id") || "";
		if (!/^[0-9]+$/.test(id)) {
			setPage(el("p", { class: "error" }, "No such " + kind));
			return;
		}
		const url = k.path + "/" + id;
		const first = await api("GET", url);
		if (first.status !== 200) {
			setPage(el("h1", {}, k.title + " " + id), el("p",
			    { class: "error", id: kind + "-error" },
			    apiError(first)));
			return;
		}
		let x = first.json;
		/* A job's devices are their own route; a campaign's come
		 * with it. */
		let devs = kind === "job" ? await jobDevices(id) :
		    new Map((x.devices || []).map(d => [d.ep, d]));
		const filter = el("select", { id: kind + "-dev-state" },
		    ["", ...k.states].map(s => el("option", { value: s },
			s || "every state")));
		let shown = 0;		/* the first device row shown */

		const status = el("span", { id: kind + "-status" });
		const reason = el("span", { id: kind + "-reason",
		    class: "reason" });
		const head = el("p", { class: "head", id: kind + "-head" },
		    status, " ", reason);
		const actions = el("span", { id: kind + "-actions",
		    class: "actions" });
		const actErr = el("span", { id: kind + "-action-error",
		    class: "error" });
		const overall = el("div", { class: "overall" });
		const counts = el("p", { id: kind + "-counts",
		    class: "muted" });
		const groups = el("tbody", {});
		const devBody = el("tbody", {});
		const pager = el("p", { class: "pager" });
		const logs = el("div", { id: kind + "-logs" });
		const info = el("p", { class: "muted", id: kind + "-info" });

		const act = async name => {
			if (name === "cancel" && !window.confirm("Cancel " +
			    kind + " " + id + "? Its devices not finished " +
			    "end cancelled."))
				return;
			for (const b of actions.querySelectorAll("button"))
				b.disabled = true;
			actErr.textContent = "";
			const r = await api("POST", url + "/" + name);
			if (r.status === 200 && r.json) {
				x = Object.assign(x, r.json);
				if (r.json.devices)
					devs = new Map(r.json.devices.map(d =>
					    [d.ep, d]));
			} else {
				actErr.textContent = apiError(r);
			}
			render();
			refresh();
		};

		function render() {
			status.textContent = x.status;
			status.className = "status " + x.status;
			head.setAttribute("data-status", x.status);
			reason.textContent = x.reason || "";
			actions.replaceChildren(...(may("admin") ?
			    k.actions.filter(([, , ok]) => ok(x.status))
			    .map(([name, label]) => el("button", {
				id: kind + "-" + name, type: "button",
				class: name === "cancel" ? "danger" : null,
				onclick: () => act(name) }, label)) : []));
			overall.replaceChildren(progress(doneOf(x.counts,
			    k.final), x.total || 0, kind + "-progress"));
			counts.textContent = k.states.filter(s =>
			    (x.counts || {})[s]).map(s => s.replace("_", " ") +
			    " " + x.counts[s]).join(", ");
			info.textContent = (kind === "job" ? "" : "image " +
			    x.image + ", ") + "group " +
			    Math.min(x.group + 1, x.groups || 1) + " of " +
			    (x.groups || 1) + ", created " +
			    when(x.created_at) + (x.finished_at ?
			    ", finished " + when(x.finished_at) : "");
			groups.replaceChildren(...byGroup(devs, k.final).map(
			    ([g, done, total]) => el("tr", {
				class: g === x.group && !k.finished.includes(
				    x.status) ? "current" : null },
				el("td", {}, "group " + (g + 1)),
				el("td", {}, progress(done, total,
				    kind + "-group-" + g)))));
			renderDevices();
			logs.replaceChildren(...logsOf(kind, devs));
		}

		function renderDevices() {
			const all = [...devs.values()].filter(d =>
			    !filter.value || d.state === filter.value)
			    .sort((a, b) => a.ep < b.ep ? -1 :
				a.ep > b.ep ? 1 : 0);
			if (shown >= all.length)
				shown = Math.max(0, all.length - DEV_PAGE);
			shown -= shown % DEV_PAGE;
			devBody.replaceChildren(...all.slice(shown,
			    shown + DEV_PAGE).map(d => devRow(kind, d)));
			pager.replaceChildren(
			    all.length ? (shown + 1) + "-" + Math.min(
				shown + DEV_PAGE, all.length) + " of " +
				all.length + " " : "no devices ",
			    shown > 0 ? el("button", { id: kind + "-dev-prev",
				type: "button", onclick: () => {
				    shown -= DEV_PAGE;
				    renderDevices();
				} }, "previous") : null, " ",
			    shown + DEV_PAGE < all.length ? el("button", {
				id: kind + "-dev-next", type: "button",
				onclick: () => {
				    shown += DEV_PAGE;
				    renderDevices();
				} }, "next") : null);
		}
		filter.addEventListener("change", () => {
			shown = 0;
			renderDevices();
		});

		const refresh = coalesce(async () => {
			const r = await api("GET", url);
			if (r.status !== 200)
				throw new Error(apiError(r));
			const d = kind === "job" ? await jobDevices(id) :
			    new Map((r.json.devices || []).map(v =>
				[v.ep, v]));
			x = r.json;
			devs = d;
			render();
			if (behind() && settle++ < 10)
				setTimeout(refresh, 1000);
		}, () => (x.total || 0) > 2000 ? 2000 : 300);
		let settle = 0;
		const logWait = new Set();	/* devices whose log may come */

		/*
		 * Whether what was read may be about to change with no event
		 * to say so: the device records (committed a moment after the
		 * counts change) that do not agree with the counts yet, a
		 * failed device whose log was read but is not there yet (kept
		 * in the same way). A campaign's own changes of status are
		 * "campaign" events.
		 */
		function behind() {
			const c = x.counts || {};
			for (const ep of logWait) {
				const d = devs.get(ep);
				if (!d || d.state !== "failed" ||
				    (d.log && d.log.length))
					logWait.delete(ep);
			}
			if (logWait.size)
				return true;
			const n = {};
			for (const d of devs.values())
				n[d.state] = (n[d.state] || 0) + 1;
			return k.states.some(s => (n[s] || 0) !== (c[s] || 0));
		}
		const [mark, onState] = liveMark(kind + "-live", refresh);

		const heads = kind === "job" ?
		    ["endpoint", "group", "state", "phase", "steps done",
		    "attempts", "error", "next"] :
		    ["endpoint", "group", "state", "via", "result", "op"];
		setPage(el("h1", { id: kind + "-title" },
		    el("a", { href: "#/" + kind + "s" }, k.title + "s"),
		    " / #" + id + " " + (kind === "job" ? x.name || "" :
		    x.image), " ", mark),
		    head,
		    el("p", {}, actions, " ", actErr),
		    overall, counts, info,
		    el("h2", {}, "Groups"),
		    el("table", { id: kind + "-groups", class: "groups" },
			groups),
		    el("h2", {}, "Devices ", filter),
		    el("table", { id: kind + "-devices" },
			el("thead", {}, el("tr", {}, heads.map(h =>
			    el("th", {}, h)))), devBody),
		    pager,
		    el("h2", {}, "Failed devices' logs"), logs);
		render();
		if (behind())
			refresh();
		/* A failed device's log is read by an op of its own: its
		 * op_result says the lines may be there. */
		events(k.events + ",op_result", (type, data) => {
			if (!data)
				return;
			if (type === "op_result") {
				const d = devs.get(data.ep);
				if (d && !(d.log && d.log.length)) {
					logWait.add(data.ep);
					settle = 0;
					refresh();
				}
			} else if (String(k.idOf(data)) === id) {
				settle = 0;
				refresh();
			}
		}, onState);
	};
}

page("job", onePage("job"));
page("campaign", onePage("campaign"));
