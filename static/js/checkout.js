// The checkout's order button says what the customer commits to for the payment method chosen
// (Code de la consommation, L221-14): "Commander et payer 12,40 €" for a card, "… avec
// obligation de paiement au retrait" otherwise. The server renders it for the method already
// chosen; this keeps it true when another one is picked.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches("[data-checkout] input[name=payment_method]")) { return; }
    var form = radio.form;
    var button = form.querySelector("[data-order-button]");
    var note = form.querySelector("[data-order-note]");
    if (button && radio.dataset.button) { button.textContent = radio.dataset.button; }
    if (note && radio.dataset.note) { note.textContent = radio.dataset.note; }
  });
}());
