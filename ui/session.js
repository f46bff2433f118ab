// The sign-in token, kept for this browser tab's session only (sessionStorage, never localStorage), and what
// it says. Either an openchecks token (pasted; its claims read from it) or the bank's OpenID Provider's
// tokens (oidc.js; who it is comes from the API's GET /me, kept beside them).

const KEY = 'openchecks.token';
const CLAIMS = 'openchecks.claims';
const PROVIDER = 'openchecks.provider';

function readJson(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}

/**
 * Read the claims of a token `<base64url(JSON)>.<signature>` without checking the signature (the API does
 * that on every request; the page only uses them to choose what to show). Returns null when unreadable.
 */
export function readClaims(token) {
  if (typeof token !== 'string' || token.length > 2048) return null;
  const parts = token.trim().split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0])) return null;
  try {
    const b64 = parts[0].replaceAll('-', '+').replaceAll('_', '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (!claims || typeof claims.email !== 'string' || !['customer', 'reviewer'].includes(claims.role)) return null;
    if (typeof claims.exp !== 'number') return null;
    return { email: claims.email, role: claims.role, exp: claims.exp };
  } catch {
    return null;
  }
}

/**
 * Check a pasted token: {ok: true, token, claims} or {ok: false, message}.
 * `now` is epoch seconds.
 */
export function checkToken(text, now = Date.now() / 1000) {
  const token = String(text ?? '').trim();
  if (token === '') return { ok: false, message: 'Paste the sign-in token you were given.' };
  const claims = readClaims(token);
  if (!claims) {
    return { ok: false, message: 'That is not a sign-in token. A token is a long line of letters and digits with one dot.' };
  }
  if (claims.exp <= now) return { ok: false, message: 'That token has expired. Ask for a new one.' };
  return { ok: true, token, claims };
}

export function currentToken() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function currentClaims() {
  const token = currentToken();
  if (!token) return null;
  const stored = readJson(CLAIMS);
  if (stored && typeof stored.email === 'string' && ['customer', 'reviewer'].includes(stored.role)) return stored;
  return readClaims(token);
}

export function signIn(token) {
  sessionStorage.removeItem(CLAIMS);
  sessionStorage.removeItem(PROVIDER);
  sessionStorage.setItem(KEY, token);
}

/** {bearer, refresh, idToken, expiresAt} of a provider sign-in, or null (a pasted token, or none). */
export function currentProviderSession() {
  const session = readJson(PROVIDER);
  return session && typeof session.bearer === 'string' ? session : null;
}

/** Keep a provider sign-in: its tokens and, once the API said, {email, role, exp}. */
export function signInWithProvider(tokens, claims) {
  sessionStorage.setItem(KEY, tokens.bearer);
  sessionStorage.setItem(PROVIDER, JSON.stringify(tokens));
  if (claims) sessionStorage.setItem(CLAIMS, JSON.stringify(claims));
  else sessionStorage.removeItem(CLAIMS);
}

/** Renewed provider tokens: the same person and role, a later expiry. */
export function updateProviderTokens(tokens) {
  const claims = readJson(CLAIMS);
  signInWithProvider(tokens, claims ? { ...claims, exp: tokens.expiresAt } : null);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(CLAIMS);
  sessionStorage.removeItem(PROVIDER);
}
