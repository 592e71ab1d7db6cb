// Mass email page (pages/campaigns/mass-email.eta): polls the JSON progress every 2.5 s and moves the
// bar, the counts, the ETA and the status in place; stops once the mass email is complete, cancelled or failed.
const box = document.querySelector('[data-progress-live]');
if (box) {
  const set = (sel, text) => { const el = document.querySelector(sel); if (el) el.textContent = text; };
  const poll = async () => {
    let s;
    try {
      const res = await fetch(box.getAttribute('data-progress'), { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) throw new Error(String(res.status));
      s = await res.json();
    } catch { setTimeout(poll, 5000); return; }
    const bar = box.querySelector('[data-progress-bar]');
    if (bar) { bar.max = s.max || 1; bar.value = s.done; bar.textContent = `${s.percent}%`; }
    set('[data-progress-summary]', s.summary);
    set('[data-progress-eta]', s.eta);
    for (const [k, v] of Object.entries(s.counts)) set(`[data-count="${k}"]`, v);
    const status = document.querySelector('[data-status]');
    if (status) { status.textContent = s.statusLabel; status.className = `badge ${s.status}`; status.setAttribute('data-status', s.status); }
    const reason = document.querySelector('[data-status-reason]');
    if (reason) {
      reason.hidden = !(s.statusReason && (s.status === 'failed' || s.status === 'paused'));
      set('[data-status-reason-text]', s.statusReason);
    }
    if (s.final) { box.removeAttribute('data-progress-live'); box.setAttribute('data-progress-final', s.status); return; }
    setTimeout(poll, 2500);
  };
  setTimeout(poll, 2500);
}
