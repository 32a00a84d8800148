#!/usr/bin/env node
// Compile a Solidity standard-JSON input (stdin) with the npm `solc` package's JS API and
// print only the standard-JSON output (stdout). Imports resolve against the project root
// and node_modules, so `@openzeppelin/...` works without remappings.
// Usage: node tools/solc-compile.cjs [--version]
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

if (process.argv.includes("--version")) {
  process.stdout.write(solc.version() + "\n");
  process.exit(0);
}

const root = path.resolve(__dirname, "..");
const searchRoots = [root, path.join(root, "node_modules")];

function findImports(importPath) {
  for (const base of searchRoots) {
    const candidate = path.resolve(base, importPath);
    if (!candidate.startsWith(base)) continue;
    if (fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, "utf8") };
    }
  }
  return { error: `File not found: ${importPath} (looked in ${searchRoots.join(", ")})` };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
