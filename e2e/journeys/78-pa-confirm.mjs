// PA register confirmation by email (issue 17 item 10). A personal assistant registers on the
// public form; the page asks them to check their email. The journey reads that email from the
// demo's outbox (E2E_DATA_DIR/outbox, one .eml file a message, which scripts/test passes), opens
// its link and confirms. Only then does the entry wait on the register for the direct payments
// officer, who sees it under "Waiting for approval".
export const name = "PA register: a public registration counts once the emailed link is followed";

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

async function submit(page, selector = "main button[type=submit]") {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

/// The newest message in the outbox to `to`, waiting a little for it to be written.
async function mailTo(dir, to) {
  for (let i = 0; i < 20; i++) {
    const found = readdirSync(dir)
      .filter((f) => f.endsWith(".eml"))
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .find((m) => m.includes(`To: ${to}`));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

export async function run(page, ctx) {
  const dataDir = process.env.E2E_DATA_DIR;
  ctx.expect(dataDir, "E2E_DATA_DIR must name the demo's data folder (scripts/test sets it)");
  const stamp = Date.now();
  const email = `pat.journey.${stamp}@example.org`;
  const displayName = `Pat Journey ${stamp}`;

  await ctx.goto("/pa-register/join", { label: "the public registration form" });
  await page.check("input[name=kind][value=pa]");
  await page.fill("#display_name", displayName);
  await page.fill("#email", email);
  await page.fill("#outward_code", "OL1");
  await page.fill("#hours_per_week", "16");
  await page.check("input[name=slots][value=mon_am]");
  await page.check("input[name=skills][value=dementia]");
  await page.check("input[name=languages][value=english]");
  await page.check("input[name=gender][value=female]");
  await submit(page, "button:has-text('Send registration')");
  await ctx.step("registration sent: check your email");
  ctx.expect((await page.locator("h1").innerText()).includes("Check your email"), "the page asks to check email");

  const mail = await mailTo(join(dataDir, "outbox"), email);
  ctx.expect(mail, `no email to ${email} in ${dataDir}/outbox`);
  ctx.expect(mail.includes("Subject: Confirm your email address for the PA register"), "the email's subject");
  const link = mail.match(/https?:\/\/\S+\/pa-register\/confirm\?token=[0-9a-f]{64}/);
  ctx.expect(link, "the email holds a confirmation link");
  const path = new URL(link[0]).pathname + new URL(link[0]).search;

  await ctx.goto(path, { label: "the confirmation link" });
  ctx.expect((await page.locator("main").innerText()).includes(`Confirm that ${email} is your email address`), "the link's page names the address");
  await submit(page, "button:has-text('Confirm my registration')");
  await ctx.step("email address confirmed");
  ctx.expect((await page.locator("h1").innerText()).includes("Email address confirmed"), "confirmed");

  // The same link again: already used.
  await ctx.goto(path, { status: 410, label: "the link a second time" });
  ctx.expect((await page.locator("main").innerText()).includes("already been confirmed"), "a used link says so");

  // The direct payments officer sees the entry waiting for approval.
  await ctx.goto("/sign-in", { label: "sign in as the direct payments officer" });
  await page.fill("#email", "dp@demo.caremarket.test");
  await page.fill("#password", ctx.password);
  await submit(page);
  await ctx.goto("/pa-register", { label: "the PA register" });
  const waiting = await page.locator("main").innerText();
  ctx.expect(waiting.includes(displayName), `${displayName} is not on the register's list`);
}
