// cerrojo hosted pages: helpers shared by the page scripts. Everything here
// talks to cerrojo's public JSON API like any other client; tokens stay in
// memory and are never written to storage.
"use strict";
var cerrojo = (function () {
  var body = document.body;
  var msgs = {};
  try { msgs = JSON.parse(body.getAttribute("data-msgs") || "{}"); } catch (e) { msgs = {}; }
  var lang = body.getAttribute("data-lang") || "es-CO";

  function t(key) { return msgs[key] || msgs.generic || key; }
  function $(id) { return document.getElementById(id); }
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  // say announces a status (aria-live polite); fail an error (assertive),
  // and moves focus to it so keyboard and screen reader users meet it.
  function say(text) {
    var e = $("error"); if (e) { e.textContent = ""; }
    var s = $("status"); if (s) { s.textContent = text; }
  }
  function fail(text) {
    var s = $("status"); if (s) { s.textContent = ""; }
    var e = $("error");
    if (e) { e.textContent = text; e.focus(); }
  }

  // problemText turns a problem document into words for people.
  function problemText(p) {
    if (!p) { return t("generic"); }
    var code = p.code || "";
    if (code && msgs[code]) { return msgs[code]; }
    if (p.errors && p.errors.length) {
      return p.errors.map(function (f) { return f.message || f.code; }).join(" ");
    }
    return t("generic");
  }

  // markInvalid flags the fields a validation problem names
  // (WCAG 2.2 3.3.1).
  function markInvalid(p, fields) {
    Object.keys(fields).forEach(function (k) {
      var el = $(fields[k]); if (el) { el.removeAttribute("aria-invalid"); }
    });
    if (!p || !p.errors) { return; }
    p.errors.forEach(function (f) {
      var id = fields[(f.field || "").replace(/^\//, "")];
      var el = id && $(id);
      if (el) { el.setAttribute("aria-invalid", "true"); }
    });
  }

  // api calls cerrojo's JSON API and resolves to {status, body}.
  function api(method, path, data, token, extra) {
    var headers = { "Accept": "application/json", "Accept-Language": lang };
    if (data !== undefined) { headers["Content-Type"] = "application/json"; }
    if (token) { headers["Authorization"] = "Bearer " + token; }
    if (extra) { Object.keys(extra).forEach(function (k) { headers[k] = extra[k]; }); }
    return fetch(path, {
      method: method, headers: headers, credentials: "same-origin",
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (r) {
      return r.text().then(function (txt) {
        var b = null;
        try { b = txt ? JSON.parse(txt) : null; } catch (e) { b = null; }
        return { status: r.status, body: b };
      });
    }, function () { return { status: 0, body: { code: "network" } }; });
  }

  // page posts to one of the pages' own routes, with the CSRF token.
  function page(path, token) {
    return api("POST", path, undefined, token, { "X-CSRF-Token": csrf() });
  }

  // busy disables a form's controls while a request is in flight.
  function busy(form, on) {
    if (!form) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("button, input, select"),
      function (el) { el.disabled = on; });
  }

  // Passkeys: WebAuthn takes and gives ArrayBuffers; cerrojo speaks
  // base64url JSON (WebAuthn Level 3 section 5.1.8 JSON encoding).
  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function publicKey(opts) {
    var pk = opts.publicKey || opts;
    pk.challenge = b64uToBuf(pk.challenge);
    if (pk.user && typeof pk.user.id === "string") { pk.user.id = b64uToBuf(pk.user.id); }
    ["allowCredentials", "excludeCredentials"].forEach(function (k) {
      (pk[k] || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
    });
    return pk;
  }
  function credentialJSON(c) {
    var r = c.response, out = {
      id: c.id, rawId: bufToB64u(c.rawId), type: c.type,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64u(r.clientDataJSON) }
    };
    if (c.authenticatorAttachment) { out.authenticatorAttachment = c.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64u(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = bufToB64u(r.authenticatorData);
      out.response.signature = bufToB64u(r.signature);
      if (r.userHandle) { out.response.userHandle = bufToB64u(r.userHandle); }
    }
    return out;
  }
  function getPasskey(opts) {
    return navigator.credentials.get({ publicKey: publicKey(opts) }).then(credentialJSON);
  }
  function createPasskey(opts) {
    return navigator.credentials.create({ publicKey: publicKey(opts) }).then(credentialJSON);
  }

  function show(id) {
    Array.prototype.forEach.call(document.querySelectorAll("main > section"), function (s) {
      s.hidden = s.id !== id;
    });
    var h = document.querySelector("#" + id + " h2");
    if (h) { h.focus(); }
  }

  function query(name) { return new URLSearchParams(location.search).get(name) || ""; }

  return { t: t, $: $, say: say, fail: fail, api: api, page: page, busy: busy,
    problemText: problemText, markInvalid: markInvalid, getPasskey: getPasskey,
    createPasskey: createPasskey, show: show, query: query, lang: lang };
})();
