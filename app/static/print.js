// Open the browser's print dialog for the receipt PDF shown in #receipt-frame once it loaded.
// The frame starts loading as the page is parsed, before this script runs: a PDF that arrives
// first has already fired its load event, so look at the frame's document before waiting for it.
(function () {
  var frame = document.getElementById("receipt-frame");
  if (!frame) { return; }
  var asked = false;
  function print() {
    if (asked) { return; }
    asked = true;
    try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) { /* the link stays */ }
  }
  frame.addEventListener("load", print);
  try {
    var loaded = frame.contentWindow.location.href !== "about:blank"
      && frame.contentDocument.readyState === "complete";
    if (loaded) { print(); }
  } catch (e) { /* not readable yet: the load event comes */ }
})();
