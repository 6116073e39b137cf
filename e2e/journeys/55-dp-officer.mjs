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
  await ctx.goto("/direct-payments/reclaims", { label: "reclaims" });
  ctx.expect((await page.locator("main").innerText()).includes("requested back"), "reclaim totals missing");
  await ctx.goto("/direct-payments/rpl", { label: "recognised provider list" });
  await ctx.goto("/pa-register", { label: "PA register" });
  await ctx.goto("/pa-register/search?outward_code=OL1", { label: "PA search near OL1" });
  ctx.expect(!/\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b/.test(await page.locator("main").innerText()), "a full postcode is shown in PA search");
}
