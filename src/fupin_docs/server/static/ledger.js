// The ledger pages' only script (the CSP allows no inline script): the dashboard's print button.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-dashboard");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
