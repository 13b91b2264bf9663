// Whether this is a development run (`npm start`, the tests: ENVIRONMENT=development by --var or
// binding) rather than a deployment. Development may use stand-ins that a deployment must never use.
export function isDevelopment(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT === "development";
}
