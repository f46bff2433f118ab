// Sign in: at the bank's OpenID Provider when the deployment names one (oidc.js), with a token otherwise;
// the token box stays behind a link for developers when there is a provider.

import { h, notice, replace } from '../dom.js';
import { knownConfig, startSignIn } from '../oidc.js';
import { checkToken, currentClaims, signIn } from '../session.js';

function providerSignIn() {
  const status = h('div', { id: 'oidc-status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'oidc-signin', onclick: async () => {
    button.disabled = true;
    replace(status, notice('info', 'Taking you to the bank’s sign-in page…'));
    try {
      await startSignIn();
    } catch (error) {
      button.disabled = false;
      replace(status, notice('error', error.message));
    }
  } }, 'Sign in');
  return h('section', { class: 'card', 'aria-labelledby': 'oidc-heading' },
    h('h2', { id: 'oidc-heading' }, 'Sign in with your bank account'),
    h('p', {}, 'You sign in on the bank’s own sign-in page and come straight back here. openchecks never sees your password.'),
    button,
    status);
}

export function renderSignIn(view, _params, { navigate }) {
  const input = h('textarea', { id: 'token', name: 'token', rows: '3', required: true, autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'token-help token-error' });
  const error = h('div', { id: 'token-error' });
  const signedIn = currentClaims();

  const form = h('form', { class: 'card', novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    const result = checkToken(input.value);
    if (!result.ok) {
      replace(error, notice('error', result.message));
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    signIn(result.token);
    navigate(result.claims.role === 'reviewer' ? '#/review' : '#/deposit');
  } },
  h('label', { for: 'token' }, 'Sign-in token'),
  input,
  h('p', { id: 'token-help', class: 'hint' }, 'A long line of letters and digits with one dot in it.'),
  error,
  h('button', { type: 'submit' }, 'Sign in'));

  const provider = knownConfig();
  if (provider) {
    replace(view,
      h('h1', {}, 'Sign in'),
      signedIn ? notice('info', `You are signed in as ${signedIn.email}. Signing in again replaces that.`) : null,
      providerSignIn(),
      h('details', { class: 'card developer', id: 'developer-tokens' },
        h('summary', {}, 'For developers: sign in with a token'),
        h('p', {}, 'Tokens from ', h('code', {}, 'python -m openchecks.tokens mint'), ' (or the ones ',
          h('code', {}, './deploy.sh local'), ' prints) work here too, for scripts and tests.'),
        form));
    return;
  }
  replace(view,
    h('h1', {}, 'Sign in'),
    signedIn ? notice('info', `You are signed in as ${signedIn.email}. Signing in again replaces that.`) : null,
    form,
    h('section', { class: 'card explain', 'aria-labelledby': 'where-tokens' },
      h('h2', { id: 'where-tokens' }, 'Where do tokens come from?'),
      h('p', {}, 'openchecks does not keep passwords. The bank gives each customer and each reviewer a signed ' +
        'token that says who they are, what they may do, and until when.'),
      h('ul', {},
        h('li', {}, 'On the local stack, ', h('code', {}, './deploy.sh local'),
          ' prints a demo customer token and a demo reviewer token.'),
        h('li', {}, 'An administrator mints one with ',
          h('code', {}, 'python -m openchecks.tokens mint --email you@example.com --role customer --ttl 3600'), '.')),
      h('p', {}, 'The token is kept in this browser tab only and forgotten when you close it or sign out.')));
}
