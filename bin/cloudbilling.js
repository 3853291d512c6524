#!/usr/bin/env node
'use strict';
require('../dist/provider/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; })
  .catch((e) => { process.stderr.write(`cloudbilling: ${e && e.message ? e.message : e}\n`); process.exitCode = 2; });
