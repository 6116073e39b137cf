#!/usr/bin/env node
// Browser journeys against a running caremarket, in Debian's headless Chromium.
//
//   BASE_URL=http://127.0.0.1:8099 E2E_EMAIL=… E2E_PASSWORD=… node e2e/run.mjs [filter…]
//
// Runs every e2e/journeys/*.mjs in name order (or only those whose file name
// contains one of the filters). A journey exports `name` and
// `async run(page, ctx)`; see e2e/README.md for ctx. Each step saves a
// full-page screenshot to e2e/screenshots/ and runs axe-core on the page: a
// WCAG 2.x A or AA violation of serious or critical impact fails the
// journey, as do a wrong status, an uncaught script error, or a failed
// request for one of our own assets. Exits 1 if any journey failed.
//
// Environment:
//   BASE_URL      the server to test (default http://127.0.0.1:8099)
//   E2E_EMAIL     demo user's email, for ctx.signIn()
//   E2E_PASSWORD  demo user's password
//   CHROMIUM      the browser (default /usr/bin/chromium). playwright-core
//                 never downloads a browser.
//   E2E_TIMEOUT   seconds one journey may take (default 120)

import { createRequire } from "node:module";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  console.error("e2e: playwright-core is not installed: run `npm ci` in the repository root");
  process.exit(1);
}
const axePath = require.resolve("axe-core/axe.min.js");

const baseUrl = (process.env.BASE_URL || "http://127.0.0.1:8099").replace(/\/+$/, "");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const journeyTimeoutMs = Number(process.env.E2E_TIMEOUT || 120) * 1000;
const screenshotDir = join(here, "screenshots");
const filters = process.argv.slice(2);

// What counts as an accessibility failure: WCAG 2.0, 2.1 and 2.2 at levels A
// and AA, with axe's impact serious or critical. Moderate and minor findings
// are printed but do not fail the run.
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];
const FAILING_IMPACTS = new Set(["serious", "critical"]);

class JourneyFailure extends Error {}

function slug(text) {
  return String(text)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
}

async function loadJourneys() {
  const dir = join(here, "journeys");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".mjs"))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  const journeys = [];
  for (const file of files) {
    const mod = await import(pathToFileURL(join(dir, file)).href);
    if (typeof mod.run !== "function") throw new Error(`e2e/journeys/${file} does not export run(page, ctx)`);
    journeys.push({ file, name: mod.name || file, run: mod.run });
  }
  return journeys;
}

// Runs axe-core in the page and returns its WCAG A/AA violations.
async function axeViolations(page) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!hasAxe) await page.addScriptTag({ path: axePath });
  return page.evaluate(
    async (tags) => {
      const result = await window.axe.run(document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 200) })),
        count: v.nodes.length,
      }));
    },
    AXE_TAGS,
  );
}

function describeViolation(v) {
  const nodes = v.nodes.map((n) => `      at ${n.target}: ${n.html}`).join("\n");
  const more = v.count > v.nodes.length ? `\n      … and ${v.count - v.nodes.length} more` : "";
  return `    ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}${more}`;
}

async function runJourney(browser, journey, index) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1280, height: 900 },
    locale: "en-GB",
    // axe is injected as a script; a Content-Security-Policy must not stop it.
    bypassCSP: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const origin = new URL(baseUrl).origin;
  const problems = [];
  const notes = [];
  let stepNo = 0;

  page.on("pageerror", (err) => problems.push(`script error on ${page.url()}: ${err.message}`));
  // A missing stylesheet, script or image of ours is a failure; the main
  // document's status is the journey's business (it may expect a 404).
  const badResponses = new Set();
  page.on("response", (res) => {
    const req = res.request();
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) return;
    if (res.url().startsWith(origin) && res.status() >= 400) {
      badResponses.add(res.url());
      problems.push(`${req.method()} ${res.url()} returned ${res.status()} (loaded by ${page.url()})`);
    }
  });
  // Chromium cancels (net::ERR_ABORTED) the loads of a page it is leaving, such as its favicon when
  // a journey clicks on at once; that is the browser's doing, not a fault of ours. Any other
  // failure, or an abort on a page still showing, is reported.
  const requestedAt = new Map();
  let lastNavigation = 0;
  page.on("request", (req) => {
    requestedAt.set(req, Date.now());
    // A new page being asked for is the page being left, before Chromium reports the navigation
    // (a script still loading is then cancelled: seen on a click made as the page finished).
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) lastNavigation = Date.now();
  });
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) lastNavigation = Date.now();
  });
  // Aborted loads are judged a moment later: Chromium may report the cancelled load before the
  // navigation that cancelled it.
  const pendingChecks = [];
  let closing = false;
  page.on("requestfailed", (req) => {
    const aborted = req.failure()?.errorText === "net::ERR_ABORTED";
    // Closing the page at the journey's end cancels what it was still loading.
    if (aborted && closing) return;
    const judge = () => {
      // The favicon's load is cancelled whenever a navigation starts before it ends, sometimes
      // before Chromium reports the navigation (seen in CI): never a failure a person would see.
      const leftPage = aborted && (lastNavigation >= (requestedAt.get(req) ?? Infinity) || /\/favicon\.(svg|ico)$/.test(new URL(req.url()).pathname));
      // Chromium also aborts a request it got an error status for: say it once.
      if (req.url().startsWith(origin) && !req.isNavigationRequest() && !badResponses.has(req.url()) && !leftPage) {
        problems.push(`${req.method()} ${req.url()} failed: ${req.failure()?.errorText}`);
      }
    };
    if (aborted) pendingChecks.push(new Promise((resolve) => setTimeout(() => resolve(judge()), 750)));
    else judge();
  });

  // Saves a screenshot of the page, full length for HTML (a full-page shot of
  // another kind of document, an SVG say, can hang), and returns the
  // document's content type.
  async function screenshot(file) {
    const contentType = await page.evaluate(() => document.contentType);
    await page.screenshot({ path: join(screenshotDir, file), fullPage: contentType === "text/html" });
    return contentType;
  }

  const ctx = {
    baseUrl,
    email: process.env.E2E_EMAIL || "",
    password: process.env.E2E_PASSWORD || "",
    notes,

    url: (path) => new URL(path, baseUrl + "/").href,

    // Fails the journey with `message` unless `condition` holds.
    expect(condition, message) {
      if (!condition) throw new JourneyFailure(message);
    },

    // Screenshot plus accessibility check of the page as it is now. Call it
    // after anything that changes the page (goto does it for you).
    async step(label) {
      stepNo += 1;
      const file = `${String(index).padStart(2, "0")}-${slug(journey.name)}-${String(stepNo).padStart(2, "0")}-${slug(label)}.png`;
      const contentType = await screenshot(file);
      if (contentType !== "text/html") {
        notes.push(`${label}: ${page.url()} is ${contentType}, no accessibility check`);
        return;
      }
      const violations = await axeViolations(page);
      const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
      for (const v of violations.filter((v) => !FAILING_IMPACTS.has(v.impact))) {
        notes.push(`${label}: ${v.impact} ${v.id} (${v.count}) on ${page.url()}`);
      }
      if (failing.length > 0) {
        problems.push(
          `accessibility (WCAG 2.x A/AA) on ${page.url()} at step "${label}", screenshot ${file}:\n` +
            failing.map(describeViolation).join("\n"),
        );
      }
    },

    // Loads `path` and checks the status (default 200), then ctx.step().
    async goto(path, { status = 200, label = path } = {}) {
      const res = await page.goto(ctx.url(path), { waitUntil: "load" });
      ctx.expect(res !== null, `GET ${path}: no response`);
      ctx.expect(
        res.status() === status,
        `GET ${path} returned ${res.status()}, expected ${status}`,
      );
      await ctx.step(label);
      return res;
    },

    // Runs `fn(otherPage)` in a browser of its own (its own cookies), signed in as `email` with
    // the demo password: a second person at the same time, as in the lost-update journeys.
    async asSomeoneElse(email, fn) {
      const other = await page.context().browser().newContext({ baseURL: ctx.baseUrl, viewport: { width: 1280, height: 900 }, locale: "en-GB" });
      try {
        const p = await other.newPage();
        p.setDefaultTimeout(15_000);
        await p.goto(ctx.url("/sign-in"), { waitUntil: "load" });
        await p.fill("#email", email);
        await p.fill("#password", ctx.password);
        await Promise.all([p.waitForNavigation({ waitUntil: "load" }), p.click("main button[type=submit]")]);
        ctx.expect(!new URL(p.url()).pathname.startsWith("/sign-in"), `signing in as ${email} failed`);
        return await fn(p);
      } finally {
        await other.close();
      }
    },

    // Signs in as the demo user. Assumes the sign-in page's fields are made
    // with the input macro as "email" and "password" (ids = names).
    async signIn() {
      ctx.expect(ctx.email && ctx.password, "E2E_EMAIL and E2E_PASSWORD must be set to sign in");
      await ctx.goto("/sign-in", { label: "sign-in page" });
      await page.fill("#email", ctx.email);
      await page.fill("#password", ctx.password);
      await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
      await ctx.step("signed in");
      ctx.expect(!new URL(page.url()).pathname.startsWith("/sign-in"), `signing in as ${ctx.email} failed: still on ${page.url()}`);
    },
  };

  const started = Date.now();
  let error = null;
  let timer;
  try {
    await Promise.race([
      journey.run(page, ctx),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new JourneyFailure(`timed out after ${journeyTimeoutMs / 1000} s`)), journeyTimeoutMs);
      }),
    ]);
  } catch (err) {
    error = err instanceof JourneyFailure ? err.message : err.stack || String(err);
    try {
      stepNo += 1;
      const file = `${String(index).padStart(2, "0")}-${slug(journey.name)}-${String(stepNo).padStart(2, "0")}-failed.png`;
      await screenshot(file);
      error += `\n    (screenshot of the page at failure: e2e/screenshots/${file})`;
    } catch {
      // The page may be gone; the error says enough.
    }
  } finally {
    clearTimeout(timer);
  }
  closing = true;
  await context.close();
  await Promise.all(pendingChecks);
  if (error) problems.unshift(error);
  return { name: journey.name, file: journey.file, problems, notes, seconds: (Date.now() - started) / 1000 };
}

async function main() {
  const journeys = await loadJourneys();
  if (journeys.length === 0) {
    console.error(`e2e: no journeys in e2e/journeys/${filters.length ? " match " + filters.join(", ") : ""}`);
    process.exit(1);
  }
  rmSync(screenshotDir, { recursive: true, force: true });
  mkdirSync(screenshotDir, { recursive: true });

  let browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (err) {
    console.error(`e2e: could not start Chromium at ${executablePath} (set CHROMIUM to another path):\n${err.message}`);
    process.exit(1);
  }
  console.log(`e2e: ${journeys.length} journeys against ${baseUrl} in Chromium ${browser.version()}`);

  const results = [];
  try {
    for (const [i, journey] of journeys.entries()) {
      const result = await runJourney(browser, journey, i);
      results.push(result);
      const verdict = result.problems.length ? "FAIL" : "ok";
      console.log(`e2e: ${verdict.padEnd(4)} ${result.name} (${result.file}, ${result.seconds.toFixed(1)} s)`);
      for (const note of result.notes) console.log(`        note: ${note}`);
    }
  } finally {
    await browser.close();
  }

  const failed = results.filter((r) => r.problems.length > 0);
  writeFileSync(join(screenshotDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  if (failed.length > 0) {
    console.error("\ne2e: failures:");
    for (const r of failed) {
      console.error(`\n  ${r.name} (e2e/journeys/${r.file}):`);
      for (const p of r.problems) console.error(`  - ${p}`);
    }
    console.error("");
  }
  console.log(`e2e: ${results.length - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length > 0 ? 1 : 0);
}

await main();
