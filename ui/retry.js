// Retrying what is safe to retry while the deposit service rides out a bad minute. Pure: no DOM, no
// fetch; tested under node. The page retries a call only when repeating it cannot do anything twice:
// reads, the upload (the same bytes to the same key), the confirmation (a confirmed deposit stays
// confirmed) and the creation, which carries an Idempotency-Key that is the same on every try.

export const RETRY_DEADLINE_MS = 45_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 4_000;

/** True for a failure worth another try: no answer at all (status 0), too many requests, or a 5xx but 501. */
export function retryable(status) {
  return status === 0 || status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

/**
 * `attempt()` again while it rejects with an error whose `status` is retryable, with capped exponential
 * backoff (full jitter) until `deadlineMs` has passed; resolves with its first success, rejects with its last
 * failure. `onRetry(error, tries)` is told of every retry (the page shows "still trying").
 */
export async function withRetries(attempt, options = {}) {
  const {
    deadlineMs = RETRY_DEADLINE_MS, now = () => Date.now(), sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
    random = Math.random, onRetry = () => {},
  } = options;
  const giveUp = now() + deadlineMs;
  let delay = FIRST_DELAY_MS;
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      const status = error && typeof error.status === 'number' ? error.status : -1;
      const pause = delay / 2 + random() * (delay / 2);
      if (!retryable(status) || now() + pause > giveUp) throw error;
      onRetry(error, tries);
      await sleep(pause);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}

/** A fresh Idempotency-Key: a random UUID (crypto.randomUUID where the page is a secure context). */
export function newIdempotencyKey(cryptoObject = globalThis.crypto) {
  if (cryptoObject && typeof cryptoObject.randomUUID === 'function') return cryptoObject.randomUUID();
  const bytes = new Uint8Array(16);
  cryptoObject.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
