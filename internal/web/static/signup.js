// Sign-up page: register, then confirm the address with the emailed code.
"use strict";
(function () {
  var c = cerrojo, $ = c.$;
  var fields = { name: "name", email: "email", password: "password" };
  $("signup-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    c.busy(form, true);
    c.api("POST", "/v1/accounts", { name: $("name").value, email: $("email").value,
      password: $("password").value, kind: "customer",
      locale: c.lang === "en" ? "en" : "es-CO" }).then(function (r) {
      c.busy(form, false);
      c.markInvalid(r.body, fields);
      if (r.status !== 202) { c.fail(c.problemText(r.body)); return; }
      c.show("step-verify");
      c.say(c.t("registered"));
    });
  });
  $("verify-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var form = ev.target;
    c.busy(form, true);
    c.api("POST", "/v1/accounts/email-verification", { email: $("email").value,
      code: $("verify-code").value.trim() }).then(function (r) {
      c.busy(form, false);
      if (r.status !== 200) {
        $("verify-code").setAttribute("aria-invalid", "true");
        c.fail(c.problemText(r.body)); return;
      }
      c.show("step-done");
      c.say(c.t("verified"));
    });
  });
})();
