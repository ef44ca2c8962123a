// Renders MJML from standard input to HTML on standard output with the
// official mjml package: the reference for postbode's parity test.
// With --bench N, renders N times and prints the mean milliseconds instead.
const mjml2html = require('mjml');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const src = Buffer.concat(chunks).toString('utf8');
  const options = { validationLevel: 'soft', keepComments: false };
  const bench = process.argv.indexOf('--bench');
  if (bench >= 0) {
    const n = Number(process.argv[bench + 1] || 20);
    for (let i = 0; i < 3; i++) mjml2html(src, options); // warm up
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) mjml2html(src, options);
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / n;
    process.stdout.write(`${ms.toFixed(3)}\n`);
    return;
  }
  const out = mjml2html(src, options);
  for (const e of out.errors) process.stderr.write(`mjml: line ${e.line}: ${e.message}\n`);
  process.stdout.write(out.html);
});
