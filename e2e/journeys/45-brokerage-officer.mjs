// A brokerage officer opens a waiting package request, sees the eligible providers (framework
// first, with the reasons others are excluded), offers it, and records the provider's answer.
export const name = "brokerage officer: offer a waiting package";

export async function run(page, ctx) {
  await page.goto("/sign-in");
  await page.fill("#email", "brokerage@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
  await ctx.goto("/brokerage", { label: "awaiting care" });
  const hrefs = await page.locator('a[href^="/brokerage/requests/"]:not([href$="/new"])').evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  ctx.expect(hrefs.length > 0, "no package requests listed");
  // Waiting requests the market cannot take show no eligible provider; find one that can be offered.
  let offered = false;
  for (const href of hrefs.slice(0, 15)) {
    await page.goto(href);
    ctx.expect(await page.locator("#providers tbody tr").count() > 0, `no providers assessed for ${href}`);
    const offer = page.locator("#providers button:has-text('Offer')");
    if (await offer.count() === 0) continue;
    await ctx.step("package request with eligible providers");
    await offer.first().click();
    await ctx.step("offer recorded");
    const accepted = page.locator("button[value='accept']");
    ctx.expect(await accepted.count() > 0, "the offer has no accept/decline buttons");
    await accepted.first().click();
    await ctx.step("offer accepted");
    offered = true;
    break;
  }
  ctx.expect(offered, "none of the first 15 requests could be offered to an eligible provider");
}
