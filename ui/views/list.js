// "My deposits" (a reviewer sees everyone's): refreshes by itself while deposits move through the pipeline.

import { api } from '../api.js';
import { h, money, notice, replace, when } from '../dom.js';
import { FINAL_STATUSES, REVIEWABLE, statusLabel } from '../messages.js';
import { amountOf, createdOf, depositId, imagesOf } from '../model.js';

const FAST_MS = 2500; // while the pipeline is still working on something
const REVIEW_MS = 5000; // while something waits for a reviewer
const SLOW_MS = 15000; // when everything is settled

export function statusBadge(status) {
  return h('span', { class: `badge status-${String(status).replace(/[^a-z_]/g, '')}` }, statusLabel(status));
}

export function thumbnail(doc, alt) {
  const { thumb } = imagesOf(doc);
  return thumb ? h('img', { class: 'thumb', src: thumb, alt, loading: 'lazy', width: '120' })
    : h('span', { class: 'thumb placeholder', 'aria-hidden': 'true' }, '…');
}

/** One list item linking to `href`. */
export function depositItem(doc, href) {
  const id = depositId(doc);
  const amount = money(amountOf(doc));
  return h('li', { class: 'deposit-item', dataset: { id, status: String(doc.status || '') } },
    h('a', { href, 'aria-label': `${amount} to account ${doc.to_account || ''}, ${statusLabel(doc.status)}` },
      thumbnail(doc, `Check for ${amount}`),
      h('span', { class: 'item-main' },
        h('span', { class: 'amount' }, amount),
        h('span', { class: 'hint' }, `to account ${doc.to_account || '—'}`),
        doc.email ? h('span', { class: 'hint' }, doc.email) : null,
        h('span', { class: 'hint' }, when(createdOf(doc)))),
      statusBadge(doc.status)));
}

export function renderList(view, _params, { claims, handleFailure }) {
  const reviewer = claims.role === 'reviewer';
  const list = h('ul', { class: 'deposits', 'aria-live': 'polite', 'aria-busy': 'true' });
  const message = h('div');
  const stamp = h('p', { class: 'hint', id: 'refreshed' });
  let timer = null;
  let lastRendered = '';
  let stopped = false;

  async function refresh() {
    let delay = SLOW_MS;
    try {
      const reply = await api.listDeposits();
      if (stopped) return;
      const deposits = Array.isArray(reply && reply.deposits) ? reply.deposits : [];
      const fingerprint = JSON.stringify(deposits.map((d) => [depositId(d), d.status, imagesOf(d).thumb !== '']));
      if (fingerprint !== lastRendered) {
        lastRendered = fingerprint;
        const focusedId = document.activeElement?.closest?.('.deposit-item')?.getAttribute('data-id');
        replace(list, deposits.map((doc) => depositItem(doc, `#/deposits/${encodeURIComponent(depositId(doc))}`)));
        if (focusedId) list.querySelector(`[data-id="${CSS.escape(focusedId)}"] a`)?.focus();
        replace(message, deposits.length ? null
          : h('p', {}, 'No deposits yet. ', h('a', { href: '#/deposit' }, 'Deposit a check.')));
      }
      list.setAttribute('aria-busy', 'false');
      stamp.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
      if (deposits.some((d) => !FINAL_STATUSES.has(d.status))) delay = FAST_MS;
      else if (deposits.some((d) => REVIEWABLE.has(d.status))) delay = REVIEW_MS;
    } catch (error) {
      if (stopped) return;
      handleFailure(error, message);
    }
    if (!stopped) timer = setTimeout(refresh, delay);
  }

  replace(view,
    h('div', { class: 'title-row' },
      h('h1', {}, reviewer ? 'All deposits' : 'My deposits'),
      h('a', { class: 'button', href: '#/deposit' }, 'Deposit a check')),
    message, list, stamp,
    notice('info', 'This list updates by itself while checks are being read.'));
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
