// Drives the public pages in Debian's Chromium with playwright-core, the
// way a person would: fills in and clicks. Used by tests/pages_in_browser.rs.
//   node pages.js subscribe   BASE LANG EMAIL SHOT_PREFIX
//   node pages.js confirm     URL  LANG SHOT_PREFIX
//   node pages.js unsubscribe URL  LANG SHOT_PREFIX
// Prints one JSON line: the <h1> of every page it saw. `unsubscribe` goes
// step by step: see there.
const readline = require('readline');
const { chromium } = require('playwright-core');

async function main() {
  const [mode, target, lang, ...rest] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({
    viewport: { width: 390, height: 760 },
    extraHTTPHeaders: { 'Accept-Language': lang },
  });
  const page = await context.newPage();
  const headings = [];
  const shot = async (prefix, name) => {
    headings.push((await page.textContent('h1')) || '');
    await page.screenshot({ path: `${prefix}-${name}.png`, fullPage: true });
  };
  if (mode === 'broken-link' || mode === 'mailed-link') {
    await honestLinks(mode, target, rest, page, shot);
  } else if (mode === 'subscribe') {
    const [email, prefix] = rest;
    await page.goto(`${target}/subscribe`);
    await shot(prefix, '1-form');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=name]', 'Lezer In Browser');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await shot(prefix, '2-check-inbox');
  } else if (mode === 'confirm') {
    const [prefix] = rest;
    await page.goto(target);
    await shot(prefix, '3-confirm');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await shot(prefix, '4-confirmed');
  } else if (mode === 'unsubscribe') {
    // Step by step, so the test can look at the database between clicks:
    // after each page its <h1> goes out as a line of its own, and the next
    // click waits for a line on standard input.
    const [prefix] = rest;
    const lines = readline.createInterface({ input: process.stdin });
    const input = lines[Symbol.asyncIterator]();
    const step = async (name) => {
      await shot(prefix, name);
      console.log(JSON.stringify(headings[headings.length - 1]));
      if ((await input.next()).done) throw new Error('standard input closed: the test stopped');
    };
    await page.goto(target);
    await step('5-unsubscribe');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await step('6-unsubscribed');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await shot(prefix, '7-resubscribed');
    lines.close(); // else the open standard input keeps node running
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await browser.close();
  console.log(JSON.stringify(headings));
}

// A link that does not work, and the way out it offers:
//   node pages.js broken-link URL LANG EMAIL SHOT_PREFIX   the honest page, then
//                                                          the unsubscribe-by-address form
//   node pages.js mailed-link URL LANG SHOT_PREFIX         the link that form mailed: one click
async function honestLinks(mode, target, rest, page, shot) {
  if (mode === 'broken-link') {
    const [email, prefix] = rest;
    const response = await page.goto(target);
    if (response.status() !== 404) throw new Error(`${target}: status ${response.status()}, not 404`);
    await shot(prefix, '8-broken-link');
    await page.fill('form[action="/unsubscribe"] input[name=email]', email);
    await Promise.all([
      page.waitForNavigation(),
      page.click('form[action="/unsubscribe"] button[type=submit]'),
    ]);
    await shot(prefix, '9-link-sent');
  } else {
    const [prefix] = rest;
    await page.goto(target);
    await shot(prefix, '10-mailed-link');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await shot(prefix, '11-unsubscribed');
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
