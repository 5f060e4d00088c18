// The duty board refreshes its lists while it is open, so that a form arriving or an answer
// falling overdue shows without the operator reloading. The focus stays where it was; a
// rise in overdue or escalated answers is announced and shown in the tab's title.
(function () {
  var toggle = document.getElementById("refresh-toggle");
  var board = document.getElementById("duty-board");
  var status = document.getElementById("refresh-status");
  if (!toggle || !board) { return; }
  var seconds = parseFloat(toggle.getAttribute("data-refresh")) || 0;
  if (seconds <= 0) { return; }
  var baseTitle = document.title;
  var paused = false;
  var busy = false;
  var failed = false;

  // the four badges of a board, read once: [escalated, overdue, due, waiting]
  function badges(root) {
    return ["escalated", "overdue", "due", "waiting"].map(function (level) {
      var el = root.querySelector("#count-" + level);
      return el ? parseInt(el.textContent, 10) || 0 : 0;
    });
  }
  function urgent(counts) { return counts[0] + counts[1]; }

  function showTitle(n) { document.title = n > 0 ? "(" + n + ") " + baseTitle : baseTitle; }

  function refresh() {
    if (paused || busy || failed || document.hidden) { return; }
    busy = true;
    board.setAttribute("aria-busy", "true");
    fetch(window.location.pathname + window.location.search,
          { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // a lapsed session answers with the sign-in page
        if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("duty-board");
        if (!fresh) { throw new Error("no board in the answer"); }
        var was = badges(document), now = badges(doc);
        var changed = was.join(",") !== now.join(",");
        var focused = document.activeElement && board.contains(document.activeElement)
          ? document.activeElement.id || document.activeElement.getAttribute("href") : null;
        board.replaceChildren.apply(board, Array.prototype.slice.call(fresh.childNodes)
          .map(function (n) { return document.importNode(n, true); }));
        if (focused) {
          var again = document.getElementById(focused) ||
            board.querySelector('a[href="' + focused.replace(/"/g, "") + '"]');
          if (again) { again.focus(); }
        }
        var after = urgent(now);
        showTitle(after);
        if (after > urgent(was)) { status.textContent = toggle.getAttribute("data-new"); }
        else if (changed) { status.textContent = ""; }
      })
      .catch(function () {
        failed = true;
        status.textContent = toggle.getAttribute("data-failed");
      })
      .finally(function () { busy = false; board.setAttribute("aria-busy", "false"); });
  }

  toggle.addEventListener("click", function () {
    paused = !paused;
    toggle.setAttribute("aria-pressed", paused ? "true" : "false");
    toggle.textContent = toggle.getAttribute(paused ? "data-resume" : "data-pause");
    if (!paused) { failed = false; refresh(); }
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
  showTitle(urgent(badges(document)));
  window.setInterval(refresh, seconds * 1000);
})();
