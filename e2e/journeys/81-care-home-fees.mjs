// A commissioner reads the care home fees, adds a weekly nursing fee for a home (on a date no
// earlier run used), records a net nursing placement with a top-up, and reads its weekly cost
// line by line: the gross fee, less the FNC rate in force (read from the FNC page), less the
// person's contribution, the council's cost computed here from those, the top-up beside it.
// A viewer is refused.
export const name = "care home fees: a fee added, a nursing placement recorded, its weekly cost read line by line";

const pence = (s) => Math.round(parseFloat(s.replace(/[£,]/g, "")) * 100);
const pounds = (p) => `£${Math.floor(p / 100).toLocaleString("en-GB")}.${String(p % 100).padStart(2, "0")}`;

async function submit(page, ctx, text, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`main button:has-text('${text}')`)]);
  await ctx.step(label);
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/fees", { label: "fees" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("nav[aria-label=Fees] a:has-text('Care home fees')")]);
  await ctx.step("care home fees");
  const overview = await page.locator("main").innerText();
  for (const want of ["Care home fees", "Placements and weekly cost on", "All care homes", "Weekly fees in force on", "Nursing dementia", "nothing is rounded"]) {
    ctx.expect(overview.includes(want), `overview lacks "${want}"`);
  }

  // The FNC rate in force today, read from its own page.
  await ctx.goto("/fees/care-homes/fnc", { label: "FNC rates" });
  const fncRow = page.locator("tr:has-text('In force today')").first();
  const fnc = pence(await fncRow.locator("td").first().innerText());
  ctx.expect(fnc > 0, "no FNC rate in force");

  // A fee of the journey's own, on a date no earlier run used (in the future, after today's FNC rate).
  const minutes = Math.floor((Date.now() - Date.UTC(2026, 0, 1)) / 60000);
  const from = new Date(Date.UTC(2100, 0, 1) + minutes * 86400000);
  const fill = async (name, d) => {
    await page.fill(`#${name}-day`, String(d.getUTCDate()));
    await page.fill(`#${name}-month`, String(d.getUTCMonth() + 1));
    await page.fill(`#${name}-year`, String(d.getUTCFullYear()));
  };
  await ctx.goto("/fees/care-homes/fees/new", { label: "add a weekly fee" });
  const home = await page.locator("#service_id option:has-text('care home (nursing)')").first().innerText();
  const homeName = home.split(" (")[0];
  await page.selectOption("#service_id", { label: home });
  await page.check("input[name=bed_type][value=nursing]");
  await page.fill("#weekly", "-1");
  await fill("effective_from", from);
  await submit(page, ctx, "Save fee", "fee refused");
  const errors = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(errors.includes("Weekly fee cannot be negative"), `error summary: ${errors}`);
  const gross = 110_000 + (minutes % 9_000);
  await page.fill("#weekly", (gross / 100).toFixed(2));
  await submit(page, ctx, "Save fee", "fee saved");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Weekly fee saved"), "no confirmation");
  ctx.expect((await page.locator("main").innerText()).includes(pounds(gross)), "the new fee is not in the home's history");

  // A nursing placement paid net, with a top-up paid by a son or daughter.
  const caseRef = `JR${String(minutes % 1_000_000).padStart(6, "0")}`;
  const contribution = 18_345;
  const topUp = 4_000;
  await ctx.goto("/fees/care-homes/placements/new", { label: "record a placement" });
  await page.fill("#case_ref", caseRef);
  await page.selectOption("#service_id", { label: home });
  await page.check("input[name=bed_type][value=nursing]");
  await fill("start_date", new Date(Date.UTC(2026, 0, 5)));
  await page.check("input[name=funding][value=net]");
  await page.fill("#contribution", (contribution / 100).toFixed(2));
  await page.fill("#top_up", (topUp / 100).toFixed(2));
  await page.selectOption("#top_up_payer", "son_or_daughter");
  await submit(page, ctx, "Record placement", "placement recorded");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Placement recorded"), "no confirmation");

  // Its weekly cost on the fee's date, line by line.
  await fill("on", from);
  await submit(page, ctx, "Show cost", "weekly cost on the fee's date");
  const cost = await page.locator("main").innerText();
  const lines = await page.locator("table tr").allInnerTexts();
  const line = (start) => lines.find((l) => l.startsWith(start)) || "";
  ctx.expect(line("Gross weekly fee").includes(homeName) && line("Gross weekly fee").includes(pounds(gross)), `gross line: ${line("Gross weekly fee")}`);
  ctx.expect(line("Less NHS Funded Nursing Care").includes(pounds(fnc)), `FNC line: ${line("Less NHS Funded Nursing Care")}`);
  ctx.expect(line("Less the person's assessed contribution").includes(pounds(contribution)), "contribution line");
  const council = gross - fnc - contribution;
  ctx.expect(line("The council's weekly cost").includes(pounds(council)), `council line: ${line("The council's weekly cost")}, expected ${pounds(council)}`);
  ctx.expect(cost.includes(`Top-up: ${pounds(topUp)} a week, paid to the home by son or daughter. This is not a council cost`), "top-up line");

  // A viewer is refused.
  await page.click("button:has-text('Sign out')");
  await page.waitForLoadState("load");
  await ctx.goto("/sign-in", { label: "sign in as viewer" });
  await page.fill("#email", "viewer@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.goto("/fees/care-homes", { status: 403, label: "viewer refused care home fees" });
}
