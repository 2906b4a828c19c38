/* Devices: filtered by state, tag and name prefix, a page at a time. */
"use strict";

page("devices", async function devicesPage(q) {
	const f = { prefix: q.get("prefix") || "", state: q.get("state") || "",
	    tag: q.get("tag") || "" };
	const after = q.get("after") || "";
	const ask = new URLSearchParams({ limit: "50" });
	for (const [k, v] of Object.entries(f))
		if (v)
			ask.set(k, v);
	if (after)
		ask.set("after", after);
	const r = await api("GET", "/v1/devices?" + ask);
	if (r.status !== 200) {
		setPage(el("h1", {}, "Devices"),
		    el("p", { class: "error", id: "devices-error" }, apiError(r)));
		return;
	}
	const rows = r.json.devices.map(d => [epLink(d.ep),
	    el("span", { class: "state " + d.state }, d.state),
	    d.lwm2m || "", d.binding || "", ago(d.last_seen),
	    (d.tags || []).join(", ")]);
	const input = (name, ph) => el("input", { id: "device-" + name,
	    value: f[name], placeholder: ph });
	const prefix = input("prefix", "name prefix");
	const tag = input("tag", "tag");
	const state = el("select", { id: "device-state" },
	    ["", "awake", "sleeping", "expired"].map(s => el("option",
		{ value: s, selected: s === f.state }, s || "any state")));
	const go = extra => {
		const p = new URLSearchParams();
		if (prefix.value) p.set("prefix", prefix.value);
		if (state.value) p.set("state", state.value);
		if (tag.value) p.set("tag", tag.value);
		for (const [k, v] of Object.entries(extra || {}))
			p.set(k, v);
		location.hash = "#/devices?" + p;
	};
	const form = el("form", { id: "device-find", onsubmit: e => {
		e.preventDefault();
		go();
	} }, prefix, state, tag, el("button", { type: "submit" }, "Find"));
	setPage(el("h1", {}, "Devices"), form,
	    table("devices", ["endpoint", "state", "LwM2M", "binding",
		"last seen", "tags"], rows),
	    rows.length === 0 ? el("p", { class: "muted" }, "No devices.") : null,
	    el("p", { class: "pager" },
		after ? el("a", { href: "#/devices?" + new URLSearchParams(
		    Object.entries(f).filter(([, v]) => v)) }, "first page") :
		null, " ",
		r.json.next ? el("button", { id: "devices-next",
		    onclick: () => go({ after: r.json.next }) }, "next page") :
		null));
});
