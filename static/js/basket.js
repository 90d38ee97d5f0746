// Add to the basket without leaving the page (issue 13). The form is posted as it is, asking
// for JSON: the answer carries the message, the number of lines and the basket bar's HTML,
// rendered by the server from the same template as on a full page. Without this script, or
// when anything goes wrong here, the form is sent the ordinary way.
(function () {
  "use strict";

  var status = null;
  var hideTimer = null;

  function say(message, ok) {
    if (status === null) {
      status = document.createElement("p");
      status.className = "basket-status";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      document.body.appendChild(status);
    }
    status.textContent = message;
    status.classList.toggle("is-error", !ok);
    status.hidden = false;
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(function () { status.hidden = true; }, 4000);
  }

  function showCount(count) {
    var link = document.querySelector("[data-basket-link]");
    if (!link) { return; }
    var badge = link.querySelector(".count");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "count";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = "(" + count + ")";
  }

  function showBar(html) {
    var bar = document.getElementById("basket-bar");
    if (!bar) { return; }
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#basket-bar");
    if (fresh) { bar.replaceWith(fresh); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.add-form") || !window.fetch) { return; }
    event.preventDefault();
    // A second tap while the first is on its way adds nothing (the button keeps the focus:
    // a disabled button would drop a keyboard user's place).
    if (form.getAttribute("aria-busy") === "true") { return; }
    form.setAttribute("aria-busy", "true");
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { throw new Error("not JSON"); }
      return response.json();
    }).then(function (answer) {
      say(answer.message, answer.ok);
      showCount(answer.count);
      showBar(answer.bar);
      form.removeAttribute("aria-busy");
    }).catch(function () {
      form.submit();  // the ordinary way: the page comes back at the product's place
    });
  });
}());
