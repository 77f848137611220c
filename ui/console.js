// Keygate's admin console: plain JS over the app's console_* commands.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  function selectTab(name) {
    for (const tab of ["authenticator", "console"]) {
      const on = tab === name;
      $("tab-" + tab).setAttribute("aria-selected", String(on));
      $(tab + "-view").hidden = !on;
    }
  }

  $("tab-authenticator").addEventListener("click", () => selectTab("authenticator"));
  $("tab-console").addEventListener("click", () => selectTab("console"));
})();
