// Cost of care (issue 11 item 4). The demo provider user sends a cost of care return for one of
// its care homes in the portal, line by line; the commissioner sees it among the returns behind
// the care homes' figures, opens it and reads the lines sent; then builds a price per hour with
// the calculator and checks it against the lines worked out here from the inputs.
export const name = "cost of care: a provider's return in the portal, the council's figures, the calculator";

const pence = (s) => Math.round(parseFloat(s.replace(/[£,]/g, "")) * 100);
const pounds = (p) => `£${Math.floor(p / 100).toLocaleString("en-GB")}.${String(p % 100).padStart(2, "0")}`;
// Halves up, as the page says.
const round = (x) => Math.floor(x + 0.5);

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
  // The provider: a return for its first care home, 2025/26.
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal/cost-of-care", { label: "the provider's cost of care returns" });
  const options = await page.locator("#service_id option").allInnerTexts();
  const home = options.find((o) => o.includes("(care home"));
  ctx.expect(home, `no care home offered: ${options.join(" | ")}`);
  const homeName = home.replace(/ \(care home.*$/, "");
  await page.selectOption("#service_id", { label: home });
  await page.selectOption("#year", "2025/26");
  await submit(page, ctx, "Continue", "the return's lines");
  let main = await page.locator("main").innerText();
  for (const want of ["Care staff", "Nursing staff", "Other staff", "Non-staff costs", "Return on capital", "Return on operations"]) {
    ctx.expect(main.includes(want), `the care home return lacks "${want}"`);
  }
  // A negative amount is refused on its line.
  const amounts = { care_staff: "452.10", nursing_staff: "0", other_staff: "171.35", non_staff_costs: "188.40", return_on_capital: "82.00", return_on_operations: "-1" };
  for (const [k, v] of Object.entries(amounts)) await page.fill(`#${k}`, v);
  await submit(page, ctx, "Send return", "a negative line refused");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("There is a problem") && main.includes("Return on operations cannot be negative"), "the negative line is not named");
  amounts.return_on_operations = "44.65";
  await page.fill("#return_on_operations", amounts.return_on_operations);
  await submit(page, ctx, "Send return", "return sent");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(`Cost of care return sent for ${homeName}, 2025/26`), `no confirmation for ${homeName}: ${main.slice(0, 300)}`);
  const total = Object.values(amounts).reduce((s, v) => s + pence(v), 0);
  ctx.expect(main.includes(`${pounds(total)} a bed a week`), `the total ${pounds(total)} is not shown`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("header button:has-text('Sign out'), button:has-text('Sign out')")]);

  // The commissioner: the care homes' figures count it; the returns behind the total list it.
  await signInAs(page, ctx, ctx.email);
  await ctx.goto("/fees/cost-of-care?year=2025", { label: "cost of care figures" });
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Cost of care, 2025/26") && main.includes("QUARTILE.INC"), "the figures page or its method is missing");
  const kindOf = home.match(/\((care home \((residential|nursing)\))\)/);
  const heading = kindOf && kindOf[2] === "nursing" ? "Care home (nursing)" : "Care home (residential)";
  const table = page.locator(`table:has(caption:has-text("${heading}, 2025/26"))`);
  const totalRow = table.locator("tr:has(th:has-text('Total'))");
  const count = parseInt(await totalRow.locator("td").first().innerText(), 10);
  ctx.expect(count > 0, `no returns counted for ${heading}`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), totalRow.locator("td").nth(2).locator("a").click()]);
  await ctx.step("the returns behind the median total");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(`Total: the ${count} returns behind the figures`) || main.includes(`Total: the ${count} return behind the figures`), `the list does not count ${count} returns`);
  const rows = page.locator("main table tbody tr");
  ctx.expect((await rows.count()) === count, `the list has ${await rows.count()} rows, the figure ${count}`);
  const ours = rows.filter({ hasText: homeName }).first();
  ctx.expect((await ours.innerText()).includes(pounds(total)), `${homeName}'s total ${pounds(total)} is not listed`);
  // The median is the middle return (or between the two middle ones) of the list, in order.
  const totals = [];
  for (let i = 0; i < count; i++) totals.push(pence(await rows.nth(i).locator("td").nth(2).innerText()));
  const h = (count - 1) / 2;
  const median = round(totals[Math.floor(h)] + (h - Math.floor(h)) * (totals[Math.ceil(h)] - totals[Math.floor(h)]));
  ctx.expect(new RegExp(`Median\\s+${pounds(median)} a bed a week`).test(main), `the median is not ${pounds(median)}`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), ours.locator("a").click()]);
  await ctx.step("the provider's return, line by line");
  main = await page.locator("main").innerText();
  for (const want of ["Care staff\t£452.10", "Other staff\t£171.35", "Return on operations\t£44.65", `Total\t${pounds(total)}`, "The provider, through the portal"]) {
    ctx.expect(main.includes(want), `the return lacks "${want}"`);
  }

  // The calculator: a price per hour, line by line, with a shareable address.
  await ctx.goto("/fees/cost-of-care/calculator?pay_rate=12.60&travel_minutes=12&miles=4.5&pence_per_mile=45&employer_ni=8.5&pension=3&holiday=12.07&training=0.35&supervision=0.40&back_office=3.90&registration_fees=0.10&insurance=0.15&margin=5&year=2025", { label: "the calculator's price" });
  const pay = 1260;
  const travel = round((pay * 12) / 60);
  const mileage = round(4.5 * 45);
  const holiday = round(((pay + travel) * 1207) / 10000);
  const paid = pay + travel + holiday;
  const ni = round((paid * 850) / 10000);
  const pension = round((paid * 300) / 10000);
  const before = pay + travel + mileage + ni + pension + holiday + 35 + 40 + 390 + 10 + 15;
  const price = before + round((before * 500) / 10000);
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(`A price of ${pounds(price)} an hour`), `the price is not ${pounds(price)}: ${main.slice(0, 400)}`);
  ctx.expect(main.includes(`Holiday pay\t${pounds(holiday)}`) && main.includes(`Employer National Insurance\t${pounds(ni)}`), "a line is not as worked out");
  ctx.expect(main.includes("rounded to the nearest penny, halves up"), "the rounding is not stated");
  ctx.expect(/The council's rate in force today, .* is .* this price/.test(main), "the council's rate is not beside the price");
  // Bad input is named.
  await ctx.goto("/fees/cost-of-care/calculator?pay_rate=twelve", { status: 400, label: "the calculator refuses bad input" });
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("The pay rate must be a number with up to two decimal places"), "the bad pay rate is not named");
}
