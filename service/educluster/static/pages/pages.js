/* educluster pages: copy buttons, example pickers, opening the target of a link, and
   highlighting a member's links in the network picture.  Everything works without it. */
(function () {
  "use strict";

  function copyText(text, button) {
    var done = function () {
      var old = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectFallback(text, done); });
    } else {
      selectFallback(text, done);
    }
  }

  function selectFallback(text, done) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selectable */ }
    document.body.removeChild(area);
  }

  function openTarget() {
    if (!location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) return;
    var node = target;
    while (node) {
      if (node.tagName === "DETAILS") node.open = true;
      node = node.parentElement;
    }
    target.classList.add("targeted");
    setTimeout(function () { target.classList.remove("targeted"); }, 2500);
  }

  function highlight(svg, iri, on) {
    svg.classList.toggle("focused", on);
    var edges = svg.querySelectorAll("path.edge");
    for (var i = 0; i < edges.length; i++) {
      var e = edges[i];
      var mine = e.getAttribute("data-a") === iri || e.getAttribute("data-b") === iri;
      e.classList.toggle("lit", on && mine);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button.copy[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (ev) {
        var source = document.querySelector(ev.currentTarget.getAttribute("data-copy"));
        if (source) copyText(source.textContent, ev.currentTarget);
      });
    }
    var pickers = document.querySelectorAll("select[data-autosubmit]");
    for (var j = 0; j < pickers.length; j++) {
      pickers[j].addEventListener("change", function (ev) {
        if (ev.target.value) ev.target.form.submit();
      });
    }
    var svg = document.querySelector("svg.network");
    if (svg) {
      var nodes = svg.querySelectorAll("g.node");
      for (var k = 0; k < nodes.length; k++) {
        (function (node) {
          var iri = node.getAttribute("data-iri");
          var on = function () { highlight(svg, iri, true); };
          var off = function () { highlight(svg, iri, false); };
          node.addEventListener("mouseenter", on);
          node.addEventListener("mouseleave", off);
          node.addEventListener("focusin", on);
          node.addEventListener("focusout", off);
        })(nodes[k]);
      }
    }
    openTarget();
    window.addEventListener("hashchange", openTarget);
  });
})();
