// Sign in at the local stack's real OpenID Provider (oidc-provider) through its login form, as people do:
// a cancelled sign-in and a provider that cannot be reached read as sentences; the customer signs in, lands
// on the deposit form with nothing in the address, deposits a check, reloads (still signed in; a lapsed access
// token is renewed with the refresh token), signs out
// (the provider's sign-out page, back on the page signed out); the reviewer signs in and sees the queue.
// Config (argv[2], JSON): {url, issuer, screenshots, customer: {username, password}, reviewer: {...},
//   check: {path, back, amount, account}}
import { config, launch, report, screenshot } from './browser.mjs';

const cfg = config();
const shots = cfg.screenshots;

async function storage(page) {
  return page.evaluate(() => ({
    session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
    local: Object.keys(localStorage),
    href: location.href,
  }));
}

async function logIn(page, who) {
  await page.waitForSelector('#oidc-signin');
  await page.click('#oidc-signin');
  await page.waitForURL((url) => url.href.startsWith(cfg.issuer));
  await page.waitForSelector('#username');
  await page.fill('#username', who.username);
  await page.fill('#password', who.password);
  await page.click('form[action$="/login"] button[type="submit"]');
  await page.waitForURL((url) => url.href.startsWith(cfg.url) && /#\/(deposit|review)$/.test(url.hash));
  await page.waitForFunction(() => document.getElementById('who').textContent.length > 0);
}

await report(async (results) => {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(cfg.url);
    await page.waitForSelector('#oidc-signin');
    results.developerLink = await page.textContent('#developer-tokens summary');
    results.tokenBoxHidden = !(await page.isVisible('#token'));
    results.csp = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]').content);
    await screenshot(page, shots, '01-signin-provider');

    // The provider cannot be reached: one sentence, the page stays.
    await browser.context.route(`${cfg.issuer}/**`, (route) => route.abort());
    await page.click('#oidc-signin');
    await page.waitForSelector('#oidc-status .notice.error');
    results.providerDown = await page.textContent('#oidc-status');
    await browser.context.unroute(`${cfg.issuer}/**`);
    await page.reload();

    // Cancelled at the login form: back on the page, told so.
    await page.waitForSelector('#oidc-signin');
    await page.click('#oidc-signin');
    await page.waitForSelector('#username');
    await screenshot(page, shots, '02-provider-login-form');
    await page.click('form[action$="/abort"] button');
    await page.waitForURL((url) => url.href.startsWith(cfg.url));
    await page.waitForSelector('main .notice.error');
    results.cancelled = await page.textContent('main .notice.error');
    results.afterCancel = await storage(page);

    // A wrong password stays on the provider's form with its sentence.
    await page.click('#oidc-signin');
    await page.waitForSelector('#username');
    await page.fill('#username', cfg.customer.username);
    await page.fill('#password', 'not-the-password');
    await page.click('form[action$="/login"] button[type="submit"]');
    await page.waitForSelector('[role="alert"]');
    results.wrongPassword = await page.textContent('[role="alert"]');
    await page.goto(cfg.url);

    // The customer signs in and deposits.
    await logIn(page, cfg.customer);
    results.landing = page.url().split('#')[1];
    results.who = await page.textContent('#who');
    results.afterSignIn = await storage(page);
    await page.waitForSelector('#front-file');
    await page.setInputFiles('#front-file', cfg.check.path);
    await page.waitForSelector('#front-status .ok', { timeout: 30000 });
    await page.setInputFiles('#back-file', cfg.check.back);
    await page.waitForSelector('#back-status .ok', { timeout: 30000 });
    await page.fill('#account', cfg.check.account);
    await page.fill('#amount', cfg.check.amount);
    await page.click('form button[type="submit"]');
    await page.waitForFunction(() => /^#\/deposits\/dep-/.test(location.hash), null, { timeout: 60000 });
    results.depositId = decodeURIComponent(page.url().split('#/deposits/')[1]);
    await page.waitForSelector('.status-line .badge', { timeout: 30000 });
    await screenshot(page, shots, '03-provider-deposit');

    // Reload: still signed in, on the same deposit.
    await page.reload();
    await page.waitForSelector('.status-line .badge', { timeout: 30000 });
    results.afterReload = { hash: await page.evaluate(() => location.hash), who: await page.textContent('#who') };

    // An access token that has lapsed (as after a night with the tab asleep) is renewed with the refresh token
    // before the first screen: a new token, still signed in.
    const stale = await page.evaluate(() => {
      const tokens = JSON.parse(sessionStorage.getItem('openchecks.provider'));
      sessionStorage.setItem('openchecks.provider', JSON.stringify({ ...tokens, expiresAt: Math.floor(Date.now() / 1000) - 5 }));
      return tokens.bearer;
    });
    await page.reload();
    await page.waitForSelector('.status-line .badge', { timeout: 30000 });
    results.renewed = await page.evaluate((old) => {
      const tokens = JSON.parse(sessionStorage.getItem('openchecks.provider'));
      return { changed: tokens.bearer !== old, future: tokens.expiresAt > Date.now() / 1000 + 60 };
    }, stale);
    results.whoAfterRenewal = await page.textContent('#who');
    // A token the API refuses (401) while the refresh token is good: renewed once, the screen comes back.
    const refused = 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln';
    await page.evaluate((bad) => sessionStorage.setItem('openchecks.token', bad), refused);
    await page.evaluate(() => { location.hash = '#/deposits'; });
    await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'My deposits'
      && document.querySelectorAll('main .deposit-item').length > 0, null, { timeout: 30000 });
    results.after401 = await page.evaluate((bad) => ({
      hash: location.hash, renewed: sessionStorage.getItem('openchecks.token') !== bad }), refused);

    // Sign out: the provider's sign-out page, then back here signed out.
    const before = await storage(page);
    results.tokensBeforeSignOut = JSON.parse(before.session['openchecks.provider'] || '{}');
    await page.click('#signout');
    await page.waitForURL((url) => url.href.startsWith(cfg.issuer));
    await page.waitForSelector('button[name="logout"]');
    await screenshot(page, shots, '04-provider-sign-out');
    await page.click('button[name="logout"]');
    await page.waitForURL((url) => url.href.startsWith(cfg.url));
    await page.waitForSelector('main .notice.ok');
    results.signedOut = await page.textContent('main .notice.ok');
    results.afterSignOut = await storage(page);
    results.whoAfterSignOut = await page.textContent('#who');

    // The reviewer signs in (the provider asks for a password again) and sees the review queue.
    await logIn(page, cfg.reviewer);
    results.reviewerLanding = page.url().split('#')[1];
    results.reviewerWho = await page.textContent('#who');
    await page.waitForSelector('main h1');
    results.reviewerHeading = await page.textContent('main h1');
    await page.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: 30000 }).catch(() => {});
    results.reviewerErrors = await page.evaluate(() => [...document.querySelectorAll('main .notice.error')].map((n) => n.textContent));
    await screenshot(page, shots, '05-provider-reviewer-queue');
  } finally {
    results.problems = browser.problems;
    await browser.close();
  }
});
