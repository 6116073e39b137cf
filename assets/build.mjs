#!/usr/bin/env node
// Builds caremarket's front-end assets into assets/dist/ from the pinned npm
// packages, or (with --check) rebuilds them into a temporary folder and fails
// if the committed files in assets/dist/ differ.
//
//   npm run build:assets   write assets/dist/
//   npm run check:assets   prove assets/dist/ is what the pinned packages build
//
// The built files are committed so that `cargo run` works on a fresh clone
// without npm; rust-embed serves assets/dist/ at /assets/. The output depends
// only on the sources in assets/src/ and on the exact package versions in
// package-lock.json: no dates, no absolute paths, no source maps.
//
// Plain Node: the only package used is sass.

import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const srcDir = join(root, "assets", "src");
const distDir = join(root, "assets", "dist");

function fail(message) {
  console.error(`assets: ${message}`);
  process.exit(1);
}

// The installed packages must be exactly the ones package.json pins (npm ci
// guarantees this; a hand-run `npm install other@x` would not).
function installedVersion(name) {
  const pinned = readJson(join(root, "package.json"));
  const wanted = pinned.dependencies?.[name] ?? pinned.devDependencies?.[name];
  let installed;
  try {
    installed = readJson(join(root, "node_modules", name, "package.json")).version;
  } catch {
    fail(`${name} is not installed: run \`npm ci\` first`);
  }
  if (installed !== wanted) {
    fail(`${name} ${installed} is installed but package.json pins ${wanted}: run \`npm ci\``);
  }
  return installed;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

async function build(outDir) {
  const govukVersion = installedVersion("govuk-frontend");
  const sassVersion = installedVersion("sass");
  const sass = await import("sass");
  const govukDist = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, "images"), { recursive: true });

  // 1. The stylesheet.
  const result = sass.compile(join(srcDir, "caremarket.scss"), {
    style: "compressed",
    loadPaths: [join(root, "node_modules")],
    sourceMap: false,
    // govuk-frontend 5 is written with @import and global functions, which
    // Dart Sass warns about on every build. They are its business, not ours
    // (quietDeps), and our one @import of it is deliberate until we move to
    // govuk-frontend 6 and @use.
    quietDeps: true,
    silenceDeprecations: ["import", "global-builtin"],
  });
  // govuk-frontend's CSS has a few non-ASCII characters (an em dash, a
  // zero-width space), so compressed output starts with a UTF-8 byte-order
  // mark. Keep the mark first and put our banner after it.
  const bom = "\uFEFF";
  const css = result.css.startsWith(bom) ? result.css.slice(1) : result.css;
  checkCss(css);
  const banner =
    `/*! caremarket.css: built by assets/build.mjs from assets/src/caremarket.scss ` +
    `with govuk-frontend ${govukVersion} and sass ${sassVersion}. Do not edit: run npm run build:assets. ` +
    `govuk-frontend is MIT licensed, (c) Crown copyright. */\n`;
  writeFileSync(join(outDir, "caremarket.css"), bom + banner + css + "\n");

  // 2. govuk-frontend's JavaScript, the ES module bundle, as shipped, less its
  // last line's source map comment (we do not ship the 200 kB map, and a
  // dangling reference makes browsers' developer tools request it).
  const js = readFileSync(join(govukDist, "govuk-frontend.min.js"), "utf8");
  const stripped = js.replace(/\n?\/\/# sourceMappingURL=[^\n]*\s*$/, "");
  if (!stripped.includes("initAll")) fail("govuk-frontend.min.js does not export initAll");
  writeFileSync(join(outDir, "govuk-frontend.min.js"), stripped + "\n");

  // 3. Icons. govuk-frontend's favicons and touch icons are the GOV.UK crown,
  // which a council service must not use, so we ship our own (assets/src/images)
  // and a web manifest that lists only those.
  const images = readdirSync(join(srcDir, "images")).sort();
  for (const name of images) {
    writeFileSync(join(outDir, "images", name), readFileSync(join(srcDir, "images", name)));
  }
  const manifest = {
    name: "caremarket",
    short_name: "caremarket",
    icons: [{ src: "images/favicon.svg", type: "image/svg+xml", sizes: "any", purpose: "any" }],
  };
  writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  checkReferenced(outDir);
}

// The stylesheet must reference no font files and no GDS Transport, and every
// url() in it must be a file we ship.
function checkCss(css) {
  if (/GDS Transport/i.test(css)) fail("caremarket.css mentions GDS Transport");
  if (/@font-face/.test(css)) fail("caremarket.css has an @font-face rule");
  if (/\.woff2?\b/.test(css)) fail("caremarket.css references a font file");
  for (const match of css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) {
    const url = match[1];
    if (url.startsWith("data:")) continue;
    if (!url.startsWith("/assets/images/")) fail(`caremarket.css references ${url}, outside /assets/images/`);
    const file = url.slice("/assets/images/".length);
    const src = join(srcDir, "images", file);
    try {
      statSync(src);
    } catch {
      fail(`caremarket.css references ${url} but assets/src/images/${file} does not exist`);
    }
  }
}

// Every icon the manifest lists exists.
function checkReferenced(outDir) {
  const manifest = readJson(join(outDir, "manifest.json"));
  for (const icon of manifest.icons) {
    try {
      statSync(join(outDir, icon.src));
    } catch {
      fail(`manifest.json lists ${icon.src}, which was not built`);
    }
  }
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

async function check() {
  const tmp = mkdtempSync(join(tmpdir(), "caremarket-assets-"));
  try {
    const built = join(tmp, "dist");
    await build(built);
    const want = listFiles(built);
    let have = [];
    try {
      have = listFiles(distDir);
    } catch {
      fail("assets/dist/ does not exist: run `npm run build:assets` and commit the result");
    }
    const problems = [];
    for (const f of want) {
      if (!have.includes(f)) problems.push(`missing: assets/dist/${f}`);
      else if (!readFileSync(join(built, f)).equals(readFileSync(join(distDir, f)))) {
        problems.push(`differs: assets/dist/${f}`);
      }
    }
    for (const f of have) if (!want.includes(f)) problems.push(`not built by assets/build.mjs: assets/dist/${f}`);
    if (problems.length > 0) {
      fail(
        `the committed assets are not what the pinned packages build:\n  ${problems.join("\n  ")}\n` +
          "Run `npm ci && npm run build:assets` and commit assets/dist/.",
      );
    }
    console.log(`assets: assets/dist/ matches a fresh build (${want.length} files)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv.includes("--check")) {
  await check();
} else {
  await build(distDir);
  console.log(`assets: built ${listFiles(distDir).map((f) => "assets/dist/" + f).join(", ")}`);
}
