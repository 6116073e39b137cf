// Home care visits against call monitoring (issue 11 item 7). The commissioner reads the demo's
// figures, follows a figure to the visits it counts, imports a small period by upload (progress,
// then the figures worked out here from the files), sees a bad file refused with its row named,
// decides a provider's query, and downloads the payment schedule. The home care provider reads
// its own figures and decision in the portal and queries a missed visit.
export const name = "home care visits: figures, drill-down, upload with progress, queries, payment schedule, the provider's side";

const num = (s) => parseInt(s.replace(/[^0-9-]/g, ""), 10);
const pounds = (p) => `£${Math.floor(p / 100).toLocaleString("en-GB")}.${String(p % 100).padStart(2, "0")}`;
// The rules' pence: (rate × minutes × carers + 30) div 60.
const pay = (rate, minutes, carers) => Math.floor((rate * minutes * carers + 30) / 60);

async function signInAs(page, ctx, email) {
  await ctx.goto("/sign-in", { label: `sign in as ${email}` });
  await page.fill("#email", email);
  await page.fill("#password", ctx.password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main button[type=submit]")]);
  await ctx.step(`signed in as ${email}`);
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Sign out')")]);
}

async function submit(page, ctx, text, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`main button:has-text('${text}')`)]);
  await ctx.step(label);
}

// Checks the import's progress, as an officer would, until its page says it is done.
async function waitForImport(page, ctx, label) {
  for (let i = 0; i < 60; i++) {
    const h1 = await page.locator("main h1").innerText();
    if (h1 !== "Importing home care visits") break;
    ctx.expect((await page.locator("main").innerText()).includes("% done"), "no progress shown");
    await page.waitForTimeout(500);
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main a:has-text('Check progress')")]);
  }
  await ctx.step(label);
}

export async function run(page, ctx) {
  await signInAs(page, ctx, ctx.email);
  await ctx.goto("/fees", { label: "fees" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main nav a:has-text('Home care visits and pay')")]);
  await ctx.step("home care visits and pay");
  // The demo's own import (the newest is shown first, which a run of this journey replaces).
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("main table:has(caption:has-text('Imports')) tr:has-text('planned-visits.csv') th a").first().click()]);
  await ctx.step("the demo's import");
  let main = await page.locator("main").innerText();
  ctx.expect(main.includes("Visits by provider and period"), "no figures table");
  const rows = page.locator("main table:has(caption:has-text('Visits by provider and period')) tbody tr");
  const n = await rows.count();
  ctx.expect(n >= 4, `only ${n} rows`);
  // Every row: planned = delivered + missed; the variance is invoiced − payable.
  let withMissed = -1;
  for (let i = 0; i < n - 1; i++) {
    const cells = await rows.nth(i).locator("td").allInnerTexts();
    const [planned, delivered, missed] = [num(cells[1]), num(cells[2]), num(cells[3])];
    ctx.expect(planned === delivered + missed, `row ${i}: ${planned} planned ≠ ${delivered} delivered + ${missed} missed`);
    const invoiced = num(cells[10]);
    const payable = num(cells[11].split("\n")[0]);
    ctx.expect(num(cells[12]) === invoiced - payable, `row ${i}: variance is not invoiced − payable`);
    if (withMissed < 0 && missed > 0) withMissed = i;
  }
  ctx.expect(withMissed >= 0, "no row with missed visits");
  const missedCell = rows.nth(withMissed).locator("td").nth(3);
  const missed = num(await missedCell.innerText());
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), missedCell.locator("a").click()]);
  await ctx.step("the missed visits behind a figure");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(`Missed visits: ${missed}`), `the heading does not say ${missed} missed visits: ${main.slice(0, 200)}`);
  ctx.expect((await page.locator("main table tbody tr").count()) === Math.min(missed, 50), "the list does not hold the missed visits");
  ctx.expect((await page.locator("main table tbody tr").first().innerText()).includes("Missed"), "a listed visit is not marked missed");

  // Upload a small period for the first row's provider (its id is under its name).
  await page.goBack({ waitUntil: "load" });
  await ctx.step("back to the figures");
  const providerId = (await rows.first().locator("th .govuk-body-s").innerText()).trim();
  const providerName = (await rows.first().locator("th").innerText()).split("\n")[0].trim();
  const planned = [
    "visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour",
    `901,J1,${providerId},2030-01-07T08:00:00,30,1,2296`,
    `902,J1,${providerId},2030-01-07T12:00:00,45,2,2296`,
    `903,J2,${providerId},2030-01-08T09:00:00,60,1,2296`,
  ].join("\n") + "\n";
  const actual = [
    "visit_id,provider_id,person_ref,actual_start,actual_end,care_worker_ref",
    `901,${providerId},J1,2030-01-07T08:02:00,2030-01-07T08:40:00,CW1`,
    `902,${providerId},J1,2030-01-07T12:50:00,2030-01-07T13:15:00,CW2`,
  ].join("\n") + "\n";
  await ctx.goto("/ecm/import", { label: "the import form" });
  await page.setInputFiles("#planned", { name: "journey-planned.csv", mimeType: "text/csv", buffer: Buffer.from(planned) });
  await page.setInputFiles("#actual", { name: "journey-ecm.csv", mimeType: "text/csv", buffer: Buffer.from(actual) });
  await page.fill("#periods_from", "2030-01-07");
  await page.fill("#period_days", "7");
  await submit(page, ctx, "Import visits", "the import's progress");
  await waitForImport(page, ctx, "the import complete");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Import complete") && main.includes("3 planned visits and 2 call monitoring rows were reconciled"), `not complete: ${main.slice(0, 300)}`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main a:has-text('See the figures')")]);
  await ctx.step("the uploaded period's figures");
  const ours = (await rows.first().locator("td").allInnerTexts()).map((c) => c.trim());
  // 901: 38 minutes, paid its 30. 902: 25 of 45 minutes, two carers: short and late (50 minutes).
  // 903: missed. Carer minutes planned 30 + 45 × 2 + 60 = 180 (3.00 hours); delivered 30 + 25 × 2
  // = 80 (1.33 hours).
  const invoiced = pay(2296, 30, 1) + pay(2296, 45, 2) + pay(2296, 60, 1);
  const payable = pay(2296, 30, 1) + pay(2296, 25, 2);
  ctx.expect(ours[0] === "7 January to 13 January 2030", `period: ${ours[0]}`);
  ctx.expect([ours[1], ours[2], ours[3], ours[4], ours[5], ours[6]].join(",") === "3,2,1,1,1,0", `planned, delivered, missed, short, late, early: ${ours.slice(1, 7)}`);
  ctx.expect(ours[8] === "3.00" && ours[9] === "1.33", `carer hours: ${ours[8]}, ${ours[9]}`);
  ctx.expect(ours[10] === pounds(invoiced) && ours[11] === pounds(payable) && ours[12] === pounds(invoiced - payable), `money: ${ours.slice(10, 13)}`);
  ctx.expect((await rows.first().locator("th").innerText()).includes(providerName), "the provider is not named");

  // A file naming a provider the register does not hold is refused, nothing imported.
  await ctx.goto("/ecm/import", { label: "the import form again" });
  await page.setInputFiles("#planned", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(planned.replace(`903,J2,${providerId}`, "903,J2,NOT-A-PROVIDER")) });
  await page.setInputFiles("#actual", { name: "journey-ecm.csv", mimeType: "text/csv", buffer: Buffer.from(actual) });
  await submit(page, ctx, "Import visits", "a bad file's progress");
  await waitForImport(page, ctx, "a bad file refused");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Import failed") && main.includes("'bad.csv' row 4: 'NOT-A-PROVIDER' is not a provider in the register"), `not refused by row: ${main.slice(0, 300)}`);

  // A provider's open query, decided.
  await ctx.goto("/ecm/queries", { label: "open queries" });
  main = await page.locator("main").innerText();
  // The demo's open query (or, on a second run against the same demo, the one this journey sent).
  ctx.expect(main.includes("The visit was made but the carer's phone was out of charge") || main.includes("Our carer was there"), "no open query is listed");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("main table tbody tr").first().locator("th a").click()]);
  await ctx.step("an open query");
  await submit(page, ctx, "Save decision", "a decision without its choice");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Choose whether to accept or reject the query"), "a missing decision is not named");
  await page.check("input[name=decision][value=accept]");
  await page.fill("#paid_minutes", "30");
  await page.fill("#note", "Agreed with the person's daughter");
  await submit(page, ctx, "Save decision", "query decided");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Query decided"), "no confirmation");

  // The payment schedule: one line per provider and period, amounts adding up.
  const latest = await page.evaluate(async () => {
    const r = await fetch("/ecm");
    const html = await r.text();
    const m = html.match(/\/ecm\/imports\/([^/"]+)\/schedule\.csv/);
    if (!m) return null;
    return await (await fetch(`/ecm/imports/${m[1]}/schedule.csv`)).text();
  });
  ctx.expect(latest && latest.startsWith("provider_id,cqc_provider_id,provider_name,period_start,period_end,visits_paid,carer_minutes_paid,amount_pence,amount,payment_basis,basis_recorded"), "no payment schedule");
  await signOut(page);

  // The provider: its figures and the decision, then a query of a missed visit.
  await signInAs(page, ctx, "homecare@demo.caremarket.test");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("nav a:has-text('Visits and pay')")]);
  await ctx.step("the provider's visits and pay");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Your visits by period") && main.includes("Your queries"), "the portal page is not there");
  ctx.expect(main.includes("Agreed with the person's daughter") || main.includes("Confirmed with the person's family by phone"), "a decision is not shown to the provider");
  const prow = page.locator("main table:has(caption:has-text('Your visits by period')) tbody tr").last();
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), prow.locator("td").nth(2).locator("a").click()]);
  await ctx.step("the provider's missed visits");
  const visitLinks = page.locator("main table tbody tr th a");
  let queried = false;
  for (let i = 0; i < Math.min(await visitLinks.count(), 10) && !queried; i++) {
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), visitLinks.nth(i).click()]);
    if (await page.locator("main button:has-text('Send query')").count()) {
      await ctx.step("a missed visit to query");
      await submit(page, ctx, "Send query", "a query without a reason");
      main = await page.locator("main").innerText();
      ctx.expect(main.includes("Enter why the visit should be paid differently"), "a blank reason is not named");
      await page.fill("#reason", "Our carer was there: the person's phone line was down");
      await submit(page, ctx, "Send query", "query sent");
      main = await page.locator("main").innerText();
      ctx.expect(main.includes("Query sent to the council") && main.includes("Our carer was there"), "the query is not confirmed and listed");
      queried = true;
    } else {
      await page.goBack({ waitUntil: "load" });
    }
  }
  ctx.expect(queried, "no missed visit could be queried");

  // The portal's home says how many queries wait on the council, and leads to them.
  await page.goto(`${ctx.baseUrl}/portal`, { waitUntil: "load" });
  await ctx.step("the portal home with a query waiting");
  main = await page.locator("main").innerText();
  const waiting = main.match(/(\d+) (query|queries) about visits and pay (is|are) waiting for the council's decision/);
  ctx.expect(waiting && Number(waiting[1]) >= 1, "the portal home does not say the query waits on the council");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("main a:has-text('about visits and pay')")]);
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Your queries") && main.includes("Our carer was there"), "the home's link does not lead to the queries");
}
