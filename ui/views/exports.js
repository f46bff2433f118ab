// X9 cash letters (reviewers): the files sent to clearing, newest first — when, business day, items, total,
// and a download link (a signed URL the API makes on each listing). A deposit's page says which file it
// left in (`exportNote`).

import { api } from '../api.js';
import { h, money, notice, replace, when } from '../dom.js';

const STATE_LABELS = {
  done: 'sent',
  empty: 'nothing to send',
  claiming: 'starting',
  claimed: 'writing',
  written: 'finishing',
  rolled_back: 'undone',
  failed: 'failed',
};

/** The rows of the exports table from a GET /exports answer (pure: tested under node). */
export function exportRows(listing) {
  const exports = listing && Array.isArray(listing.exports) ? listing.exports : [];
  return exports.filter((e) => e && typeof e === 'object').map((e) => ({
    id: String(e.id || ''),
    created: e.created || '',
    businessDate: String(e.business_date || ''),
    items: Number.isFinite(e.item_count) ? e.item_count : 0,
    total: typeof e.total === 'string' ? e.total : null,
    state: STATE_LABELS[e.state] || String(e.state || 'unknown'),
    url: typeof e.download_url === 'string' && /^https?:\/\//.test(e.download_url) ? e.download_url : null,
    file: String(e.key || ''),
    note: e.error ? String(e.error) : (Array.isArray(e.warnings) && e.warnings.length ? `${e.warnings.length} warnings` : ''),
  }));
}

/** What a deposit's page says about the cash letter it left in, or null (pure). */
export function exportText(doc) {
  const info = doc && typeof doc.export === 'object' && doc.export ? doc.export : null;
  if (!info || !info.key) return null;
  return `Sent for clearing in the cash letter ${info.key}` +
    (info.business_date ? ` for the business day ${info.business_date}.` : '.');
}

export function exportNote(doc) {
  const text = exportText(doc);
  return text ? h('p', { class: 'notice info' }, text) : null;
}

function table(rows) {
  if (!rows.length) return h('p', { class: 'hint' }, 'No cash letter has been exported yet.');
  return h('table', { class: 'steps exports' },
    h('caption', { class: 'visually-hidden' }, 'Cash letter exports'),
    h('thead', {}, h('tr', {}, ['Made', 'Business day', 'Items', 'Total', 'State', 'File'].map((t) =>
      h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((row) => h('tr', {},
      h('th', { scope: 'row' }, when(row.created)),
      h('td', {}, row.businessDate || '—'),
      h('td', {}, String(row.items)),
      h('td', {}, row.total === null ? '—' : money(row.total)),
      h('td', {}, row.state, row.note ? h('span', { class: 'hint' }, ` (${row.note})`) : null),
      h('td', {}, row.url ? h('a', { href: row.url, download: row.file, rel: 'noopener' }, 'Download') : '—')))));
}

/** The exports section of the operations view: {element, refresh()}; refresh() reloads the table. */
export function exportsSection({ handleFailure }) {
  const body = h('div', {}, notice('info', 'Loading…'));
  const status = h('p', { class: 'hint', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Export accepted deposits now');
  async function refresh() {
    try {
      replace(body, table(exportRows(await api.listExports())));
    } catch (error) {
      handleFailure(error, body);
    }
  }
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const started = await api.startExport();
      replace(status, `Export ${started.id} started; the table updates when it is done.`);
      setTimeout(refresh, 3000);
    } catch (error) {
      handleFailure(error, status);
    } finally {
      button.disabled = false;
    }
  });
  const element = h('section', { class: 'exports' }, h('h2', {}, 'Cash letters (X9.100-187)'), button, status, body);
  return { element, refresh };
}
