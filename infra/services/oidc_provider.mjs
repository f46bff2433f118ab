// The local stack's OpenID Provider: oidc-provider (OpenID-certified, pinned in infra/package-lock.json) on
// 127.0.0.1 with a plain login form. Started by infra/services/oidc.py; see that module for what it serves.
//
// node oidc_provider.mjs --port P --data-dir D --client-id C --audience A --redirect-uri U [--redirect-uri U2]
//                        [--access-ttl SECONDS]
// D holds, 0600: signing_keys.json (made on the first start: an RS256 key and an ES256 key), cookie_keys.json
// (made on the first start) and accounts.json (written by infra/services/oidc.py: the demo accounts and
// their passwords). Sessions, grants and refresh tokens live in memory: a restart signs everyone out.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'client-id': { type: 'string', default: 'openchecks-web' },
    audience: { type: 'string', default: 'urn:openchecks:api' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'access-ttl': { type: 'string', default: '600' },
  },
});
const port = Number(args.port);
const dataDir = args['data-dir'];
const issuer = `http://127.0.0.1:${port}`;
const clientId = args['client-id'];
const audience = args.audience;
const accessTtl = Math.max(5, Number(args['access-ttl']) || 600);
const formTargets = [...new Set(args['redirect-uri'].map((uri) => new URL(uri).origin))].join(' ');

/** Read `name` from the data dir, or make it with `create()` and write it 0600 first. */
function privateJson(name, create) {
  const file = path.join(dataDir, name);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const value = create();
  fs.writeFileSync(file, JSON.stringify(value), { mode: 0o600, flag: 'wx' });
  return value;
}

fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const jwks = privateJson('signing_keys.json', () => {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const kid = () => crypto.randomBytes(9).toString('base64url');
  return { keys: [{ ...rsa, alg: 'RS256', use: 'sig', kid: kid() }, { ...ec, alg: 'ES256', use: 'sig', kid: kid() }] };
});
const cookieKeys = privateJson('cookie_keys.json', () => [crypto.randomBytes(32).toString('base64url')]);
const accounts = JSON.parse(fs.readFileSync(path.join(dataDir, 'accounts.json'), 'utf8')).accounts;
const byId = new Map(accounts.map((a) => [a.id, a]));

function accountClaims(account) {
  return { sub: account.id, email: account.email, email_verified: true, roles: [account.role] };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_name: 'openchecks',
    application_type: 'web',
    token_endpoint_auth_method: 'none', // a public client: the page holds no secret
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: args['redirect-uri'],
    post_logout_redirect_uris: args['redirect-uri'],
  }],
  jwks,
  cookies: { keys: cookieKeys },
  pkce: { required: () => true },
  responseTypes: ['code'],
  claims: { openid: ['sub', 'roles'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false,
  scopes: ['openid', 'email', 'offline_access'],
  ttl: { AccessToken: accessTtl, IdToken: accessTtl, RefreshToken: 8 * 3600, Session: 8 * 3600, Grant: 8 * 3600, Interaction: 600 },
  async findAccount(_ctx, id) {
    const account = byId.get(id);
    return account ? { accountId: id, claims: async () => accountClaims(account) } : undefined;
  },
  async extraTokenClaims(_ctx, token) {
    const account = token.kind === 'AccessToken' ? byId.get(token.accountId) : undefined;
    return account ? { email: account.email, roles: [account.role] } : undefined;
  },
  // openchecks is the provider's only, first-party client: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    if (!ctx.oidc.session.accountId) return undefined;
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email offline_access');
    grant.addOIDCClaims(['sub', 'roles', 'email', 'email_verified']);
    grant.addResourceScope(audience, 'deposit');
    await grant.save();
    return grant;
  },
  async issueRefreshToken(_ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `${form}<p>Sign out of the bank's sign-in service?</p>
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
          <button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf || audience,
      useGrantedResource: async () => true,
      async getResourceServerInfo(_ctx, resource) {
        if (resource !== audience) throw new errors.InvalidTarget();
        return { scope: 'deposit', audience, accessTokenTTL: accessTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in problem', `<p>${escape(out.error_description || out.error)}</p>`);
  },
});
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} · local sign-in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}
button{padding:.6rem;margin-top:.5rem}.error{color:#a00}.secondary{background:none}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function loginForm(uid, message = '') {
  return page('Sign in to the bank', `<p>The local stack's demo identity provider (passwords: <code>./deploy.sh local</code>).</p>
${message ? `<p class="error" role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label for="username">User name</label><input id="username" name="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit" class="secondary">Cancel</button></form>`);
}

function sameSecret(a, b) {
  const x = crypto.createHash('sha256').update(String(a)).digest();
  const y = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(x, y);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 8192) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function send(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    // form-action covers the redirects after a post too: the login form ends on the page's redirect URI
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${formTargets}; frame-ancestors 'none'`,
    'X-Frame-Options': 'DENY',
  });
  res.end(html);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Sign-in problem', '<p>This sign-in page expired; start again from openchecks.</p>'));
  if (action === 'abort' && req.method === 'POST') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The sign-in was cancelled.' }, { mergeWithLastSubmission: false });
  }
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const account = accounts.find((a) => a.username === form.get('username'));
    if (!account || !sameSecret(account.password, form.get('password') || '')) {
      return send(res, 401, loginForm(uid, 'That user name and password do not match.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.id } }, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === 'login') return send(res, 200, loginForm(uid));
  // openchecks is first-party: a consent prompt (prompt=consent) is granted without a screen
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope('openid email offline_access');
  grant.addOIDCClaims(['sub', 'roles', 'email', 'email_verified']);
  grant.addResourceScope(audience, 'deposit');
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  const match = url.pathname.match(/^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/);
  if (url.pathname === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true}');
    return;
  }
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    const expired = error instanceof errors.SessionNotFound || error instanceof errors.OIDCProviderError;
    if (!expired) console.error('interaction failed', error);
    send(res, expired ? 400 : 500, page('Sign-in problem', '<p>This sign-in page expired; start again from openchecks.</p>'));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider ${issuer} (client ${clientId}, audience ${audience})`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
