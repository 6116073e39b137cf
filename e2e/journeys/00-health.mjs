// The server is up and its public pages load: the health check and the
// public directory, which need no sign-in. ctx.goto fails the journey unless
// the status is 200, screenshots the page and checks its accessibility.
export const name = "health and public directory";

export async function run(page, ctx) {
  await ctx.goto("/healthz", { label: "health check" });
  await ctx.goto("/directory", { label: "public directory" });
}
