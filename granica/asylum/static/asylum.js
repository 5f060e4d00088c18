// Zoom of the side-by-side comparison (both prints together) and the minutiae overlay on
// or off. Buttons, so the keyboard works; without scripts the prints show at actual size.
(function () {
  "use strict";
  var scale = 1;
  function apply() {
    document.querySelectorAll("svg.asylum-svg").forEach(function (svg) {
      var box = svg.viewBox.baseVal;
      svg.setAttribute("width", String(Math.round(box.width * scale)));
      svg.setAttribute("height", String(Math.round(box.height * scale)));
    });
  }
  document.querySelectorAll("button[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var factor = parseFloat(button.getAttribute("data-zoom"));
      scale = factor === 0 ? 1 : Math.min(6, Math.max(0.25, scale * factor));
      apply();
    });
  });
  var toggle = document.getElementById("toggle-minutiae");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var shown = toggle.getAttribute("aria-pressed") === "true";
      toggle.setAttribute("aria-pressed", shown ? "false" : "true");
      document.body.classList.toggle("overlay-hidden", shown);
    });
  }
}());
