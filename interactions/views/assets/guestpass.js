// Progressive enhancement only: every page works without this file.
// - counts down to when a new code may be asked for, and disables the button until then;
// - follows the delivery of the mail and updates its line.
(function () {
  'use strict';
  var timer = document.getElementById('resend-timer');
  var button = document.getElementById('resend');
  if (timer && button) {
    // Counted from when the page arrived, on the server's word: the device's clock may be off.
    var availableAt = Date.now() + Number(timer.getAttribute('data-seconds-left')) * 1000;
    var waitText = timer.getAttribute('data-text-wait') || '';
    var nowText = timer.getAttribute('data-text-now') || '';
    var tick = function () {
      var seconds = Math.ceil((availableAt - Date.now()) / 1000);
      if (seconds > 0) {
        button.disabled = true;
        timer.textContent = waitText.replace('{s}', String(seconds));
        setTimeout(tick, 1000);
      } else {
        button.disabled = false;
        timer.textContent = nowText;
      }
    };
    tick();
  }
  var delivery = document.querySelector('[data-status-url]');
  var state = document.getElementById('delivery-state');
  if (delivery && state) {
    var url = delivery.getAttribute('data-status-url');
    var polls = 0;
    var poll = function () {
      var current = delivery.getAttribute('data-delivery');
      if (current === 'sent' || current === 'failed' || polls++ > 60) return;
      fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && body.delivery) {
            delivery.setAttribute('data-delivery', body.delivery);
            if (body.text && state.textContent !== body.text) state.textContent = body.text;
          }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }
})();
