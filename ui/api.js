// The deposit API client. The API is the web action `api` beside this page's `ui` action in the package
// `openchecks`, so its URL is computed from the page's own: <...>/openchecks/ui/ -> <...>/openchecks/api.

import { networkSentence, sentenceFor } from './messages.js';
import { newIdempotencyKey, withRetries } from './retry.js';
import { currentToken } from './session.js';

const TIMEOUT_MS = 30_000;

/** A failed API call, with a sentence for people (`message`), the HTTP status and the API's machine code. */
export class ApiError extends Error {
  constructor(message, status = 0, code = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** @type {string[]} the quality tests a photo failed (code 'quality') */
    this.failed = [];
    /** @type {string[]} one sentence per failed test */
    this.messages = [];
  }
}

/** The deposit API's base URL, without a trailing slash. */
export function apiBase(pageUrl = document.baseURI) {
  return new URL('../api', pageUrl).href;
}

async function once(method, path, body, extraHeaders) {
  const headers = { Accept: 'application/json', ...extraHeaders };
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(apiBase() + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(networkSentence(), 0, 'network');
  } finally {
    clearTimeout(timer);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const code = payload && typeof payload.code === 'string' ? payload.code : '';
    throw new ApiError(sentenceFor(response.status, payload), response.status, code);
  }
  return payload;
}

/**
 * One API call; with `retry` (reads by default), a network failure, 429 or 5xx is tried again with backoff
 * (retry.js) — only for calls that repeating cannot do twice.
 */
function request(method, path, body, { retry = method === 'GET', headers = {} } = {}) {
  const go = () => once(method, path, body, headers);
  return retry ? withRetries(go) : go();
}

const enc = encodeURIComponent;

export const api = {
  /** {require_back, max_bytes, quality}: what the page checks before an upload (the server's thresholds). */
  capture: () => request('GET', '/capture'),
  /** {email, account, role, expires}: who the token speaks for. */
  me: () => request('GET', '/me'),
  /**
   * {to_account, amount, content_type, back_content_type} -> {id, upload_url, back_upload_url, ...}; every try
   * carries the same Idempotency-Key, so a retried create never makes a second draft.
   */
  createDeposit: (fields, key = newIdempotencyKey()) =>
    request('POST', '/deposits', fields, { retry: true, headers: { 'Idempotency-Key': key } }),
  /** Confirming twice changes nothing (and starts no second run), so it is retried too. */
  confirmUpload: (id) => request('POST', `/deposits/${enc(id)}/uploaded`, {}, { retry: true }),
  getDeposit: (id) => request('GET', `/deposits/${enc(id)}`),
  /** Newest first; `limit` up to 200 (the API's default is 50). */
  listDeposits: (status, limit) => {
    const query = [status ? `status=${enc(status)}` : '', limit ? `limit=${enc(limit)}` : ''].filter(Boolean).join('&');
    return request('GET', query ? `/deposits?${query}` : '/deposits');
  },
  review: (id, decision) => request('POST', `/deposits/${enc(id)}/review`, decision),
  opsActivations: () => request('GET', '/ops/activations'),
  listExports: () => request('GET', '/exports'),
  startExport: () => request('POST', '/exports', {}),
};
