// A direct payments officer (same demo password) works through the DP pages: the list, one
// record with its monitoring, what is due, reclaims, the Recognised Provider List and a PA search.
export const name = "direct payments officer: records, monitoring, RPL, PA search";

export async function run(page, ctx) {
  await page.goto("/sign-in");
  await page.fill("#email", "dp@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
  await ctx.step("signed in as DP officer");

  await ctx.goto("/direct-payments", { label: "direct payments list" });
  const first = page.locator("table tbody tr a").first();
  ctx.expect(await first.count() === 1, "no direct payments listed");
  await first.click();
  await ctx.step("a direct payment record");
  await ctx.goto("/direct-payments/monitoring", { label: "monitoring due and overdue" });
  // Work with no named officer is listed apart; the officer ticks two and takes them on
  // (issue 16 item 9).
  await ctx.goto("/direct-payments/monitoring?officer_id=none&days=365", { label: "monitoring with no named officer" });
  const unnamed = page.locator("main h2", { hasText: "No named officer:" });
  ctx.expect(await unnamed.count() === 1, "the demo has no monitoring without a named officer");
  const boxes = page.locator("input[name='dp_id']");
  const refs = [];
  for (const i of [0, 1]) {
    await boxes.nth(i).check();
    refs.push((await page.locator("tbody tr").nth(i).locator("a").innerText()).trim());
  }
  const officer = await page.locator("#assign_officer_id option", { hasText: "demo direct payments officer" }).getAttribute("value");
  await page.selectOption("#assign_officer_id", officer);
  await page.click("button:has-text('Assign the ticked direct payments')");
  await ctx.step("two direct payments assigned");
  const banner = (await page.locator(".govuk-notification-banner--success").innerText()).replace(/\s+/g, " ");
  ctx.expect(/Named officer saved for [12] direct payments?/.test(banner), `the banner reads "${banner}"`);
  ctx.expect(new URL(page.url()).searchParams.get("officer_id") === "none", "the list forgot its filter");
  const left = await page.locator("main").innerText();
  ctx.expect(refs.every((r) => !left.includes(r)), `${refs.join(", ")} are still listed without a named officer`);
  await ctx.goto("/direct-payments/reclaims", { label: "reclaims" });
  ctx.expect((await page.locator("main").innerText()).includes("requested back"), "reclaim totals missing");
  await ctx.goto("/direct-payments/rpl", { label: "recognised provider list" });
  await ctx.goto("/pa-register", { label: "PA register" });
  await ctx.goto("/pa-register/search?outward_code=OL1", { label: "PA search near OL1" });
  ctx.expect(!/\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b/.test(await page.locator("main").innerText()), "a full postcode is shown in PA search");
}
