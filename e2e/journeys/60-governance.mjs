// A commissioner opens the demo council's delivery plan, reads it as it stood two quarters ago
// and today, records the next update of a milestone (after being told what is missing), and
// sees the earlier update kept.
export const name = "commissioner: delivery plan read at a quarter's end, update recorded";

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/governance", { label: "governance" });
  ctx.expect((await page.locator("h1").innerText()).trim() === "Governance", "governance heading missing");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("table a:has-text('Market Sustainability Delivery Plan')")]);
  await ctx.step("delivery plan");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Market Sustainability Delivery Plan", "plan heading");
  ctx.expect((await page.locator("h2").first().innerText()).includes("Where the plan stands today"), "today's reading");

  // The oldest quarter end offered whose plan has rows: the demo imported its table two quarters ago.
  const options = await page.locator("#as_at option").allInnerTexts();
  ctx.expect(options[0].startsWith("Today ("), `first choice: ${options[0]}`);
  await page.selectOption("#as_at", { index: 2 });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Show the plan')")]);
  await ctx.step("plan two quarters ago");
  const earlier = await page.locator("main").innerText();
  ctx.expect(earlier.includes("The plan at the end of"), "as-at heading");
  ctx.expect(!earlier.includes("Delayed"), "nothing was delayed two quarters ago");
  ctx.expect(earlier.includes("In delivery\n12 milestones") || earlier.includes("In delivery 12 milestones"), `counts then: ${earlier.slice(0, 800)}`);

  await ctx.goto(page.url().split("?")[0], { label: "plan today" });
  const firstMilestone = page.locator("a:has-text('Record an update or see its')").first();
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), firstMilestone.click()]);
  await ctx.step("milestone");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Milestone", "milestone heading");
  const before = await page.locator("table tbody tr").count();

  await page.fill("#update", "");
  await page.selectOption("#status", "");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Record the update')")]);
  await ctx.step("update refused");
  const summary = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(summary.includes("Enter the update") && summary.includes("Select the status"), `error summary said: ${summary}`);

  const words = `Journey update ${Date.now()}`;
  await page.fill("#update", words);
  await page.fill("#by_when", "December 2027");
  await page.selectOption("#status", { label: "In delivery" });
  await page.selectOption("#rag", { label: "Amber" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Record the update')")]);
  await ctx.step("update recorded");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Update recorded"), "no confirmation");
  ctx.expect((await page.locator("main").innerText()).includes(words), "the update is not on the plan");

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("a:has-text('Record an update or see its')").first().click()]);
  await ctx.step("milestone history");
  ctx.expect((await page.locator("table tbody tr").count()) === before + 1, "the earlier updates are not all kept");
  ctx.expect((await page.locator("table tbody tr").first().innerText()).includes("RAG: Amber"), "newest update first with its RAG");
}
