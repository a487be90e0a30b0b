// Open the browser's print dialog for the receipt PDF shown in #receipt-frame once it loaded.
(function () {
  var frame = document.getElementById("receipt-frame");
  if (!frame) { return; }
  frame.addEventListener("load", function () {
    try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) { /* the link stays */ }
  });
})();
