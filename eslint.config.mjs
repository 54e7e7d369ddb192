import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdk.out/**', 'coverage/**', '**/*.js', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-new': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Handlers are bundled ahead of time: they may share the pure modules of lib/ (errors, classification, config),
    // never the CDK side, which would drag aws-cdk-lib into every bundle.
    files: ['lambda/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['aws-cdk-lib', 'constructs', 'cdk-nag'].map((name) => ({ name, message: 'Handlers run in Lambda; the CDK stays at synth.' })),
        patterns: [
          { group: ['aws-cdk-lib/*'], message: 'Handlers run in Lambda; the CDK stays at synth.' },
          {
            regex: '(^|/)lib(/index)?$|(^|/)lib/(constructs|stacks|compliance|testing)(/|$)',
            message: 'Handlers import only the pure modules of lib/ (errors, classification, config), which the handler bundles include.',
          },
        ],
      }],
    },
  },
);
