// Writes src/render/mjml_attributes.json: the attributes the official mjml
// validator allows on each component, so postbode reports the same unknown
// attributes. Run after upgrading mjml in tests/node:
//   (cd tests/node && npm ci) && node scripts/mjml-attributes.js
const path = require('path');
const nodeModules = path.join(__dirname, '..', 'tests', 'node', 'node_modules');
require(path.join(nodeModules, 'mjml'));
const core = require(path.join(nodeModules, 'mjml-core'));
const out = {};
for (const name of Object.keys(core.components).sort()) {
  out[name] = Object.keys(core.components[name].allowedAttributes || {}).sort();
}
const file = path.join(__dirname, '..', 'src', 'render', 'mjml_attributes.json');
require('fs').writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${Object.keys(out).length} components to ${file}`);
