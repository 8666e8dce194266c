// Password reset: ask for the link, or, from the link, set the new
// password.
"use strict";
(function () {
  var c = cerrojo, $ = c.$;
  var token = c.query("token");
  if (token) {
    // Keep the single-use token out of the history.
    history.replaceState(null, "", location.pathname + (c.query("lang") ?
      "?lang=" + encodeURIComponent(c.query("lang")) : ""));
  }
  $("request-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    c.busy(form, true);
    c.api("POST", "/v1/accounts/password-reset", { email: $("email").value }).then(function (r) {
      c.busy(form, false);
      if (r.status !== 202) { c.fail(c.problemText(r.body)); return; }
      c.say(c.t("reset_sent"));
    });
  });
  $("new-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    c.busy(form, true);
    c.api("POST", "/v1/accounts/password-reset/complete", { token: token,
      password: $("new-password").value, end_other_sessions: $("end-others").checked })
      .then(function (r) {
        c.busy(form, false);
        c.markInvalid(r.body, { password: "new-password" });
        if (r.status !== 200) { c.fail(c.problemText(r.body)); return; }
        c.show("step-done");
        c.say(c.t("reset_done"));
      });
  });
})();
