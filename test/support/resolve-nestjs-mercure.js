// Preloaded (`node -r`) into sample-app child processes run from source with ts-node: resolves the
// package's own name to the library's sources, as Jest's moduleNameMapper does for in-process tests.
const Module = require('module');
const path = require('path');

const targets = {
  'nestjs-mercure': path.join(__dirname, '../../lib/index.ts'),
  'nestjs-mercure/testing': path.join(__dirname, '../../lib/testing/index.ts'),
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, targets[request] ?? request, ...rest);
};
