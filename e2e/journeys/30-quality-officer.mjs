// A quality officer reads the quality dashboard and follows a report figure to the homes behind
// it, checks what is due, opens the watch list and a score's explanation, records a quality
// visit on the framework for the home, scores one standard Requires Improvement, finalises it
// (raising an action with an owner and due date), and sets the home's RAG. Then the provider
// signs in to the portal, sees only its own action plans, and records progress on an action.
export const name = "quality officer: visit, action plan and provider progress";

function todayParts() {
  const d = new Date();
  return { day: String(d.getDate()), month: String(d.getMonth() + 1), year: String(d.getFullYear()) };
}

async function fillDate(page, name, parts) {
  await page.fill(`#${name}-day`, parts.day);
  await page.fill(`#${name}-month`, parts.month);
  await page.fill(`#${name}-year`, parts.year);
}

export async function run(page, ctx) {
  await page.goto(ctx.url("/sign-in"));
  await page.fill("#email", "quality@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");

  await ctx.goto("/quality", { label: "quality dashboard" });
  ctx.expect((await page.locator("h1").textContent()).includes("Quality of care"), "dashboard heading missing");
  const amberLink = page.locator("#main-content a[href^='/quality/rag?rag=amber']").first();
  const amberText = await amberLink.textContent();
  const amber = parseInt(amberText, 10);
  ctx.expect(amber > 0, `the demo should have Amber care homes, the dashboard says "${amberText}"`);
  await amberLink.click();
  await ctx.step("amber care homes");
  // The list pages 50 at a time; its heading counts every Amber home.
  const heading = await page.locator("h1").innerText();
  ctx.expect(heading.startsWith(`${amber} `), `the Amber list's heading "${heading}" does not count the ${amber} homes the dashboard counts`);
  ctx.expect(await page.locator("tbody tr").count() === Math.min(amber, 50), `the Amber list's first page does not show ${Math.min(amber, 50)} of the ${amber} homes`);

  await ctx.goto("/quality/due", { label: "due and overdue for me" });
  ctx.expect(await page.locator("table").count() > 0, "no due list");

  await ctx.goto("/quality/watch-list", { label: "watch list" });
  await page.locator("a[href$='/score']").first().click();
  await ctx.step("score explained");
  ctx.expect(await page.locator("text=out of 100").count() > 0, "the explanation does not give the score");

  // A care home rated Green: record a routine visit on its framework.
  await ctx.goto("/quality/rag?rag=green&kind=care_home_residential", { label: "green residential homes" });
  const statusHref = await page.locator("tbody a[href^='/quality/services/']").first().getAttribute("href");
  const serviceId = statusHref.split("/")[3];
  await ctx.goto(`/quality/visits/new?service_id=${serviceId}`, { label: "new visit form" });
  // Submitting empty shows the error summary naming the fields.
  await page.click("button:has-text('Save and go to scoring')");
  await ctx.step("visit form errors");
  ctx.expect(await page.locator(".govuk-error-summary a[href='#officers']").count() === 1, "missing officers is not named in the error summary");
  await page.check("input[name='activity'][value='quality_visit']");
  await page.check("input[name='visit_type'][value='routine']");
  await page.check("input[name='announced'][value='no']");
  await fillDate(page, "visit_date", todayParts());
  await page.fill("#officers", "Q Lees, A Khan");
  await page.fill("#people_spoken_to", "4");
  await page.fill("#relatives_spoken_to", "2");
  await page.fill("#staff_spoken_to", "3");
  const frameworks = await page.locator("#framework_id option").evaluateAll((os) => os.map((o) => o.value).filter((v) => v));
  ctx.expect(frameworks.length > 0, "no framework offered for a care home");
  await page.selectOption("#framework_id", frameworks[0]);
  await page.click("button:has-text('Save and go to scoring')");
  await ctx.step("scoring form");
  const firstJudgement = page.locator("select[name^='judgement-']").first();
  await firstJudgement.selectOption("requires_improvement");
  await page.locator("select[name^='judgement-']").nth(1).selectOption("good");
  await page.fill("#report", "Medication records checked; two gaps in signatures. People spoke well of staff.");
  await page.click("button:has-text('Save and finalise')");
  await ctx.step("finalise form");
  const owner = page.locator("input[name^='owner-']");
  ctx.expect(await owner.count() === 1, "one action should be asked for (one standard Requires Improvement)");
  await owner.fill("Registered manager");
  const dueName = (await page.locator("input[name^='due_on-'][name$='-day']").getAttribute("name")).replace(/-day$/, "");
  const due = new Date(Date.now() + 28 * 86400000);
  await fillDate(page, dueName, { day: String(due.getDate()), month: String(due.getMonth() + 1), year: String(due.getFullYear()) });
  await page.click("button:has-text('Finalise')");
  await ctx.step("visit finalised");
  ctx.expect(await page.locator("text=1 action raised").count() > 0, "finalising did not say it raised the action");

  // Set the home's RAG with a reason.
  await ctx.goto(`/quality/services/${serviceId}/status`, { label: "status page" });
  ctx.expect(await page.locator("form").filter({ hasText: "Set RAG status" }).count() === 0, "the status page stacks its forms");
  await page.click("a:has-text('Change'):has(span:text('rag status'))");
  await ctx.step("the RAG form, alone");
  ctx.expect((await page.locator("main h2").allInnerTexts()).includes("Set the RAG status"), "Change did not open the RAG form");
  ctx.expect(await page.locator("text=Add a restriction or embargo").count() === 0, "the RAG form comes with the restriction form");
  await page.check("input[name='rag'][value='amber']");
  await page.fill("#rag_reason", "Medication recording gaps found on the visit");
  await fillDate(page, "rag_on", todayParts());
  await page.click("button:has-text('Set RAG status')");
  await ctx.step("RAG set");
  ctx.expect((await page.locator(".govuk-notification-banner--success").innerText()).includes("RAG status saved"), "no confirmation after setting the RAG");
  ctx.expect(await page.locator("text=Medication recording gaps found on the visit").count() > 0, "the RAG reason is not shown");

  await ctx.goto(`/services/${serviceId}/quality`, { label: "service quality tab" });
  ctx.expect(await page.locator("text=Registered manager").count() > 0 || await page.locator("text=1 open action").count() > 0, "the new action is not on the service's quality tab");

  // The provider: its own action plans, progress recorded.
  await page.context().clearCookies();
  await page.goto(ctx.url("/sign-in"));
  await page.fill("#email", "provider@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await page.click("button:has-text('Sign in')");
  await ctx.goto("/portal/actions", { label: "provider's action plans" });
  const actionHref = await page.locator("a[href^='/portal/actions/']").first().getAttribute("href");
  ctx.expect(actionHref, "the demo provider has no actions");
  await ctx.goto(actionHref, { label: "provider's action" });
  await page.fill("#note", "Medication audit now weekly; signatures checked at each handover.");
  await page.fill("#evidence", "Audit sheets for the last four weeks, in the office file");
  await page.check("input[name='status'][value='submitted']");
  await page.click("button:has-text('Record progress')");
  await ctx.step("progress recorded");
  ctx.expect(await page.locator("text=Medication audit now weekly").count() > 0, "the progress note is not shown");
  await ctx.goto("/quality", { status: 403, label: "provider refused the quality dashboard" });
}
