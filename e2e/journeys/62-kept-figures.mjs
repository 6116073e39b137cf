// A commissioner opens the watch list, the quality dashboard and the market dashboard of the
// demo council, and each says when its figures were computed (issue 18 item 2: figures kept,
// not recomputed on every request).
export const name = "commissioner: kept figures say when they were computed";

export async function run(page, ctx) {
  await ctx.signIn();
  const computedToday = /as at \d\d:\d\d today\. They are worked out again whenever a record behind them changes\./;

  await ctx.goto("/quality/watch-list", { label: "watch list" });
  ctx.expect((await page.locator("h1").innerText()).trim() === "Watch list", "watch list heading");
  const watchInset = await page.locator(".govuk-inset-text:not(:has(a[href=\"/register/cqc-changes\"]))").first().innerText();
  ctx.expect(watchInset.startsWith("Scores as at ") && computedToday.test(watchInset), `watch list inset: ${watchInset}`);
  ctx.expect((await page.locator("table tbody tr").count()) > 0, "the watch list has services");

  await ctx.goto("/quality", { label: "quality dashboard" });
  const qualityInset = await page.locator(".govuk-inset-text:not(:has(a[href=\"/register/cqc-changes\"]))").first().innerText();
  ctx.expect(qualityInset.startsWith("Figures as at ") && computedToday.test(qualityInset), `quality inset: ${qualityInset}`);
  ctx.expect((await page.locator("main").innerText()).includes("Scores as at "), "the top ten says when it was scored");

  await ctx.goto("/dashboard", { label: "dashboard" });
  const marketInset = await page.locator(".govuk-inset-text:not(:has(a[href=\"/register/cqc-changes\"]))").first().innerText();
  ctx.expect(marketInset.startsWith("Figures as at ") && computedToday.test(marketInset), `dashboard inset: ${marketInset}`);
}
