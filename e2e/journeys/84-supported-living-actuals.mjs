// Supported living actuals (issue 11 item 5). The demo provider user finds the council's query on
// its portal home, explains it, and sends last month's hours (each person's commissioned hours,
// the first person two hours more); the commissioner reads that month's figures for the provider,
// worked out here from the hours typed, then accepts the explanation and closes the query, whose
// history names each step.
export const name = "supported living actuals: a provider's hours and explanation, the council's figures and challenge";

// "41h 30m" as minutes, and back.
const minutes = (s) => {
  const m = s.match(/(-?)(\d+)h (\d\d)m/);
  return m ? (m[1] ? -1 : 1) * (parseInt(m[2], 10) * 60 + parseInt(m[3], 10)) : NaN;
};
const hours = (m, signed) => `${m < 0 ? "-" : signed && m > 0 ? "+" : ""}${Math.floor(Math.abs(m) / 60)}h ${String(Math.abs(m) % 60).padStart(2, "0")}m`;

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

export async function run(page, ctx) {
  await signInAs(page, ctx, "provider@demo.caremarket.test");
  await ctx.goto("/portal", { label: "the provider's home" });
  let main = await page.locator("main").innerText();
  ctx.expect(main.includes("1 supported living query is waiting for your explanation"), `the work list lacks the query: ${main.slice(0, 600)}`);
  const sendLink = page.locator("main a:has-text('Your supported living hours for')");
  const sendText = await sendLink.innerText();
  ctx.expect(sendText.includes("are not sent yet"), `last month's hours are already sent: ${sendText}`);
  const month = sendText.replace("Your supported living hours for ", "").replace(" are not sent yet", "");
  await follow(page, ctx, page.locator("main a:has-text('supported living query is waiting')"), "the provider's supported living hours");
  const waiting = page.locator("#waiting tbody tr").first();
  const queryMonth = (await waiting.locator("th").innerText()).trim();
  ctx.expect((await waiting.innerText()).includes("Please explain the extra hours returned for this month."), "the council's question is not shown");
  await follow(page, ctx, waiting.locator("a"), `the query on ${queryMonth}`);
  await submit(page, ctx, "Send explanation", "an empty explanation refused");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("There is a problem") && main.includes("Enter your explanation of the hours"), "the empty explanation is not refused");
  await page.fill("#note", "Cover for a person's hospital appointments, agreed with their social worker.");
  await submit(page, ctx, "Send explanation", "explanation sent");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Explanation sent to the council"), "no confirmation of the explanation");

  // Last month's hours: each person's commissioned hours, the first two hours more.
  await ctx.goto("/portal", { label: "back to the provider's home" });
  await follow(page, ctx, page.locator("main a:has-text('are not sent yet')"), `the form for ${month}`);
  const boxes = page.locator("main input[name=hours]:not([id^=extra])");
  const n = await boxes.count();
  ctx.expect(n >= 3, `only ${n} people on the form`);
  let commissioned = 0;
  let delivered = 0;
  for (let i = 0; i < n; i++) {
    const id = await boxes.nth(i).getAttribute("id");
    const c = minutes(await page.locator(`#${id}-hint`).innerText());
    const d = c + (i === 0 ? 120 : 0);
    commissioned += c;
    delivered += d;
    await boxes.nth(i).fill(`${Math.floor(d / 60)}:${String(d % 60).padStart(2, "0")}`);
  }
  await submit(page, ctx, "Send return", "return sent");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes(`Supported living return sent for ${month}`), `no confirmation for ${month}: ${main.slice(0, 300)}`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("header button:has-text('Sign out'), button:has-text('Sign out')")]);

  // The commissioner: the provider's row for the month, figures worked out from the hours typed.
  await signInAs(page, ctx, ctx.email);
  await ctx.goto("/fees/supported-living", { label: "supported living actuals" });
  await page.selectOption("#period", { label: month });
  await submit(page, ctx, "Show month", `the figures for ${month}`);
  const bp = Math.round(((delivered - commissioned) * 10000) / commissioned);
  const percent = `+${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, "0")}%`;
  const row = page.locator("#providers tbody tr").filter({ hasText: hours(commissioned, false) }).filter({ hasText: hours(delivered, false) });
  ctx.expect((await row.count()) === 1, `no provider row reads ${hours(commissioned, false)} commissioned and ${hours(delivered, false)} delivered`);
  const rowText = await row.innerText();
  ctx.expect(rowText.includes(hours(delivered - commissioned, true)) && rowText.includes(percent), `the row reads ${rowText}, wanted +2h 00m and ${percent}`);
  ctx.expect(rowText.includes(bp > 1000 ? "Over the threshold" : "Within the threshold"), `the row's status is wrong: ${rowText}`);

  // The explained query: accept, then close; the history names each step.
  await ctx.goto("/fees/supported-living", { label: "supported living actuals again" });
  const open = page.locator("#open-queries tbody tr").filter({ hasText: queryMonth }).filter({ hasText: "Explained" }).first();
  await follow(page, ctx, open.locator("a"), `the provider's ${queryMonth}`);
  await page.check("input[name=step][value=accept]");
  await page.fill("#note", "Confirmed with the social worker.");
  await submit(page, ctx, "Save", "explanation accepted");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Explanation accepted") && main.includes("Status: Accepted"), "the acceptance is not shown");
  await page.check("input[name=step][value=close]");
  await submit(page, ctx, "Save", "query closed");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Query closed") && main.includes("Status: Closed"), "the query is not closed");
  const history = await page.locator("#history").innerText();
  for (const want of ["Queried", "Explained", "Pat Kershaw (demo provider user)", "Cover for a person's hospital appointments", "Accepted", "Confirmed with the social worker.", "Closed", "Cam Holroyd"]) {
    ctx.expect(history.includes(want), `the history lacks "${want}": ${history}`);
  }
}
