// Lint rules: typescript-eslint's recommended set everywhere, `any` an error (types come from zod
// schemas); the shipped provider also gets the type-aware strict set (floating promises,
// exhaustive switches, needless assertions and conditions). Formatting is Prettier's
// (eslint-config-prettier turns off the rules it owns).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "provider/dist/**",
      "examples/dist/**",
      ".pulumi-state/**",
      ".lab/**",
      ".pulumi-cli/**",
      ".stryker-tmp/**",
      "reports/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["provider/**/*.ts"],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      // Numbers and booleans read well in messages; objects and unknowns still may not.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `() => void x` callbacks are the house style for listeners.
      "@typescript-eslint/no-confusing-void-expression": "off",
    },
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  prettier,
);
