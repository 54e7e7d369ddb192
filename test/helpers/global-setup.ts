/**
 * Jest global setup: the constructs load the prebuilt handler bundles (dist/lambda), so they are rebuilt once here,
 * before any worker starts, when missing or older than their sources.
 */
import { ensureHandlerBundles } from '../../scripts/build-handlers';

export default async function globalSetup(): Promise<void> {
  await ensureHandlerBundles();
}
