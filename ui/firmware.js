/*
 * Firmware images: the list with each one's signature verdict, and for an
 * admin the upload (the signed manifest first, POST /v1/firmware, whose
 * answer is the signature's verdict; then the image in parts, PUT
 * /v1/firmware/{id}/image with Content-Range, each part within [http]
 * max_body) and delete.
 */
"use strict";

/* The page's names stay its own: pages share one global scope. */
(() => {
const FW_PART = 60000;		/* bytes per PUT, under the default max_body */
const FW_PART_MIN = 1024;	/* [http] max_body's least */

function bytes(n) {
	if (n >= 1 << 20)
		return (n / 1048576).toFixed(1) + " MiB";
	if (n >= 1024)
		return (n / 1024).toFixed(1) + " KiB";
	return n + " B";
}

/* The image's bytes from start in parts; onPart(received) after each. The
 * answer of the last PUT, or of the first that was not 202. A part over
 * the gateway's max_body (413) is sent again in halves. */
async function putImage(id, file, start, onPart) {
	let off = start, part = FW_PART;
	for (;;) {
		const end = Math.min(off + part, file.size);
		const r = await api("PUT", "/v1/firmware/" +
		    encodeURIComponent(id) + "/image", file.slice(off, end),
		    { "Content-Type": "application/octet-stream",
		    "Content-Range": "bytes " + off + "-" + (end - 1) + "/" +
		    file.size });
		if (r.status === 413 && part > FW_PART_MIN) {
			part = Math.max(FW_PART_MIN, Math.floor(part / 2));
			continue;
		}
		if (r.status === 201)
			onPart(file.size);
		if (r.status !== 202)
			return r;
		off = r.json && typeof r.json.received === "number" ?
		    r.json.received : end;
		onPart(off);
		if (off >= file.size)
			return r;
	}
}

function signature(img) {
	return img.trusted ?
	    el("span", { class: "verdict ok" }, "trusted") :
	    el("span", { class: "verdict bad", title: "its key is no " +
		"longer in [firmware] trusted_keys" }, "untrusted");
}

page("firmware", async function firmwarePage(q) {
	const after = q.get("after") || "";
	const admin = may("admin");
	const list = el("div", { id: "firmware-list" });
	const verdict = el("div", { id: "firmware-verdict",
	    "aria-live": "polite" });

	async function load() {
		const r = await api("GET", "/v1/firmware?limit=50" +
		    (after ? "&after=" + encodeURIComponent(after) : ""));
		if (r.status !== 200) {
			list.replaceChildren(el("p", { class: "error",
			    id: "firmware-error" }, apiError(r)));
			return;
		}
		const heads = ["id", "vendor", "class", "version", "seq",
		    "size", "state", "signature", "severity", "added"];
		if (admin)
			heads.push("");
		const rows = r.json.images.map(img => {
			const row = [img.id, img.vendor, img.class, img.version,
			    String(img.seq), bytes(img.size),
			    img.state === "complete" ? "complete" :
			    progress(img.received, img.size,
			    "firmware-received-" + img.id),
			    signature(img), img.severity, when(img.created_at)];
			if (admin)
				row.push(deleteButton(img));
			return row;
		});
		/* replaceChildren makes text of a null: none is given. */
		list.replaceChildren(...[
		    el("p", { id: "firmware-space", class: "muted" },
			bytes(r.json.bytes) + " of " + bytes(r.json.max_bytes) +
			" used"),
		    table("firmware", heads, rows),
		    rows.length === 0 ? el("p", { class: "muted" },
			"No images.") : null,
		    el("p", { class: "pager" },
			after ? el("a", { href: "#/firmware" }, "first page") :
			null, " ",
			r.json.next ? el("a", { id: "firmware-next",
			    href: "#/firmware?after=" +
			    encodeURIComponent(r.json.next) }, "next page") :
			null)].filter(Boolean));
	}

	/* Asks once more before it deletes: the first click arms it. */
	function deleteButton(img) {
		const b = el("button", { id: "firmware-delete-" + img.id,
		    class: "danger", type: "button" }, "delete");
		b.addEventListener("click", async () => {
			if (!b.classList.contains("armed")) {
				b.classList.add("armed");
				b.textContent = "delete " + img.version + "?";
				return;
			}
			b.disabled = true;
			const r = await api("DELETE", "/v1/firmware/" +
			    encodeURIComponent(img.id));
			verdict.replaceChildren(r.status === 204 ?
			    el("p", { class: "ok" }, "Deleted " + img.id +
				" (" + img.version + ").") :
			    el("p", { class: "error" }, "Not deleted: " +
				apiError(r)));
			await load();
		});
		return b;
	}

	let form = null;
	if (admin) {
		const manifest = el("input", { id: "firmware-manifest",
		    type: "file", accept: ".manifest,.json,application/json" });
		const image = el("input", { id: "firmware-image",
		    type: "file" });
		const send = el("button", { id: "firmware-send",
		    type: "submit" }, "Upload");
		form = el("form", { id: "firmware-upload", onsubmit: async e => {
			e.preventDefault();
			if (!manifest.files.length) {
				verdict.replaceChildren(el("p", { class: "error" },
				    "Choose the signed manifest (outpost sign " +
				    "writes IMAGE.manifest)."));
				return;
			}
			send.disabled = true;
			try {
				await upload(manifest.files[0],
				    image.files.length ? image.files[0] : null);
			} finally {
				send.disabled = false;
				await load();
			}
		} },
		    el("label", {}, "Signed manifest ", manifest),
		    el("label", {}, "Image ", image), send);
	}

	/* The image a manifest already posted names (its uri is /fw/ID),
	 * when it is the same image: its upload is taken up again. */
	async function posted(text) {
		let doc;
		try { doc = JSON.parse(text); } catch (e) { return null; }
		const m = /^\/fw\/(\w+)$/.exec(doc && doc.uri || "");
		if (!m)
			return null;
		const r = await api("GET", "/v1/firmware/" + m[1]);
		return r.status === 200 && r.json.sha256 === doc.sha256 ?
		    r.json : null;
	}

	async function upload(mf, file) {
		const text = await mf.text();
		const r = await api("POST", "/v1/firmware", text,
		    { "Content-Type": "application/json" });
		let img = r.status === 201 ? r.json : null;
		if (r.status === 409 && r.json && r.json.error === "exists")
			img = await posted(text);
		if (img === null) {
			verdict.replaceChildren(el("p", { class: "error",
			    id: "firmware-refused" }, "Refused: " + apiError(r)));
			return;
		}
		verdict.replaceChildren(el("p", { class: "ok",
		    id: "firmware-accepted" }, (r.status === 201 ?
		    "Signature accepted: " : "Accepted before: ") + img.vendor +
		    " " + img.class + " " + img.version + " (seq " + img.seq +
		    "), signed by key " + img.key.slice(0, 16) + "…; image " +
		    img.id + "."));
		if (img.state === "complete") {
			verdict.append(el("p", { class: "muted",
			    id: "firmware-complete" }, "Its image is complete."));
			return;
		}
		if (file === null) {
			verdict.append(el("p", { class: "muted" }, "No image " +
			    "chosen: choose the manifest again with the image " +
			    "to send its " + bytes(img.size) + "."));
			return;
		}
		const bar = el("div", {}, progress(img.received, file.size,
		    "firmware-upload-progress"));
		verdict.append(bar);
		const w = await putImage(img.id, file, img.received,
		    got => bar.replaceChildren(progress(got, file.size,
		    "firmware-upload-progress")));
		verdict.append(w.status === 201 ?
		    el("p", { class: "ok", id: "firmware-complete" },
			"Image complete: " + bytes(w.json.size) + ", its SHA-256 " +
			"matches the manifest.") :
		    el("p", { class: "error", id: "firmware-refused" },
			"Image refused: " + apiError(w)));
	}

	setPage(...[el("h1", {}, "Firmware"), form, verdict, list]
	    .filter(Boolean));
	await load();
});
})();
