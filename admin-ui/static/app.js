// Small progressive enhancements; every page works without JavaScript.
document.addEventListener('submit', (ev) => {
  const form = ev.target;
  const msg = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
