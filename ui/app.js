/*
 * The operator's console: plain JavaScript over the gateway's public API.
 * Everything a device sends (names, values, log lines) is put in the page
 * as text (textContent), never as markup.
 */
"use strict";

const TOKEN_KEY = "outpost.token";

/* An element with its text and children: the one way this file makes
 * DOM, so no string ever becomes markup. */
function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === "class")
			e.className = v;
		else if (k.startsWith("on"))
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v);
	}
	for (const c of children) {
		if (c === null || c === undefined)
			continue;
		e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return e;
}

function token() {
	return sessionStorage.getItem(TOKEN_KEY);
}

/* A request to the API with the token; an answer of 401 asks for one. */
async function api(method, path, body, headers) {
	const h = Object.assign({}, headers || {});
	const t = token();
	if (t)
		h["Authorization"] = "Bearer " + t;
	if (body !== undefined && typeof body !== "string") {
		body = JSON.stringify(body);
		h["Content-Type"] = h["Content-Type"] || "application/json";
	}
	const r = await fetch(path, { method, headers: h, body });
	if (r.status === 401) {
		showLogin("The gateway did not take the token.");
		throw new Error("unauthorized");
	}
	const text = await r.text();
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
	return { status: r.status, json, text, headers: r.headers };
}

function showLogin(why) {
	document.getElementById("login").hidden = false;
	document.getElementById("page").hidden = true;
	document.getElementById("login-error").textContent = why || "";
}

function setPage(...children) {
	const p = document.getElementById("page");
	p.hidden = false;
	document.getElementById("login").hidden = true;
	p.replaceChildren(...children);
}

async function fleetPage() {
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
}

async function devicesPage(q) {
	const prefix = q.get("prefix") || "";
	/* From the first name at or after the prefix, in name order. */
	const r = await api("GET", "/v1/devices?limit=100" +
	    (prefix ? "&after=" + encodeURIComponent(prefix.slice(0, -1) +
	    String.fromCharCode(prefix.charCodeAt(prefix.length - 1) - 1) +
	    "\uffff") : ""));
	const rows = (r.json && r.json.devices ? r.json.devices : [])
	    .filter(d => d.ep.startsWith(prefix)).map(d =>
	    el("tr", {},
		el("td", {}, el("a", { href: "#/device?ep=" +
		    encodeURIComponent(d.ep) }, d.ep)),
		el("td", {}, d.state), el("td", {}, d.lwm2m || ""),
		el("td", {}, (d.tags || []).join(", "))));
	const input = el("input", { id: "device-filter", value: prefix,
	    placeholder: "name prefix" });
	const form = el("form", { onsubmit: e => {
		e.preventDefault();
		location.hash = "#/devices?prefix=" +
		    encodeURIComponent(input.value);
	} }, input, el("button", { type: "submit" }, "Find"));
	setPage(el("h1", {}, "Devices"), form,
	    el("table", { id: "devices" },
		el("thead", {}, el("tr", {}, el("th", {}, "endpoint"),
		    el("th", {}, "state"), el("th", {}, "LwM2M"),
		    el("th", {}, "tags"))),
		el("tbody", {}, ...rows)));
}

const pages = { fleet: fleetPage, devices: devicesPage };

async function route() {
	if (!token()) {
		showLogin();
		return;
	}
	const [name, query] = (location.hash.slice(2) || "fleet").split("?");
	const page = pages[name] || fleetPage;
	try {
		await page(new URLSearchParams(query || ""));
	} catch (e) {
		if (e.message !== "unauthorized")
			setPage(el("p", { class: "error" }, String(e)));
	}
}

document.getElementById("login-form").addEventListener("submit", e => {
	e.preventDefault();
	sessionStorage.setItem(TOKEN_KEY,
	    document.getElementById("token").value);
	route();
});
window.addEventListener("hashchange", route);
route();
