// A commissioner reads the Self-Directed Support figures (with the closure-reason chart, which
// works without JavaScript), uses both rate tools, and is refused direct payment records:
// only direct payments roles see those.
export const name = "commissioner: SDS figures, rate tools, DP records refused";

export async function run(page, ctx) {
  await ctx.signIn();

  // The Direct payments navigation item takes a commissioner to the figures.
  await ctx.goto("/direct-payments/figures", { label: "self-directed support figures" });
  ctx.expect((await page.locator("h1").textContent()).includes("Self-Directed Support"), "figures heading missing");
  // Two charts, each titled: ended direct payments by reason, and the own-budget trend.
  const titles = await page.locator("svg[role='img'] title").allTextContents();
  ctx.expect(titles.length === 2, `two charts expected, found ${titles.length}: ${titles.join(" | ")}`);
  ctx.expect(titles.some((t) => t.startsWith("Ended direct payments by closure reason")), `closure-reason chart missing or unlabelled: ${titles.join(" | ")}`);
  ctx.expect(
    titles.some((t) => t.startsWith("Share of adults with a direct payment holding their own budget, by quarter")),
    `own-budget chart missing or unlabelled: ${titles.join(" | ")}`,
  );
  ctx.expect(await page.locator("#ends tbody tr").count() >= 5, "closure reasons table missing");
  ctx.expect(await page.locator("#recipients a").count() === 0, "commissioners must not get drill-down links to records");

  // PA Rates Decision Making Tool: every line shown.
  await ctx.goto("/rates/pa", { label: "PA rates tool" });
  await page.fill("#hours_per_week", "20");
  await page.fill("#unsocial_hours_per_week", "4");
  await page.click("button:has-text('Work out the rate')");
  await ctx.step("PA rate worked out");
  const result = await page.locator("#result").innerText();
  ctx.expect(/PA pay £\d+\.\d\d an hour/.test(result), `no PA pay shown: ${result}`);
  ctx.expect(await page.locator("text=Employer National Insurance").count() > 0, "NI line missing");
  ctx.expect(await page.locator("text=Workplace pension").count() > 0, "pension line missing");

  // Direct Payment Provider Rates Tool.
  await ctx.goto("/rates/providers?service_type=home_care&price=25&units=10", { label: "provider rates tool" });
  ctx.expect(await page.locator("#decision h2").count() === 1, "no decision shown");

  // DP records are for direct payments roles only.
  await ctx.goto("/direct-payments/00000000-0000-7000-8000-000000000000", { status: 403, label: "DP record refused" });
  await ctx.goto("/pa-register", { status: 403, label: "PA register refused" });
}
