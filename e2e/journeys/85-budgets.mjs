// Budget against spend (issue 11 item 6). The commissioner reads the forecast outturn of
// residential care homes against its budget and checks the projection and forecast from the
// figures and months the page states; follows the spend to date to the rows behind it and adds
// them up; uploads a spend file with an unknown cost centre and reads the refusal naming the row
// and field, with nothing changed; adds a cost centre for short breaks and imports its spend,
// which appears as its own market; and matches a supplier the finance system spells its own way
// to its provider from a search.
export const name = "budget against spend: outturn, the rows behind it, an import refused and one taken, a supplier matched";

const pence = (s) => {
  const t = s.trim();
  const neg = t.startsWith("-");
  return (neg ? -1 : 1) * Math.round(parseFloat(t.replace(/[-£,]/g, "")) * 100);
};
const pounds = (p) => `${p < 0 ? "-" : ""}£${Math.floor(Math.abs(p) / 100).toLocaleString("en-GB")}.${String(Math.abs(p) % 100).padStart(2, "0")}`;
// Half away from zero, as the page's rounding to the penny.
const round = (x) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);

async function submit(page, ctx, text, label) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(`main button:has-text('${text}')`)]);
  await ctx.step(label);
}

async function outturnRow(page, label) {
  const row = page.locator(`main table tr:has(th:text-is("${label}"))`);
  const cells = await row.locator("td").allInnerTexts();
  return { row, budget: cells[0], toDate: pence(cells[1]), projection: pence(cells[2]), forecast: pence(cells[3]), variance: cells[4] };
}

export async function run(page, ctx) {
  await ctx.signIn();
  await ctx.goto("/fees/budgets", { label: "budget against spend" });
  let main = await page.locator("main").innerText();
  const h1 = await page.locator("h1").innerText();
  ctx.expect(/^Budget against spend, \d{4}\/\d{2}$/.test(h1), `heading: ${h1}`);
  const year = h1.match(/(\d{4})\//)[1];
  const months = main.match(/Spend to date covers (\d+) months?, April to [A-Za-z]+ \d{4}; the projection covers the (\d+) months? left/);
  ctx.expect(months, "the months so far are not stated");
  const [soFar, left] = [parseInt(months[1], 10), parseInt(months[2], 10)];
  ctx.expect(soFar + left === 12, `${soFar} + ${left} months is not a year`);
  ctx.expect(main.includes("the average spend a month so far times the months left"), "the forecast rule is not stated");

  // Residential care homes: overspent, as `000`'s care homes; the figures follow the stated rule.
  const res = await outturnRow(page, "Care home (residential)");
  ctx.expect(res.projection === round((res.toDate * left) / soFar), `projection ${pounds(res.projection)} is not ${pounds(res.toDate)} × ${left} / ${soFar}`);
  ctx.expect(res.forecast === res.toDate + res.projection, "forecast is not spend to date plus projection");
  const budget = pence(res.budget);
  const over = res.forecast - budget;
  ctx.expect(over > 0, "the demo's residential care homes are not overspent");
  const pct = (Math.round((over * 1000) / budget) / 10).toFixed(1);
  ctx.expect(res.variance.replace(/\s+/g, " ") === `${pounds(over)} over budget (${pct}%)`, `variance reads "${res.variance}"`);
  ctx.expect(main.includes("Care home (residential): forecast outturn of circa £"), "no sentence in the report's words");

  // The rows behind the spend to date add up to it, month by month and row by row.
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), res.row.locator("td").nth(1).locator("a").click()]);
  await ctx.step("the spend rows behind residential care homes");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(`Spend: ${year}/`) && main.includes("Care home (residential)"), "the rows page is not about residential care homes");
  const rowsTable = page.locator('main table:has(caption:text-is("The rows"))');
  const amounts = await rowsTable.locator("tbody tr:not(:has(th)) td:nth-child(6)").allInnerTexts();
  const sum = amounts.reduce((s, a) => s + pence(a), 0);
  ctx.expect(amounts.length > 0 && sum === res.toDate, `the ${amounts.length} rows add to ${pounds(sum)}, not ${pounds(res.toDate)}`);
  const monthTotals = await page.locator('main table:has(caption:text-is("By month")) tbody tr:not(:last-child) td:nth-child(3)').allInnerTexts();
  ctx.expect(monthTotals.length === soFar && monthTotals.reduce((s, a) => s + pence(a), 0) === res.toDate, "the months do not add up");

  // An unknown cost centre: refused naming the row and field; nothing imported.
  await ctx.goto("/fees/budgets/upload", { label: "import spend" });
  const bad = `supplier,cost_centre,period,amount\nAcme Care Ltd,ASC-CH-RES,${year}-04,100.00\nAcme Care Ltd,ASC-NOPE,${year}-04,50.00\n`;
  await page.setInputFiles("#file", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await submit(page, ctx, "Import spend", "an unknown cost centre refused");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("There is a problem") && main.includes("row 3: 'cost_centre' 'ASC-NOPE' is not one of the council's cost centres"), `refusal: ${main.slice(0, 400)}`);
  await ctx.goto(`/fees/budgets?year=${year}`, { label: "outturn unchanged" });
  ctx.expect((await outturnRow(page, "Care home (residential)")).toDate === res.toDate, "the refused file changed the spend");

  // A cost centre for short breaks, then its April spend: its own market, importable again.
  await ctx.goto("/fees/budgets/cost-centres", { label: "cost centres" });
  await page.fill("#code", "asc-sb");
  await page.fill("#name", "Short breaks");
  await page.selectOption("#kind", "short_breaks");
  await submit(page, ctx, "Save cost centre", "cost centre saved");
  main = await page.locator("main").innerText();
  ctx.expect(/Cost centre (added|changed)/.test(main) && main.includes("ASC-SB\tShort breaks\tShort breaks (overnight respite)"), "the cost centre is not listed");
  const sb = [["Harbour View Respite", "£1,250.00"], ["Harbour View Respite", "-£50.25"], ["Kestrel Short Breaks", "£2,300.10"]];
  const good = "Amount,Period,Cost Centre,Supplier\n" + sb.map(([s, a]) => `"${a}",${year}-04-30,ASC-SB,${s}`).join("\n") + "\n";
  for (const attempt of [1, 2]) {
    await ctx.goto("/fees/budgets/upload", { label: `import short breaks spend (${attempt})` });
    await page.setInputFiles("#file", { name: "short-breaks.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
    await submit(page, ctx, "Import spend", `short breaks spend imported (${attempt})`);
    main = await page.locator("main").innerText();
    ctx.expect(main.includes("3 spend rows imported"), `no confirmation: ${main.slice(0, 300)}`);
  }
  const sbTotal = sb.reduce((s, [, a]) => s + pence(a), 0);
  const short = await outturnRow(page, "Short breaks (overnight respite)");
  ctx.expect(short.toDate === sbTotal, `short breaks spend ${pounds(short.toDate)} is not ${pounds(sbTotal)}: imported twice must count once`);
  ctx.expect(short.budget.startsWith("Not set"), "short breaks has a budget");

  // A supplier the finance system spells in capitals: matched to its provider from a search.
  await ctx.goto("/fees/budgets/suppliers", { label: "suppliers" });
  main = await page.locator("main").innerText();
  const before = parseInt(main.match(/(\d+) of \d+ suppliers? not matched/)[1], 10);
  const row = page.locator("main table tbody tr", { has: page.locator("th", { hasText: / LIMITED$/ }) }).filter({ hasText: "Match" }).first();
  if ((await row.count()) === 0) {
    await ctx.step("every respelt supplier already matched");
    return;
  }
  const supplier = (await row.locator("th").innerText()).trim();
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), row.locator("a", { hasText: "Match" }).click()]);
  await ctx.step(`match ${supplier}`);
  const word = supplier.split(" ")[0];
  await page.fill("#q", word.charAt(0) + word.slice(1).toLowerCase());
  await submit(page, ctx, "Search", "providers found");
  const choice = page.locator("main .govuk-radios__item label").first();
  const provider = (await choice.innerText()).trim();
  ctx.expect(provider.toUpperCase().startsWith(word), `the search offers ${provider} for ${supplier}`);
  await choice.click();
  await submit(page, ctx, "Save match", "supplier matched");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Supplier match saved") && main.includes(`${before - 1} of`), "the match is not saved");
  ctx.expect(main.includes(`${supplier}\t${provider}`), `${supplier} is not shown matched to ${provider}`);
}
