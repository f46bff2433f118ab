// The whole app on the local stack, as people use it: a customer deposits a readable check and watches it
// reach `accepted`; deposits a check that needs review; a non-image is refused; another customer cannot open
// the first one's deposit; a reviewer corrects and approves the review check and the customer's page follows;
// the operations charts draw. Screenshots of every main screen.
// Both sides of every check are deposited; the detail page shows the amount read beside the one entered and
// the endorsement; a check whose amount differs from the one entered goes to review; a dark photo is refused
// in the browser before anything is uploaded.
// Config (argv[2], JSON): {url, screenshots, tokens: {a, b, reviewer},
//   accept: {path, back, amount, account}, mismatch: {path, back, amount, account},
//   review: {path, back, amount, account, correctRouting}, dark: {path}, timeoutMs}
import { config, launch, report, screenshot } from './browser.mjs';

const cfg = config();
const timeout = cfg.timeoutMs || 120000;
const shots = cfg.screenshots;

async function signIn(page, token) {
  await page.goto(cfg.url);
  await page.waitForSelector('#token');
  await page.fill('#token', token);
  await page.click('form button[type="submit"]');
  await page.waitForFunction(() => location.hash !== '#/signin');
}

async function statusText(page) {
  return (await page.textContent('.status-line .badge').catch(() => '')) || '';
}

async function waitForStatus(page, labels, ms = timeout) {
  await page.waitForFunction((wanted) => {
    const badge = document.querySelector('.status-line .badge');
    return badge && wanted.includes(badge.textContent);
  }, labels, { timeout: ms, polling: 250 });
  return statusText(page);
}

async function deposit(page, check, recordProgress) {
  await page.goto(`${cfg.url}#/deposit`);
  await page.waitForSelector('#front-file');
  await page.setInputFiles('#front-file', check.path);
  await page.waitForSelector('#front-status .ok', { timeout: 30000 });
  if (check.back) {
    await page.setInputFiles('#back-file', check.back);
    await page.waitForSelector('#back-status .ok', { timeout: 30000 });
  }
  await page.fill('#account', check.account);
  await page.fill('#amount', check.amount);
  if (recordProgress) {
    await page.evaluate(() => {
      window.__progress = [];
      const bar = document.getElementById('upload-progress');
      new MutationObserver(() => window.__progress.push(Number(bar.value))).observe(bar, { attributes: true });
    });
  }
  await page.click('form button[type="submit"]');
  await page.waitForFunction(() => /^#\/deposits\/dep-/.test(location.hash), null, { timeout: 60000 });
  return decodeURIComponent(page.url().split('#/deposits/')[1]);
}

await report(async (results) => {
  const browser = await launch();
  try {
    // --- Customer A: sign in, a non-image is refused, the readable check is accepted.
    const a = await browser.context.newPage();
    await a.goto(cfg.url);
    await a.waitForSelector('#token');
    await screenshot(a, shots, '01-signin');
    await signIn(a, cfg.tokens.a);
    results.landing = a.url().split('#')[1];
    await a.setInputFiles('#front-file', { name: 'statement.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    await a.waitForSelector('#front-status [role="alert"]');
    results.nonImage = await a.textContent('#front-status');
    await screenshot(a, shots, '02-deposit-non-image-refused');
    results.captureAttributes = await a.evaluate(() => ['front-file', 'back-file'].map((id) => ({
      capture: document.getElementById(id).getAttribute('capture'), required: document.getElementById(id).required })));

    // A dark photo: refused on the page, with the server's sentence, before any upload.
    const puts = [];
    a.on('request', (request) => { if (request.method() === 'PUT') puts.push(request.url()); });
    await a.setInputFiles('#front-file', cfg.dark.path);
    await a.waitForSelector('#front-status .quality-refused', { timeout: 30000 });
    results.darkRefused = await a.textContent('#front-status');
    results.darkFailed = await a.getAttribute('#front-status .quality-refused', 'data-failed');
    await a.fill('#account', '12345678');
    await a.fill('#amount', '10.00');
    await a.click('form button[type="submit"]');
    await a.waitForSelector('#deposit-outcome [role="alert"]');
    results.darkSubmit = await a.textContent('#deposit-outcome');
    results.darkPuts = puts.length;
    await screenshot(a, shots, '02b-deposit-dark-photo-refused');

    const acceptedId = await deposit(a, cfg.accept, true);
    results.acceptedId = acceptedId;
    results.progress = await a.evaluate(() => window.__progress || []);
    await a.waitForSelector('.status-line .badge', { timeout: 30000 });
    results.firstStatus = await statusText(a);
    try {
      results.acceptedFinal = await waitForStatus(a, ['Accepted', 'Needs review', 'Duplicate', 'Rejected', 'Failed']);
    } catch (error) {
      // Still processing: the page shows the failing step, if any; the test reports it instead of a timeout.
      results.pipelineStuck = `${await statusText(a)}: ${await a.textContent('.view .notice.error').catch(() => 'no step error shown')}`;
      await screenshot(a, shots, '03-deposit-stuck');
      return;
    }
    results.acceptedReasons = await a.evaluate(() => [...document.querySelectorAll('.reasons li')].map((li) => li.textContent));
    await a.waitForSelector('.check-image img', { timeout: 30000 }).catch(() => {});
    results.acceptedFields = await a.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('dl.fields dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    results.acceptedSteps = await a.evaluate(() => [...document.querySelectorAll('table.steps tbody tr')].map((tr) =>
      [...tr.children].map((c) => c.textContent)));
    results.timelineBars = await a.evaluate(() => document.querySelectorAll('svg.timeline rect').length);
    results.imageLoaded = await a.evaluate(async () => {
      const img = document.querySelector('.check-image img');
      if (!img) return 0;
      await img.decode().catch(() => {});
      return img.naturalWidth;
    });
    results.amountRead = await a.textContent('#amount-read').catch(() => '');
    results.amountDeclared = await a.textContent('#amount-declared').catch(() => '');
    results.endorsementShown = await a.textContent('#endorsement').catch(() => '');
    results.qualityRows = await a.evaluate(() => [...document.querySelectorAll('table.quality')].map((t) =>
      [t.dataset.side, t.querySelectorAll('tbody tr').length]));
    results.backImageLoaded = await a.evaluate(async () => {
      const img = document.querySelector('.check-image img.check-back');
      if (!img) return 0;
      await img.decode().catch(() => {});
      return img.naturalWidth;
    });
    await screenshot(a, shots, '03-deposit-accepted-detail');

    // --- The amount entered differs from the check's: to review, and the customer is told why.
    const mismatchId = await deposit(a, cfg.mismatch, false);
    results.mismatchFinal = await waitForStatus(a, ['Accepted', 'Needs review', 'Duplicate', 'Rejected', 'Failed']);
    results.mismatchReasons = await a.evaluate(() => [...document.querySelectorAll('.reasons li')].map((li) => li.textContent));
    results.mismatchMessages = await a.evaluate(() => [...document.querySelectorAll('.customer-messages li')].map((li) => li.textContent));
    results.mismatchAmountRead = await a.textContent('#amount-read').catch(() => '');
    results.mismatchId = mismatchId;
    await screenshot(a, shots, '03b-deposit-amount-mismatch');

    // --- The review check.
    const reviewId = await deposit(a, cfg.review, false);
    results.reviewId = reviewId;
    results.reviewFinal = await waitForStatus(a, ['Accepted', 'Needs review', 'Duplicate', 'Rejected', 'Failed']);
    results.reviewReasons = await a.evaluate(() => [...document.querySelectorAll('.reasons li')].map((li) => li.textContent));
    await screenshot(a, shots, '04-deposit-needs-review-detail');

    await a.goto(`${cfg.url}#/deposits`);
    await a.waitForSelector(`.deposit-item[data-id="${acceptedId}"]`, { timeout: 30000 });
    await a.waitForFunction(() => [...document.querySelectorAll('.deposit-item img.thumb')].some((i) => i.naturalWidth > 0),
      null, { timeout: 30000 }).catch(() => {});
    results.listIds = await a.evaluate(() => [...document.querySelectorAll('.deposit-item')].map((li) => li.dataset.id));
    results.thumbWidths = await a.evaluate(() => [...document.querySelectorAll('.deposit-item img.thumb')].map((i) => i.naturalWidth));
    await screenshot(a, shots, '05-my-deposits');

    // --- Customer B cannot open A's deposit, and sees none of A's in the list.
    const b = await browser.context.newPage();
    await signIn(b, cfg.tokens.b);
    await b.goto(`${cfg.url}#/deposits/${encodeURIComponent(acceptedId)}`);
    await b.waitForSelector('.view [role="alert"]', { timeout: 30000 });
    results.otherCustomer = await b.textContent('.view [role="alert"]');
    results.otherCustomerSeesFields = await b.evaluate(() => document.querySelectorAll('dl.fields').length);
    await screenshot(b, shots, '06-other-customer-refused');
    await b.goto(`${cfg.url}#/deposits`);
    await b.waitForSelector('#refreshed:not(:empty)', { timeout: 30000 });
    results.otherCustomerList = await b.evaluate(() => [...document.querySelectorAll('.deposit-item')].map((li) => li.dataset.id));
    await b.close();

    // --- A watches the review deposit while the reviewer decides.
    await a.goto(`${cfg.url}#/deposits/${encodeURIComponent(reviewId)}`);
    await a.waitForSelector('.status-line .badge');

    const r = await browser.context.newPage();
    await signIn(r, cfg.tokens.reviewer);
    results.reviewerLanding = r.url().split('#')[1];
    await r.waitForSelector(`.deposit-item[data-id="${reviewId}"]`, { timeout: 30000 });
    await screenshot(r, shots, '07-review-queue');
    await r.click(`.deposit-item[data-id="${reviewId}"] a`);
    await r.waitForSelector('#routing');
    results.reviewFieldsBefore = await r.evaluate(() => ['routing', 'account', 'check_number'].map((id) => document.getElementById(id).value));
    await screenshot(r, shots, '08-review-deposit');
    // Correct the routing number (a valid ABA number), then approve with a reason.
    await r.fill('#routing', cfg.review.correctRouting);
    await r.click('button:has-text("Save correction")');
    await r.waitForSelector('#review-outcome .notice.ok, #review-outcome [role="alert"]', { timeout: 30000 });
    results.correction = await r.textContent('#review-outcome');
    results.routingAfterCorrection = await r.inputValue('#routing');
    await r.click('button:has-text("Reject")');
    await r.waitForSelector('#review-outcome [role="alert"]');
    results.rejectWithoutReason = await r.textContent('#review-outcome');
    await r.fill('#review-reason', 'Checked with the paying bank by phone');
    await r.click('button:has-text("Approve")');
    await r.waitForFunction(() => location.hash === '#/review', null, { timeout: 30000 });
    await r.waitForSelector('#main .view > div p, #main .view > div .notice', { timeout: 30000 });
    results.queueAfter = await r.evaluate(() => [...document.querySelectorAll('.deposit-item')].map((li) => li.dataset.id));

    // The customer's page follows by itself.
    results.customerSeesDecision = await waitForStatus(a, ['Accepted', 'Rejected'], 30000);
    results.customerHistory = await a.evaluate(() => [...document.querySelectorAll('.history li')].map((li) => li.textContent));
    await screenshot(a, shots, '09-customer-sees-approval');

    // --- Operations charts.
    await r.goto(`${cfg.url}#/ops`);
    await r.waitForSelector('.charts figure svg', { timeout: 30000 });
    await r.waitForTimeout(300);
    results.opsCharts = await r.evaluate(() => [...document.querySelectorAll('.charts figure')].map((f) => ({
      title: f.querySelector('figcaption').textContent, drawn: Boolean(f.querySelector('svg')),
      bars: f.querySelectorAll('rect').length,
    })));
    results.opsSource = await r.textContent('#main .view > p.hint');
    await screenshot(r, shots, '10-operations');

    // --- Phone width.
    await a.setViewportSize({ width: 390, height: 844 });
    await a.goto(`${cfg.url}#/deposits`);
    await a.waitForSelector('.deposit-item');
    results.phoneOverflow = await a.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await screenshot(a, shots, '11-my-deposits-phone');
    await a.goto(`${cfg.url}#/deposits/${encodeURIComponent(acceptedId)}`);
    await a.waitForSelector('dl.fields');
    await screenshot(a, shots, '12-deposit-detail-phone');
  } finally {
    results.problems = browser.problems;
    await browser.close();
  }
});
