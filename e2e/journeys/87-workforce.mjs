// Workforce returns and the Ethical Care Charter (issue 13 items 1-3). The demo provider user
// sends last quarter's workforce return for one of its services from the portal (a first try with
// more leavers than staff is refused, naming the field); the commissioner finds the return behind
// the market's figures, and the figures for every market, worked out here from the returns the
// drill-down lists; then records the council's position on a charter element again, and reads it
// at the top of the element's history, and adds the 2026/27 real Living Wage rate. Runs twice
// against one demo (a second run replaces the return it sent and corrects the rate to the same
// figures; the charter's counts are unchanged).
export const name = "workforce: a provider's return, the market's figures from the returns, the charter's history";

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

async function follow(page, ctx, locator, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), locator.click()]);
  await ctx.step(label);
}

// Tenths of a percent, half up, as the pages print them.
const pct = (part, whole) => {
  const p = Math.floor((part * 1000 + Math.floor(whole / 2)) / whole);
  return `${Math.floor(p / 10)}.${p % 10}%`;
};

const num = (s) => parseInt(s.replace(/[^0-9-]/g, ""), 10);

export async function run(page, ctx) {
  const stamp = Date.now() % 100000;
  // Staff this run types: care workers, nurses, managers, other; vacancies; leavers.
  const cw = 40 + (stamp % 20);
  const staff = cw + 0 + 2 + 3;
  const vacancies = 6;
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await follow(page, ctx, page.locator("nav a:has-text('Workforce returns')"), "the provider's workforce returns");
  await follow(page, ctx, page.locator("main a:has-text('Send a workforce return')"), "the return form");
  const service = page.locator("#service_id option").nth(1);
  const serviceName = (await service.innerText()).replace(/ \((?:[^()]|\([^()]*\))*\)$/, "").trim();
  await page.selectOption("#service_id", { index: 1 });
  // The quarter before this one: the second choice (the first is the quarter under way).
  const quarter = (await page.locator("#period option").nth(2).innerText()).trim();
  await page.selectOption("#period", { label: quarter });
  const values = {
    care_workers: cw, nurses: 0, managers: 2, other_staff: 3,
    care_workers_fte: "31.5", nurses_fte: 0, managers_fte: 2, other_staff_fte: "1.5",
    vacancies, starters: 9, leavers: staff + 1, zero_hours_staff: 20, guaranteed_hours_staff: 15, agency_hours: 30,
    lowest_hourly_pay: "12.85", care_certificate_percent: 64, level2_percent: "41.5", level3_percent: 18, medication_training_percent: 92,
  };
  for (const [k, v] of Object.entries(values)) await page.fill(`#${k}`, String(v));
  await page.check("input[name=sick_pay][value=no]");
  await page.check("input[name=qualification_framework][value=QCF]");
  await page.check("input[name=asc_wds_complete][value=yes]");
  await submit(page, ctx, "Send workforce return", "more leavers than staff refused");
  let main = await page.locator("main").innerText();
  const wanted = `Leavers in the last 12 months (${staff + 1}) cannot be more than staff (${staff})`;
  ctx.expect(main.includes("There is a problem") && main.includes(wanted), `the refusal does not name leavers: ${main.slice(0, 500)}`);
  await page.fill("#leavers", "11");
  await submit(page, ctx, "Send workforce return", "return sent");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(`Workforce return sent for ${quarter}`), `no confirmation for ${quarter}: ${main.slice(0, 300)}`);
  const mine = page.locator("#returns tbody tr").filter({ hasText: serviceName }).filter({ hasText: quarter });
  const mineText = await mine.first().innerText();
  ctx.expect(mineText.includes(String(staff)) && mineText.includes(pct(vacancies, staff + vacancies)) && mineText.includes(pct(11, staff)),
    `the provider's row reads ${mineText}, wanted ${staff} staff, ${pct(vacancies, staff + vacancies)} and ${pct(11, staff)}`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button:has-text('Sign out')")]);

  // The commissioner: the market's figures for the quarter against the returns behind them.
  await signInAs(page, ctx, ctx.email);
  await follow(page, ctx, page.locator("nav a:has-text('Workforce')"), "workforce");
  await page.selectOption("#period", { label: quarter });
  await submit(page, ctx, "Show quarter", `the workforce for ${quarter}`);
  const every = (await page.locator("#staffing tbody tr").filter({ hasText: "Every market" }).innerText()).split("\t").map((s) => s.trim());
  await follow(page, ctx, page.locator("#summary a"), `every return for ${quarter}`);
  const rows = page.locator("#returns tbody tr");
  const n = await rows.count();
  let sumStaff = 0, sumVac = 0, sumLeavers = 0, found = false;
  for (let i = 0; i < n; i++) {
    const cells = (await rows.nth(i).innerText()).split("\t").map((s) => s.trim());
    // Service, Provider, Quarter, Staff, Vacancies, Vacancy rate, Leavers, Turnover, Zero-hours, Pay.
    sumStaff += num(cells[3]);
    sumVac += num(cells[4]);
    sumLeavers += num(cells[6]);
    if (cells[0] === serviceName && num(cells[3]) === staff && num(cells[6]) === 11) found = true;
  }
  ctx.expect(found, `the provider's return (${serviceName}, ${staff} staff) is not among the ${n} returns`);
  // Every market: Returns, Staff, Care workers, FTE, Vacancy rate, Turnover, Agency hours.
  ctx.expect(num(every[2]) === sumStaff, `every market's staff is ${every[2]}, the returns add to ${sumStaff}`);
  ctx.expect(every[5] === pct(sumVac, sumStaff + sumVac), `every market's vacancy rate is ${every[5]}, the returns give ${pct(sumVac, sumStaff + sumVac)}`);
  ctx.expect(every[6] === pct(sumLeavers, sumStaff), `every market's turnover is ${every[6]}, the returns give ${pct(sumLeavers, sumStaff)}`);
  ctx.expect(every[1].startsWith(`${n} of `), `every market's returns read ${every[1]}, the drill-down lists ${n}`);

  // The charter: ten agreed, two working towards; record 2.2's position again with a new note.
  await ctx.goto("/workforce/charter", { label: "the Ethical Care Charter" });
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("10 agreed, 2 working towards, 0 not accepted"), `the positions read: ${(await page.locator("#positions-summary").innerText())}`);
  await follow(page, ctx, page.locator("#stage-2 a", { hasText: "2.2" }).first(), "element 2.2");
  const before = await page.locator("#history tbody tr").count();
  await page.check("input[name=position][value=working_towards]");
  await page.fill("#note", "");
  await submit(page, ctx, "Record position", "a position without a note refused");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Enter a note"), "the missing note is not named");
  const note = `Provider engagement ${stamp}: minimum hours contracts are rising; we keep monitoring.`;
  await page.fill("#note", note);
  await submit(page, ctx, "Record position", "position recorded");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("The council's position on element 2.2 is recorded") && main.includes("10 agreed, 2 working towards"), "no confirmation, or the counts changed");
  await follow(page, ctx, page.locator("#stage-2 a", { hasText: "2.2" }).first(), "element 2.2 again");
  const history = page.locator("#history tbody tr");
  ctx.expect((await history.count()) === before + 1, `the history has ${await history.count()} rows, wanted ${before + 1}`);
  const top = await history.first().innerText();
  ctx.expect(top.includes("Working towards") && top.includes(note), `the newest position reads ${top}`);

  // A year's real Living Wage rate, added from the charter page (a second run corrects it).
  await ctx.goto("/workforce/charter", { label: "the charter again" });
  // A demo that already has 2026/27 (a second run) corrects it from its own row instead.
  const already = (await page.locator("#rates").innerText()).includes("2026/27");
  if (already) {
    await follow(page, ctx, page.locator("#rates a", { hasText: "Correct the rates for 2026/27" }), "the 2026/27 correction form");
    const heading = await page.locator("h1").innerText();
    ctx.expect(heading.includes("Correct the real Living Wage for 2026/27"), `the correction form is headed ${heading}`);
  } else {
    await follow(page, ctx, page.locator("main a", { hasText: "Add a year's rate" }), "the Living Wage form");
  }
  if (!already) await page.fill("#year", "2026/28");
  for (const id of ["#rate", "#announced_on-day", "#announced_on-month", "#announced_on-year"]) await page.fill(id, "");
  await submit(page, ctx, already ? "Save the correction" : "Save the rate", "a bad year and missing fields refused");
  const summary = await page.locator(".govuk-error-summary").innerText();
  const wants = ["Enter the rate outside London", "Enter the date the rate was announced"];
  if (!already) wants.push("The year must be written like 2026/27");
  for (const want of wants) {
    ctx.expect(summary.includes(want), `the error summary misses "${want}": ${summary}`);
  }
  if (!already) await page.fill("#year", "2026/27");
  await page.fill("#rate", "13.95");
  await page.fill("#london_rate", "15.10");
  await page.fill("#announced_on-day", "22");
  await page.fill("#announced_on-month", "10");
  await page.fill("#announced_on-year", "2026");
  await page.fill("#applies_from-day", "1");
  await page.fill("#applies_from-month", "5");
  await page.fill("#applies_from-year", "2027");
  await submit(page, ctx, already ? "Save the correction" : "Save the rate", "the 2026/27 rate saved");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("The real Living Wage rate is saved"), "no confirmation of the rate");
  const rates = (await page.locator("#rates").innerText()).replace(/\s+/g, " ");
  ctx.expect(rates.includes("2026/27 £13.95 £15.10 22 October 2026 1 May 2027"), `the rates table reads ${rates}`);
}
