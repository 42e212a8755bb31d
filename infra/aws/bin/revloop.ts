#!/usr/bin/env node
// The CDK app (cdk.json runs the compiled dist/bin/revloop.js). No context lookups, so
// `cdk synth` needs neither credentials nor the network.
import { App } from 'aws-cdk-lib';
import { createStack } from '../lib/app.js';
import { ConfigError } from '../lib/config.js';

const app = new App();
try {
  createStack(app);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
app.synth();
