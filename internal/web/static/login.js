// Sign-in page: password, then a second factor or the enrolment policy
// demands; passkeys; social providers. On success the access token is
// handed to POST /ui/session, which sets the browser's session cookie, and
// the page moves on. The token is then dropped.
"use strict";
(function () {
  var c = cerrojo, $ = c.$;
  var mfaToken = "", enrollFactor = "", pendingTokens = null;
  // A social identity waiting to be linked to the account whose own
  // sign-in follows on this page (docs/social-login.md); memory only.
  var linkToken = "";
  if (c.query("reauth")) { c.say(c.t("reauth")); }

  function next() {
    var ar = c.query("auth_request");
    if (ar) { return "/ui/authorize?auth_request=" + encodeURIComponent(ar); }
    var n = c.query("next");
    // Only the pages' own paths: no open redirect.
    if (/^\/ui\/[a-z-]+$/.test(n)) { return n; }
    return "/ui/account" + (c.query("lang") ? "?lang=" + encodeURIComponent(c.query("lang")) : "");
  }

  function finish(tok) {
    if (tok.recovery_codes && tok.recovery_codes.length && !pendingTokens) {
      pendingTokens = tok;
      var list = $("codes-list");
      list.textContent = "";
      tok.recovery_codes.forEach(function (code) {
        var li = document.createElement("li"); li.textContent = code; list.appendChild(li);
      });
      c.show("step-codes");
      return;
    }
    c.say(c.t("signed_in"));
    linkPending(tok.access_token).then(function (linked) {
      return c.page("/ui/session", tok.access_token).then(function (r) {
        if (r.status !== 204) { c.fail(c.problemText(r.body)); return; }
        // A failed link leaves its message up; the person is signed in.
        if (linked) { location.assign(next()); }
      });
    });
  }

  // linkPending links the waiting social identity with the access token of
  // the account's own, fresh sign-in (POST /v1/me/identities needs a recent
  // authentication, which this is).
  function linkPending(token) {
    if (!linkToken) { return Promise.resolve(true); }
    var lt = linkToken;
    linkToken = "";
    return c.api("POST", "/v1/me/identities", { link_token: lt }, token).then(function (r) {
      if (r.status !== 201) { c.fail(c.problemText(r.body)); return false; }
      return true;
    });
  }

  // answer handles what /v1/auth/login (or a social or passkey sign-in)
  // answered.
  function answer(r) {
    var b = r.body || {};
    if (r.status === 200 && b.access_token) { finish(b); return; }
    if (r.status === 200 && b.mfa_required) { startMFA(b); return; }
    if (r.status === 200 && b.mfa_enrollment_required) { startEnroll(b); return; }
    if (r.status === 200 && b.link_required) {
      linkToken = b.link_token;
      c.fail(c.t("link_required"));
      return;
    }
    c.fail(c.problemText(b));
  }

  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    c.busy(form, true); c.say(c.t("signing_in"));
    c.api("POST", "/v1/auth/login", { email: $("email").value, password: $("password").value })
      .then(function (r) { c.busy(form, false); answer(r); });
  });

  // Second factor.
  function startMFA(b) {
    mfaToken = b.mfa_token;
    var sel = $("mfa-method"), send = $("mfa-send");
    sel.textContent = ""; send.textContent = "";
    $("mfa-passkey").hidden = true;
    (b.factors || []).forEach(function (f) {
      if (f.method === "passkey") { $("mfa-passkey").hidden = false; return; }
      var o = document.createElement("option");
      o.value = f.method + "|" + (f.factor_id || "");
      o.textContent = c.t("method_" + f.method) + (f.hint ? " (" + f.hint + ")" : "");
      sel.appendChild(o);
      if (f.method === "sms" || f.method === "email") {
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "secondary";
        btn.textContent = c.t("send_" + f.method) + " " + (f.hint || "");
        btn.addEventListener("click", function () {
          c.api("POST", "/v1/auth/mfa/send-code", { mfa_token: mfaToken, factor_id: f.factor_id })
            .then(function (r) {
              if (r.status >= 200 && r.status < 300) {
                sel.value = o.value; c.say(c.t("code_sent")); $("mfa-code").focus();
              } else { c.fail(c.problemText(r.body)); }
            });
        });
        send.appendChild(btn);
      }
    });
    $("mfa-form").hidden = sel.options.length === 0;
    c.say("");
    c.show("step-mfa");
  }

  $("mfa-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var parts = $("mfa-method").value.split("|"), form = ev.target;
    var body = { mfa_token: mfaToken, method: parts[0], code: $("mfa-code").value.trim() };
    if (parts[1]) { body.factor_id = parts[1]; }
    c.busy(form, true);
    c.api("POST", "/v1/auth/mfa/verify", body).then(function (r) {
      c.busy(form, false);
      if (r.status !== 200) { $("mfa-code").setAttribute("aria-invalid", "true"); }
      answer(r);
    });
  });

  $("mfa-passkey").addEventListener("click", function () {
    c.api("POST", "/v1/auth/mfa/passkey-options", { mfa_token: mfaToken }).then(function (r) {
      if (r.status !== 200) { c.fail(c.problemText(r.body)); return null; }
      var id = r.body.challenge_id;
      return c.getPasskey(r.body.public_key).then(function (cred) {
        return c.api("POST", "/v1/auth/mfa/verify", { mfa_token: mfaToken, method: "passkey",
          challenge_id: id, credential: cred });
      });
    }).then(function (r) { if (r) { answer(r); } }, function () { c.fail(c.t("passkey_failed")); });
  });

  // Enrolment of a first factor, when policy demands one.
  function startEnroll(b) {
    mfaToken = b.mfa_token;
    c.api("POST", "/v1/auth/mfa/enroll/totp", { mfa_token: mfaToken, name: document.title })
      .then(function (r) {
        if (r.status !== 200) { c.fail(c.problemText(r.body)); return; }
        enrollFactor = r.body.factor_id;
        $("enroll-qr").src = "data:image/png;base64," + r.body.qr_png;
        $("enroll-secret").textContent = r.body.secret;
        c.say("");
        c.show("step-enroll");
      });
  }

  $("enroll-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    c.busy(form, true);
    c.api("POST", "/v1/auth/mfa/enroll/totp/activate", { mfa_token: mfaToken,
      factor_id: enrollFactor, code: $("enroll-code").value.trim() }).then(function (r) {
      c.busy(form, false); answer(r);
    });
  });

  $("codes-continue").addEventListener("click", function () { finish(pendingTokens); });

  // Passkey sign-in without a password.
  $("passkey-login").addEventListener("click", function () {
    c.api("POST", "/v1/auth/passkey/options", {}).then(function (r) {
      if (r.status !== 200) { c.fail(c.problemText(r.body)); return null; }
      var id = r.body.challenge_id;
      return c.getPasskey(r.body.public_key).then(function (cred) {
        return c.api("POST", "/v1/auth/passkey", { challenge_id: id, credential: cred });
      });
    }).then(function (r) { if (r) { answer(r); } }, function () { c.fail(c.t("passkey_failed")); });
  });

  // Social sign-in: buttons for the providers cerrojo lists (none when the
  // route is absent), and the result handle they come back with.
  c.api("GET", "/v1/auth/social/providers").then(function (r) {
    if (r.status !== 200 || !r.body) { return; }
    var list = Array.isArray(r.body) ? r.body : (r.body.providers || []);
    var box = $("social");
    list.forEach(function (p) {
      var a = document.createElement("a");
      a.className = "button secondary";
      a.href = "/v1/auth/social/" + encodeURIComponent(p.name) + "/start?return_to=" +
        encodeURIComponent(location.pathname + location.search);
      a.textContent = c.t("social_with") + " " + (p.display_name || p.name);
      box.appendChild(a);
    });
  });
  var m = /(?:^#|&)social_result=([^&]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, "", location.pathname + location.search);
    c.api("POST", "/v1/auth/social/result", { handle: decodeURIComponent(m[1]) }).then(answer);
  }
  // A callback the provider or cerrojo refused comes back with an error
  // code instead (docs/social-login.md); the person may try again.
  var e = /(?:^#|&)social_error=([^&]+)/.exec(location.hash);
  if (e) {
    history.replaceState(null, "", location.pathname + location.search);
    c.fail(c.t(e[1] === "access_denied" ? "social_cancelled" : "social_failed"));
  }
})();
