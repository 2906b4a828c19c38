/* The fleet at a glance: devices by state, active alarms, jobs. */
"use strict";

page("fleet", async function fleetPage() {
	const [metrics, alarms, jobs] = await Promise.all([
		api("GET", "/metrics"),
		api("GET", "/v1/alarms?state=active"),
		api("GET", "/v1/jobs"),
	]);
	/* Devices by state: the gauge /metrics shows. */
	const states = {};
	for (const m of metrics.text.matchAll(
	    /^outpost_devices\{state="(\w+)"\} (\d+)$/gm))
		states[m[1]] = Number(m[2]);
	setPage(el("h1", {}, "Fleet"),
	    el("p", {}, "Devices: ", el("span", { id: "fleet-devices" },
		Object.entries(states).map(([k, v]) => k + " " + v)
		.join(", ") || "none")),
	    el("p", {}, "Active alarms: ", el("span", { id: "fleet-alarms" },
		alarms.json && alarms.json.alarms ? alarms.json.alarms.length :
		"?")),
	    el("p", {}, "Jobs: ", el("span", { id: "fleet-jobs" },
		jobs.json && jobs.json.jobs ? jobs.json.jobs.length : "?")));
});
