// The console works without this script. With it, an export link shows how many events have
// arrived while it downloads (the size is not known in advance), then saves the file.
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  for (const link of document.querySelectorAll('a[data-export]')) {
    link.addEventListener('click', async (event) => {
      if (!window.fetch || !window.ReadableStream || !window.URL.createObjectURL) return;
      event.preventDefault();
      const status = link.parentElement.querySelector('.progress');
      const show = (text) => { if (status) status.textContent = text; };
      try {
        const response = await fetch(link.href, { credentials: 'same-origin' });
        if (!response.ok || !response.body) throw new Error(String(response.status));
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        const parts = [];
        let lines = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parts.push(value);
          lines += (decoder.decode(value, { stream: true }).match(/\n/g) || []).length;
          show(`${lines} events so far…`);
        }
        const url = URL.createObjectURL(new Blob(parts, { type: 'application/x-ndjson' }));
        const save = document.createElement('a');
        save.href = url;
        save.download = 'guestpass-audit.ndjson';
        document.body.append(save);
        save.click();
        save.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        show(`Done: ${lines} events exported.`);
      } catch {
        show('The export did not finish; try again, or use the link without the page\'s script.');
      }
    });
  }
});
