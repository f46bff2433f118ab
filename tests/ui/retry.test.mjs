// The page's retries (ui/retry.js, ui/api.js), as the browser loads them: what is retried, with which
// backoff, and that a retried create carries one Idempotency-Key while a review is never repeated.
import assert from 'node:assert/strict';
import { test } from 'node:test';

// api.js reads the page's address and its session store; give it the ones a page would have.
globalThis.document = { baseURI: 'http://127.0.0.1:3233/api/v1/web/guest/openchecks/ui/' };
const stored = new Map();
globalThis.sessionStorage = {
  getItem: (k) => stored.get(k) ?? null,
  setItem: (k, v) => stored.set(k, v),
  removeItem: (k) => stored.delete(k),
};
const retry = await import('../../ui/retry.js');
const { api } = await import('../../ui/api.js');

test('what is retryable: network failures, 429 and 5xx but 501', () => {
  const statuses = [0, 200, 400, 401, 403, 404, 409, 422, 429, 500, 501, 502, 503, 504];
  assert.deepEqual(statuses.map(retry.retryable),
    [true, false, false, false, false, false, false, false, true, true, false, true, true, true]);
});

test('the backoff is capped and stops at the deadline; a refusal is not retried', async () => {
  let clock = 0;
  const pauses = [];
  let tries = 0;
  const fail = () => { tries += 1; const e = new Error('down'); e.status = 503; throw e; };
  await assert.rejects(
    retry.withRetries(fail, {
      deadlineMs: 30000, now: () => clock, random: () => 1,
      sleep: async (ms) => { pauses.push(ms); clock += ms; },
    }),
    (e) => e.status === 503,
  );
  assert.equal(tries, pauses.length + 1);
  assert.deepEqual(pauses.slice(0, 5), [250, 500, 1000, 2000, 4000]);
  assert.equal(Math.max(...pauses), 4000);
  assert.ok(pauses.reduce((a, b) => a + b, 0) <= 30000);

  let refused = 0;
  const no = () => { refused += 1; const e = new Error('no'); e.status = 409; throw e; };
  await assert.rejects(retry.withRetries(no, { sleep: async () => {} }), (e) => e.status === 409);
  assert.equal(refused, 1);
});

test('a create is retried with one Idempotency-Key, the next deposit gets another, a review is not retried', async () => {
  const seen = [];
  const script = [503, 502, 201, 503];
  globalThis.fetch = async (url, init) => {
    seen.push({ method: init.method, url, key: init.headers['Idempotency-Key'] ?? null });
    const status = script.length ? script.shift() : 200;
    return { ok: status < 400, status, json: async () => ({ id: 'dep-x', code: `c${status}` }) };
  };
  const created = await api.createDeposit({ to_account: '12345678', amount: '1.00' });
  await assert.rejects(api.review('dep-x', { action: 'approve' }), (e) => e.status === 503);
  await api.createDeposit({ to_account: '12345678', amount: '1.00' });
  const creates = seen.filter((s) => s.url.endsWith('/deposits'));
  assert.equal(created.id, 'dep-x');
  assert.equal(creates.length, 4);
  assert.ok(creates[0].key);
  assert.equal(new Set(creates.slice(0, 3).map((c) => c.key)).size, 1);
  assert.notEqual(creates[3].key, creates[0].key); // the next deposit, a new key
  assert.equal(seen.filter((s) => s.url.endsWith('/review')).length, 1);
});
