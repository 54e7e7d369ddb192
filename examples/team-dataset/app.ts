#!/usr/bin/env node
/** `npx tsx examples/team-dataset/app.ts`: synthesizes example (a) with every pack enforced into cdk.out/. */
import { createCompliantApp } from 'secure-data-pipeline';
import { buildTeamDatasetApp } from './stack';

const app = createCompliantApp();
buildTeamDatasetApp(app);
app.synth();
