#!/usr/bin/env node
/** `npx tsx examples/custom-stage/app.ts`: synthesizes example (c) with every pack enforced (bundles the team's handler). */
import { createCompliantApp } from 'secure-data-pipeline';
import { buildCustomStageApp } from './stack';

const app = createCompliantApp();
buildCustomStageApp(app);
app.synth();
