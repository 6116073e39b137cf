// A commissioner signs in, reads the market at a glance, follows a figure to
// the services behind it, filters the list, and opens a provider and a service.
export const name = "commissioner: dashboard, filtered list, provider page";

export async function run(page, ctx) {
  await ctx.signIn();
  ctx.expect(new URL(page.url()).pathname === "/dashboard", `after sign-in the page was ${page.url()}`);
  await ctx.step("dashboard after sign-in");
  ctx.expect((await page.locator("h1").textContent()).includes("The market at a glance"), "dashboard heading missing");

  // The changes of rating lie in the period the heading states, newest first, at most 50 on a
  // page (a national register has thousands in 90 days: they are paged, issue 18).
  const changesHeading = await page.locator("#changes").innerText();
  const since = Date.parse(changesHeading.replace(/^Rating changes since /, ""));
  ctx.expect(!Number.isNaN(since), `the changes heading names no date: "${changesHeading}"`);
  const published = await page.$$eval("#changes ~ .caremarket-table-scroll tbody tr, #changes ~ table tbody tr", (rows) =>
    rows.map((tr) => tr.querySelector("td:last-child")?.innerText.trim() ?? ""));
  ctx.expect(published.length > 0 && published.length <= 50, `${published.length} changes of rating on the dashboard's first page`);
  const dates = published.map((d) => Date.parse(d));
  ctx.expect(dates.every((d) => !Number.isNaN(d) && d >= since), `a change outside "${changesHeading}": ${published.join("; ")}`);
  ctx.expect(dates.every((d, i) => i === 0 || d <= dates[i - 1]), `changes not newest first: ${published.join("; ")}`);

  // Follow the "Good or Outstanding" figure for residential care homes.
  const figure = page.locator('a[href="/services?kind=care_home_residential&rating=good_or_outstanding"]');
  const shown = parseInt((await figure.first().innerText()).replace(/[^0-9]/g, ""), 10);
  await figure.first().click();
  await ctx.step("drill-down from the dashboard figure");
  const heading = await page.locator("#results").innerText();
  ctx.expect(heading.startsWith(`${shown} service`), `figure said ${shown}, list says "${heading}"`);

  // Each contract status's total in the dashboard's table footer is the number of services the
  // list finds for it, and the list names the status in words (issue 16 item 2: spot purchase,
  // block contract, DPS and RPL once showed 0 here, and the list showed "spot_purchase").
  await ctx.goto("/dashboard", { label: "dashboard again" });
  const totals = await page.$$eval("#by-contract + .caremarket-table-scroll tfoot td", (cells) =>
    cells.map((td) => ({ text: td.innerText.trim(), href: td.querySelector("a")?.getAttribute("href") ?? null })));
  ctx.expect(totals.length === 8, `expected 8 contract status totals, found ${totals.length}`);
  const withServices = totals.filter((t) => t.href);
  ctx.expect(withServices.length >= 6, `only ${withServices.length} contract statuses have services on the dashboard`);
  for (const t of withServices) {
    const n = parseInt(t.text.replace(/[^0-9]/g, ""), 10);
    await ctx.goto(t.href, { label: `services ${t.href}` });
    const results = await page.locator("#results").innerText();
    ctx.expect(results.startsWith(`${n} service`), `the dashboard says ${n} for ${t.href}; the list says "${results}"`);
    const cells = await page.locator("table tbody tr td").allInnerTexts();
    const code = cells.find((c) => /\b[a-z]+_[a-z_]+\b/.test(c));
    ctx.expect(!code, `a code is shown in the list: "${code}"`);
  }

  // Filter by contract status and a specialism through the form.
  await ctx.goto("/services", { label: "all services" });
  await page.selectOption("#contract_status", "framework");
  await page.selectOption("#specialism", "dementia");
  await page.click("button:has-text('Apply filters')");
  await ctx.step("services on a framework with a dementia specialism");
  const rows = await page.locator("table tbody tr").count();
  ctx.expect(rows > 0, "the filtered list is empty");
  ctx.expect((await page.locator("#results").innerText()).includes("contract: Framework"), "filter not described");

  // Open the first service's provider, then the service.
  await page.locator("table tbody tr td a").first().click();
  await ctx.step("service page");
  ctx.expect(await page.locator("text=Rating history").count() > 0, "service page has no rating history");
  await page.locator(".govuk-breadcrumbs a").last().click();
  await ctx.step("provider page");
  ctx.expect(await page.locator("h2:has-text('Services')").count() > 0, "provider page has no services");
}
