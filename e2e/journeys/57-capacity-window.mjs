// Issue 16 item 15: care home returns as the Capacity Tracker runs them. The brokerage officer
// opens the week's return window from their work queue, sees the homes that missed it and
// chases one by email; the provider closes one of its homes to admissions in the portal; the
// home leaves the bed finder (named below it) and shows on the occupancy pages; the provider
// reopens it.
export const name = "capacity: return window, chasing, closed to admissions";

async function signInAs(page, ctx, email) {
  await page.context().clearCookies();
  await page.goto("/sign-in");
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
}

async function read(locator) {
  return (await locator.innerText()).replace(/\s+/g, " ").trim();
}

export async function run(page, ctx) {
  await signInAs(page, ctx, "brokerage@demo.caremarket.test");
  await ctx.goto("/work", { label: "brokerage work queue" });
  const queue = await read(page.locator("#vacancy-returns + p"));
  const m = queue.match(/^(\d+) care homes? missed the return window for the week of (.+?)\. Chase them$/);
  ctx.expect(m, `the work queue does not say how many homes missed the window: "${queue}"`);
  const missed = +m[1];
  ctx.expect(missed >= 1, "the demo has no home that missed the window");
  await page.click("a:has-text('Chase them')");
  await ctx.step("homes that missed the window");
  ctx.expect((await read(page.locator("h1"))) === `Vacancy returns for the week of ${m[2]}`, "the page is not the week the queue named");
  const counts = await read(page.locator("#window-counts"));
  ctx.expect(counts.includes(`Missed the window ${missed}`), `the counts do not agree with the queue: "${counts}"`);
  const rows = page.locator("#week-returns tbody tr");
  ctx.expect((await rows.count()) === Math.min(missed, 50), "the list does not show the missed homes");
  const first = rows.first();
  const home = await read(first.locator("td:nth-child(2) a"));
  ctx.expect((await read(first.locator("td:nth-child(3)"))) === "Missed", "the first row is not tagged Missed");
  await first.locator("input[type=checkbox]").check();
  await page.fill("#note", "Please send this week's return today.");
  await page.click("button:has-text('Email a reminder to the selected homes')");
  await ctx.step("chased");
  const banner = await read(page.locator(".govuk-notification-banner"));
  ctx.expect(/^Success 1 home chased: \d+ emails? sent/.test(banner), `no banner after chasing: "${banner}"`);
  const row = page.locator("#week-returns tbody tr", { hasText: home });
  ctx.expect((await read(row.locator("td:nth-child(5)"))).includes("by Bev Schofield (demo brokerage officer)"), "the chase is not shown with who did it");

  // The provider closes one of its homes to admissions in the portal.
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal/capacity", { label: "portal capacity" });
  await page.click("a:has-text('Closed to admissions')");
  await ctx.step("portal closures");
  ctx.expect((await read(page.locator("h1"))) === "Care homes closed to admissions", "the portal page has no heading");
  await page.click("button:has-text('Record closure')");
  await ctx.step("closure refused");
  const summary = await read(page.locator(".govuk-error-summary"));
  for (const msg of ["Choose the care home", "Select why the home is closed to admissions", "Enter the date the home closed to admissions"]) {
    ctx.expect(summary.includes(msg), `the error summary does not say "${msg}"`);
  }
  // A home of theirs that is not closed already.
  const alreadyClosed = (await page.locator("#open-closures").count()) ? await read(page.locator("#open-closures")) : "";
  const options = await page.locator("#service_id option:not([value=''])").evaluateAll((os) => os.map((o) => [o.value, o.textContent.trim()]));
  // An option reads "Home name – Provider, 40 beds".
  const pick = options.find(([, text]) => !alreadyClosed.includes(text.split(" – ")[0]));
  ctx.expect(pick, "the provider has no open care home to close");
  const homeName = pick[1].split(" – ")[0];
  await page.selectOption("#service_id", pick[0]);
  await page.check("input[name=reason][value=infection_outbreak]");
  await page.fill("#note", "Flu outbreak: closed on public health advice");
  const today = new Date();
  await page.fill("#closed_on-day", String(today.getDate()));
  await page.fill("#closed_on-month", String(today.getMonth() + 1));
  await page.fill("#closed_on-year", String(today.getFullYear()));
  await page.click("button:has-text('Record closure')");
  await ctx.step("closed to admissions");
  ctx.expect((await read(page.locator(".govuk-notification-banner"))).includes("The home is recorded as closed to admissions"), "no banner after closing");
  const open = await read(page.locator("#open-closures"));
  ctx.expect(open.includes(homeName) && open.includes("Infection outbreak"), `the closure is not listed: "${open}"`);

  // The broker no longer finds it, and sees why.
  await signInAs(page, ctx, "brokerage@demo.caremarket.test");
  await ctx.goto("/capacity/homes?flag=closed", { label: "homes closed to admissions" });
  ctx.expect((await read(page.locator("main"))).includes(homeName), "the closed home is not on the occupancy drill-down");
  for (const bed of ["general_residential", "general_nursing", "dementia_residential", "dementia_nursing"]) {
    await page.goto(`/brokerage/care-homes?bed_type=${bed}`);
    ctx.expect(!(await read(page.locator("#homes"))).includes(homeName), `${homeName} is still offered for ${bed}`);
  }
  await ctx.step("bed finder without the closed home");

  // The provider reopens it.
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal/capacity/closures", { label: "portal closures again" });
  await page.locator("#open-closures tr", { hasText: homeName }).locator("button:has-text('Reopened today')").click();
  await ctx.step("reopened");
  ctx.expect((await read(page.locator(".govuk-notification-banner"))).includes("open to admissions again"), "no banner after reopening");
}
