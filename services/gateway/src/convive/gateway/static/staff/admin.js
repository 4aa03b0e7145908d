// The back office's only script: asks before a destructive post (revoke a device, close an
// account, cancel an order, replace a QR code). Without JavaScript the form posts at once,
// which is acceptable.
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
