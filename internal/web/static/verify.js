// Email verification link: send the token from the link to the API.
"use strict";
(function () {
  var c = cerrojo;
  var token = c.query("token");
  // Keep the single-use token out of the history and of later requests.
  history.replaceState(null, "", location.pathname + (c.query("lang") ?
    "?lang=" + encodeURIComponent(c.query("lang")) : ""));
  if (!token) { c.fail(c.t("invalid_code")); return; }
  c.say(c.t("loading"));
  c.api("POST", "/v1/accounts/email-verification", { token: token }).then(function (r) {
    if (r.status !== 200) { c.fail(c.problemText(r.body)); return; }
    c.show("step-done");
    c.say(c.t("verified"));
  });
})();
