// Each officer whose day is a queue lands on "Your work" after signing in (issue 16 item 3): the
// quality officer's visits due and actions waiting, and a provider's portal home leads with what
// the council needs from it. The market dashboard is one click away.
export const name = "your work: officers and providers start at their queue";

async function signInAs(page, ctx, email) {
  await page.goto("/sign-in");
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
}

export async function run(page, ctx) {
  await signInAs(page, ctx, "quality@demo.caremarket.test");
  ctx.expect(new URL(page.url()).pathname === "/work", `the quality officer landed on ${page.url()}`);
  await ctx.step("quality officer's work");
  ctx.expect((await page.locator("h1").innerText()) === "Your work", "heading");
  const summary = await page.locator("#visits + p").innerText();
  ctx.expect(/^On the \d+ services? assigned to you: \d+ overdue and \d+ due soon\.$/.test(summary), `visits summary reads "${summary}"`);
  const overdue = parseInt(summary.match(/(\d+) overdue/)[1], 10);
  // The first rows are the overdue ones; the full list, filtered to this officer, agrees.
  // The link reads "See all …" when more are due than the page shows, else "Everything due …".
  const dueLink = page.locator('a[href="/quality/due?officer=mine"]');
  const dueText = (await dueLink.innerText()).trim();
  ctx.expect(["See all that is due on your services", "Everything due on your services, with filters"].includes(dueText), `the due list link reads "${dueText}"`);
  await dueLink.click();
  await ctx.step("the officer's full due list");
  const full = await page.locator("main p.govuk-body").first().innerText();
  ctx.expect(full.includes(`${overdue} overdue`), `"Your work" said ${overdue} overdue; the due list says "${full}"`);
  await page.goBack();
  await page.click("text=Officer assignments");
  await ctx.step("officer assignments, linked from the work page");
  ctx.expect((await page.locator("h1").innerText()).length > 0, "assignments page has a heading");
  await page.goto("/work");
  await page.click("a:has-text('market dashboard')");
  ctx.expect(new URL(page.url()).pathname === "/dashboard", "the market dashboard is one click away");
  await page.click("button:has-text('Sign out')");

  await signInAs(page, ctx, "provider@demo.caremarket.test");
  ctx.expect(new URL(page.url()).pathname === "/portal", `the provider landed on ${page.url()}`);
  await ctx.step("provider's portal home");
  const todo = await page.locator("#to-do + ul").innerText();
  ctx.expect(/\d+ actions? on your action plans/.test(todo), `the to-do list reads "${todo}"`);
  const nav = await page.locator("#navigation").innerText();
  ctx.expect(nav.includes("Vacancies and capacity") && nav.includes("Package offers"), `the portal menu reads "${nav}"`);
  await page.click("#navigation >> text=Vacancies and capacity");
  await ctx.step("provider's vacancies page from the menu");
}
