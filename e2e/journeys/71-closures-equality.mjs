// Two records the quarterly report needs that CQC does not hold. A commissioner opens a care
// home that has left CQC's register, is told what is missing, records why it closed and sees the
// reason on the home's page and counted in the report's table of closures by reason. Then a
// direct payments officer records a person's ethnic group and religion on their direct payment,
// and the published table shows counts from 1 to 4 as "fewer than 5".
export const name = "closures by reason and equality monitoring: recorded by officers, counted in the quarterly report";

async function signInAs(page, ctx, email) {
  await ctx.goto("/sign-in", { label: `sign in as ${email}` });
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.step(`signed in as ${email}`);
}

async function click(page, ctx, selector, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator(selector).first().click()]);
  await ctx.step(label);
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/services?registration=deregistered&q=Thornlea", { label: "closed services" });
  await click(page, ctx, "table a:has-text('Thornlea Nursing Home')", "a closed home");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Thornlea Nursing Home", "the home's page");
  const main = await page.locator("main").innerText();
  ctx.expect(main.includes("This service left CQC's register on"), "the page says it left the register");
  ctx.expect(main.includes("Why it closed"), "the page has a 'Why it closed' section");

  await click(page, ctx, "a:has-text('Change'):has(span:text-is(' Reason'))", "closure form");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Why did this service close?", "closure form heading");
  // A reason of Other needs a note: clear any earlier note and ask for Other.
  await page.check("input[name=reason][value=other]");
  await page.fill("#note", "");
  await click(page, ctx, "button:has-text('Save reason')", "refused without a note");
  const errors = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(errors.includes("Say why the service closed, as the reason is ‘Other’"), `error summary said: ${errors}`);

  const note = `The building failed its fire inspection (journey ${Date.now()})`;
  await page.fill("#note", note);
  await click(page, ctx, "button:has-text('Save reason')", "reason saved");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("The reason for closing has been saved"), "no confirmation");
  const after = await page.locator("main").innerText();
  ctx.expect(after.includes("Other") && after.includes(note), "the reason and note are on the page");

  await ctx.goto("/reports/quarterly", { label: "quarterly report" });
  const caption = page.locator("caption", { hasText: "Services that closed, by reason" }).first();
  ctx.expect((await caption.count()) === 1, "the report has the closures table");
  const table = await page.locator("table", { has: caption }).first().innerText();
  for (const want of ["Related to practice", "Financial reasons", "The provider's choice", "All closures"]) {
    ctx.expect(table.includes(want), `closures table lacks "${want}": ${table}`);
  }

  // A direct payments officer records equality monitoring.
  await page.click("button:has-text('Sign out')");
  await page.waitForLoadState("load");
  await signInAs(page, ctx, "dp@demo.caremarket.test");
  await ctx.goto("/direct-payments", { label: "direct payments" });
  await click(page, ctx, "table tbody a", "a direct payment");
  await click(page, ctx, "a:has-text('Change'):has(span:text-is(' Ethnic group'))", "equality form");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Equality monitoring", "equality heading");
  await page.selectOption("#ethnicity", { label: "Mixed or Multiple ethnic groups" });
  await page.selectOption("#religion", { label: "Prefers not to say" });
  await click(page, ctx, "button:has-text('Save equality monitoring')", "equality saved");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Equality monitoring saved"), "no confirmation");
  const dp = await page.locator("main").innerText();
  ctx.expect(dp.includes("Mixed or Multiple ethnic groups") && dp.includes("Prefers not to say"), "the choices are on the page");

  await ctx.goto("/direct-payments/figures", { label: "figures" });
  const eth = await page.locator("table#ethnicity").innerText();
  ctx.expect(eth.includes("Ethnic group") && eth.includes("White") && eth.includes("Not recorded"), `ethnicity table: ${eth}`);
  const rel = await page.locator("table#religion").innerText();
  ctx.expect(/\d/.test(rel) && rel.includes("Christian"), `religion table: ${rel}`);
  const figures = await page.locator("main").innerText();
  ctx.expect(figures.includes("Counts from 1 to 4 are shown as \"fewer than 5\""), "the suppression rule is explained");
}
