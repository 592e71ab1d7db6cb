// Records import (pages/records/import.eta, import-job.eta). The form: a chosen file is sent as the request
// body (the form's choices in the query string, the CSRF token in a header), so the server streams it to
// disk without a multipart parser; without a file (or without JavaScript) the form posts as usual with the
// pasted CSV. The job page: polls the JSON status and moves the progress bar, then reloads for the summary.
document.addEventListener('submit', async (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-records-import')) return;
  const input = form.querySelector('[data-import-file]');
  const file = input && input.files && input.files[0];
  if (!file) return;
  ev.preventDefault();
  const data = new FormData(form);
  const q = new URLSearchParams({ type: String(data.get('type') || ''), match: String(data.get('match') || ''), dryRun: data.get('dryRun') ? '1' : '', name: file.name });
  const status = form.querySelector('[data-import-status]');
  if (status) status.textContent = '…';
  const res = await fetch(`${form.action}?${q}`, {
    method: 'POST', body: file, redirect: 'follow',
    headers: { 'content-type': 'text/csv', 'x-csrf-token': String(data.get('_csrf') || '') },
  });
  if (res.redirected) { window.location.href = res.url; return; }
  // A rejected upload (a field error): show the page the server answered with.
  document.open(); document.write(await res.text()); document.close();
});

const job = document.querySelector('[data-import-job]');
if (job) {
  const bar = job.querySelector('[data-import-bar]');
  const rows = job.querySelector('[data-import-rows]');
  const poll = async () => {
    try {
      const res = await fetch(job.getAttribute('data-import-job'), { headers: { accept: 'application/json' } });
      const s = await res.json();
      if (s.state !== 'running') { window.location.reload(); return; }
      if (bar) { bar.value = s.percent; bar.textContent = `${s.percent}%`; }
      if (rows) rows.textContent = s.text;
    } catch { /* try again */ }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
}
