// Starts Swagger UI on the element naming the document: a served script, not an inline
// one, so the page works under a Content-Security-Policy without 'unsafe-inline'.
(function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
})();
