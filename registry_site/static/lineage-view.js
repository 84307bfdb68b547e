// Progressive enhancement of the server-drawn lineage SVG: pan (drag, arrow keys) and
// zoom (wheel, buttons, + and -), opening centred on the focal node at a readable
// scale. Without JavaScript the SVG reads as drawn, in a scrolling box.
(function () {
  "use strict";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var MIN_SCALE = 0.2, MAX_SCALE = 3;
  var READABLE_SCALE = 0.8; // the smallest scale the page opens at: 11px sublabels stay legible
  var DRAG_THRESHOLD = 4; // pixels a press moves before it is a drag and not a click
  var KEY_STEP = 60;

  function enhance(canvas) {
    var svg = canvas.querySelector("svg.lineage-graph");
    if (!svg || canvas.classList.contains("pannable")) return;
    var width = parseFloat(svg.getAttribute("width")) || 0;
    var height = parseFloat(svg.getAttribute("height")) || 0;
    var viewport = wrapContent(svg);
    var view = { x: 0, y: 0, scale: 1 };

    canvas.classList.add("pannable");
    canvas.style.height = Math.round(Math.max(160, Math.min(height + 2, window.innerHeight * 0.7))) + "px";
    canvas.tabIndex = 0;
    canvas.setAttribute("aria-label", "Lineage graph: drag or use the arrow keys to pan, + and - to zoom, 0 to reset");
    svg.removeAttribute("viewBox"); // one user unit is one CSS pixel; the transform does the rest
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "100%");

    function apply() {
      viewport.setAttribute("transform", "translate(" + view.x.toFixed(1) + " " + view.y.toFixed(1) + ") scale(" + view.scale.toFixed(3) + ")");
    }

    // Keep some of the drawing in the box, so a pan cannot lose it.
    function clampPan() {
      var margin = 60;
      view.x = Math.min(Math.max(view.x, margin - width * view.scale), canvas.clientWidth - margin);
      view.y = Math.min(Math.max(view.y, margin - height * view.scale), canvas.clientHeight - margin);
    }

    function zoomAt(factor, px, py) {
      var scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
      view.x = px - ((px - view.x) * scale) / view.scale;
      view.y = py - ((py - view.y) * scale) / view.scale;
      view.scale = scale;
      clampPan();
      apply();
    }

    function zoomCentre(factor) {
      zoomAt(factor, canvas.clientWidth / 2, canvas.clientHeight / 2);
    }

    function panBy(dx, dy) {
      view.x += dx;
      view.y += dy;
      clampPan();
      apply();
    }

    function reset() {
      var boxWidth = canvas.clientWidth, boxHeight = canvas.clientHeight;
      var fit = Math.min(boxWidth / width, boxHeight / height);
      view.scale = Math.min(1, Math.max(READABLE_SCALE, fit));
      var focus = focalBox(svg) || { x: width / 2, y: height / 2, width: 0, height: 0 };
      view.x = placed(boxWidth, width, focus.x + focus.width / 2, view.scale);
      view.y = placed(boxHeight, height, focus.y + focus.height / 2, view.scale);
      apply();
    }

    addButtons(canvas, { zoomIn: function () { zoomCentre(1.25); }, zoomOut: function () { zoomCentre(0.8); }, reset: reset });
    followDrags(canvas, panBy);
    canvas.addEventListener("wheel", function (event) {
      event.preventDefault();
      var box = canvas.getBoundingClientRect();
      zoomAt(Math.pow(1.0015, -event.deltaY), event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    canvas.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: [KEY_STEP, 0], ArrowRight: [-KEY_STEP, 0], ArrowUp: [0, KEY_STEP], ArrowDown: [0, -KEY_STEP] };
      if (event.target !== canvas) return; // a focused node link keeps its keys
      if (moves[event.key]) panBy(moves[event.key][0], moves[event.key][1]);
      else if (event.key === "+" || event.key === "=") zoomCentre(1.25);
      else if (event.key === "-") zoomCentre(0.8);
      else if (event.key === "0") reset();
      else return;
      event.preventDefault();
    });
    // A node link reached with Tab is panned into view, so keyboard users see where they are.
    canvas.addEventListener("focusin", function (event) {
      if (event.target === canvas) return;
      var node = event.target.getBoundingClientRect(), box = canvas.getBoundingClientRect();
      var dx = Math.max(0, box.left + 10 - node.left) || Math.min(0, box.right - 10 - node.right);
      var dy = Math.max(0, box.top + 10 - node.top) || Math.min(0, box.bottom - 10 - node.bottom);
      if (dx || dy) panBy(dx, dy);
    });
    reset();
  }

  // The drawing's groups moved into one <g> whose transform pans and zooms.
  function wrapContent(svg) {
    var viewport = document.createElementNS(SVG_NS, "g");
    viewport.setAttribute("class", "lineage-viewport");
    Array.prototype.slice.call(svg.children).forEach(function (child) {
      if (child.tagName.toLowerCase() !== "defs" && child.tagName.toLowerCase() !== "title") viewport.appendChild(child);
    });
    svg.appendChild(viewport);
    return viewport;
  }

  // The focal node(s): the union of the boxes of the nodes drawn with class "start".
  function focalBox(svg) {
    var rects = svg.querySelectorAll("g.node.start > rect:first-of-type");
    if (!rects.length) return null;
    var left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    Array.prototype.forEach.call(rects, function (rect) {
      var x = parseFloat(rect.getAttribute("x")), y = parseFloat(rect.getAttribute("y"));
      left = Math.min(left, x); top = Math.min(top, y);
      right = Math.max(right, x + parseFloat(rect.getAttribute("width")));
      bottom = Math.max(bottom, y + parseFloat(rect.getAttribute("height")));
    });
    return { x: left, y: top, width: right - left, height: bottom - top };
  }

  // The offset along one axis: the whole drawing centred when it fits, else the focus
  // centred, pulled back so no empty band shows past either end of the drawing.
  function placed(box, size, focus, scale) {
    if (size * scale <= box) return (box - size * scale) / 2;
    return Math.min(0, Math.max(box - size * scale, box / 2 - focus * scale));
  }

  function addButtons(canvas, actions) {
    var bar = document.createElement("div");
    bar.className = "lineage-zoom";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Zoom the lineage graph");
    [["zoomIn", "+", "Zoom in"], ["zoomOut", "\u2212", "Zoom out"], ["reset", "Reset", "Centre on the focal node"]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.dataset.zoom = spec[0];
      button.textContent = spec[1];
      button.title = spec[2];
      button.setAttribute("aria-label", spec[2]);
      button.addEventListener("click", actions[spec[0]]);
      bar.appendChild(button);
    });
    canvas.parentNode.insertBefore(bar, canvas);
  }

  // Drag to pan. A press that moved is a drag: the click that ends it must not follow
  // the node link it started on.
  function followDrags(canvas, panBy) {
    var press = null, dragged = false;
    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      press = { x: event.clientX, y: event.clientY, id: event.pointerId };
      dragged = false;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!press || event.pointerId !== press.id) return;
      var dx = event.clientX - press.x, dy = event.clientY - press.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < DRAG_THRESHOLD) return;
      if (!dragged) {
        dragged = true;
        canvas.setPointerCapture(press.id);
        canvas.classList.add("dragging");
      }
      press.x = event.clientX;
      press.y = event.clientY;
      panBy(dx, dy);
    });
    function release() {
      press = null;
      canvas.classList.remove("dragging");
    }
    canvas.addEventListener("pointerup", release);
    canvas.addEventListener("pointercancel", release);
    canvas.addEventListener("click", function (event) {
      if (dragged) {
        event.preventDefault();
        event.stopPropagation();
        dragged = false;
      }
    }, true);
    canvas.addEventListener("dragstart", function (event) { event.preventDefault(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".lineage-canvas"), enhance);
})();
