/*
 * The operator's console: plain JavaScript over the gateway's public API.
 * Everything a device sends (names, values, log lines) is put in the page
 * as text (textContent), never as markup.
 *
 * This file is the core every page builds on; each page is its own file
 * (fleet.js, devices.js, device.js, jobs.js, firmware.js, events.js),
 * loaded after this one, and registers itself with page(name, fn).
 *
 *   el(tag, attrs, ...children)   the one way pages make DOM
 *   api(method, path, body, hdrs) -> {status, json, text, headers}
 *   setPage(...children)          replaces the page
 *   events(query, onEvent)        the live event stream; returns stop()
 *   may(role)                     whether the token's role reaches role
 *   progress(done, total, id)     a progress bar
 *   table(id, heads, rows)       a table of cells (text or Nodes)
 *   needChart()                   loads Chart.js once (a promise)
 *   epLink(ep), ago(ts), when(ts), ms(ts), apiError(r) small helpers
 */
"use strict";

const TOKEN_KEY = "outpost.token";
const ROLES = ["read", "operate", "admin"];

/* An element with its text and children. Attributes named on* become
 * listeners; everything else is an attribute, and every child that is not
 * a Node becomes a text node: no string ever becomes markup. */
function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k === "class")
			e.className = v;
		else if (k.startsWith("on"))
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v === true ? "" : v);
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false)
			continue;
		e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return e;
}

function token() {
	return sessionStorage.getItem(TOKEN_KEY);
}

function authHeaders(headers) {
	const h = Object.assign({}, headers || {});
	const t = token();
	if (t)
		h["Authorization"] = "Bearer " + t;
	return h;
}

/* Each route() is a new page: an answer to a request the page before made
 * is thrown away ("stale"), so a slow page never draws over the one the
 * user went to, nor opens its streams. */
let routeSeq = 0;

/* A request to the API with the token; an answer of 401 asks for one.
 * body: a string or Blob/ArrayBuffer as it is, anything else as JSON. */
async function api(method, path, body, headers) {
	const seq = routeSeq;
	const h = authHeaders(headers);
	if (body !== undefined && body !== null && typeof body !== "string" &&
	    !(body instanceof Blob) && !(body instanceof ArrayBuffer)) {
		body = JSON.stringify(body);
		h["Content-Type"] = h["Content-Type"] || "application/json";
	}
	const r = await fetch(path, { method, headers: h, body,
	    cache: "no-store" });
	if (r.status === 401) {
		showLogin("The gateway did not take the token.");
		throw new Error("unauthorized");
	}
	const text = await r.text();
	if (seq !== routeSeq)
		throw new Error("stale");
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
	return { status: r.status, json, text, headers: r.headers };
}

/* The text of an API error answer, for showing. */
function apiError(r) {
	if (r.json && r.json.error)
		return r.status + " " + r.json.error +
		    (r.json.detail ? ": " + r.json.detail : "");
	return r.status + " " + (r.text || "");
}

/* The token's role, asked once per token (GET /v1/whoami). */
let myRole = null;

async function loadRole() {
	const r = await api("GET", "/v1/whoami");
	myRole = r.status === 200 && r.json && r.json.role ? r.json.role :
	    "read";
	document.getElementById("who").textContent = "role: " + myRole;
}

function may(role) {
	return ROLES.indexOf(myRole) >= ROLES.indexOf(role);
}

function showLogin(why) {
	stopStreams();
	myRole = null;
	document.getElementById("login").hidden = false;
	document.getElementById("page").hidden = true;
	document.getElementById("login-error").textContent = why || "";
	document.getElementById("who").textContent = "";
}

function setPage(...children) {
	const p = document.getElementById("page");
	p.hidden = false;
	document.getElementById("login").hidden = true;
	/* as el() does: nothing where a page passes null */
	p.replaceChildren(...children.flat().filter(c => c !== null &&
	    c !== undefined && c !== false));
}

/*
 * The event stream (GET /v1/events), read with fetch: EventSource cannot
 * send the token as a header, and the token never goes in a URL. query is
 * the stream's own (type=, ep=). onEvent(type, data, id) gets each event.
 * The stream is the page's: leaving the page stops it. It comes back after
 * a drop, from the last id seen (Last-Event-ID).
 */
const streams = new Set();

function stopStreams() {
	for (const s of streams)
		s.stop();
	streams.clear();
}

function events(query, onEvent, onState) {
	const ctl = { stopped: false, abort: null, last: null };
	ctl.stop = () => {
		ctl.stopped = true;
		if (ctl.abort)
			ctl.abort.abort();
		streams.delete(ctl);
	};
	streams.add(ctl);
	const state = s => { if (onState) onState(s); };
	(async () => {
		let wait = 500;
		while (!ctl.stopped) {
			ctl.abort = new AbortController();
			try {
				const h = authHeaders({ Accept: "text/event-stream" });
				if (ctl.last !== null)
					h["Last-Event-ID"] = ctl.last;
				const r = await fetch("/v1/events" +
				    (query ? "?" + query : ""), { headers: h,
				    signal: ctl.abort.signal, cache: "no-store" });
				if (r.status === 401) {
					showLogin("The gateway did not take the token.");
					return;
				}
				if (r.status !== 200) {
					state("refused " + r.status);
					return;
				}
				state("live");
				wait = 500;
				await readEvents(r.body, ctl, onEvent);
			} catch (e) {
				if (ctl.stopped)
					return;
			}
			state("reconnecting");
			await new Promise(res => setTimeout(res, wait));
			wait = Math.min(wait * 2, 10000);
		}
	})();
	return ctl.stop;
}

/* Splits an SSE body into events (blank-line separated frames). */
async function readEvents(body, ctl, onEvent) {
	const reader = body.getReader();
	const dec = new TextDecoder();
	let buf = "";
	for (;;) {
		const { value, done } = await reader.read();
		if (done || ctl.stopped)
			return;
		buf += dec.decode(value, { stream: true });
		let at;
		while ((at = buf.indexOf("\n\n")) >= 0) {
			const frame = buf.slice(0, at);
			buf = buf.slice(at + 2);
			let type = "message", data = "", id = null;
			for (const line of frame.split("\n")) {
				if (line.startsWith(":"))
					continue;
				const c = line.indexOf(":");
				const k = c < 0 ? line : line.slice(0, c);
				const v = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
				if (k === "event")
					type = v;
				else if (k === "data")
					data += (data ? "\n" : "") + v;
				else if (k === "id")
					id = v;
			}
			if (id !== null)
				ctl.last = id;
			if (!data)
				continue;
			let json = null;
			try { json = JSON.parse(data); } catch (e) { json = null; }
			try { onEvent(type, json, id); } catch (e) { /* the page's */ }
		}
	}
}

/* A progress bar: done of total, with its figures as text. Its width is
 * set through the CSSOM: the CSP allows no style attributes. */
function progress(done, total, id) {
	const pct = total > 0 ? Math.round(100 * done / total) : 0;
	const bar = el("div", { class: "bar", "data-done": done,
	    "data-total": total });
	bar.style.width = pct + "%";
	return el("div", { class: "progress", id: id }, bar,
	    el("span", { class: "figures" }, done + " / " + total));
}

function epLink(ep) {
	return el("a", { href: "#/device?ep=" + encodeURIComponent(ep),
	    class: "ep" }, ep);
}

/* Milliseconds since the epoch of a time the API gives: an RFC 3339
 * string, or seconds since the epoch; NaN when there is none. */
function ms(ts) {
	if (ts === undefined || ts === null || ts === "" || ts === 0)
		return NaN;
	return typeof ts === "number" ? ts * 1000 : Date.parse(ts);
}

/* A time as local time, or "". */
function when(ts) {
	const t = ms(ts);
	return isNaN(t) ? "" : new Date(t).toLocaleString();
}

/* A time as how long ago it was, or "". */
function ago(ts) {
	const t = ms(ts);
	if (isNaN(t))
		return "";
	const s = Math.max(0, Math.round((Date.now() - t) / 1000));
	if (s < 120)
		return s + " s ago";
	if (s < 7200)
		return Math.round(s / 60) + " min ago";
	if (s < 172800)
		return Math.round(s / 3600) + " h ago";
	return Math.round(s / 86400) + " days ago";
}

/* A table of rows (arrays of cells) under headings. */
function table(id, heads, rows) {
	return el("table", { id: id },
	    el("thead", {}, el("tr", {}, heads.map(h => el("th", {}, h)))),
	    el("tbody", {}, rows.map(r => el("tr", {},
		r.map(c => el("td", {}, c))))));
}

/* Chart.js, loaded by the first page that plots (it is most of the
 * console's bytes, and only the device page draws). */
let chartLoad = null;

function needChart() {
	if (typeof Chart !== "undefined")
		return Promise.resolve();
	if (chartLoad === null)
		chartLoad = new Promise((ok, fail) => {
			const s = el("script", { src: "chart.js" });
			s.addEventListener("load", () => ok());
			s.addEventListener("error", () => {
				chartLoad = null;
				fail(new Error("chart.js did not load"));
			});
			document.head.append(s);
		});
	return chartLoad;
}

const pages = {};

function page(name, fn) {
	pages[name] = fn;
}

async function route() {
	const seq = ++routeSeq;
	stopStreams();
	if (!token()) {
		showLogin();
		return;
	}
	const [name, query] = (location.hash.slice(2) || "fleet").split("?");
	const fn = pages[name] || pages.fleet;
	for (const a of document.querySelectorAll("#nav a"))
		a.classList.toggle("here", a.getAttribute("href") === "#/" + name);
	try {
		if (myRole === null)
			await loadRole();
		document.documentElement.dataset.ready = "";
		await fn(new URLSearchParams(query || ""));
		/* For tests and the benchmark: the page is drawn. */
		if (seq === routeSeq) {
			document.documentElement.dataset.ready = name ||
			    "fleet";
			window.outpostReadyMs = performance.now();
		}
	} catch (e) {
		if (seq === routeSeq && e.message !== "unauthorized" &&
		    e.message !== "stale")
			setPage(el("p", { class: "error" }, String(e)));
	}
}

window.addEventListener("DOMContentLoaded", () => {
	document.getElementById("login-form").addEventListener("submit", e => {
		e.preventDefault();
		sessionStorage.setItem(TOKEN_KEY,
		    document.getElementById("token").value);
		myRole = null;
		route();
	});
	window.addEventListener("hashchange", route);
	route();
});
