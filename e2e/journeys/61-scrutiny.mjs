// A commissioner opens the demo council's scrutiny review (`002`'s "Care at Home"), records an
// action's progress after being told what is missing, and reads the progress update document
// with its summary of grades, the worsened grade flagged and the grading key. Then a councillor
// signs in: they land on governance, read the document, and are refused the rest of the service.
export const name = "scrutiny: progress recorded and the update document read; a councillor reads governance only";

async function signInAs(page, ctx, email) {
  await ctx.goto("/sign-in", { label: `sign in as ${email}` });
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.step(`signed in as ${email}`);
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/governance/scrutiny", { label: "scrutiny reviews" });
  ctx.expect((await page.locator("h1").innerText()).trim() === "Scrutiny reviews", "scrutiny heading");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("table a:has-text('Care at Home')")]);
  await ctx.step("review");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Care at Home", "review heading");
  const summary = await page.locator("#grade-summary").innerText();
  ctx.expect(summary.includes("1 (Fully Achieved)") && summary.includes("All agreed actions\t31"), `grade summary: ${summary}`);
  const review = await page.locator("main").innerText();
  ctx.expect(review.includes("Recommendation 15"), "all 15 recommendations");
  ctx.expect(review.includes("Worse than the last update"), "the worsened grade is flagged on the review");

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("a:has-text('Record progress or see its')").first().click()]);
  await ctx.step("agreed action");
  ctx.expect((await page.locator("h1").innerText()).trim() === "Agreed action", "action heading");
  const before = await page.locator("table tbody tr").count();
  await page.fill("#evidence", "");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Record the progress update')")]);
  await ctx.step("progress refused");
  const errors = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(errors.includes("Enter the evidence of progress") && errors.includes("Select a grade from 1 (Fully Achieved) to 4 (Not Achieved)"), `error summary said: ${errors}`);

  const words = `Journey progress ${Date.now()}`;
  await page.fill("#evidence", words);
  await page.check("input[name=grade][value='2']");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Record the progress update')")]);
  await ctx.step("progress recorded");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Progress update recorded"), "no confirmation");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("a:has-text('Record progress or see its')").first().click()]);
  await ctx.step("action history");
  ctx.expect((await page.locator("table tbody tr").count()) === before + 1, "the earlier progress updates are not all kept");
  ctx.expect((await page.locator("table tbody tr").first().innerText()).includes(words), "newest update first");

  await ctx.goto("/governance/scrutiny", { label: "reviews again" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("table a:has-text('Care at Home')")]);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("a:has-text('Progress update document')")]);
  await ctx.step("progress update document");
  const doc = await page.locator("main").innerText();
  ctx.expect((await page.locator("h1").innerText()).trim() === "Scrutiny monitoring – progress update", "document heading");
  for (const want of ["Summary of grades", "Assessment of progress gradings", "Fully Achieved", "Not Achieved", "worse than at the last update", "Evidence of impact"]) {
    ctx.expect(doc.includes(want), `document lacks "${want}"`);
  }

  // A councillor: governance only, refused everything else.
  await page.click("button:has-text('Sign out')");
  await page.waitForLoadState("load");
  await signInAs(page, ctx, "councillor@demo.caremarket.test");
  ctx.expect(new URL(page.url()).pathname === "/governance", `a councillor landed on ${page.url()}`);
  const nav = await page.locator("nav[aria-label=Menu]").innerText();
  const items = nav.split("\n").map((s) => s.trim()).filter(Boolean);
  ctx.expect(items.join("|") === "Governance|Quarterly report", `a councillor's menu: ${nav}`);
  await ctx.goto("/governance/scrutiny", { label: "councillor: reviews" });
  ctx.expect((await page.locator("main").innerText()).includes("Care at Home"), "councillor reads the reviews");
  ctx.expect((await page.locator("a:has-text('Add a scrutiny review')").count()) === 0, "councillor offered to add a review");
  for (const path of ["/dashboard", "/services", "/brokerage", "/direct-payments", "/placements", "/quality", "/governance/scrutiny/new"]) {
    await ctx.goto(path, { status: 403, label: `councillor refused ${path}` });
  }
}
