// The page served by the `ui` web action, without the deposit API behind it: the sign-in screen renders,
// keyboard focus works, hostile strings are shown as text, the CSP is sent and enforced, the deposit form
// shrinks an image in the browser and refuses a non-image, and an API failure reads as a sentence.
// Config (argv[2], JSON): {url, screenshots, hostileToken, hostileText, pngPath}.
import { config, launch, report, screenshot } from './browser.mjs';

const cfg = config();

async function describeFocus(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}` +
      `|${(el.textContent || '').trim().slice(0, 30)}`;
  });
}

await report(async (results) => {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    const response = await page.goto(cfg.url, { waitUntil: 'load' });
    results.status = response.status();
    results.headers = response.headers();
    await page.waitForSelector('h1');
    results.heading = await page.textContent('h1');
    results.focusAfterLoad = await describeFocus(page);
    results.tokenLabel = await page.evaluate(() => document.querySelector('label[for="token"]')?.textContent);
    await screenshot(page, cfg.screenshots, 'signin-desktop');

    // Keyboard only: walk the focus order, then submit an empty form with Enter.
    results.tabOrder = [];
    for (let i = 0; i < 2; i += 1) {
      await page.keyboard.press('Tab');
      results.tabOrder.push(await describeFocus(page));
    }
    await page.keyboard.press('Enter'); // on the "Sign in" button
    await page.waitForSelector('#token-error [role="alert"]');
    results.emptyTokenError = await page.textContent('#token-error');
    results.focusAfterEmptySubmit = await describeFocus(page);
    results.tokenInvalidAttr = await page.getAttribute('#token', 'aria-invalid');

    // A token whose e-mail is markup: signed in, it must appear as text and run nothing.
    await page.keyboard.type(cfg.hostileToken);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#/deposit');
    await page.waitForSelector('#front-file');
    results.whoText = await page.textContent('#who');
    results.hostileImages = await page.evaluate(() => document.querySelectorAll('img[src="x"]').length);
    results.focusAfterSignIn = await describeFocus(page);

    // A non-image whose name is markup: refused with a sentence that shows the name as text.
    await page.setInputFiles('#front-file', {
      name: `${cfg.hostileText}.txt`, mimeType: 'text/plain', buffer: Buffer.from('not an image at all'),
    });
    await page.waitForSelector('#front-status [role="alert"]');
    results.nonImageMessage = await page.textContent('#front-status');
    // A file that claims to be an image but is not one.
    await page.setInputFiles('#back-file', { name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('GIF89a junk') });
    await page.waitForSelector('#back-status [role="alert"]');
    results.fakeImageMessage = await page.textContent('#back-status');

    // A real PNG of a check: shrunk in the browser to a JPEG whose long side is 1600 px.
    await page.setInputFiles('#front-file', cfg.pngPath);
    await page.waitForSelector('#front-status .ok');
    results.preparedMessage = await page.textContent('#front-status');
    results.previewSize = await page.evaluate(async () => {
      const img = document.querySelector('.picker img.preview');
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    });

    // Dragged and dropped: a 2400 x 1200 photo drawn in the page, dropped on the back's zone, shrunk too.
    await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 2400;
      canvas.height = 1200;
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#e8efe0';
      ctx.fillRect(0, 0, 2400, 1200);
      ctx.fillStyle = '#000';
      ctx.font = '80px monospace';
      ctx.fillText('0123456789', 200, 1000);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'back-photo.png', { type: 'image/png' }));
      const zone = document.querySelector('label.dropzone[for="back-file"]');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('#back-status .ok');
    results.droppedMessage = await page.textContent('#back-status');

    // Too large to take: refused before decoding, with the size in the sentence.
    await page.setInputFiles('#back-file', {
      name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(26 * 1024 * 1024, 0xff),
    });
    await page.waitForSelector('#back-status [role="alert"]');
    results.hugeMessage = await page.textContent('#back-status');

    // Validation as typed.
    await page.fill('#account', '12ab');
    results.accountError = await page.textContent('#account-error');
    await page.fill('#account', '12345678');
    results.accountErrorAfterFix = await page.textContent('#account-error');
    await page.fill('#amount', '10.999');
    await page.locator('#amount').blur();
    results.amountError = await page.textContent('#amount-error');
    await page.fill('#amount', '1042');
    results.amountErrorAfterFix = await page.textContent('#amount-error');
    await screenshot(page, cfg.screenshots, 'deposit-form-desktop');

    // The CSP is enforced: an injected inline script does not run and is reported as a violation.
    results.inlineScript = await page.evaluate(() => new Promise((resolve) => {
      let violated = '';
      document.addEventListener('securitypolicyviolation', (e) => { violated = e.violatedDirective; }, { once: true });
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true;';
      document.body.append(script);
      setTimeout(() => resolve({ ran: Boolean(window.__inlineRan), violated }), 200);
    }));

    // Submitting reaches the (absent) deposit API: the failure is a sentence, never JSON.
    await page.click('button[type="submit"]');
    await page.waitForSelector('#deposit-outcome [role="alert"]', { timeout: 15000 });
    results.submitError = await page.textContent('#deposit-outcome');

    // My deposits: the same failure reads as a sentence there too.
    await page.goto(`${cfg.url}#/deposits`);
    await page.waitForSelector('.view [role="alert"]', { timeout: 15000 });
    results.listError = await page.textContent('.view [role="alert"]');

    // Phone width: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${cfg.url}#/deposit`);
    await page.waitForSelector('#front-file');
    results.phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await screenshot(page, cfg.screenshots, 'deposit-form-phone');
    await page.click('#signout');
    await page.waitForSelector('#token');
    results.phoneSignOutNotice = await page.textContent('main [role="status"]');
    results.tokenAfterSignOut = await page.evaluate(() => sessionStorage.getItem('openchecks.token'));
    await screenshot(page, cfg.screenshots, 'signin-phone');
    results.pwned = await page.evaluate(() => window.__pwned ?? null);
  } finally {
    results.problems = browser.problems;
    await browser.close();
  }
});
