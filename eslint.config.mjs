import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

/**
 * Layering: imports run down the layers only. The commands (`bin/`), the policy pack (`policy/`)
 * and the tests sit above `lib/`; inside `lib/`, the Lambda code (`lib/lambda/`) is bundled into
 * the functions and must not pull in the Pulumi program, the local drill, the simulator or the
 * synth; the configuration (`lib/config.ts`) is read by the program's builders, not the reverse.
 */
const ABOVE_LIB = {
  regex: "^(\\.\\./)+(bin|policy|test)/",
  message: "lib/ must not import bin/, policy/ or test/: they sit above it.",
};
const restrictImports = (...patterns) => ["error", { patterns: [ABOVE_LIB, ...patterns] }];

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "coverage/**", ".drill/**", "*.js", "*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // A new member of a union (a decision, a scenario, a state) must be handled everywhere it is
      // switched on: a `default` does not count, or a forgotten case would pass silently.
      "@typescript-eslint/switch-exhaustiveness-check": "error",
    },
  },
  { files: ["lib/**/*.ts"], rules: { "no-restricted-imports": restrictImports() } },
  {
    files: ["lib/lambda/**/*.ts"],
    rules: {
      "no-restricted-imports": restrictImports(
        {
          regex:
            "^(\\.\\./)+(infra|drill|simulator|synth|cli|workflow|local-aws|program|tap-stack|config)(/|$)",
          message:
            "lib/lambda/ is bundled into the functions: it must not import the Pulumi program, the drill, the simulator, the synth or the CLIs.",
        },
        {
          group: ["@pulumi/*"],
          message: "lib/lambda/ is bundled into the functions: no Pulumi at run time.",
        },
      ),
    },
  },
  {
    files: ["lib/config.ts"],
    rules: {
      "no-restricted-imports": restrictImports({
        regex: "^\\./(infra|synth|drill|simulator|cli)(/|$)",
        message: "lib/config.ts is read by the builders: it must not import them (or the tools above).",
      }),
    },
  },
);
