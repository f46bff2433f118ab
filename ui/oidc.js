// Sign-in at the bank's OpenID Provider: the authorization code flow with PKCE (S256), `state` and `nonce`
// checked, through oauth4webapi (a certified OIDC client, pinned in infra/package-lock.json and served by the
// ui action as vendor/oauth4webapi.js). A public client: the page holds no secret. The provider answers in
// the URL's fragment (response_mode=fragment), so the code never reaches a server log, and the page removes
// it from the address at once. Tokens live in this tab's sessionStorage only (session.js); the access token
// is renewed with the refresh token a minute before it expires.
import * as oauth from './vendor/oauth4webapi.js';
import { api } from './api.js';
import { currentProviderSession, signInWithProvider, signOut as forget, updateProviderTokens } from './session.js';

const PENDING = 'openchecks.oidc.pending';
const SIGNED_OUT = 'openchecks.oidc.signedout';
const RENEW_BEFORE_S = 60;

export const DOWN = 'The bank’s sign-in service cannot be reached right now. Try again in a few minutes.';
export const CANCELLED = 'You cancelled the sign-in. Nothing was changed; sign in again when you are ready.';

let configPromise = null;
let knownConfigValue = null;
let renewTimer = null;

/** {issuer, client_id, scope, resource, token} from the deployment, or null when it names no provider. */
export function providerConfig() {
  configPromise ??= fetch('oidc-config.json', { cache: 'no-store', credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : {}))
    .then((/** @type {any} */ c) => (c && typeof c.issuer === 'string' && typeof c.client_id === 'string' ? c : null))
    .catch(() => null)
    .then((c) => {
      knownConfigValue = c;
      return c;
    });
  return configPromise;
}

/** What providerConfig() found, once it has answered (app.js waits for it before the first screen). */
export function knownConfig() {
  return knownConfigValue;
}

/** The page's own address without query or fragment: the redirect URI registered at the provider. */
export function redirectUri(loc = location) {
  return loc.origin + loc.pathname;
}

function options(issuer) {
  // Plain http only for a provider on this machine (the local stack's); anything else must be https.
  const local = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  return local ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(config) {
  const issuer = new URL(config.issuer);
  let response;
  try {
    response = await oauth.discoveryRequest(issuer, { ...options(issuer), algorithm: 'oidc' });
  } catch {
    throw new Error(DOWN);
  }
  try {
    return await oauth.processDiscoveryResponse(issuer, response);
  } catch {
    throw new Error('The bank’s sign-in service answered something unexpected. Try again later or tell the bank’s support team.');
  }
}

/** Go to the provider's sign-in page (this page is left; it comes back to finishSignIn). */
export async function startSignIn(back = '') {
  const config = await providerConfig();
  if (!config) throw new Error('This bank has no sign-in service configured; use a token instead.');
  const as = await discover(config);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, back }));
  const url = new URL(as.authorization_endpoint);
  const params = {
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    response_type: 'code',
    response_mode: 'fragment',
    scope: config.scope,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  // The API's audience: `resource` (RFC 8707; oidc-provider, Keycloak ignores it) and `audience` (Auth0).
  if (config.resource) Object.assign(params, { resource: config.resource, audience: config.resource });
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  location.assign(url.href);
}

/** True when the address carries the provider's answer (`#code=…&state=…` or `#error=…`). */
export function isCallback(hash = location.hash) {
  return /^#(?:[^/].*&)?(?:state|code|error)=/.test(hash);
}

function tokensFrom(result, config) {
  const bearer = config.token === 'id' ? result.id_token : result.access_token;
  return {
    bearer,
    refresh: typeof result.refresh_token === 'string' ? result.refresh_token : '',
    idToken: typeof result.id_token === 'string' ? result.id_token : '',
    expiresAt: Math.floor(Date.now() / 1000) + (Number(result.expires_in) || 300),
  };
}

/**
 * Finish a sign-in the provider sent back: {ok: true, back} or {ok: false, message}. Removes the answer from
 * the address first, whatever happens; checks state, issuer and nonce; asks the API who the token is.
 */
export async function finishSignIn() {
  const parameters = new URLSearchParams(location.hash.slice(1));
  history.replaceState(null, '', redirectUri());
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  const config = await providerConfig();
  if (!pending || !config) {
    return { ok: false, message: 'That sign-in was not started in this tab, or it was started long ago. Sign in again.' };
  }
  if (parameters.get('error') === 'access_denied') return { ok: false, message: CANCELLED };
  try {
    const as = await discover(config);
    const client = { client_id: config.client_id };
    let callback;
    try {
      callback = oauth.validateAuthResponse(as, client, parameters, pending.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        if (error.error === 'access_denied') return { ok: false, message: CANCELLED };
        return { ok: false, message: `The sign-in service refused the sign-in (${error.error}). Sign in again.` };
      }
      return { ok: false, message: 'The sign-in answer did not match this tab’s request, so it was ignored. Sign in again.' };
    }
    const extra = config.resource ? { additionalParameters: { resource: config.resource } } : {};
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri(),
      pending.verifier, { ...options(new URL(config.issuer)), ...extra });
    const result = await oauth.processAuthorizationCodeResponse(as, client, response,
      { expectedNonce: pending.nonce, requireIdToken: true });
    const tokens = tokensFrom(result, config);
    signInWithProvider(tokens, null);
    const me = await api.me();
    signInWithProvider(tokens, { email: me.email, role: me.role, exp: Number(me.expires) || tokens.expiresAt });
    scheduleRenewal();
    return { ok: true, back: pending.back || '', role: me.role };
  } catch (error) {
    forget();
    if (error && error.status) return { ok: false, message: error.message }; // the API's own sentence
    return { ok: false, message: error && error.message === DOWN ? DOWN : 'The sign-in could not be completed. Sign in again.' };
  }
}

/** Renew the access token with the refresh token; false (and signed out) when that is not possible. */
export async function renew() {
  const session = currentProviderSession();
  const config = await providerConfig();
  if (!session || !config || !session.refresh) return false;
  try {
    const as = await discover(config);
    const client = { client_id: config.client_id };
    const extra = config.resource ? { additionalParameters: { resource: config.resource } } : {};
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), session.refresh,
      { ...options(new URL(config.issuer)), ...extra });
    const result = await oauth.processRefreshTokenResponse(as, client, response);
    const tokens = tokensFrom(result, config);
    updateProviderTokens({ ...tokens, refresh: tokens.refresh || session.refresh, idToken: tokens.idToken || session.idToken });
    scheduleRenewal();
    return true;
  } catch (error) {
    if (error && error.message === DOWN) {
      // The provider is down for now: keep the session while its token lasts and try again soon.
      clearTimeout(renewTimer);
      renewTimer = setTimeout(renew, 30_000);
      return Date.now() / 1000 < session.expiresAt;
    }
    forget();
    return false;
  }
}

/** Arrange the next renewal a minute before the access token expires (now when that is already past). */
export function scheduleRenewal() {
  clearTimeout(renewTimer);
  const session = currentProviderSession();
  if (!session || !session.refresh) return;
  const wait = Math.max(0, (session.expiresAt - RENEW_BEFORE_S) * 1000 - Date.now());
  renewTimer = setTimeout(renew, Math.min(wait, 2 ** 31 - 1));
}

/**
 * Sign out: forget the tokens in this tab, revoke the refresh token at the provider and end the provider's
 * session there (it sends the browser back to this page). Without a provider session, only forgets.
 */
export async function signOutEverywhere() {
  clearTimeout(renewTimer);
  const session = currentProviderSession();
  forget();
  const config = await providerConfig();
  if (!session || !config) return false;
  sessionStorage.setItem(SIGNED_OUT, '1');
  let as;
  try {
    as = await discover(config);
  } catch {
    return false; // the provider is down: this tab has forgotten the tokens, which expire soon anyway
  }
  const client = { client_id: config.client_id };
  for (const token of [session.refresh, session.bearer].filter(Boolean)) {
    try {
      const response = await oauth.revocationRequest(as, client, oauth.None(), token, options(new URL(config.issuer)));
      await oauth.processRevocationResponse(response);
    } catch {
      // best effort: a token the provider cannot revoke still expires
    }
  }
  if (!as.end_session_endpoint) return false;
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set('client_id', config.client_id);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  if (session.idToken) url.searchParams.set('id_token_hint', session.idToken);
  location.assign(url.href);
  return true;
}

/** True once after coming back from the provider's sign-out. */
export function justSignedOut() {
  const was = sessionStorage.getItem(SIGNED_OUT) === '1';
  sessionStorage.removeItem(SIGNED_OUT);
  return was;
}
