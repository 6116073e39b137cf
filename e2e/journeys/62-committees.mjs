// A commissioner opens the demo council's committees: the scrutiny commission's work programme
// and forward plan, the policy committee's paper with its cover sheet and `001`'s options
// appraisal (option 2 neither preferred nor rejected), tries to prefer a second option and is
// told why not; then the self-assessment, whose evidence library flags `004`'s slips (D20 for
// E20, an E83 no library holds), adds a claim citing a missing item and sees it flagged.
export const name = "commissioner: work programme, options appraisal, self-assessment evidence flags";

async function click(page, ctx, selector, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
  await ctx.step(label);
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/governance/committees", { label: "committees" });
  ctx.expect((await page.locator("h1").innerText()).trim() === "Committees", "committees heading");
  const list = await page.locator("main").innerText();
  for (const want of ["Adult Social Care Scrutiny Commission", "Adult Health and Social Care Policy Committee", "Cabinet"]) {
    ctx.expect(list.includes(want), `committee missing: ${want}`);
  }

  await click(page, ctx, "table a:has-text('Adult Social Care Scrutiny Commission')", "scrutiny work programme");
  const wp = await page.locator("main").innerText();
  ctx.expect(wp.includes("Meetings to come") && wp.includes("Forward plan") && wp.includes("Past meetings"), "work programme sections");
  ctx.expect(wp.includes("Assured Plans and Market Sustainability, including fair cost of care"), "004's forward plan topic");
  ctx.expect(wp.includes("Market oversight: the quarterly report"), "the report item at the next meeting");
  ctx.expect((await page.locator("a[href^='/reports/quarterly?as_at=']").count()) >= 1, "the item links to the quarterly report");

  await ctx.goto("/governance/committees", { label: "committees again" });
  await click(page, ctx, "table a:has-text('Adult Health and Social Care Policy Committee')", "policy committee");
  await click(page, ctx, "a:has-text('Personalisation and Direct Payments Update')", "direct payments item");
  const item = await page.locator("main").innerText();
  ctx.expect(item.includes("Yes, reference 2412"), "EIA reference on the cover sheet");
  ctx.expect(item.includes("Options appraisal"), "options appraisal heading");
  const rows = await page.locator("#options ~ table tbody tr, table:has(caption:has-text('Options considered')) tbody tr").count();
  ctx.expect(rows === 5, `five options, found ${rows}`);
  const option2 = await page.locator("tr:has-text('Option 2:')").innerText();
  ctx.expect(option2.includes("Neither preferred nor rejected"), `option 2 is neither: ${option2}`);

  await page.fill("#option", "Option 6: Spot purchase support");
  await page.check("input[name='outcome'][value='preferred']");
  await click(page, ctx, "button:has-text('Add the option')", "second preferred option refused");
  const summary = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(summary.includes("Only one option can be preferred"), `error summary said: ${summary}`);

  await ctx.goto("/governance/self-assessment", { label: "self-assessments" });
  await click(page, ctx, "table a:has-text('Our self-assessment')", "self-assessment");
  const sa = await page.locator("main").innerText();
  ctx.expect(sa.includes("Theme 1: Working with people") && sa.includes("Theme 4: Leadership"), "themes");
  ctx.expect(sa.includes("D20 is not in the library") && sa.includes("E83 is not in the library"), "missing citations flagged");
  ctx.expect(sa.includes("2 citations of items that do not exist, 2 items cited nowhere, 1 statement with no evidence"), `checks: ${sa.slice(0, 900)}`);

  await click(page, ctx, "a:has-text('Open the evidence library')", "evidence library");
  const lib = await page.locator("main").innerText();
  ctx.expect(lib.includes("Items cited nowhere") && lib.includes("E20, E82"), "E20 (cited as D20) and E82 (cited as E83) are cited nowhere");
  const e15 = await page.locator("tr:has(#E15)").innerText();
  ctx.expect(e15.includes("claim"), `E15 is cited: ${e15}`);

  await ctx.goto(page.url().replace(/\/evidence.*$/, ""), { label: "self-assessment again" });
  await click(page, ctx, "a:has-text('Add a strength or area for improvement'):has(span:has-text('Safeguarding'))", "claim form");
  await click(page, ctx, "button:has-text('Save the claim')", "claim refused");
  const errors = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(errors.includes("Select strength or area for improvement") && errors.includes("Enter the claim"), `errors: ${errors}`);
  await page.check("input[name='kind'][value='strength']");
  await page.fill("#text", `Journey claim ${Date.now()} <script>alert(1)</script>`);
  await page.fill("#citations", "E78, E99");
  await click(page, ctx, "button:has-text('Save the claim')", "claim saved and flagged");
  const banner = await page.locator(".govuk-notification-banner").innerText();
  ctx.expect(banner.includes("It cites E99, which is not in the evidence library"), `banner: ${banner}`);
  ctx.expect((await page.locator("script:has-text('alert(1)')").count()) === 0, "pasted script is never a script");
}
