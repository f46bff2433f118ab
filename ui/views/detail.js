// One deposit: the check image, the MICR fields read, the reasons for a review, and the pipeline timeline
// with each step's time, cold or warm container, and cache hits and misses.

import { api } from '../api.js';
import { timeline } from '../charts.js';
import { h, micrLine, money, notice, replace, when } from '../dom.js';
import { FINAL_STATUSES, REVIEWABLE, reasonText, statusLabel } from '../messages.js';
import { amountOf, depositId, historyOf, imagesOf, micrOf, reasonsOf, stepsOf, wholeCheckOf } from '../model.js';
import { exportNote } from './exports.js';
import { statusBadge } from './list.js';

const POLL_MS = 2000; // while the pipeline works on it
const REVIEW_POLL_MS = 5000; // while a reviewer may decide

export function fieldList(rows) {
  return h('dl', { class: 'fields' }, rows.flatMap(([label, value]) => [
    h('dt', {}, label), h('dd', { class: value ? 'mono' : 'missing' }, value || 'not read')]));
}

const CODE_LIKE = /^[a-z_]+(, [a-z_]+)*$/;

export function checkImage(doc, label) {
  const images = imagesOf(doc);
  const src = images.large || images.thumb;
  if (!src) return h('div', { class: 'check-image placeholder' }, 'The images appear here once they are archived.');
  return h('figure', { class: 'check-image' },
    h('img', { src, alt: label, class: 'check-front' }),
    images.back_large ? h('img', { src: images.back_large, alt: 'Back of the check', class: 'check-back' }) : null);
}

const RESULT_LABELS = { pass: 'pass', fail: 'fail', not_tested: 'not tested' };

function qualityTable(caption, rows) {
  if (!rows.length) return null;
  return h('table', { class: 'quality', dataset: { side: caption.startsWith('Back') ? 'back' : 'front' } },
    h('caption', {}, caption),
    h('tbody', {}, rows.map((row) => h('tr', { dataset: { test: row.test } },
      h('th', { scope: 'row' }, row.test.replaceAll('_', ' ')),
      h('td', {}, h('span', { class: `badge quality-${row.result}` }, RESULT_LABELS[row.result] || row.result))))));
}

/** The whole check beyond the MICR line: amount read next to the declared one, endorsement, quality. */
export function wholeCheckSection(doc) {
  const whole = wholeCheckOf(doc);
  const endorsement = whole.endorsement;
  const endorsementText = !endorsement ? 'not read'
    : endorsement.restrictive ? `restrictive: “${endorsement.text}”`
      : endorsement.present ? `not restrictive: “${endorsement.text}”` : 'none found';
  const readText = whole.amountRead
    ? `${money(whole.amountRead)}${whole.amountSource ? ` (${whole.amountSource})` : ''}` : '';
  return h('section', { class: 'whole-check' },
    h('h2', {}, 'Amount and endorsement'),
    h('dl', { class: 'fields' },
      h('dt', {}, 'Amount entered'), h('dd', { class: 'mono', id: 'amount-declared' }, money(amountOf(doc))),
      h('dt', {}, 'Amount read'), h('dd', {
        class: whole.amountRead ? `mono${whole.amountMatches === false ? ' mismatch' : ''}` : 'missing',
        id: 'amount-read',
      }, readText || 'not read'),
      h('dt', {}, 'Endorsement'), h('dd', { class: endorsement ? '' : 'missing', id: 'endorsement' }, endorsementText)),
    whole.messages.length ? h('ul', { class: 'customer-messages' }, whole.messages.map((m) => h('li', {}, m))) : null,
    h('div', { class: 'quality-tables' },
      qualityTable('Front image quality', whole.quality), qualityTable('Back image quality', whole.backQuality)));
}

function stepTable(steps) {
  return h('table', { class: 'steps' },
    h('caption', { class: 'visually-hidden' }, 'Pipeline steps'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Step'), h('th', { scope: 'col' }, 'Time'),
      h('th', { scope: 'col' }, 'Container'), h('th', { scope: 'col' }, 'Caches'))),
    h('tbody', {}, steps.map((step) => h('tr', {},
      h('th', { scope: 'row' }, step.name),
      h('td', {}, `${Math.round(step.ms)} ms`),
      h('td', {}, h('span', { class: `badge ${step.cold ? 'cold' : 'warm'}` }, step.cold ? 'cold' : 'warm')),
      h('td', {}, Object.keys(step.cache).length
        ? Object.entries(step.cache).map(([name, value]) =>
          h('span', { class: `badge cache-${value === 'hit' ? 'hit' : 'miss'}` }, `${name} ${value}`))
        : '—')))));
}

/** The deposit's sections; `reviewer` adds links to other customers' deposits. */
export function depositSummary(doc, reviewer = false) {
  const micr = micrOf(doc);
  const reasons = reasonsOf(doc);
  const steps = stepsOf(doc);
  const history = historyOf(doc);
  return [
    h('div', { class: 'detail-grid' },
      checkImage(doc, `Check for ${money(amountOf(doc))}`),
      h('div', {},
        h('h2', {}, 'Read from the check'),
        fieldList([['Routing', micr.routing], ['Account', micr.account], ['Check number', micr.check_number],
          ['MICR line', micrLine(micr.line)]]),
        h('h2', {}, 'Deposit'),
        fieldList([['Amount', money(amountOf(doc))], ['To account', String(doc.to_account || '')],
          ['Customer', String(doc.email || '')], ['Deposit id', depositId(doc)]]),
        exportNote(doc),
        doc.last_error && typeof doc.last_error === 'object' ? notice('error',
          `The step ${doc.last_error.step || '?'} failed: ${String(doc.last_error.message || 'no detail').replace(/\.$/, '')}. ` +
          'The pipeline retries it by itself.') : null,
        // Only reviewers are told which deposit it duplicates (it may be another customer's).
        reviewer && typeof doc.duplicate_of === 'string' && doc.duplicate_of ? h('p', { class: 'notice info' },
          'The same check was deposited before as ',
          h('a', { href: `#/deposits/${encodeURIComponent(doc.duplicate_of)}` }, doc.duplicate_of), '.')
          : doc.status === 'duplicate' ? h('p', { class: 'notice info' }, 'The same check was deposited before.') : null,
        reviewer && Array.isArray(doc.possible_duplicate_of) && doc.possible_duplicate_of.length
          ? h('p', { class: 'notice info' }, 'It looks like ',
            ...doc.possible_duplicate_of.flatMap((other, i) => [i ? ', ' : '',
              h('a', { href: `#/deposits/${encodeURIComponent(String(other))}` }, String(other))]), '.') : null,
        reasons.length ? h('section', { class: 'reasons' },
          h('h2', {}, doc.status === 'rejected' ? 'Why it was refused' : 'Why it needs a person'),
          h('ul', {}, reasons.map((reason) => h('li', {}, reasonText(reason))))) : null,
        wholeCheckSection(doc))),
    h('section', {}, h('h2', {}, 'Pipeline'), timeline(steps), steps.length ? stepTable(steps) : null),
    history.length ? h('section', {}, h('h2', {}, 'History'),
      h('ol', { class: 'history' }, history.map((entry) => h('li', {},
        statusBadge(entry.status), ' ', when(entry.at),
        entry.by ? ` by ${entry.by}` : '',
        entry.note ? ` — ${CODE_LIKE.test(entry.note) ? entry.note.replaceAll('_', ' ') : entry.note}` : '')))) : null,
  ];
}

export function renderDetail(view, [id], { claims, handleFailure }) {
  const heading = h('h1', {}, 'Deposit');
  const status = h('p', { class: 'status-line', 'aria-live': 'polite' });
  const body = h('div', {}, notice('info', 'Loading…'));
  let timer = null;
  let stopped = false;
  let last = '';
  let imageWaits = 0; // a final deposit whose archive copy is late: look a few more times, then stop

  async function refresh() {
    try {
      const doc = await api.getDeposit(id);
      if (stopped) return;
      // Presigned image URLs change on every read: compare which images exist, not their URLs.
      const fingerprint = JSON.stringify({ ...doc, images: Object.keys(doc.images || {}) });
      if (fingerprint !== last) {
        last = fingerprint;
        heading.textContent = `Deposit of ${money(amountOf(doc))}`;
        replace(status, 'Status: ', statusBadge(doc.status),
          FINAL_STATUSES.has(doc.status) && !REVIEWABLE.has(doc.status) ? '' : ' — this page updates by itself.');
        replace(body, depositSummary(doc, claims.role === 'reviewer'));
        document.title = `${heading.textContent} · ${statusLabel(doc.status)} · openchecks`;
      }
      const waitingForImage = !imagesOf(doc).large && doc.status !== 'rejected' && imageWaits++ < 10;
      if (!FINAL_STATUSES.has(doc.status) || waitingForImage) timer = setTimeout(refresh, POLL_MS);
      else if (REVIEWABLE.has(doc.status)) timer = setTimeout(refresh, REVIEW_POLL_MS);
    } catch (error) {
      if (!stopped) handleFailure(error, body);
    }
  }

  const back = claims.role === 'reviewer' ? '← All deposits' : '← All my deposits';
  replace(view, h('p', {}, h('a', { href: '#/deposits' }, back)), heading, status, body);
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
