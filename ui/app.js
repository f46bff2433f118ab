// The page's entry point: the header, the hash router and sign-in state.

import { ApiError } from './api.js';
import { h, notice, replace } from './dom.js';
import { finishSignIn, isCallback, justSignedOut, providerConfig, redirectUri, renew, scheduleRenewal,
  signOutEverywhere } from './oidc.js';
import { currentClaims, currentProviderSession, signOut } from './session.js';
import { renderDeposit } from './views/deposit.js';
import { renderDetail } from './views/detail.js';
import { renderList } from './views/list.js';
import { renderOps } from './views/ops.js';
import { renderReview, renderReviewQueue } from './views/review.js';
import { renderSignIn } from './views/signin.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const signOutButton = /** @type {HTMLButtonElement} */ (document.getElementById('signout'));

// Routes: [pattern, view, role needed ('' = any signed-in user, null = no sign-in needed)].
/** @type {Array<[RegExp, Function, string | null]>} (pattern, view, the role it needs: null for none, '' for any) */
const ROUTES = [
  [/^#\/signin$/, renderSignIn, null],
  [/^#\/deposit$/, renderDeposit, ''],
  [/^#\/deposits$/, renderList, ''],
  [/^#\/deposits\/([^/]+)$/, renderDetail, ''],
  [/^#\/review$/, renderReviewQueue, 'reviewer'],
  [/^#\/review\/([^/]+)$/, renderReview, 'reviewer'],
  [/^#\/ops$/, renderOps, 'reviewer'],
];

let cleanup = null; // stops the current view's timers when we leave it
let flash = null; // a message to show on the next screen (e.g. after signing out on a 401)
let lastRenewal = 0; // when a 401 last made us renew a provider token (at most one try per 30 s)

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Show `message` on the next screen rendered. */
export function flashNext(kind, message) {
  flash = { kind, message };
}

/** What views call when an API call failed: a 401 sends the person back to sign in. */
export function handleFailure(error, where) {
  if (error instanceof ApiError && error.status === 401) {
    if (currentProviderSession() && Date.now() - lastRenewal > 30_000) {
      // The provider's token lapsed (a tab asleep past its renewal): renew once, then show the screen again.
      lastRenewal = Date.now();
      renew().then((renewed) => {
        if (renewed) {
          route();
          return;
        }
        signOut();
        flashNext('error', error.message);
        navigate('#/signin');
      });
      return;
    }
    signOut();
    flashNext('error', error.message);
    navigate('#/signin');
    return;
  }
  const text = error instanceof ApiError ? error.message : 'Something went wrong in this page. Reload it and try again.';
  if (!(error instanceof ApiError)) console.error(error);
  replace(where, notice('error', text));
}

function updateHeader(claims) {
  nav.hidden = !claims;
  signOutButton.hidden = !claims;
  who.textContent = claims ? `${claims.email} (${claims.role})` : '';
  for (const link of nav.querySelectorAll('[data-role]')) {
    link.parentElement.hidden = !claims || claims.role !== link.getAttribute('data-role');
  }
  const mine = nav.querySelector('a[href="#/deposits"]');
  if (mine) mine.textContent = claims && claims.role === 'reviewer' ? 'All deposits' : 'My deposits';
  const hash = location.hash.split('/').slice(0, 2).join('/');
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const claims = currentClaims();
  const hash = location.hash || '';
  if (!hash.startsWith('#/')) {
    // "#main" from the skip link, or no hash at all: keep the current screen, or choose the first one.
    if (main.childElementCount && hash) return;
    navigate(claims ? (claims.role === 'reviewer' ? '#/review' : '#/deposits') : '#/signin');
    return;
  }
  /** @type {[RegExpMatchArray, Function, string | null] | undefined} */
  const found = /** @type {any} */ (ROUTES.map(([pattern, view, role]) => [hash.match(pattern), view, role]).find(([m]) => m));
  updateHeader(claims);
  const view = h('section', { class: 'view' });
  replace(main, view);
  if (flash) {
    main.prepend(notice(flash.kind, flash.message));
    flash = null;
  }
  if (!found) {
    replace(view, h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, 'There is no such screen. ', h('a', { href: '#/deposits' }, 'Go to your deposits.')));
  } else {
    const [match, render, role] = found;
    if (role !== null && !claims) {
      flashNext('info', 'Sign in first.');
      navigate('#/signin');
      return;
    }
    if (role && claims.role !== role) {
      replace(view, h('h1', { tabindex: '-1' }, 'Not for this sign-in'),
        notice('error', 'This screen is for bank reviewers. Sign in as a reviewer to use it.'));
    } else {
      cleanup = render(view, match.slice(1).map(decodeURIComponent), { claims, navigate, handleFailure }) || null;
    }
  }
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
    document.title = `${heading.textContent} · openchecks`;
  }
}

signOutButton.addEventListener('click', async () => {
  if (currentProviderSession()) {
    signOutButton.disabled = true;
    const leaving = await signOutEverywhere(); // true: on the way to the provider's sign-out page
    signOutButton.disabled = false;
    if (leaving) return;
  }
  signOut();
  flashNext('ok', 'You are signed out. The token is forgotten in this tab.');
  navigate('#/signin');
});
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  main.querySelector('h1')?.focus();
});

/** Before the first screen: finish a sign-in the provider sent back, or renew a provider token that lapsed. */
async function start() {
  await providerConfig();
  if (isCallback()) {
    const result = await finishSignIn(); // removes the provider's answer from the address
    if (result.ok) {
      const home = result.role === 'reviewer' ? '#/review' : '#/deposit';
      history.replaceState(null, '', redirectUri() + (result.back && result.back !== '#/signin' ? result.back : home));
    } else {
      flashNext('error', result.message);
      history.replaceState(null, '', `${redirectUri()}#/signin`);
    }
  } else if (currentProviderSession()) {
    const session = currentProviderSession();
    if (session.expiresAt - 30 <= Date.now() / 1000) {
      if (!(await renew())) flashNext('info', 'Your sign-in has ended. Sign in again.');
    } else {
      scheduleRenewal();
    }
  }
  if (justSignedOut()) flashNext('ok', 'You are signed out, here and at the bank’s sign-in service.');
  window.addEventListener('hashchange', route);
  route();
}

start();
