// The page's pure modules (validation, error sentences, the deposit model, chart data, token claims, the
// browser's quality tests), loaded by node exactly as the browser loads them: ES modules, no build step.
// Run with `node --test tests/ui/` (infra/test.sh does).
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import * as messages from '../../ui/messages.js';
import * as model from '../../ui/model.js';
import * as opsdata from '../../ui/opsdata.js';
import * as quality from '../../ui/quality.js';
import * as session from '../../ui/session.js';
import * as validate from '../../ui/validate.js';

const UI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');

export const BROWSER_THRESHOLDS = {
  metric_width: 600,
  region: { width: 0.6, height: 0.5 },
  grey: [0.299, 0.587, 0.114],
  min_width: 640,
  min_height: 480,
  max_pixels: 40_000_000,
  max_side: 12_000,
  min_paper_level: 100.0,
  paper_percentile: 90,
  ink_percentile: 0.5,
  clipped_level: 250,
  max_clipped: 0.6,
  max_ink_level: 200.0,
  min_focus: 10.0,
  laplacian: [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
};

test('amounts: the page accepts what the API accepts and says what is wrong', () => {
  const cases = ['1042', '1,042.5', '$ 12.34', '0.09', '', '12.', '10.999', '-5', '1e3', '0', '0.00', '١٢٣',
    '12,34', '10000000.00', '99999999999999999999'];
  const got = Object.fromEntries(cases.map((c) => [c, validate.validateAmount(c)]));
  assert.deepEqual(got['1042'], { ok: true, value: '1042.00', cents: 104200 });
  assert.equal(got['1,042.5'].value, '1042.50');
  assert.equal(got['$ 12.34'].value, '12.34');
  assert.equal(got['0.09'].cents, 9);
  assert.equal(got[''].ok, false);
  assert.equal(got[''].incomplete, true);
  for (const unfinished of ['12.', '12,34']) { // may still become "12.50" or "12,345"
    assert.equal(got[unfinished].ok, false, unfinished);
    assert.equal(got[unfinished].incomplete, true, unfinished);
  }
  for (const bad of ['10.999', '-5', '1e3', '١٢٣']) {
    assert.equal(got[bad].ok, false, bad);
    assert.equal(got[bad].incomplete, false, bad);
    assert.match(got[bad].message, /digits/, bad);
  }
  assert.equal(got['0'].message, 'The amount must be more than $0.00.');
  assert.equal(got['0.00'].message, got['0'].message);
  assert.match(got['10000000.00'].message, /too large/);
  assert.match(got['99999999999999999999'].message, /too large/);
});

test('accounts, files and image sizes', () => {
  const accounts = ['12345678', '1234-5678 90', '123', '12a4', '', '١٢٣٤٥', '1'.repeat(18)]
    .map(validate.validateAccount);
  assert.deepEqual(accounts[0], { ok: true, value: '12345678' });
  assert.deepEqual(accounts[1], { ok: true, value: '1234567890' });
  assert.equal(accounts[2].incomplete, true);
  assert.equal(accounts[3].message, 'The account number may contain digits only.');
  assert.equal(accounts[5].ok, false);
  assert.equal(accounts[6].incomplete, false);

  const files = [
    null, { name: 'a.png', type: 'image/png', size: 0 },
    { name: '<b>x</b>.pdf', type: 'application/pdf', size: 10 },
    { name: 'big.jpg', type: 'image/jpeg', size: 30 * 1024 * 1024 },
    { name: 'ok.jpg', type: 'image/jpeg', size: 1000 },
    { name: 'unknown', type: '', size: 1000 },
  ].map(validate.checkImageFile);
  assert.equal(files[0], 'Choose a photo or scan of the check.');
  assert.match(files[1], /is empty/);
  assert.equal(files[2], '"<b>x</b>.pdf" is not an image. Choose a JPEG or PNG photo of the check.');
  assert.match(files[3], /30\.0 MB, over the 25 MB limit/);
  assert.equal(files[4], null);
  assert.equal(files[5], null); // no type: decoding decides

  const fit = [[1679, 776], [900, 3000], [800, 600]].map(([w, h]) => validate.fitWithin(w, h));
  assert.deepEqual(fit, [{ width: 1600, height: 739 }, { width: 480, height: 1600 }, { width: 800, height: 600 }]);
  const sizes = [[8000, 6000], [150, 90], [1600, 739]].map(([w, h]) => validate.checkImageSize(w, h));
  assert.match(sizes[0], /48 megapixels/);
  assert.match(sizes[1], /too small/);
  assert.equal(sizes[2], null);
});

test('API errors become sentences a person can act on, never raw text from the server', () => {
  const cases = [
    [400, { error: 'The account number must be 4 to 17 digits.', code: 'invalid_account' }],
    [401, { error: 'The sign-in token has expired; sign in again to get a new one.', code: 'token_expired' }],
    [404, { error: 'There is no deposit with that id for your account.', code: 'deposit_not_found' }],
    [500, { error: 'Traceback (most recent call last): ...', code: 'internal' }],
    [400, { error: '{"nested": "json"}' }],
    [502, null],
    [503, { error: 'x', code: 'service_unavailable' }],
    [422, 'not an object'],
    [418, {}],
    [413, { error: '<img src=x onerror=alert(1)>' }],
  ];
  const out = cases.map(([status, body]) => messages.sentenceFor(status, body));
  assert.equal(out[0], 'The account number must be 4 to 17 digits.');
  assert.equal(out[1], 'The sign-in token has expired; sign in again to get a new one.');
  assert.equal(out[2], 'There is no deposit with that id for your account.');
  assert.equal(out[3], 'Something went wrong on our side. Try again in a minute.');
  assert.ok(out[4].startsWith('The deposit service could not accept that request'));
  assert.equal(out[5], 'The deposit service is having trouble right now. Try again in a minute.');
  assert.ok(out[6].startsWith('The deposit service is busy'));
  assert.equal(out[7], 'The deposit breaks one of the bank’s rules.');
  assert.match(out[8], /unexpected status \(418\)/);
  assert.equal(out[9], 'That file is too large. Take a smaller photo.');
  for (const sentence of out) {
    assert.doesNotMatch(sentence, /[{<]|Traceback/);
  }
});

test('the deposit model reads the API document', () => {
  const doc = {
    id: 'dep-1',
    status: 'needs_review',
    amount: '1042.00',
    amount_cents: 104200,
    to_account: '12345678',
    reading: {
      micr: '⑆063100277⑆ 003661702511⑈ 1278',
      routing: '063100277',
      account: '003661702511',
      check_number: '1278',
      confidence: 91.5,
    },
    corrected: { check_number: '1279' },
    reasons: ['low_confidence', 'brand_new_reason'],
    history: [
      { status: 'received', at: '2026-01-01T00:00:00Z', by: 'a@x.com' },
      { status: 'needs_review', at: '2026-01-01T00:00:05Z', by: 'pipeline', reason: 'low_confidence' },
    ],
    steps: {
      'record-deposit': { ms: 12.5, cold: false, cache: { config: 'hit', clients: 'hit' }, at: '2026-01-01T00:00:05Z' },
      'fetch-image': { ms: 120, cold: true, cache: { config: 'miss', clients: 'miss', image: 'miss' }, at: '2026-01-01T00:00:02Z' },
      'ocr-check': { ms: 400.2, cold: false, cache: { image: 'hit' }, at: '2026-01-01T00:00:03Z' },
      'parse-check': { ms: 3, cold: false, cache: {}, at: '2026-01-01T00:00:04Z' },
    },
    images: {
      large: 'http://127.0.0.1:4568/a/l.jpg?sig=1',
      small: 'http://127.0.0.1:4568/a/s.jpg',
      original: 'javascript:alert(1)',
    },
  };
  const micr = model.micrOf(doc);
  assert.equal(micr.routing, '063100277');
  assert.equal(micr.check_number, '1279');
  assert.ok(micr.line.startsWith('⑆063100277⑆'));
  assert.deepEqual(micr.corrected, ['check_number']);
  assert.equal(model.amountOf(doc), '1042.00');
  const steps = model.stepsOf(doc);
  assert.deepEqual(steps.map((s) => s.name), ['fetch-image', 'ocr-check', 'parse-check', 'record-deposit']);
  assert.deepEqual(steps.map((s) => s.offset), [0, 120, 520.2, 523.2]);
  assert.equal(steps[0].cold, true);
  assert.deepEqual(steps[1].cache, { image: 'hit' });
  const images = model.imagesOf(doc);
  assert.ok(images.thumb.endsWith('/s.jpg'));
  assert.ok(images.large.endsWith('sig=1'));
  assert.equal(images.original, ''); // a javascript: URL is never shown
  assert.equal(model.imagesOf({}).large, '');
  assert.equal(model.historyOf(doc)[1].note, 'low_confidence');
  assert.deepEqual(model.reasonsOf(doc).map(messages.reasonText), [
    'Some characters of the check’s number line were hard to read.',
    'brand new reason',
  ]);
  assert.equal(messages.statusLabel('needs_review'), 'Needs review');
  assert.deepEqual(model.stepsOf({}), []);
});

test('the whole-check model shows the amount read, the quality results and the endorsement', () => {
  const doc = {
    amount_cents: 150000,
    amount_read: { amount: '1042.00', cents: 104200, source: 'both', confidence: 0.93 },
    quality: { out_of_focus: 'pass', partial_image: 'fail', custom_test: 'not_tested' },
    back_quality: { partial_image: 'pass' },
    endorsement: { present: true, restrictive: true, text: 'For mobile deposit only' },
    messages: ['The amount you entered, $1,500.00, does not match the amount on the check.'],
    images: {
      large: 'https://s3.example/l.jpg',
      back_large: 'https://s3.example/bl.jpg',
      front: { bucket: 'b', key: 'k', url: 'https://s3.example/f.jpg' },
      back: { bucket: 'b', key: 'k2', url: 'https://s3.example/b.jpg' },
    },
  };
  const whole = model.wholeCheckOf(doc);
  assert.equal(whole.amountRead, '1042.00');
  assert.equal(whole.amountMatches, false);
  assert.equal(whole.amountSource, 'both');
  assert.equal(whole.amountConfidence, 0.93);
  assert.deepEqual(whole.quality.map((r) => r.test), ['partial_image', 'out_of_focus', 'custom_test']);
  assert.deepEqual(whole.endorsement, { present: true, restrictive: true, text: 'For mobile deposit only' });
  assert.deepEqual(whole.messages, doc.messages);
  const images = model.imagesOf(doc);
  assert.equal(images.large, 'https://s3.example/l.jpg');
  assert.equal(images.back_large, 'https://s3.example/bl.jpg');
  const none = model.wholeCheckOf({});
  assert.equal(none.amountRead, '');
  assert.equal(none.endorsement, null);
  assert.ok(messages.reasonText('back_out_of_focus').startsWith('Back of the check:'));
  assert.match(messages.reasonText('amount_unread'), /read/);
});

test('the operations charts: latency cold and warm, cache hit ratio, deposits per status', () => {
  const activations = [
    {
      name: 'guest/openchecks/ocr-check',
      start: 1000,
      duration: 900,
      annotations: [{ key: 'initTime', value: 300 }],
      response: { result: { _meta: { cold: true, cache: { image: 'miss' } } } },
    },
    { name: 'ocr-check', start: 2000, duration: 100, cold: false, cache: { image: 'hit' } },
    { name: 'ocr-check', start: 3000, duration: 300, cold: false, cache: { image: 'hit' } },
    { action: 'fetch-image', start: 3000, duration: 50, cold: false, cache: { config: 'hit', x: 'n/a' } },
    { name: 'broken' },
    'not a record',
  ];
  const acts = activations.map(opsdata.normaliseActivation).filter(Boolean);
  assert.equal(acts.length, 4);
  assert.deepEqual(acts[0], { name: 'ocr-check', duration: 900, start: 1000, cold: true, cache: { image: 'miss' } });
  const latency = Object.fromEntries(opsdata.latencyByAction(acts).map((row) => [row.label, row]));
  assert.deepEqual(latency['ocr-check'].values, { cold: 900, warm: 200 });
  assert.deepEqual(latency['ocr-check'].counts, { cold: 1, warm: 2 });
  assert.deepEqual(latency['fetch-image'].values, { cold: null, warm: 50 });
  assert.deepEqual(opsdata.cacheHitRatio(acts, 2), [{ t: 1000, y: 0, n: 1 }, { t: 2000, y: 1, n: 3 }]);
  const deposits = ['accepted', 'accepted', 'failed', 'received'].map((status) => ({ status }));
  assert.deepEqual(opsdata.depositsPerStatus(deposits), [
    { label: 'received', value: 1 },
    { label: 'accepted', value: 2 },
    { label: 'failed', value: 1 },
  ]);
  assert.deepEqual(opsdata.depositsPerStatus([], { duplicate: 2, accepted: 1, failed: 0 }), [
    { label: 'accepted', value: 1 },
    { label: 'duplicate', value: 2 },
  ]);
  const step = { ms: 5, cold: true, cache: { image: 'hit' }, at: '2026-01-01T00:00:00Z' };
  assert.deepEqual(opsdata.activationsFromDeposits([{ steps: { 'ocr-check': step } }]), [
    { name: 'ocr-check', duration: 5, start: 1767225600000, cold: true, cache: { image: 'hit' } },
  ]);
});

test('token claims are read for display but never trusted blindly', () => {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = (claims, signature = 'c2ln') => `${b64(claims)}.${signature}`;
  const good = token({ email: 'ann@example.com', role: 'reviewer', exp: 2000 });
  const cases = [
    good,
    token({ email: 'ann@example.com', role: 'admin', exp: 2000 }),
    token({ email: 'a@b.c', role: 'customer', exp: 500 }),
    'no-dot-here',
    'a.b.c',
    '',
    '%%%.sig',
    token(['not', 'an', 'object']),
    token({ email: 'ü@example.com', role: 'customer', exp: 2000 }),
  ];
  const out = cases.map((t) => session.checkToken(t, 1000));
  assert.deepEqual(out[0], { ok: true, token: good, claims: { email: 'ann@example.com', role: 'reviewer', exp: 2000 } });
  assert.equal(out[1].ok, false);
  assert.match(out[1].message, /not a sign-in token/);
  assert.deepEqual(out[2], { ok: false, message: 'That token has expired. Ask for a new one.' });
  for (const bad of out.slice(3, 8)) assert.equal(bad.ok, false);
  assert.equal(out[5].message, 'Paste the sign-in token you were given.');
  assert.equal(out[8].claims.email, 'ü@example.com');
});

test('every module but the entry point loads (app.js needs a page: the browser tests load it)', async () => {
  const walk = (dir) => readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
  const names = walk(UI).filter((p) => p.endsWith('.js') && !p.endsWith('/app.js')).map((p) => relative(UI, p)).sort();
  assert.ok(names.includes('views/review.js') && names.includes('charts.js'));
  const exports = {};
  for (const name of names) {
    exports[name] = Object.keys(await import(pathToFileURL(join(UI, name)).href)).sort();
  }
  assert.deepEqual(exports['views/review.js'], ['renderReview', 'renderReviewQueue']);
  assert.deepEqual(exports['views/ops.js'], ['renderOps']);
  assert.ok(exports['charts.js'].includes('timeline'));
});

test('the browser refuses dark, blurred and small photos with one sentence each', () => {
  const t = BROWSER_THRESHOLDS;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const [w, hgt] = [600, 275];
  const sharp = new Uint8Array(w * hgt).map(() => (rand() < 0.08 ? 30 : 235));
  const dark = sharp.map((v) => v >> 2);
  // A blurred photo: light paper and grey ink smeared into a smooth gradient, no edge left.
  const flat = new Uint8Array(w * hgt).map((_, i) => Math.round(60 + (170 * (i % w)) / w));
  const run = (g, pw = 1600, ph = 1200) => quality.assessGrey(pw, ph, g, w, hgt, t);

  const good = run(sharp);
  assert.deepEqual(good.failed, []);
  assert.equal(good.results.out_of_focus, 'pass');
  const darkOut = run(dark);
  assert.deepEqual(darkOut.failed, ['too_light_or_too_dark']);
  assert.deepEqual(darkOut.messages, ['The photo is too dark: take it in better light.']);
  assert.equal(darkOut.results.out_of_focus, 'not_tested');
  const flatOut = run(flat);
  assert.deepEqual(flatOut.failed, ['out_of_focus']);
  assert.match(flatOut.messages[0], /blurred/);
  const flatBack = quality.assessGrey(1600, 1200, flat, w, hgt, t, { focus: false });
  assert.deepEqual(flatBack.failed, []);
  assert.equal(flatBack.results.out_of_focus, 'not_tested');
  assert.deepEqual(run(sharp, 500, 300).failed, ['below_minimum_size']);
  assert.deepEqual(quality.measuredRegion(1600, 1200, t), { x: 320, y: 300, width: 960, height: 600, gw: 600, gh: 375 });
  assert.deepEqual([t, {}, null].map(quality.usableThresholds), [true, false, false]);
});
