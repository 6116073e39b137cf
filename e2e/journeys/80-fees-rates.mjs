// A commissioner reads the rate card, checks the demo council's uplift history against `002`
// recommendation 15b (15.6% against April 2023 rates, not compounded on November's 5.7%), asks
// what a provider was paid on a past date, is told what is missing from an uplift, then adds a
// rate and previews and confirms an uplift of it. A viewer is not offered fees.
export const name = "fees: rate card, 15b uplift history, what we paid, an uplift previewed and confirmed";

const pence = (s) => Math.round(parseFloat(s.replace(/[£,]/g, "")) * 100);
const pounds = (p) => `£${Math.floor(p / 100)}.${String(p % 100).padStart(2, "0")}`;
const up = (p, pct) => Math.round(p * (1 + pct / 100));

async function signInAs(page, ctx, email) {
  await ctx.goto("/sign-in", { label: `sign in as ${email}` });
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.step(`signed in as ${email}`);
}

async function submit(page, ctx, text, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`main button:has-text('${text}')`)]);
  await ctx.step(label);
}

export async function run(page, ctx) {
  await ctx.signIn();
  const nav = await page.locator("nav[aria-label=Menu]").innerText();
  ctx.expect(nav.includes("Fees"), `a commissioner's menu lacks Fees: ${nav}`);
  await ctx.goto("/fees", { label: "rate card" });
  const main = await page.locator("main").innerText();
  for (const want of ["Rate card", "Council rate", "Lot maximum", "Provider rate", "Sleep-in, one payment a night", "Community rate (supported living), hourly", "Discounted rate (supported living), hourly", "Awaiting a second approver"]) {
    ctx.expect(main.includes(want), `rate card lacks "${want}"`);
  }

  // The history of a standard (General lot) provider's rate.
  const row = page.locator("tr:has-text('Provider rate'):has-text('Lot: General')").first();
  const provider = (await row.locator("td").nth(1).innerText()).split("\n")[0].replace("Provider rate: ", "").trim();
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), row.locator("a:has-text('History')").click()]);
  await ctx.step("a standard provider's rate history");
  const amountFrom = async (date) => {
    const r = page.locator(`table tr:has(td:text-is("${date}"))`).first();
    return pence(await r.locator("td").first().innerText());
  };
  const apr22 = await amountFrom("1 April 2022");
  const dec22 = await amountFrom("1 December 2022");
  const apr23 = await amountFrom("1 April 2023");
  const nov23 = await amountFrom("1 November 2023");
  const apr24 = await amountFrom("1 April 2024");
  ctx.expect(dec22 === up(apr22, 6.5), `December 2022: ${pounds(dec22)}, expected 6.5% on ${pounds(apr22)}`);
  ctx.expect(apr23 === up(dec22, 8.89), `April 2023: ${pounds(apr23)}, expected 8.89% on ${pounds(dec22)}`);
  ctx.expect(nov23 === up(apr23, 5.7), `November 2023: ${pounds(nov23)}, expected 5.7% on ${pounds(apr23)}`);
  ctx.expect(apr24 === up(apr23, 15.6), `April 2024: ${pounds(apr24)}, expected 15.6% on April 2023's ${pounds(apr23)}`);
  ctx.expect(apr24 !== up(nov23, 15.6), "April 2024 was compounded on November's 5.7%");
  const history = await page.locator("main").innerText();
  ctx.expect(history.includes("Uplift: 2024/25 uplift: standard care at home providers (against April 2023 rates)"), "the uplift is not named in the history");

  // What did we pay that provider on 1 December 2023? November's rate.
  await ctx.goto("/fees/paid", { label: "what did we pay" });
  await page.selectOption("#provider_id", { label: provider });
  await page.selectOption("#kind", "home_care");
  await page.fill("#on-day", "1");
  await page.fill("#on-month", "12");
  await page.fill("#on-year", "2023");
  await submit(page, ctx, "Show what we paid", "paid on 1 December 2023");
  const answer = await page.locator("main").innerText();
  ctx.expect(answer.includes(`${provider}, home care, on 1 December 2023`), `answer heading: ${answer.slice(0, 400)}`);
  ctx.expect(answer.includes(`${pounds(nov23)} an hour`) && answer.includes("The provider's own rate"), `answer: ${answer.slice(0, 800)}`);
  // The demo's payment bases start with the framework in June 2024.
  ctx.expect(answer.includes("No payment basis is recorded for this contract on that date."), "a payment basis before June 2024");

  // A rate of the journey's own (on a date no earlier run used), then an uplift of it.
  const minutes = Math.floor((Date.now() - Date.UTC(2026, 0, 1)) / 60000);
  const day = (n) => new Date(Date.UTC(2100, 0, 1) + (minutes * 2 + n) * 86400000);
  const fill = async (name, d) => {
    await page.fill(`#${name}-day`, String(d.getUTCDate()));
    await page.fill(`#${name}-month`, String(d.getUTCMonth() + 1));
    await page.fill(`#${name}-year`, String(d.getUTCFullYear()));
  };
  await ctx.goto("/fees/rates/new", { label: "add a rate" });
  await page.check("input[name=level][value=council]");
  await page.selectOption("#kind", "other");
  await page.selectOption("#category", "hourly");
  await page.fill("#amount", "18.37");
  await fill("effective_from", day(0));
  await submit(page, ctx, "Save rate", "rate saved");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Rate saved"), "no confirmation");

  await ctx.goto("/fees/uplifts/new", { label: "plan an uplift" });
  await page.fill("#percent", "2.5");
  await submit(page, ctx, "Preview the new rates", "uplift refused");
  const errors = await page.locator(".govuk-error-summary").innerText();
  for (const want of ["Enter a name for the uplift", "Choose the type of service whose rates are uplifted", "Enter the date the uplift takes effect", "Enter the base date"]) {
    ctx.expect(errors.includes(want), `error summary lacks "${want}": ${errors}`);
  }
  const upliftName = `Journey uplift ${minutes}`;
  await page.fill("#name", upliftName);
  await page.selectOption("#kind", "other");
  await fill("effective_from", day(1));
  await fill("base_date", day(0));
  await submit(page, ctx, "Preview the new rates", "uplift preview");
  const preview = await page.locator("main").innerText();
  const expected = `${pounds(up(1837, 2.5))} an hour`;
  ctx.expect(preview.includes(`Check the uplift: ${upliftName}`), "preview heading");
  ctx.expect(preview.includes(expected), `preview lacks the new rate ${expected}: ${preview.slice(0, 1500)}`);
  ctx.expect(preview.includes("rounded to the nearest penny, halves up") && preview.includes("Yearly cost"), "rounding or yearly cost not stated");
  await submit(page, ctx, "Confirm uplift", "uplift confirmed");
  const done = await page.locator("main").innerText();
  ctx.expect(done.includes("Uplift confirmed: 1 new rate"), `confirmation: ${done.slice(0, 400)}`);
  ctx.expect(done.includes(expected), "the new rate is not listed");

  // Fee increase requests, decided with a reason.
  await ctx.goto("/fees/requests", { label: "fee increase requests" });
  const requests = await page.locator("main").innerText();
  for (const want of ["Agreed", "Refused", "Open", "Covered by the annual uplift from April"]) {
    ctx.expect(requests.includes(want), `requests lack "${want}"`);
  }

  await ctx.goto("/fees/bases", { label: "payment bases" });
  const bases = await page.locator("main").innerText();
  ctx.expect(bases.includes("Delivered time, capped at planned") && bases.includes("30 minutes") && bases.includes("Planned hours"), "payment bases");

    // A viewer is not offered fees and is refused them.
  await page.click("button:has-text('Sign out')");
  await page.waitForLoadState("load");
  await signInAs(page, ctx, "viewer@demo.caremarket.test");
  ctx.expect(!(await page.locator("nav[aria-label=Menu]").innerText()).includes("Fees"), "a viewer is offered Fees");
  await ctx.goto("/fees", { status: 403, label: "viewer refused fees" });
}
