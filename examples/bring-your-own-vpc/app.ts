#!/usr/bin/env node
/** `npx tsx examples/bring-your-own-vpc/app.ts`: synthesizes example (b) with every pack enforced. */
import { createCompliantApp } from 'secure-data-pipeline';
import { buildBringYourOwnVpcApp } from './stack';

const app = createCompliantApp();
buildBringYourOwnVpcApp(app);
app.synth();
