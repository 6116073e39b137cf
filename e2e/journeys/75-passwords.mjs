// Passwords (issue 17 item 7). The demo administrator adds a fresh account (a weak password is
// refused first), resets its password and reads the temporary password shown once. The new
// person signs in with it in a browser of their own, is held on "Choose a new password" until
// they have, and then uses the service. The demo accounts' passwords are left as they were: only
// the fresh account's password changes.
export const name = "passwords: an administrator adds and resets an account, whose person must choose their own";

const ADMIN = "admin@demo.caremarket.test";

async function submit(page, selector = "main button[type=submit]") {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

export async function run(page, ctx) {
  await ctx.goto("/sign-in", { label: "sign in as the administrator" });
  await page.fill("#email", ADMIN);
  await page.fill("#password", ctx.password);
  await submit(page);
  await ctx.step("signed in as the administrator");
  ctx.expect(!new URL(page.url()).pathname.startsWith("/sign-in"), `signing in as ${ADMIN} failed`);
  ctx.expect((await page.locator("header, .govuk-service-navigation").first().innerText()).length > 0, "header");
  ctx.expect(await page.locator("a:has-text('Change password')").isVisible(), "the header offers Change password");

  // A fresh account; a weak password is refused with the reason.
  const email = `jamie.journey.${Date.now()}@demo.caremarket.test`;
  await ctx.goto("/admin/users/new", { label: "add a user" });
  await page.fill("#email", email);
  await page.fill("#display_name", "Jamie Journey");
  await page.check("input[name=role][value=viewer]");
  await page.fill("#password", "aaaaaaaaaaaa");
  await submit(page, "button:has-text('Add user')");
  await ctx.step("weak password refused");
  const refused = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(refused.includes("Password must not be one character repeated"), `error summary said: ${refused}`);
  await page.check("input[name=role][value=viewer]");
  await page.fill("#password", "kettle orbit lantern");
  await submit(page, "button:has-text('Add user')");
  await ctx.step("user added");
  const added = await page.locator(".govuk-notification-banner").innerText();
  ctx.expect(added.includes("They must choose their own password when they first sign in"), `banner said: ${added}`);
  const row = page.locator("tr", { has: page.locator(`th:has-text("${email}")`) });
  ctx.expect((await row.innerText()).includes("Must choose a new password"), "the new account must choose a password");

  // Reset its password: confirm, then the temporary password, shown once.
  await submit(page, `tr:has(th:has-text("${email}")) a:has-text('Reset password')`);
  await ctx.step("confirm the reset");
  ctx.expect((await page.locator("h1").innerText()).includes("Are you sure you want to reset the password of Jamie Journey?"), "confirm heading");
  await submit(page, "main button:has-text('Reset password')");
  await ctx.step("temporary password shown");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes(`Password reset for ${email}`), "reset banner");
  ctx.expect((await page.locator(".govuk-warning-text").innerText()).includes("You will not be able to see it again"), "shown-once warning");
  const temporary = await page.inputValue("#temporary-password");
  ctx.expect(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/.test(temporary), `temporary password looks like ${temporary.length} characters`);

  // The person, in a browser of their own.
  const browser = page.context().browser();
  const theirs = await browser.newContext({ baseURL: ctx.baseUrl, viewport: { width: 1280, height: 900 }, locale: "en-GB" });
  try {
    const p = await theirs.newPage();
    p.setDefaultTimeout(15_000);
    await p.goto(ctx.url("/sign-in"), { waitUntil: "load" });
    await p.fill("#email", email);
    await p.fill("#password", "kettle orbit lantern");
    await submit(p);
    ctx.expect(new URL(p.url()).pathname === "/sign-in", "the password the administrator first set no longer works");
    await p.fill("#email", email);
    await p.fill("#password", temporary);
    await submit(p);
    ctx.expect(new URL(p.url()).pathname === "/account/password", `after sign-in: ${p.url()}`);
    ctx.expect((await p.locator("h1").innerText()).trim() === "Choose a new password", "forced change heading");
    ctx.expect((await p.locator(".govuk-inset-text").innerText()).includes("Your password was set by an administrator"), "why");
    // Every other page leads back here until the password is chosen.
    await p.goto(ctx.url("/dashboard"), { waitUntil: "load" });
    ctx.expect(new URL(p.url()).pathname === "/account/password", `the dashboard was shown before the change: ${p.url()}`);

    await p.fill("#current_password", temporary);
    await p.fill("#new_password", "violet harbour sketchbook");
    await p.fill("#confirm_password", "violet harbour sketchpad");
    await submit(p);
    const mismatch = await p.locator(".govuk-error-summary").innerText();
    ctx.expect(mismatch.includes("The passwords do not match: type the new password again"), `error summary said: ${mismatch}`);

    await p.fill("#current_password", temporary);
    await p.fill("#new_password", "violet harbour sketchbook");
    await p.fill("#confirm_password", "violet harbour sketchbook");
    await submit(p);
    ctx.expect((await p.locator(".govuk-notification-banner").innerText()).includes("Your password has been changed"), "changed banner");
    await submit(p, "a:has-text('Continue to caremarket')");
    ctx.expect(new URL(p.url()).pathname === "/dashboard", `after the change: ${p.url()}`);
    ctx.expect((await p.locator(".caremarket-account").innerText()).includes("Jamie Journey"), "signed in as the new person");
  } finally {
    await theirs.close();
  }

  // The administrator sees the account active, and the reset in the audit log.
  await ctx.goto("/admin/users", { label: "users after the change" });
  const after = await page.locator("tr", { has: page.locator(`th:has-text("${email}")`) }).innerText();
  ctx.expect(after.includes("Active") && !after.includes("Must choose a new password"), `row said: ${after}`);
  await ctx.goto("/admin/audit", { label: "audit log" });
  ctx.expect((await page.locator("main").innerText()).includes(`Reset the password of ${email}`), "the reset is audited");
  // The administrator's own change page (nothing is changed: the demo password stays).
  await ctx.goto("/account/password", { label: "change your password" });
  ctx.expect((await page.locator("h1").innerText()).trim() === "Change your password", "change heading");
}
