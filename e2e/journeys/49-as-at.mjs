// Figures "as at" a date (issue 16 item 8). A commissioner writing the committee report opens
// the market dashboard, types the end of last financial year into its date control and sees
// the figures as they stood then, says so, follows a figure to the services counted on that
// date, and comes back. The capacity page takes the same control; a date in the future is
// refused with an error that names it and moves focus to the summary.
export const name = "commissioner: figures as at the end of a quarter";

async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
  return response;
}

export async function run(page, ctx) {
  await ctx.signIn();
  const now = new Date();
  // The last 31 March before today: the end of the last financial year.
  const year = now.getMonth() > 2 || (now.getMonth() === 2 && now.getDate() === 31) ? now.getFullYear() : now.getFullYear() - 1;
  const said = `31 March ${year}`;

  await ctx.goto("/dashboard", { label: "dashboard today" });
  const todayText = await page.locator("main").innerText();
  ctx.expect(todayText.includes("Show the figures as at"), "the dashboard has the date control");
  await page.fill("#as_at-day", "31");
  await page.fill("#as_at-month", "3");
  await page.fill("#as_at-year", String(year));
  const r = await submit(page, "form.caremarket-as-at button[type=submit]");
  ctx.expect(r && r.status() === 200, `dashboard as at answered ${r && r.status()}`);
  ctx.expect(new URL(page.url()).search.includes(`as_at-year=${year}`), `the date is in the address: ${page.url()}`);
  const main = await page.locator("main").innerText();
  ctx.expect(main.includes(`As at ${said}:`), `the page says its date: ${main.slice(0, 300)}`);
  const inset = await page.locator(".govuk-inset-text:not(:has(a[href=\"/register/cqc-changes\"]))").first().innerText();
  ctx.expect(inset.startsWith(`These are the figures as they stood at the end of ${said}`), `inset: ${inset}`);
  ctx.expect(main.includes("Show today's figures"), "a way back to today");
  await ctx.step("dashboard as at a past date");

  // The first kind's count of services leads to the services counted then.
  const link = page.locator("#by-kind ~ .caremarket-table-scroll table tbody tr a, #by-kind + * table tbody tr a").first();
  const count = (await link.innerText()).split(/\s/)[0].replace(/,/g, "");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), link.click()]);
  ctx.expect(new URL(page.url()).pathname === "/dashboard/services", `the figure led to ${page.url()}`);
  const h1 = (await page.locator("h1").innerText()).trim();
  ctx.expect(h1.startsWith(`${Number(count)} service`), `the list's heading "${h1}" is the figure ${count}`);
  const caption = (await page.locator(".govuk-caption-l").first().innerText()).trim();
  ctx.expect(caption === `The market as at ${said}`, `caption: ${caption}`);
  await ctx.step("the services behind a figure, as at the date");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(".govuk-back-link")]);
  ctx.expect((await page.locator("main").innerText()).includes(`As at ${said}:`), "back to the dashboard as at the date");

  // Capacity: a date in the future is refused, naming the control.
  const next = new Date(now.getTime() + 40 * 24 * 3600 * 1000);
  await ctx.goto("/capacity", { label: "capacity" });
  await page.fill("#as_at-day", String(next.getDate()));
  await page.fill("#as_at-month", String(next.getMonth() + 1));
  await page.fill("#as_at-year", String(next.getFullYear()));
  await submit(page, "form.caremarket-as-at button[type=submit]");
  const summary = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(summary.includes("The date the figures are as at must be today or in the past"), `summary: ${summary}`);
  // govuk-frontend's error summary takes focus once its module has started.
  await page
    .waitForFunction(() => document.activeElement && document.activeElement.classList.contains("govuk-error-summary"), null, { timeout: 5000 })
    .catch(() => {});
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.className);
  ctx.expect(String(focused).includes("govuk-error-summary"), `focus is on the error summary (${focused})`);
  await ctx.step("capacity refuses a future date");
}
