// Seawall keyboard shortcuts for the grading page.  No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable ||
      ["INPUT", "SELECT", "TEXTAREA"].indexOf(target.tagName) >= 0);
  }
  document.addEventListener("keydown", function (event) {
    var grade = document.getElementById("grade");
    var undo = document.getElementById("undo-form");
    if ((!grade && !undo) || typing(event.target) ||
        event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var key = event.key;
    var button = grade && grade.querySelector('button.cat[data-key="' + key + '"]');
    var link = null;
    if (button) {
      event.preventDefault();
      button.click();
    } else if (key === "ArrowRight" || key === "ArrowLeft") {
      link = document.getElementById(key === "ArrowRight" ? "next" : "prev");
      if (link) { event.preventDefault(); window.location.assign(link.href); }
    } else if (key === "r" || key === "R") {
      var reveal = grade && grade.querySelector("button.reveal");
      if (reveal) { event.preventDefault(); reveal.click(); }
    } else if ((key === "u" || key === "U") && undo) {
      event.preventDefault();
      undo.requestSubmit();
    }
  });
  // A thumbnail the server could not make (unreadable or undecodable original): say so in
  // place of a broken image.  The server refuses to grade such media too.
  function notDisplayable(img) {
    var note = document.createElement("p");
    note.className = "thumb-error";
    note.textContent = "File " + img.getAttribute("data-file") + " cannot be displayed, " +
      "so it cannot be graded. Tell your supervisor.";
    img.replaceWith(note);
  }
  document.addEventListener("error", function (event) {
    var img = event.target;
    if (img && img.tagName === "IMG" && img.closest("figure.thumb")) {
      notDisplayable(img);
    }
  }, true);
  // Those that failed before this (deferred) script ran.
  document.querySelectorAll("figure.thumb img").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0) {
      notDisplayable(img);
    }
  });
})();
