// The page's sign-in helpers that need no provider: recognising the provider's answer in the address, the
// redirect URI, and where a provider sign-in is kept (sessionStorage only). The flow itself runs against the
// real provider in tests/browser/test_ui_oidc.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

class MemoryStorage {
  constructor() { this.items = new Map(); }
  getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  setItem(key, value) { this.items.set(key, String(value)); }
  removeItem(key) { this.items.delete(key); }
}
globalThis.sessionStorage = new MemoryStorage();

const { isCallback, redirectUri } = await import('../../ui/oidc.js');
const session = await import('../../ui/session.js');

test('the provider answer is told apart from the page routes', () => {
  assert.equal(isCallback('#code=abc&state=xyz&iss=http%3A%2F%2F127.0.0.1%3A3236'), true);
  assert.equal(isCallback('#state=xyz&error=access_denied'), true);
  assert.equal(isCallback('#error=login_required&state=s'), true);
  for (const hash of ['', '#/deposit', '#/deposits/dep-1', '#main', '#/signin', '#/review?state=x']) {
    assert.equal(isCallback(hash), false, hash);
  }
});

test('the redirect URI is the page without query or fragment', () => {
  const loc = new URL('http://127.0.0.1:3233/api/v1/web/guest/openchecks/ui/?x=1#/deposit');
  assert.equal(redirectUri(loc), 'http://127.0.0.1:3233/api/v1/web/guest/openchecks/ui/');
});

test('a provider sign-in is kept in sessionStorage and forgotten whole', () => {
  const tokens = { bearer: 'a.b.c', refresh: 'r', idToken: 'i.d.t', expiresAt: 2_000_000_000 };
  session.signInWithProvider(tokens, null);
  assert.equal(session.currentToken(), 'a.b.c');
  assert.equal(session.currentClaims(), null); // a JWT is not read by the page: the API says who it is
  session.signInWithProvider(tokens, { email: 'demo@example.com', role: 'customer', exp: 1 });
  assert.deepEqual(session.currentClaims(), { email: 'demo@example.com', role: 'customer', exp: 1 });
  session.updateProviderTokens({ ...tokens, bearer: 'a.b.d', expiresAt: 2_000_000_600 });
  assert.equal(session.currentToken(), 'a.b.d');
  assert.equal(session.currentClaims().exp, 2_000_000_600);
  assert.equal(session.currentProviderSession().refresh, 'r');
  session.signIn('payload.signature'); // a pasted token replaces the provider sign-in entirely
  assert.equal(session.currentProviderSession(), null);
  session.signInWithProvider(tokens, { email: 'demo@example.com', role: 'customer', exp: 1 });
  session.signOut();
  assert.deepEqual([...globalThis.sessionStorage.items.keys()], []);
});
