// The demo commissioner reads care home capacity, follows a figure to its homes, opens the
// awaiting care list and the continuity page, and sees the effect of the largest exit.
export const name = "commissioner: capacity table, awaiting care, continuity";

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/capacity", { label: "capacity" });
  ctx.expect((await page.locator("h1").textContent()).includes("Capacity"), "capacity heading missing");
  const table = page.locator("#occupancy");
  ctx.expect((await table.locator("tbody tr").count()) === 4, "the occupancy table should have the 4 bed types of 000");
  ctx.expect((await table.innerText()).includes("Dementia Nursing"), "Dementia Nursing row missing");
  ctx.expect(await page.locator("svg.caremarket-chart[role=img]").count() === 1, "the occupancy chart is missing");
  await table.locator("a").first().click();
  await ctx.step("homes behind the Dementia Nursing row");
  ctx.expect((await page.locator("#results").innerText()).includes("homes"), "drill-down has no result line");

  await ctx.goto("/brokerage", { label: "awaiting care" });
  ctx.expect((await page.locator("h1").textContent()).includes("Awaiting care"), "awaiting care heading missing");
  ctx.expect(await page.locator("#packages-waiting").count() === 1, "packages waiting figure missing");
  ctx.expect((await page.locator("#discharge").innerText()).includes(" of "), "discharge figure missing");
  await page.locator("#discharge a").click();
  await ctx.step("discharge drill-down");
  ctx.expect((await page.locator("#results").innerText()).includes("started within 48 hours"), "discharge drill-down wrong");

  await ctx.goto("/capacity/continuity", { label: "continuity" });
  ctx.expect(await page.locator("#concentration tbody tr").count() > 0, "no concentration rows");
  const first = page.locator("#ranked tbody tr td a").first();
  if (await first.count() > 0) {
    await first.click();
    await ctx.step("effect of the provider whose exit hurts most");
    ctx.expect(await page.locator("#impact").count() === 1, "no impact shown for the chosen provider");
  }

  // The provider picker: search by a word of a name, tick the provider, see the effect.
  await ctx.goto("/capacity/continuity", { label: "continuity picker" });
  const note = (await page.locator("#picker-note").innerText()).trim();
  ctx.expect(/^The 10 largest of \d+ providers, by people served\. Search to find any other\.$/.test(note), `the picker says "${note}"`);
  const largest = (await page.locator(".govuk-checkboxes__label").first().innerText()).trim();
  const word = largest.split(" ")[0];
  await page.fill("#q", word);
  await page.click("button:has-text('Search')");
  await ctx.step("providers found by name");
  const found = (await page.locator("#picker-note").innerText()).trim();
  ctx.expect(found.includes(`contain \u201c${word}\u201d`) || found.includes(`contains \u201c${word}\u201d`), `the search result says "${found}"`);
  await page.locator(".govuk-checkboxes__item", { hasText: largest }).first().locator("input").check();
  await page.click("button:has-text('Show the effect')");
  await ctx.step("effect of the provider picked by name");
  ctx.expect((await page.locator("#impact").innerText()).trim() === `If ${largest} left`, "the effect is not of the provider picked");
}
