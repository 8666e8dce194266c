// Email links: /ui/verify-email confirms a new account's address,
// /ui/confirm-email the new address of an email change. Either sends the
// token from the link to the API.
"use strict";
(function () {
  var c = cerrojo;
  var change = location.pathname === "/ui/confirm-email";
  var token = c.query("token");
  // Keep the single-use token out of the history and of later requests.
  history.replaceState(null, "", location.pathname + (c.query("lang") ?
    "?lang=" + encodeURIComponent(c.query("lang")) : ""));
  if (!token) { c.fail(c.t("invalid_code")); return; }
  c.say(c.t("loading"));
  var path = change ? "/v1/accounts/email-change/confirm" : "/v1/accounts/email-verification";
  c.api("POST", path, { token: token }).then(function (r) {
    if (r.status !== 200) { c.fail(c.problemText(r.body)); return; }
    c.show("step-done");
    c.say(c.t(change ? "email_changed" : "verified"));
  });
})();
