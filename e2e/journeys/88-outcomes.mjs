// Outcomes-based contracts (issue 13 items 4-7). The commissioner reads the Promoting Independence
// contract's people still in 24/7 care; the special purpose vehicle's user claims "Started a
// training or education course" for the first of them not already claimed (each refusal naming
// the contract's rule), after an empty claim is refused naming its fields; the commissioner
// refuses to reject without a reason, verifies the claim, and finds its payment split (the Life
// Chances Fund's share ended in 2024/25, so the council pays the whole tariff) and the verified
// payments on the dashboard grown by the tariff. The pilot contract's held payments match its
// dashboard's count. Runs again against the same demo (another person is claimed each time).
export const name = "outcomes contracts: the SPV's claim, the commissioner's verification, the split and the dashboard";

const pence = (s) => {
  const m = s.match(/(-?)£([\d,]+)\.(\d\d)/);
  return m ? (m[1] ? -1 : 1) * (parseInt(m[2].replace(/,/g, ""), 10) * 100 + parseInt(m[3], 10)) : NaN;
};

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

async function signOut(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("header button:has-text('Sign out'), button:has-text('Sign out')")]);
}

export async function run(page, ctx) {
  const course = "Started a training or education course";
  // The commissioner: the contract, its tariff for a course, the verified payments, who is in care.
  await signInAs(page, ctx, ctx.email);
  await ctx.goto("/outcomes", { label: "outcomes contracts" });
  await follow(page, ctx, page.locator("main a:has-text('Promoting Independence')"), "the Promoting Independence dashboard");
  const dashboard = new URL(page.url()).pathname;
  const tariffRow = page.locator("#outcomes tbody tr").filter({ hasText: course });
  const tariff = pence(await tariffRow.locator("td").first().innerText());
  ctx.expect(tariff > 0, `no tariff for ${course}`);
  const verifiedBefore = pence(await page.locator("#verified").innerText());
  const inCare = parseInt((await page.locator("#in-care").innerText()).match(/\d+/)[0], 10);
  await follow(page, ctx, page.locator("#in-care a"), "people still in 24/7 care");
  const refs = await page.locator("#people tbody th").allInnerTexts();
  ctx.expect(refs.length === inCare, `the dashboard counts ${inCare} in 24/7 care, the list has ${refs.length}`);
  const council = "Northmoor Borough Council";
  await signOut(page);

  // The SPV: an empty claim, then the first person the rules allow.
  await signInAs(page, ctx, "spv@demo.caremarket.test");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("nav a:has-text('Outcome claims')")]);
  await ctx.step("the SPV's outcome claims");
  await follow(page, ctx, page.locator("main h2 a:has-text('Promoting Independence')"), "the claim form");
  const form = new URL(page.url()).pathname;
  await submit(page, ctx, "Send claim", "an empty claim refused");
  let main = await page.locator("main").innerText();
  for (const want of ["There is a problem", "not their name", "Choose the outcome achieved", "Enter the date the outcome was achieved", "Enter the evidence"]) {
    ctx.expect(main.includes(want), `the empty claim's errors lack "${want}": ${main.slice(0, 800)}`);
  }
  const today = new Date();
  let claimed = null;
  for (const ref of refs.slice(0, 25)) {
    await ctx.goto(form, { label: `claim for ${ref}` });
    await page.fill("#case_ref", ref);
    await page.selectOption("#outcome_id", { label: `${course} (£${(tariff / 100).toLocaleString("en-GB", { minimumFractionDigits: 2 })})` });
    await page.fill("#achieved_on-day", String(today.getDate()));
    await page.fill("#achieved_on-month", String(today.getMonth() + 1));
    await page.fill("#achieved_on-year", String(today.getFullYear()));
    await page.fill("#evidence", "Enrolment letter, Northmoor College, Level 1 Maths");
    await submit(page, ctx, "Send claim", `claim sent for ${ref}`);
    main = await page.locator("main").innerText();
    if (main.includes("Claim sent to the council for verification")) {
      claimed = ref;
      break;
    }
    ctx.expect(main.includes("Refused by the rule '"), `the claim for ${ref} was refused without a rule: ${main.slice(0, 600)}`);
  }
  ctx.expect(claimed, "no one in 24/7 care could be claimed for");
  const mine = page.locator("#claims tbody tr").filter({ hasText: claimed }).filter({ hasText: course });
  ctx.expect((await mine.innerText()).includes("Waiting for verification"), "the claim is not listed as waiting");
  await signOut(page);

  // The commissioner verifies it: a rejection needs a reason; the split; the dashboard.
  await signInAs(page, ctx, ctx.email);
  await ctx.goto(`${dashboard}/claims?status=pending`, { label: "claims waiting" });
  const row = page.locator("#claims tbody tr").filter({ hasText: claimed }).filter({ hasText: course });
  await follow(page, ctx, row.locator("td a").first(), `${claimed}'s claim`);
  await page.check("input[name=decision][value=reject]");
  await submit(page, ctx, "Save decision", "a rejection without a reason refused");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Enter the reason for rejecting the claim"), "the rejection without a reason was not refused");
  await page.check("input[name=decision][value=verify]");
  await submit(page, ctx, "Save decision", "claim verified");
  main = await page.locator("main").innerText();
  ctx.expect(main.includes("Claim verified"), "no confirmation of the verification");
  const parts = await page.locator("#parts tbody tr").allInnerTexts();
  ctx.expect(parts.length === 1 && parts[0].includes(council) && pence(parts[0]) === tariff, `the split is ${parts.join(" | ")}, wanted ${council} paying the whole tariff`);
  await ctx.goto(dashboard, { label: "the dashboard again" });
  const verifiedAfter = pence(await page.locator("#verified").innerText());
  ctx.expect(verifiedAfter - verifiedBefore === tariff, `verified payments moved by ${verifiedAfter - verifiedBefore}, wanted ${tariff}`);

  // The pilot: the held payments listed are those its dashboard counts.
  await ctx.goto("/outcomes", { label: "outcomes contracts again" });
  await follow(page, ctx, page.locator("main a:has-text('Moving On pilot')"), "the pilot's dashboard");
  const heldText = await page.locator("#held").innerText();
  const heldCount = parseInt((heldText.match(/\((\d+) payments?\)/) || [0, "0"])[1], 10);
  await follow(page, ctx, page.locator("#held a"), "the pilot's held payments");
  const held = await page.locator("#payments tbody tr").count().catch(() => 0);
  ctx.expect(held === heldCount, `the dashboard counts ${heldCount} held, the list has ${held}`);
  ctx.expect(heldCount > 0, "the pilot has no held payments");
}
