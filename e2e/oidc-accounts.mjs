// The test accounts of the OpenID provider the browser journeys sign in with (e2e/oidc-provider.mjs).
// Each carries the claims a council's identity provider sends: a verified email, a name and the
// groups the person is in. caremarket's administrator maps groups to roles at /admin/sign-in.
export const accounts = {
  "sam.okafor": {
    email: "sam.okafor@council.example",
    email_verified: true,
    name: "Sam Okafor",
    groups: ["all-staff", "care-commissioning"],
  },
  "alex.finch": {
    email: "alex.finch@council.example",
    email_verified: true,
    name: "Alex Finch",
    groups: ["all-staff", "finance"],
  },
};

// The group the journey maps to the commissioner role; alex.finch is not in it.
export const COMMISSIONING_GROUP = "care-commissioning";
