// Deposit a check: choose, drag or photograph the front (and optionally the back), type the account and the
// amount, shrink the images in the browser and upload them straight to object storage with a progress bar.

import { api, ApiError } from '../api.js';
import { h, money, notice, replace } from '../dom.js';
import { withRetries } from '../retry.js';
import { prepareImage, putWithProgress } from '../upload.js';
import { validateAccount, validateAmount } from '../validate.js';

// Both sides are required unless the bank's configuration says otherwise (GET /capture -> require_back).
const HINTS = {
  front: 'Required. A JPEG or PNG photo or scan.',
  back: 'Required. Endorse it first: sign and write "For mobile deposit only".',
  backOptional: 'Optional. Endorse it first: sign and write "For mobile deposit only".',
};

function imagePicker(side, label, settings) {
  const id = `${side}-file`;
  const state = { prepared: null, previewUrl: '', required: side === 'front' || settings.require_back !== false };
  const idleHint = () => (side === 'front' ? HINTS.front : state.required ? HINTS.back : HINTS.backOptional);
  const input = h('input', { type: 'file', id, name: side, accept: 'image/*', capture: 'environment',
    'aria-describedby': `${side}-status`, required: state.required });
  const status = h('div', { id: `${side}-status`, class: 'file-status', 'aria-live': 'polite' },
    h('p', { class: 'hint' }, idleHint()));
  const preview = h('img', { class: 'preview', alt: '', hidden: true });

  async function choose(file) {
    state.prepared = null;
    preview.hidden = true;
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = '';
    if (!file) {
      replace(status, h('p', { class: 'hint' }, idleHint()));
      return;
    }
    replace(status, h('p', { class: 'hint' }, `Preparing "${file.name}"…`));
    try {
      const prepared = await prepareImage(file, settings.quality, { focus: side === 'front' });
      state.prepared = prepared;
      state.previewUrl = URL.createObjectURL(prepared.blob);
      preview.src = state.previewUrl;
      preview.alt = `Preview of the ${label.toLowerCase()}`;
      preview.hidden = false;
      const kb = Math.round(prepared.blob.size / 1024);
      const shrunk = prepared.width !== prepared.sourceWidth
        ? `, shrunk from ${prepared.sourceWidth} × ${prepared.sourceHeight}` : '';
      replace(status, h('p', { class: 'hint ok' },
        `"${file.name}": ${prepared.width} × ${prepared.height} px JPEG, ${kb} KB${shrunk}.`));
      input.removeAttribute('aria-invalid');
    } catch (error) {
      input.value = '';
      input.setAttribute('aria-invalid', 'true');
      const refused = error instanceof ApiError && error.code === 'quality'
        ? h('div', { class: 'quality-refused', role: 'alert', dataset: { failed: error.failed.join(' ') } },
          h('p', { class: 'notice error' }, `The photo of the ${label.toLowerCase()} cannot be used:`),
          h('ul', {}, error.messages.map((m) => h('li', {}, m))))
        : notice('error', error instanceof ApiError ? error.message : 'That file could not be used.');
      replace(status, refused);
    }
  }

  input.addEventListener('change', () => choose(input.files[0]));
  const zone = h('label', { class: 'dropzone', for: id },
    h('span', { class: 'dropzone-title' }, label),
    h('span', { class: 'hint' }, 'Choose a file, drop it here, or take a photo.'),
    input);
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) choose(file);
  });
  return { element: h('div', { class: 'picker' }, zone, preview, status), state, input, choose };
}

/**
 * @param {{id: string, label: string, hint: string, validate: Function, inputmode: string, placeholder: string,
 *   prefix?: string}} field
 */
function validatedField({ id, label, hint, validate, inputmode, placeholder, prefix }) {
  const error = h('p', { id: `${id}-error`, class: 'field-error', 'aria-live': 'polite' });
  const input = h('input', { id, name: id, type: 'text', inputmode, autocomplete: 'off', placeholder,
    'aria-describedby': `${id}-hint ${id}-error`, required: true });
  let touched = false;
  const check = (show) => {
    const result = validate(input.value);
    // Wrong characters show at once; "not finished yet" waits until the person leaves the field.
    if (show || touched || !result.incomplete) {
      error.textContent = result.ok ? '' : result.message;
      if (result.ok) input.removeAttribute('aria-invalid');
      else input.setAttribute('aria-invalid', 'true');
    }
    return result;
  };
  input.addEventListener('input', () => check(false));
  input.addEventListener('blur', () => {
    if (input.value !== '') touched = true;
    check(false);
  });
  const element = h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('div', { class: prefix ? 'with-prefix' : '' }, prefix ? h('span', { 'aria-hidden': 'true' }, prefix) : null, input),
    h('p', { id: `${id}-hint`, class: 'hint' }, hint),
    error);
  return { element, input, check: (show) => { touched = true; return check(show); } };
}

export function renderDeposit(view, params, context) {
  // The heading stays put (it has the focus after navigation); the form below it waits for the settings.
  const body = h('div', {}, notice('info', 'Loading…'));
  replace(view, h('h1', { tabindex: '-1' }, 'Deposit a check'), body);
  let cleanup = null;
  let stopped = false;
  // The thresholds and whether the back is required come from the API; without them the page still works
  // (both sides required, the server runs every quality test).
  api.capture().catch(() => ({ require_back: true, quality: null })).then((settings) => {
    if (!stopped) cleanup = renderForm(body, params, context, settings || {});
  });
  return () => {
    stopped = true;
    if (cleanup) cleanup();
  };
}

function renderForm(view, _params, { navigate, handleFailure }, settings) {
  const front = imagePicker('front', 'Front of the check', settings);
  const back = imagePicker('back', 'Back of the check', settings);
  const account = validatedField({ id: 'account', label: 'Account to credit', hint: '4 to 17 digits.',
    validate: validateAccount, inputmode: 'numeric', placeholder: '12345678' });
  const amount = validatedField({ id: 'amount', label: 'Amount', hint: 'As written on the check, e.g. 1042.00.',
    validate: validateAmount, inputmode: 'decimal', placeholder: '0.00', prefix: '$' });
  const progress = h('progress', { id: 'upload-progress', max: '100', value: '0', 'aria-labelledby': 'upload-label' });
  const progressLabel = h('span', { id: 'upload-label' }, 'Upload');
  const progressBox = h('div', { class: 'progress', hidden: true }, progressLabel, progress);
  const outcome = h('div', { id: 'deposit-outcome' });
  const submit = h('button', { type: 'submit' }, 'Deposit the check');
  let busy = false;

  async function upload(target, prepared, what) {
    progressBox.hidden = false;
    const show = (loaded, total) => {
      const pct = total ? Math.round((loaded / total) * 100) : 0;
      progress.value = pct;
      progressLabel.textContent = `Uploading the ${what}: ${pct}%`;
    };
    show(0, prepared.blob.size);
    // The same bytes to the same key: safe to try again when storage is restarting or the network drops.
    await withRetries(() => putWithProgress(target.url, target.headers, prepared.blob, show));
  }

  async function onSubmit(event) {
    event.preventDefault();
    if (busy) return;
    const checks = [
      [front.state.prepared ? { ok: true } : { ok: false }, front.input],
      [account.check(true), account.input],
      [amount.check(true), amount.input],
      [back.state.prepared || !back.state.required ? { ok: true } : { ok: false }, back.input],
    ];
    const firstBad = checks.find(([result]) => !result.ok);
    if (firstBad) {
      if (!front.state.prepared && !front.input.hasAttribute('aria-invalid')) {
        replace(outcome, notice('error', 'Choose a photo or scan of the front of the check first.'));
      } else if (!front.state.prepared) {
        replace(outcome, notice('error', 'Choose another photo of the front of the check: that one cannot be used.'));
      } else if (firstBad[1] === back.input && !back.input.hasAttribute('aria-invalid')) {
        replace(outcome, notice('error', 'Choose a photo of the endorsed back of the check too.'));
      } else {
        replace(outcome, notice('error', 'Some fields need your attention.'));
      }
      firstBad[1].focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    replace(outcome, notice('info', 'Creating the deposit…'));
    try {
      const hasBack = Boolean(back.state.prepared);
      // The shrunk images are always JPEG; the API presigns the upload for that type.
      // The sizes go with the request: the upload URLs are signed for exactly those lengths.
      const created = await api.createDeposit({
        to_account: checks[1][0].value, amount: checks[2][0].value, content_type: 'image/jpeg',
        back_content_type: 'image/jpeg', size: front.state.prepared.blob.size,
        ...(hasBack ? { back_size: back.state.prepared.blob.size } : {}),
      });
      replace(outcome, notice('info', `Deposit ${created.id} created. Uploading the images…`));
      await upload({ url: created.upload_url, headers: created.upload_headers }, front.state.prepared, 'front');
      if (hasBack) {
        await upload({ url: created.back_upload_url, headers: created.back_upload_headers }, back.state.prepared, 'back');
      }
      await api.confirmUpload(created.id);
      replace(outcome, notice('ok', `Deposit of ${money(checks[2][0].value)} sent. We are reading the check now.`));
      navigate(`#/deposits/${encodeURIComponent(created.id)}`);
    } catch (error) {
      handleFailure(error, outcome);
      outcome.querySelector('[role=alert]')?.focus?.();
    } finally {
      busy = false;
      submit.disabled = false;
    }
  }

  replace(view,
    h('form', { class: 'card deposit-form', novalidate: true, onsubmit: onSubmit },
      h('fieldset', {}, h('legend', {}, 'Check images'), h('div', { class: 'pickers' }, front.element, back.element)),
      h('fieldset', {}, h('legend', {}, 'Deposit details'), account.element, amount.element),
      progressBox,
      outcome,
      submit));
  return () => {
    for (const picker of [front, back]) if (picker.state.previewUrl) URL.revokeObjectURL(picker.state.previewUrl);
  };
}
