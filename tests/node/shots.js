// Screenshots for the MJML corpus parity test (tests/mjml_parity.rs):
// each job is one template rendered twice (by postbode and by mjml), shown
// at one width; both pages are shot at the taller page's height, so the two
// PNGs have the same size and compare pixel by pixel. One browser serves
// every job (a Chromium start per shot would take minutes).
//   node shots.js JOBS.json
// JOBS.json: [{ "pages": [A.html, B.html], "width": 600, "shots": [A.png, B.png] }]
// Prints one JSON line per job: { "heights": [a, b] }.
// Only loopback requests load (the test's placeholder image server); web
// fonts and the like are refused for both pages alike, so nothing depends
// on the network or on its timing.
const fs = require('fs');
const { chromium } = require('playwright-core');

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--hide-scrollbars', '--font-render-hinting=none'],
  });
  const context = await browser.newContext({ deviceScaleFactor: 1 });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = url.protocol === 'file:' || url.hostname === '127.0.0.1';
    return local ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  for (const job of jobs) {
    const heights = [];
    for (const file of job.pages) {
      await page.setViewportSize({ width: job.width, height: 600 });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      heights.push(await page.evaluate(() => document.documentElement.scrollHeight));
    }
    const height = Math.max(...heights);
    for (let i = 0; i < job.pages.length; i++) {
      await page.setViewportSize({ width: job.width, height });
      await page.goto(`file://${job.pages[i]}`, { waitUntil: 'load' });
      await settle(page);
      await page.screenshot({ path: job.shots[i] });
    }
    console.log(JSON.stringify({ heights }));
  }
  await browser.close();
}

// 'load' does not wait for CSS background images to be decoded and
// painted: without this, a section's background was in one shot and missing
// in the other at random. Decodes every <img> and background image, then
// waits two frames.
async function settle(page) {
  await page.evaluate(async () => {
    const urls = new Set();
    for (const el of document.querySelectorAll('*')) {
      const bg = getComputedStyle(el).backgroundImage;
      for (const m of bg.matchAll(/url\("?([^")]+)"?\)/g)) urls.add(m[1]);
    }
    const images = [...document.images];
    for (const url of urls) {
      const img = new Image();
      img.src = url;
      images.push(img);
    }
    await Promise.all(images.map((img) => img.decode().catch(() => {})));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
