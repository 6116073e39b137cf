// The provider's fact-check of a visit report (issue 16 item 14, decision 42). The quality officer
// records a quality visit to one of the demo provider's care homes, judges one standard Requires
// Improvement and finalises it; the provider finds the draft report in its portal, is refused an
// empty correction and sends one; another provider cannot open it; the officer cannot publish
// while the correction waits, cannot decline without a reason, declines with one and publishes;
// the provider sees the decision and sends its action plan, which the officer then reads. Runs
// again against the same demo (each run records a visit of its own).
export const name = "fact-check: draft report, correction, decision, publication and action plan";

function todayParts(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return { day: String(d.getDate()), month: String(d.getMonth() + 1), year: String(d.getFullYear()) };
}

async function fillDate(page, name, parts) {
  await page.fill(`#${name}-day`, parts.day);
  await page.fill(`#${name}-month`, parts.month);
  await page.fill(`#${name}-year`, parts.year);
}

async function signInAs(page, ctx, email) {
  await page.context().clearCookies();
  await ctx.goto("/sign-in", { label: `sign in as ${email}` });
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.step(`signed in as ${email}`);
}

async function submit(page, ctx, locator, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), locator.click()]);
  await ctx.step(label);
}

async function banner(page) {
  const b = page.locator(".govuk-notification-banner--success");
  return (await b.count()) ? await b.innerText() : "";
}

async function errors(page) {
  const e = page.locator(".govuk-error-summary");
  return (await e.count()) ? await e.innerText() : "";
}

export async function run(page, ctx) {
  const stamp = Date.now().toString(36);
  const findings = `Medication records checked (${stamp}); gaps in signatures on two units.`;
  const correction = `The gaps were on one unit only (${stamp}).`;
  const reason = `Both units were seen on the day (${stamp}).`;
  const plan = `Weekly medication audits from Monday (${stamp}).`;

  // The provider's care homes, as its portal lists them.
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal", { label: "provider home" });
  ctx.expect((await page.locator("#main-content").innerText()).includes("waiting for your factual accuracy check"), "the portal home does not count the drafts to check");
  const homeRow = page.locator("tbody tr").filter({ hasText: "Care home" }).first();
  const serviceHref = await homeRow.locator("a[href^='/portal/services/']").first().getAttribute("href");
  ctx.expect(serviceHref, "the demo provider has no care home");
  const serviceId = serviceHref.split("/")[3];

  // The officer records, scores and finalises a visit.
  await signInAs(page, ctx, "quality@demo.caremarket.test");
  await ctx.goto(`/quality/visits/new?service_id=${serviceId}`, { label: "new visit" });
  await page.check("input[name='activity'][value='quality_visit']");
  await page.check("input[name='visit_type'][value='routine']");
  await page.check("input[name='announced'][value='yes']");
  await fillDate(page, "visit_date", todayParts());
  await page.fill("#officers", "Q Lees");
  const frameworks = await page.locator("#framework_id option").evaluateAll((os) => os.map((o) => o.value).filter((v) => v));
  ctx.expect(frameworks.length > 0, "no framework offered for the care home");
  await page.selectOption("#framework_id", frameworks[0]);
  await submit(page, ctx, page.locator("button:has-text('Save and go to scoring')"), "scoring");
  await page.locator("select[name^='judgement-']").first().selectOption("requires_improvement");
  await page.locator("select[name^='judgement-']").nth(1).selectOption("good");
  await page.fill("#report", findings);
  await submit(page, ctx, page.locator("button:has-text('Save and finalise')"), "finalise form");
  await page.locator("input[name^='owner-']").fill("Registered manager");
  const dueName = (await page.locator("input[name^='due_on-'][name$='-day']").getAttribute("name")).replace(/-day$/, "");
  await fillDate(page, dueName, todayParts(28));
  await submit(page, ctx, page.locator("main button:has-text('Finalise')"), "visit finalised");
  const visitId = new URL(page.url()).pathname.split("/")[3];
  ctx.expect((await banner(page)).includes("Visit finalised"), "no banner after finalising");
  const visitText = await page.locator("#main-content").innerText();
  ctx.expect(visitText.includes("Provider's fact-check") && visitText.includes("Draft: with the provider for a factual accuracy check"), "the visit page does not say the report is with the provider");

  // The provider: the draft, a refused empty correction, then a correction.
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal/reports", { label: "provider's visit reports" });
  ctx.expect(await page.locator(`a[href='/portal/reports/${visitId}']`).count() === 1, "the new draft is not listed");
  await ctx.goto(`/portal/reports/${visitId}`, { label: "draft report" });
  let text = await page.locator("#main-content").innerText();
  ctx.expect(text.includes("Draft visit report") && text.includes(findings), "the draft does not show its findings");
  ctx.expect(text.includes("Requires Improvement") && text.includes("Send corrections of fact by"), "the draft does not show its result and the end of the check");
  await submit(page, ctx, page.locator("main button:has-text('Send the correction')"), "empty correction refused");
  const e1 = await errors(page);
  ctx.expect(e1.includes("Choose the part of the report") && e1.includes("Enter the correction"), `the empty correction's errors: ${e1}`);
  await page.selectOption("#part", "report");
  await page.fill("#correction", correction);
  await submit(page, ctx, page.locator("main button:has-text('Send the correction')"), "correction sent");
  ctx.expect((await banner(page)).includes("Correction sent"), "no banner after sending the correction");
  ctx.expect((await page.locator("#main-content").innerText()).includes(correction), "the correction is not shown");

  // Another provider: not found.
  await signInAs(page, ctx, "homecare@demo.caremarket.test");
  await ctx.goto(`/portal/reports/${visitId}`, { status: 404, label: "another provider is refused the report" });

  // The officer: publish refused, decline needs a reason, decline, publish.
  await signInAs(page, ctx, "quality@demo.caremarket.test");
  await ctx.goto("/work", { label: "officer's work" });
  ctx.expect((await page.locator("#main-content").innerText()).includes("Visit reports waiting for the council"), "the work queue has no visit reports");
  await ctx.goto(`/quality/visits/${visitId}/fact-check`, { label: "fact-check page" });
  ctx.expect((await page.locator("#main-content").innerText()).includes(correction), "the officer does not see the correction");
  ctx.expect(await page.locator("main button:has-text('Publish the report')").count() === 0, "publishing offered while a correction waits");
  const card = page.locator(".govuk-summary-card").filter({ hasText: correction });
  await card.locator("input[value='declined']").check();
  await submit(page, ctx, card.locator("button:has-text('Save the decision')"), "decline without a reason refused");
  ctx.expect((await errors(page)).includes("Enter why the correction is declined"), "declining without a reason was not refused");
  const card2 = page.locator(".govuk-summary-card").filter({ hasText: correction });
  await card2.locator("input[value='declined']").check();
  await card2.locator("textarea").fill(reason);
  await submit(page, ctx, card2.locator("button:has-text('Save the decision')"), "correction declined");
  ctx.expect((await banner(page)).includes("Correction declined"), "no banner after declining");
  await submit(page, ctx, page.locator("main button:has-text('Publish the report')"), "report published");
  ctx.expect((await banner(page)).includes("Report published"), "no banner after publishing");
  ctx.expect((await page.locator("#main-content").innerText()).includes("Due by"), "the action plan's due date is not shown");

  // The provider: the decision, then the action plan.
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto(`/portal/reports/${visitId}`, { label: "published report" });
  text = await page.locator("#main-content").innerText();
  ctx.expect(text.includes("Declined") && text.includes(reason), "the provider does not see the decision and its reason");
  ctx.expect(await page.locator("main button:has-text('Send the correction')").count() === 0, "corrections offered after publication");
  await page.fill("#action_plan", plan);
  await submit(page, ctx, page.locator("main button:has-text('Send the action plan')"), "action plan sent");
  ctx.expect((await banner(page)).includes("Action plan sent to the council"), "no banner after sending the action plan");

  await signInAs(page, ctx, "quality@demo.caremarket.test");
  await ctx.goto(`/quality/visits/${visitId}/fact-check`, { label: "the officer reads the action plan" });
  ctx.expect((await page.locator("#main-content").innerText()).includes(plan), "the officer does not see the action plan");
}
