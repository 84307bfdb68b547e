// Progressive enhancement: show upload progress. Without JavaScript the form posts normally.
(function () {
  var form = document.getElementById("upload-form");
  var bar = document.getElementById("upload-progress");
  if (!form || !bar || !window.XMLHttpRequest) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.hidden = false; bar.value = Math.round((e.loaded / e.total) * 100); }
    });
    request.addEventListener("load", function () {
      document.open(); document.write(request.responseText); document.close();
      if (request.responseURL) history.replaceState(null, "", request.responseURL);
    });
    request.send(new FormData(form));
  });
})();
