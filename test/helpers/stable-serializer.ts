/**
 * Jest snapshot serializer of this repo's tests (jest.config.js `snapshotSerializers`): the one teams get from
 * `secure-data-pipeline/testing` as `stableTemplateSerializer`.
 */
import { stableTemplateSerializer } from '../../lib/testing';

export const test = stableTemplateSerializer.test;
export const serialize = stableTemplateSerializer.serialize;
