// Account page: the browser's session cookie buys a short-lived access
// token (POST /ui/token), kept in memory, with which the page reads and
// changes the person's data through /v1/me/... like any client.
"use strict";
(function () {
  var c = cerrojo, $ = c.$;
  var token = "";

  function fresh() {
    return c.page("/ui/token").then(function (r) {
      if (r.status !== 200) {
        location.assign("/ui/login?next=%2Fui%2Faccount");
        throw new Error("signed out");
      }
      token = r.body.access_token;
      return token;
    });
  }
  function call(method, path, data) {
    return fresh().then(function (tok) { return c.api(method, path, data, tok); })
      .then(function (r) {
        if (r.status === 401 && r.body && r.body.code === "step_up_required") {
          signInAgain();
          throw new Error("step-up");
        }
        return r;
      });
  }

  // A sensitive change needs a recent sign-in (step-up, docs/mfa.md). This
  // page does not ask for credentials itself: it ends this sign-in and
  // sends the person to sign in again, then back here.
  function signInAgain() {
    c.page("/ui/logout").then(function () {
      location.assign("/ui/login?reauth=1&next=%2Fui%2Faccount");
    });
  }

  function item(list, text, action) {
    var li = document.createElement("li");
    var span = document.createElement("span");
    span.textContent = text;
    li.appendChild(span);
    if (action) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "secondary"; b.textContent = action.label;
      b.setAttribute("aria-label", action.label + ": " + text);
      b.addEventListener("click", action.run);
      li.appendChild(b);
    }
    list.appendChild(li);
  }
  function empty(list, text) {
    list.textContent = "";
    var li = document.createElement("li"); li.className = "empty"; li.textContent = text;
    list.appendChild(li);
  }
  function when(s) {
    try { return new Date(s).toLocaleString(c.lang); } catch (e) { return s; }
  }

  function loadProfile() {
    return call("GET", "/v1/me").then(function (r) {
      if (r.status !== 200) { return; }
      $("profile-name").textContent = r.body.name || "";
      $("profile-email").textContent = r.body.email || "";
    });
  }

  // Sessions a third-party application holds are named after it (its grant
  // carries the name); the others by their device.
  function loadSessions() {
    var both = [call("GET", "/v1/me/sessions"), call("GET", "/v1/me/grants")];
    return Promise.all(both).then(function (rs) {
      var r = rs[0], names = {};
      var grants = (rs[1].status === 200 && rs[1].body && rs[1].body.grants) || [];
      grants.forEach(function (g) { names[g.client_id] = g.client_name; });
      var list = $("sessions");
      if (r.status !== 200) { empty(list, c.t("none")); return; }
      list.textContent = "";
      (r.body.sessions || []).forEach(function (s) {
        var who = names[s.client_id] || s.device;
        var text = who + " · " + s.ip + " · " + c.t("last_seen") + " " + when(s.last_seen_at) +
          (s.current ? " (" + c.t("current") + ")" : "");
        item(list, text, s.current ? null : { label: c.t("end"), run: function () {
          call("DELETE", "/v1/me/sessions/" + encodeURIComponent(s.id)).then(loadSessions);
        } });
      });
    });
  }

  function loadFactors() {
    return call("GET", "/v1/me/mfa").then(function (r) {
      var list = $("factors");
      if (r.status !== 200) { empty(list, c.t("none")); return; }
      list.textContent = "";
      (r.body.factors || []).forEach(function (f) {
        if (!f.active) { return; }
        item(list, c.t("method_" + f.type) + (f.name ? " · " + f.name : "") +
          (f.hint ? " · " + f.hint : ""));
      });
      (r.body.passkeys || []).forEach(function (p) {
        item(list, c.t("passkey") + " · " + (p.name || ""));
      });
      if (r.body.recovery_codes_left) {
        item(list, c.t("recovery_left") + ": " + r.body.recovery_codes_left);
      }
      if (!list.children.length) { empty(list, c.t("none")); }
    });
  }

  // Connected apps: the consents given to OpenID clients (GET /v1/me/grants).
  // Revoking one also ends the sessions that application holds.
  function loadApps() {
    return call("GET", "/v1/me/grants").then(function (r) {
      var list = $("apps");
      if (r.status !== 200) { c.fail(c.problemText(r.body)); return; }
      var grants = (r.body && r.body.grants) || [];
      if (!grants.length) { empty(list, c.t("apps_none")); return; }
      list.textContent = "";
      grants.forEach(function (g) {
        item(list, (g.client_name || g.client_id) + " · " + (g.scopes || []).join(" "), {
          label: c.t("revoke"),
          run: function () {
            call("DELETE", "/v1/me/grants/" + encodeURIComponent(g.client_id)).then(function (d) {
              if (d.status !== 204) { c.fail(c.problemText(d.body)); }
              // The application's sessions ended with its access.
              return loadApps().then(loadSessions);
            });
          } });
      });
    });
  }

  // Habeas Data consents (Ley 1581 de 2012): one line per purpose.
  function loadConsents() {
    return call("GET", "/v1/me/consents").then(function (r) {
      var list = $("consents");
      var purposes = r.status === 200 && r.body ? (r.body.purposes || []) : [];
      if (!purposes.length) { empty(list, c.t("none")); return; }
      list.textContent = "";
      purposes.forEach(function (p) {
        var state = p.state === "granted" ? c.t("granted") :
          (p.state === "refused" || p.state === "revoked" ? c.t("refused") : p.state);
        item(list, (p.description || p.code) + " · " + state + (p.decided_at ? " · " + when(p.decided_at) : ""));
      });
    });
  }

  $("add-passkey").addEventListener("click", function () {
    call("POST", "/v1/me/passkeys/options", {}).then(function (r) {
      if (r.status !== 200) { c.fail(c.problemText(r.body)); return null; }
      var id = r.body.challenge_id;
      return c.createPasskey(r.body.public_key).then(function (cred) {
        return c.api("POST", "/v1/me/passkeys", { challenge_id: id, credential: cred,
          name: c.t("passkey") }, token);
      });
    }).then(function (r) {
      if (!r) { return; }
      if (r.status !== 201) { c.fail(c.problemText(r.body)); return; }
      c.say(c.t("passkey_added"));
      loadFactors();
    }, function (e) {
      if (e && e.message === "step-up") { return; }
      c.fail(c.t("passkey_failed"));
    });
  });

  c.say(c.t("loading"));
  loadProfile().then(loadSessions).then(loadFactors).then(loadApps).then(loadConsents)
    .then(function () { c.say(""); document.body.setAttribute("data-loaded", "true"); },
      function () {});
})();
