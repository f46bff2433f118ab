// The sign-in token, kept for this browser tab's session only (sessionStorage), and what it says.

const KEY = 'openchecks.token';

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
  return token ? readClaims(token) : null;
}

export function signIn(token) {
  sessionStorage.setItem(KEY, token);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}
