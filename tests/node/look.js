// Looks at public pages in Debian's Chromium with playwright-core, for
// tests/pages_look.rs:
//   node look.js BASE LANG SHOT_DIR PATH...
// Opens BASE+PATH for each PATH with `Accept-Language: LANG`, saves a
// full-page screenshot SHOT_DIR/LANG-N.png and prints one JSON list: per
// page its <html lang>, <h1>, computed colours and fonts, the texts of its
// <time> elements, the hrefs of its links and the screenshot's path.
const { chromium } = require('playwright-core');

async function main() {
  const [base, lang, shots, ...paths] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({
    viewport: { width: 390, height: 760 },
    colorScheme: 'light',
    extraHTTPHeaders: { 'Accept-Language': lang },
  });
  const page = await context.newPage();
  const seen = [];
  for (const [i, path] of paths.entries()) {
    await page.goto(`${base}${path}`);
    const shot = `${shots}/${lang}-${i + 1}.png`;
    await page.screenshot({ path: shot, fullPage: true });
    const look = await page.evaluate(() => {
      const style = (sel, prop) => {
        const el = document.querySelector(sel);
        return el ? getComputedStyle(el)[prop] : null;
      };
      return {
        lang: document.documentElement.lang,
        h1: (document.querySelector('h1') || {}).textContent || '',
        bodyBackground: style('body', 'backgroundColor'),
        mainBackground: style('main', 'backgroundColor'),
        bodyFont: style('body', 'fontFamily'),
        h1Font: style('h1', 'fontFamily'),
        buttonBackground: style('button[type=submit]', 'backgroundColor'),
        times: [...document.querySelectorAll('time')].map((t) => t.textContent),
        links: [...document.querySelectorAll('a')].map((a) => a.getAttribute('href')),
        text: document.body.innerText,
      };
    });
    seen.push({ path, shot, ...look });
  }
  await browser.close();
  console.log(JSON.stringify(seen));
}

main().catch((e) => { console.error(e); process.exit(1); });
