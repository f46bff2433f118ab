// The reviewer's queue and one deposit under review: the image beside the fields; correct a field,
// approve, or reject with a reason.

import { api } from '../api.js';
import { h, micrLine, money, notice, replace } from '../dom.js';
import { reasonText, statusLabel } from '../messages.js';
import { amountOf, depositId, micrOf, reasonsOf } from '../model.js';
import { checkImage, depositSummary, wholeCheckSection } from './detail.js';
import { depositItem, statusBadge } from './list.js';

const QUEUE_STATUSES = ['needs_review', 'duplicate'];
const QUEUE_POLL_MS = 5000;

export function renderReviewQueue(view, _params, { handleFailure }) {
  const list = h('ul', { class: 'deposits', 'aria-busy': 'true' });
  const message = h('div');
  let timer = null;
  let stopped = false;
  let last = '';

  async function refresh() {
    try {
      const replies = await Promise.all(QUEUE_STATUSES.map((status) => api.listDeposits(status)));
      if (stopped) return;
      const deposits = replies.flatMap((reply) => (Array.isArray(reply && reply.deposits) ? reply.deposits : []))
        .filter((doc) => QUEUE_STATUSES.includes(doc.status));
      const fingerprint = JSON.stringify(deposits.map((d) => [depositId(d), d.status]));
      if (fingerprint !== last) {
        last = fingerprint;
        replace(list, deposits.map((doc) => depositItem(doc, `#/review/${encodeURIComponent(depositId(doc))}`)));
        replace(message, deposits.length ? h('p', {}, `${deposits.length} waiting for a decision.`)
          : notice('ok', 'Nothing is waiting for review.'));
      }
      list.setAttribute('aria-busy', 'false');
      timer = setTimeout(refresh, QUEUE_POLL_MS);
    } catch (error) {
      if (!stopped) handleFailure(error, message);
    }
  }
  replace(view, h('h1', {}, 'Review queue'), message, list);
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function editableField(id, label, value, pattern, hint) {
  const input = h('input', { id, name: id, type: 'text', value, inputmode: 'numeric', autocomplete: 'off',
    'aria-describedby': `${id}-hint`, dataset: { original: value } });
  return { input, pattern, label, element: h('div', { class: 'field' },
    h('label', { for: id }, label), input, h('p', { id: `${id}-hint`, class: 'hint' }, hint)) };
}

export function renderReview(view, [id], { navigate, handleFailure }) {
  const body = h('div', {}, notice('info', 'Loading…'));
  replace(view, h('p', {}, h('a', { href: '#/review' }, '← Review queue')), h('h1', {}, 'Review a deposit'), body);

  function show(doc) {
    const micr = micrOf(doc);
    const fields = [
      editableField('routing', 'Routing number', micr.routing, /^[0-9]{9}$/, '9 digits with a valid checksum.'),
      editableField('account', 'Account number', micr.account, /^[0-9]{4,17}$/, '4 to 17 digits.'),
      editableField('check_number', 'Check number', micr.check_number, /^[0-9]{1,15}$/, '1 to 15 digits.'),
    ];
    const reason = h('input', { id: 'review-reason', name: 'reason', type: 'text', maxlength: '200',
      autocomplete: 'off', 'aria-describedby': 'review-reason-hint' });
    const outcome = h('div', { id: 'review-outcome' });
    const buttons = [];

    async function decide(action) {
      const changed = {};
      for (const field of fields) {
        const value = field.input.value.trim();
        field.input.removeAttribute('aria-invalid');
        if (value === field.input.dataset.original) continue;
        if (!field.pattern.test(value)) {
          const hint = field.input.nextElementSibling?.textContent || '';
          replace(outcome, notice('error', `${field.label}: ${hint}`));
          field.input.setAttribute('aria-invalid', 'true');
          field.input.focus();
          return;
        }
        changed[field.input.name] = value;
      }
      const edited = Object.keys(changed).length > 0;
      if (action === 'correct' && !edited) {
        replace(outcome, notice('error', 'Change a field first, then save the correction.'));
        fields[0].input.focus();
        return;
      }
      if (action !== 'correct' && edited) {
        replace(outcome, notice('error', 'You changed a field: save the correction first, or undo the change.'));
        return;
      }
      const why = reason.value.trim();
      reason.removeAttribute('aria-invalid');
      if (action === 'override' && !why) {
        replace(outcome, notice('error', 'Give the reason for accepting this duplicate after all.'));
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      if (action === 'reject' && !why) {
        replace(outcome, notice('error', 'Give the reason for rejecting the deposit; the customer will see it.'));
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      const decision = { action };
      if (action === 'correct') decision.fields = changed;
      if (why) decision.reason = why;
      for (const button of buttons) button.disabled = true;
      try {
        const updated = await api.review(id, decision);
        const doc2 = updated && typeof updated === 'object' && updated.status ? updated : await api.getDeposit(id);
        if (action === 'correct') {
          show(doc2);
          replace(body.querySelector('#review-outcome'), notice('ok', `Correction saved. Status: ${statusLabel(doc2.status)}.`));
        } else {
          navigate('#/review');
        }
      } catch (error) {
        handleFailure(error, outcome);
      } finally {
        for (const button of buttons) button.disabled = false;
      }
    }

    buttons.push(
      h('button', { type: 'button', onclick: () => decide('correct'), class: 'secondary' }, 'Save correction'),
      // A duplicate is never approved: rejected, or accepted by an override (once the other is rejected).
      doc.status === 'duplicate'
        ? h('button', { type: 'button', onclick: () => decide('override') }, 'Override and accept')
        : h('button', { type: 'button', onclick: () => decide('approve') }, 'Approve'),
      h('button', { type: 'button', onclick: () => decide('reject'), class: 'danger' }, 'Reject'));

    replace(body,
      h('p', { class: 'status-line' }, 'Status: ', statusBadge(doc.status), ` · ${money(amountOf(doc))} to account ${doc.to_account || '—'}`,
        doc.email ? ` · ${doc.email}` : ''),
      h('div', { class: 'review-grid' },
        checkImage(doc, `Check for ${money(amountOf(doc))}`),
        h('form', { class: 'card', novalidate: true, onsubmit: (event) => event.preventDefault() },
          reasonsOf(doc).length ? h('section', { class: 'reasons' }, h('h2', {}, 'Reasons'),
            h('ul', {}, reasonsOf(doc).map((r) => h('li', {}, reasonText(r))))) : null,
          h('fieldset', {}, h('legend', {}, 'Fields read from the check'),
            fields.map((field) => field.element),
            h('p', { class: 'hint mono' }, 'MICR line: ', micrLine(micr.line) || 'not read')),
          wholeCheckSection(doc),
          h('div', { class: 'field' }, h('label', { for: 'review-reason' }, 'Reason'), reason,
            h('p', { id: 'review-reason-hint', class: 'hint' }, 'Required to reject; shown to the customer.')),
          outcome,
          h('div', { class: 'actions' }, buttons))),
      h('details', {}, h('summary', {}, 'Pipeline and history'), depositSummary(doc, true).slice(1)));
  }

  api.getDeposit(id).then(show, (error) => handleFailure(error, body));
}
