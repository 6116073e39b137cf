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
  // which a council service must not use, so we ship our own: the SVG from
  // assets/src/images, and a favicon.ico drawn here to match it (for browsers
  // that ask for /favicon.ico), and a web manifest that lists only those.
  const images = readdirSync(join(srcDir, "images")).sort();
  for (const name of images) {
    writeFileSync(join(outDir, "images", name), readFileSync(join(srcDir, "images", name)));
  }
  writeFileSync(join(outDir, "images", "favicon.ico"), faviconIco([16, 32, 48]));
  const manifest = {
    name: "caremarket",
    short_name: "caremarket",
    icons: [
      { src: "images/favicon.ico", type: "image/x-icon", sizes: "16x16 32x32 48x48" },
      { src: "images/favicon.svg", type: "image/svg+xml", sizes: "any", purpose: "any" },
    ],
  };
  writeFileSync(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  checkReferenced(outDir);
}

// favicon.ico: the shape of assets/src/images/favicon.svg (a white "C" on a
// near-black rounded square, on a 32-unit grid), rasterised at each size with
// 4 x 4 samples a pixel, as uncompressed 32-bit BMP images in an ICO file.
// Only arithmetic and comparisons, so the bytes are the same on every machine.
function faviconIco(sizes) {
  const images = sizes.map((size) => icoBitmap(size));
  const header = Buffer.alloc(6 + 16 * sizes.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(sizes.length, 4);
  let offset = header.length;
  sizes.forEach((size, i) => {
    const entry = 6 + 16 * i;
    header.writeUInt8(size, entry); // width
    header.writeUInt8(size, entry + 1); // height
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(images[i].length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += images[i].length;
  });
  return Buffer.concat([header, ...images]);
}

// Coverage of the icon's shapes at a point (x, y) on the 32-unit grid:
// "c" for the letter, "bg" for the square, null outside.
function iconShapeAt(x, y) {
  const r = 4; // corner radius of the square
  const cx = Math.min(Math.max(x, r), 32 - r);
  const cy = Math.min(Math.max(y, r), 32 - r);
  if (x < 0 || x > 32 || y < 0 || y > 32 || (x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r) return null;
  // The "C": a ring about (16.16, 16) between radii 7 and 10.4, open on the
  // right where |dy| < 0.81 dx (about 39 degrees either side), as in the SVG.
  const dx = x - 16.16;
  const dy = y - 16;
  const d2 = dx * dx + dy * dy;
  const inRing = d2 >= 7 * 7 && d2 <= 10.4 * 10.4;
  const inGap = dx > 0 && Math.abs(dy) < 0.81 * dx;
  return inRing && !inGap ? "c" : "bg";
}

function icoBitmap(size) {
  const info = Buffer.alloc(40);
  const maskRow = Math.ceil(size / 32) * 4;
  info.writeUInt32LE(40, 0); // header size
  info.writeInt32LE(size, 4);
  info.writeInt32LE(size * 2, 8); // colour image and mask, stacked
  info.writeUInt16LE(1, 12);
  info.writeUInt16LE(32, 14);
  info.writeUInt32LE(size * size * 4 + maskRow * size, 20);
  const pixels = Buffer.alloc(size * size * 4);
  const mask = Buffer.alloc(maskRow * size);
  const n = 4; // samples per pixel along each axis
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let white = 0;
      let dark = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const shape = iconShapeAt(((px + (sx + 0.5) / n) * 32) / size, ((py + (sy + 0.5) / n) * 32) / size);
          if (shape === "c") white++;
          else if (shape === "bg") dark++;
        }
      }
      const covered = white + dark;
      // Straight (not premultiplied) colour: the mix of white and #0b0c0c
      // over the covered samples; alpha is the covered share.
      const mix = (c) => (covered === 0 ? 0 : Math.round((white * 255 + dark * c) / covered));
      const row = size - 1 - py; // BMP rows run bottom to top
      const at = (row * size + px) * 4;
      pixels[at] = mix(0x0c); // blue
      pixels[at + 1] = mix(0x0c); // green
      pixels[at + 2] = mix(0x0b); // red
      pixels[at + 3] = Math.round((covered * 255) / (n * n));
      if (covered === 0) mask[row * maskRow + (px >> 3)] |= 0x80 >> (px & 7);
    }
  }
  return Buffer.concat([info, pixels, mask]);
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
