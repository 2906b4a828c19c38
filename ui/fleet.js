/*
 * The fleet at a glance: devices by state, active alarms by severity, the
 * jobs and campaigns under way, and the last events as they come. The
 * figures are asked again (at most every few seconds) when an event says
 * they changed, so the page stays current without a reload.
 */
"use strict";

/* The page's names stay its own: pages share one global scope. */
(() => {
const SEVERITIES = ["critical", "major", "minor", "warning"];
const JOB_LIVE = ["scheduled", "running", "paused", "awaiting_approval"];
const CAMPAIGN_LIVE = ["running", "paused"];
const FLEET_EVENTS = 20;	/* events shown */
const FLEET_ALARMS = 5;		/* latest alarms listed */
const FLEET_REFRESH_MS = 3000;	/* at most one refresh this often */

/* The samples of one gauge of /metrics by its one label:
 * {label value: number}, in the order /metrics gives them. */
function gauge(text, name, label) {
	const out = {};
	const re = new RegExp("^" + name + "\\{" + label +
	    "=\"(\\w+)\"\\} (\\d+)$", "gm");
	for (const m of text.matchAll(re))
		out[m[1]] = Number(m[2]);
	return out;
}

/* A job's devices that are through with it, whatever the outcome. */
function jobDone(j) {
	const c = j.counts || {};
	return (j.total || 0) - (c.pending || 0) - (c.in_progress || 0) -
	    (c.deferred || 0);
}

/* A campaign's devices that are through with it. */
function campaignDone(c) {
	const n = c.counts || {};
	return (n.succeeded || 0) + (n.failed || 0) + (n.removed || 0);
}

/* One event as a line of text; its endpoint a link. */
function eventLine(type, data, cls) {
	const d = data || {};
	const rest = Object.assign({}, d);
	delete rest.type;
	delete rest.ep;
	delete rest.time;
	return el("li", { class: cls },
	    el("span", { class: "ev-time" }, when(d.time)), " ",
	    el("span", { class: "ev-type" }, type), " ",
	    d.ep ? epLink(d.ep) : null, " ",
	    el("span", { class: "ev-data" }, JSON.stringify(rest)));
}

async function fleetFigures() {
	const [metrics, alarms, jobs, camps] = await Promise.all([
		api("GET", "/metrics"),
		api("GET", "/v1/alarms?state=active&limit=" + FLEET_ALARMS),
		api("GET", "/v1/jobs"),
		api("GET", "/v1/campaigns"),
	]);
	const text = metrics.status === 200 ? metrics.text : "";
	const states = gauge(text, "outpost_devices", "state");
	const bySev = gauge(text, "outpost_alarms_active", "severity");

	const devices = el("span", { id: "fleet-devices" },
	    Object.entries(states).map(([k, v]) => k + " " + v).join(", ") ||
	    "none");

	/* The counts of /metrics are of every active alarm; the list is
	 * the latest few only. */
	const sevs = el("p", { id: "fleet-alarm-counts", class: "sevs" },
	    SEVERITIES.map(s => el("span", { class: "sev " + s +
		(bySev[s] ? "" : " none"), id: "fleet-alarms-" + s },
		s + " " + (bySev[s] || 0))));
	let latest;
	if (alarms.status !== 200)
		latest = el("p", { class: "error", id: "fleet-alarms" },
		    apiError(alarms));
	else if (alarms.json.alarms.length === 0)
		latest = el("p", { class: "muted", id: "fleet-alarms" },
		    "No active alarms.");
	else
		latest = table("fleet-alarms", ["severity", "device", "kind",
		    "path", "value", "raised", "acknowledged"],
		    alarms.json.alarms.map(a => [
			el("span", { class: "sev " + a.severity }, a.severity),
			epLink(a.ep), a.kind, a.path || "", String(a.value),
			ago(a.first), a.acked ? a.acked.by : ""]));

	let work;
	if (jobs.status !== 200 || camps.status !== 200) {
		work = el("p", { class: "error", id: "fleet-jobs" },
		    apiError(jobs.status !== 200 ? jobs : camps));
	} else {
		const rows = [];
		for (const j of jobs.json.jobs.filter(j =>
		    JOB_LIVE.includes(j.status)))
			rows.push([el("a", { href: "#/job?id=" + j.id,
			    id: "fleet-job-link-" + j.id },
			    "job " + j.id + (j.name ? ": " + j.name : "")),
			    j.status, progress(jobDone(j), j.total,
			    "fleet-job-" + j.id), j.reason || ""]);
		for (const c of camps.json.campaigns.filter(c =>
		    CAMPAIGN_LIVE.includes(c.status)))
			rows.push([el("a", { href: "#/campaign?id=" + c.id,
			    id: "fleet-campaign-link-" + c.id },
			    "campaign " + c.id + ": " + c.image),
			    c.status, progress(campaignDone(c), c.total || 0,
			    "fleet-campaign-" + c.id), c.reason || ""]);
		work = rows.length ? table("fleet-jobs", ["job or campaign",
		    "state", "progress", "reason"], rows) :
		    el("p", { class: "muted", id: "fleet-jobs" },
		    "No jobs or campaigns under way.");
	}
	return { devices, sevs, latest, work };
}

page("fleet", async function fleetPage() {
	const f = await fleetFigures();
	const boxes = {
		devices: el("p", {}, "Devices: ", f.devices),
		alarms: el("div", {}, f.sevs, f.latest),
		work: el("div", {}, f.work),
	};
	const live = el("ul", { id: "fleet-events", class: "events" });
	const state = el("span", { id: "fleet-events-state",
	    class: "muted" }, "connecting");
	setPage(el("h1", {}, "Fleet"), boxes.devices,
	    el("section", { class: "fleet-box" },
		el("h2", {}, "Active alarms"), boxes.alarms),
	    el("section", { class: "fleet-box" },
		el("h2", {}, "Jobs and campaigns under way"), boxes.work),
	    el("section", { class: "fleet-box" },
		el("h2", {}, "Live events ", state), live));

	/* Ask again after an event that changes a figure, once per
	 * FLEET_REFRESH_MS at most, while the page is shown. */
	let timer = null;
	const refresh = () => {
		if (timer !== null)
			return;
		timer = setTimeout(async () => {
			let n;
			try {
				if (live.isConnected)
					n = await fleetFigures();
			} finally {
				timer = null;
			}
			if (!n || !live.isConnected)
				return;
			boxes.devices.replaceChildren("Devices: ", n.devices);
			boxes.alarms.replaceChildren(n.sevs, n.latest);
			boxes.work.replaceChildren(n.work);
		}, FLEET_REFRESH_MS);
	};
	events("", (type, data) => {
		live.prepend(eventLine(type, data, "ev " + type));
		while (live.childElementCount > FLEET_EVENTS)
			live.lastElementChild.remove();
		if (type !== "notification" && type !== "send")
			refresh();
	}, s => { state.textContent = s; });
});
})();
