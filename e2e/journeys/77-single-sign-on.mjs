// Council single sign-on (issue 17 item 8), against the real OpenID provider scripts/test starts
// (e2e/oidc-provider.mjs, the npm `oidc-provider` package). The demo administrator maps the
// provider's care-commissioning group to the commissioner role at /admin/sign-in. Sam, in that
// group, signs in through the provider's own login form and lands signed in as a commissioner,
// named in the header; Alex, in no mapped group, is told why they cannot sign in. Skipped with a
// note when the demo has no single sign-on configured (a demo started by hand).
import { accounts, COMMISSIONING_GROUP } from "../oidc-accounts.mjs";

export const name = "single sign-on: a mapped group signs in with its role, an unmapped one is refused";

const ADMIN = "admin@demo.caremarket.test";

async function submit(page, selector = "main button[type=submit]") {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

// Through the identity provider's login form and back to caremarket.
async function signInWithProvider(page, ctx, login) {
  const ours = new URL(ctx.baseUrl).origin;
  await submit(page, "a:has-text('Sign in with')");
  ctx.expect(new URL(page.url()).origin !== ours, `the sign-in button stayed on caremarket: ${page.url()}`);
  ctx.expect(await page.locator("input[name=login]").isVisible(), `the provider's login form: ${page.url()}`);
  await page.fill("input[name=login]", login);
  await page.fill("input[name=password]", "any password the test provider takes");
  await Promise.all([page.waitForURL((u) => u.origin === ours, { waitUntil: "load" }), page.click("button[type=submit]")]);
}

export async function run(page, ctx) {
  await ctx.goto("/sign-in", { label: "sign-in page" });
  const button = page.locator("a.govuk-button:has-text('Sign in with')");
  if ((await button.count()) === 0) {
    ctx.notes.push("single sign-on is not configured on this demo (scripts/test configures it): journey skipped");
    return;
  }
  ctx.expect((await button.innerText()).trim() === "Sign in with Testshire ID", `the button reads "${await button.innerText()}"`);

  // The administrator maps the group to the commissioner role.
  await page.fill("#email", ADMIN);
  await page.fill("#password", ctx.password);
  await submit(page);
  ctx.expect(!new URL(page.url()).pathname.startsWith("/sign-in"), `signing in as ${ADMIN} failed`);
  await ctx.goto("/admin/sign-in", { label: "single sign-on groups" });
  ctx.expect((await page.locator("main").innerText()).includes("People can sign in with Testshire ID"), "the page names the provider");
  await submit(page, "button:has-text('Save group mapping')");
  await ctx.step("empty group refused");
  const summary = await page.locator(".govuk-error-summary").innerText();
  ctx.expect(summary.includes("Choose the role people in this group get"), `error summary said: ${summary}`);
  await page.fill("#group", COMMISSIONING_GROUP);
  await page.selectOption("#role", "commissioner");
  await submit(page, "button:has-text('Save group mapping')");
  await ctx.step("group mapped");
  ctx.expect((await page.locator(".govuk-notification-banner").innerText()).includes("Group mapping saved"), "saved banner");
  const row = await page.locator("tr", { has: page.locator(`th:has-text("${COMMISSIONING_GROUP}")`) }).innerText();
  ctx.expect(row.includes("Commissioner"), `the mapping row reads: ${row}`);
  await submit(page, "button:has-text('Sign out')");

  // Sam signs in through the provider and is a commissioner here.
  const sam = accounts["sam.okafor"];
  await ctx.goto("/sign-in", { label: "sign-in page, signed out" });
  await signInWithProvider(page, ctx, "sam.okafor");
  await ctx.step("signed in with single sign-on");
  const signedInAs = await page.locator("span:has-text('Signed in as')").innerText();
  ctx.expect(signedInAs.trim() === `Signed in as ${sam.name}`, `the header reads: ${signedInAs}`);
  ctx.expect((await page.locator("h1").innerText()).includes("The market at a glance"), "a commissioner starts at the market page");
  const menu = await page.locator("nav").first().innerText();
  for (const item of ["Market", "Out-of-area placements", "Fees", "Governance"]) {
    ctx.expect(menu.includes(item), `a commissioner's menu has ${item}: ${menu}`);
  }
  ctx.expect(!menu.includes("Users") && !menu.includes("Audit log"), `a commissioner does not manage users: ${menu}`);
  await submit(page, "button:has-text('Sign out')");

  // Alex's groups give no role: refused with the reason, and not signed in. Another person at this
  // computer: the provider's cookies (Sam is still signed in there) go too.
  await page.context().clearCookies();
  await ctx.goto("/sign-in", { label: "sign-in page, for Alex" });
  await signInWithProvider(page, ctx, "alex.finch");
  await ctx.step("refused: no mapped group");
  ctx.expect((await page.locator("h1").innerText()).includes("You cannot sign in to caremarket"), "refusal heading");
  const why = await page.locator("main").innerText();
  ctx.expect(why.includes("none of your groups there has been given access to caremarket"), `refusal said: ${why}`);
  const res = await page.goto(ctx.url("/dashboard"), { waitUntil: "load" });
  ctx.expect(new URL(page.url()).pathname === "/sign-in" || res.status() === 401, "Alex is not signed in");
}
