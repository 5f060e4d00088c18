// The lane screen: a keyboard-wedge MRZ reader types the lines and Enter; check at once.
(function () {
  var form = document.getElementById("check-form");
  var mrz = document.getElementById("mrz");
  // ICAO layouts: 3 lines of 30 (TD1), 2 of 36 (TD2, MRV-B), 2 of 44 (TD3, MRV-A)
  function complete(text) {
    var lines = text.replace(/\r/g, "").split("\n").map(function (l) { return l.trim(); })
                    .filter(function (l) { return l.length > 0; });
    if (lines.length === 3) { return lines.every(function (l) { return l.length === 30; }); }
    if (lines.length === 2) { return lines[0].length === lines[1].length && (lines[0].length === 36 || lines[0].length === 44); }
    return false;
  }
  mrz.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); return; }
    if (e.key === "Escape") { e.preventDefault(); mrz.value = ""; return; }
    // the reader ends the last line with Enter: check at once, no mouse needed
    if (e.key === "Enter" && complete(mrz.value)) { e.preventDefault(); form.requestSubmit(); }
  });
  mrz.focus();
})();
