// Starts the Scalar reference on the element naming the document: a served script, not
// an inline one, so the page works under a Content-Security-Policy without
// 'unsafe-inline'. Scalar's default fonts come from its own host: use the system's.
(function () {
  var element = document.getElementById("scalar-reference");
  Scalar.createApiReference(element, {
    url: element.dataset.url,
    withDefaultFonts: false,
  });
})();
