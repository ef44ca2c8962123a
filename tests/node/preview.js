// Drives the live preview (`postbode issue preview DIR --serve`) in
// Debian's Chromium with playwright-core, for tests/preview_live.rs. It
// opens the page once and never reloads it; the test changes files.
//   node preview.js URL SHOT_PREFIX
// Prints one JSON line with what the page shows, then, for each JSON line
// on standard input, waits (at most 15 s) until the page shows it and
// prints what the page shows then:
//   {"mail": TEXT}   both mail frames hold TEXT and no error is shown
//   {"error": TEXT}  the error is shown, holding TEXT, and the frames hidden
// Each line printed: {"error", "mail600", "mail375", "text", "notReloaded"};
// notReloaded is false if the page itself was loaded again.
const readline = require('readline');
const { chromium } = require('playwright-core');

async function main() {
  const [url, prefix] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(url);
  await page.waitForFunction(() => !!document.getElementById('mail-600').contentDocument.body);
  await page.evaluate(() => { window.notReloaded = true; });
  console.log(JSON.stringify(await shows(page)));
  const lines = readline.createInterface({ input: process.stdin });
  let step = 0;
  for await (const line of lines) {
    const want = JSON.parse(line);
    await page.waitForFunction(matches, want, { timeout: 15000 });
    step += 1;
    await page.screenshot({ path: `${prefix}-${step}.png`, fullPage: true });
    console.log(JSON.stringify(await shows(page)));
  }
  await browser.close();
}

// Runs in the page: whether it shows `want`.
function matches(want) {
  const frame = (id) => {
    const body = document.getElementById(id).contentDocument.body;
    return body ? body.innerText : '';
  };
  const error = document.getElementById('error');
  const frames = document.getElementById('frames');
  if (want.mail !== undefined) {
    return error.hidden && !frames.hidden
      && frame('mail-600').includes(want.mail) && frame('mail-375').includes(want.mail);
  }
  return !error.hidden && frames.hidden && error.innerText.includes(want.error);
}

async function shows(page) {
  return page.evaluate(() => {
    const frame = (id) => {
      const body = document.getElementById(id).contentDocument.body;
      return body ? body.innerText : '';
    };
    const error = document.getElementById('error');
    return {
      error: error.hidden ? null : error.innerText,
      mail600: frame('mail-600'),
      mail375: frame('mail-375'),
      text: frame('text'),
      web: frame('web'),
      notReloaded: window.notReloaded === true,
    };
  });
}

main().catch((e) => { console.error(e); process.exit(1); });
