// Compose page (loaded by pages/compose/form.eta): reads chosen files into hidden base64 fields so the form posts them as
// ordinary urlencoded fields (no multipart parser on the server);
// does nothing where there is no attachment picker.
document.addEventListener('change', (ev) => {
  const input = ev.target;
  if (!(input instanceof HTMLInputElement) || !input.hasAttribute('data-attach-input') || !input.files) return;
  const box = document.querySelector('[data-attachments]');
  if (!box) return;
  for (const file of Array.from(input.files)) {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      const row = document.createElement('div');
      row.className = 'attachment';
      const label = document.createElement('span');
      label.textContent = `${file.name} (${file.size} bytes) `;
      const remove = document.createElement('button');
      remove.type = 'button'; remove.className = 'link'; remove.textContent = 'remove';
      remove.addEventListener('click', () => row.remove());
      row.append(label, remove);
      for (const [name, value] of [['att_name', file.name], ['att_type', file.type || 'application/octet-stream'], ['att_data', url.slice(url.indexOf(',') + 1)]]) {
        const h = document.createElement('input');
        h.type = 'hidden'; h.name = name; h.value = value;
        row.append(h);
      }
      box.append(row);
    };
    reader.readAsDataURL(file);
  }
  input.value = '';
});
