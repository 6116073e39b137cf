// PA checks before listing (issue 16 item 17). The direct payments officer's home lists PA
// checks expiring or expired; the work list shows them with their tags. The officer registers a
// PA, who is not listed until their checks are done: the page says what is missing, a DBS
// certificate number of the wrong length is refused naming the field, the complete checks are
// saved with a confirmation, each check reads "Complete", and the PA is then found in the search.
// A PA waiting for approval with no checks cannot be approved: the refusal names what is missing.
export const name = "PA checks: a PA is listed only when the council's checks are complete";

async function submit(page, selector = "main button[type=submit]") {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

async function fillDate(page, name, d) {
  await page.fill(`#${name}-day`, String(d.getDate()));
  await page.fill(`#${name}-month`, String(d.getMonth() + 1));
  await page.fill(`#${name}-year`, String(d.getFullYear()));
}

function daysAgo(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return d;
}

export async function run(page, ctx) {
  await ctx.goto("/sign-in", { label: "sign in as the direct payments officer" });
  await page.fill("#email", "dp@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await submit(page);

  // Home: the work queue has the PA checks section, with the demo's expiring and expired checks.
  await ctx.goto("/work", { label: "the DP officer's work" });
  const home = await page.locator("#pa-checks").evaluate((h) => h.nextElementSibling.innerText);
  ctx.expect(/\d+ PAs? with checks expiring in the next 30 days or expired/.test(home), `the home page says: ${home}`);
  const homeTable = await page.locator("#pa-checks-due").innerText();
  ctx.expect(/Expired|Expires on/.test(homeTable), `no expiring or expired check on the home page: ${homeTable}`);

  await ctx.goto("/pa-register/checks", { label: "PA checks expiring or expired" });
  ctx.expect((await page.locator("h1").innerText()).includes("PA checks expiring or expired"), "the work list's heading");
  const list = await page.locator("#checks-due").innerText();
  ctx.expect(list.includes("Expired") && list.includes("Expires on"), `the work list shows both expired and expiring checks: ${list}`);

  // A new PA, registered by the officer: approved, but not listed until the checks are done.
  const stamp = Date.now();
  const displayName = `Chris Checks ${stamp}`;
  await ctx.goto("/pa-register/join", { label: "register someone" });
  await page.check("input[name=kind][value=pa]");
  await page.fill("#display_name", displayName);
  await page.fill("#email", `chris.checks.${stamp}@example.org`);
  await page.fill("#outward_code", "OL1");
  await page.fill("#hours_per_week", "20");
  await page.check("input[name=slots][value=mon_am]");
  await page.check("input[name=languages][value=english]");
  await page.check("input[name=gender][value=male]");
  await submit(page, "button:has-text('Send registration')");
  await ctx.step("the new PA's page");
  const entryUrl = new URL(page.url()).pathname;
  let main = await page.locator("main").innerText();
  ctx.expect(main.includes("Not listed in the PA search"), "a new PA is not listed");
  ctx.expect(main.includes("DBS check: no DBS check recorded"), "the missing DBS check is named");
  const tags = await page.locator("#check-lines .govuk-tag").allInnerTexts();
  ctx.expect(tags.length >= 6 && tags.every((t) => t.trim() === "Missing"), `every check reads Missing: ${tags}`);

  await ctx.goto("/pa-register/search?outward_code=OL1&slots=mon_am", { label: "search before the checks" });
  ctx.expect(!(await page.locator("main").innerText()).includes(displayName), "not found before the checks");

  // Record the checks; first with a certificate number that is too short.
  await ctx.goto(`${entryUrl}/checks`, { label: "the checks form" });
  await page.selectOption("#dbs_type", "enhanced_barred_adults");
  await page.fill("#dbs_number", "12345");
  await fillDate(page, "dbs_issued", daysAgo(200));
  await page.check("#dbs_update_service");
  for (const n of [1, 2]) {
    await page.selectOption(`#ref_relationship-${n}`, n === 1 ? "care_employer" : "character");
    await fillDate(page, `ref_received-${n}`, daysAgo(220));
    await fillDate(page, `ref_checked-${n}`, daysAgo(215));
  }
  for (const c of ["care_certificate", "safeguarding_adults", "moving_handling"]) {
    await fillDate(page, `training-${c}`, daysAgo(60));
  }
  await submit(page, "button:has-text('Save checks')");
  await ctx.step("a short certificate number is refused");
  const summary = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(summary.includes("DBS certificate number must be 12 digits"), `the error summary says: ${summary}`);
  const fieldError = await page.locator("#dbs_number-error").innerText();
  ctx.expect(fieldError.includes("DBS certificate number must be 12 digits"), "the field's own message");

  await page.fill("#dbs_number", "0012 3456 7890");
  await submit(page, "button:has-text('Save checks')");
  await ctx.step("checks saved");
  ctx.expect((await page.locator(".govuk-notification-banner--success").innerText()).includes("Checks saved"), "a confirmation");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Listed in the PA search"), "listed once the checks are complete");
  ctx.expect(main.includes("certificate 001234567890") && main.includes("on the DBS Update Service"), "the DBS check as recorded");
  const required = await page.locator("#check-lines tbody tr").evaluateAll((rows) =>
    rows.filter((r) => !r.innerText.includes("(optional)")).map((r) => r.querySelector(".govuk-tag").innerText.trim()),
  );
  ctx.expect(required.length === 6 && required.every((t) => t === "Complete"), `every required check reads Complete: ${required}`);

  await ctx.goto("/pa-register/search?outward_code=OL1&slots=mon_am", { label: "search after the checks" });
  ctx.expect((await page.locator("main").innerText()).includes(displayName), "found once listed");

  // A PA waiting for approval with no checks: approval is refused, naming what is missing.
  await ctx.goto("/pa-register", { label: "the PA register" });
  const waiting = await page.locator("table").first().locator("tbody tr").evaluateAll((rows) =>
    rows.filter((r) => r.innerText.includes("Personal assistant")).map((r) => r.querySelector("a").getAttribute("href")),
  );
  let refused = false;
  for (const href of waiting) {
    await ctx.goto(href, { label: "a PA waiting for approval" });
    if (!(await page.locator("main").innerText()).includes("cannot be approved")) continue;
    await submit(page, "button:has-text('Approve')");
    await ctx.step("approval refused");
    const problem = await page.locator(".govuk-error-summary").innerText();
    ctx.expect(problem.includes("This PA cannot be approved until their checks are complete. Missing:"), `the refusal reads: ${problem}`);
    ctx.expect(problem.includes("DBS check"), "the refusal names the DBS check");
    refused = true;
    break;
  }
  ctx.expect(refused, "the demo has a PA waiting for approval without checks");
}
