import { Classification, classificationRank, parseClassification, Persona, policyFor } from '../../lib/classification';

describe('policyFor (the classification decision table)', () => {
  test.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])('a name of an Object member (%s) is unknown, not a policy', (name) => {
    expect(() => policyFor(name as Classification)).toThrow(/Unknown classification/);
  });

  test.each([
    // classification, key, rotation, log days, object days, readers, masked, default handling
    [Classification.PUBLIC, 'public', 365, 90, 30, ['Admin', 'DataScientist', 'Analyst', 'Viewer'], [], 'keep'],
    [Classification.INTERNAL, 'internal', 180, 365, 90, ['Admin', 'DataScientist', 'Analyst'], [], 'keep'],
    [Classification.RESTRICTED, 'restricted', 90, 731, 365, ['Admin', 'DataScientist'], ['Analyst'], 'tokenize'],
  ])('%s → key %s, rotation %i d, logs %i d, versions %i d', (c, key, rotation, logs, objects, readers, masked, handling) => {
    const p = policyFor(c);
    expect(p).toMatchObject({
      classification: c,
      keyRole: key,
      keyRotationDays: rotation,
      logRetentionDays: logs,
      objectRetentionDays: objects,
      readers,
      maskedReaders: masked,
      defaultFieldHandling: handling,
    });
  });

  test('stricter levels never loosen a control', () => {
    const [pub, internal, restricted] = [Classification.PUBLIC, Classification.INTERNAL, Classification.RESTRICTED].map(policyFor);
    for (const [lower, higher] of [[pub!, internal!], [internal!, restricted!]]) {
      expect(higher.keyRotationDays).toBeLessThanOrEqual(lower.keyRotationDays);
      expect(higher.logRetentionDays).toBeGreaterThanOrEqual(lower.logRetentionDays);
      expect(higher.objectRetentionDays).toBeGreaterThanOrEqual(lower.objectRetentionDays);
      expect(higher.readers.every((r) => lower.readers.includes(r))).toBe(true);
    }
  });

  test('KMS accepts every rotation period and CloudWatch every log retention', () => {
    const cloudWatchRetentions = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
    for (const c of Object.values(Classification)) {
      const p = policyFor(c);
      expect(p.keyRotationDays).toBeGreaterThanOrEqual(90);
      expect(p.keyRotationDays).toBeLessThanOrEqual(2560);
      expect(cloudWatchRetentions).toContain(p.logRetentionDays);
    }
  });

  test('Restricted fields may never be kept in the clear; Viewer never reads above Public', () => {
    expect(policyFor(Classification.RESTRICTED).allowedFieldHandlings).not.toContain('keep');
    expect(policyFor(Classification.INTERNAL).readers).not.toContain(Persona.VIEWER);
    expect(policyFor(Classification.RESTRICTED).readers).not.toContain(Persona.ANALYST);
  });

  test('parseClassification accepts any case and names the choices otherwise', () => {
    expect(parseClassification('restricted')).toBe(Classification.RESTRICTED);
    expect(parseClassification(' Public ')).toBe(Classification.PUBLIC);
    expect(() => parseClassification('secret')).toThrow(/Public, Internal, Restricted/);
    expect(() => policyFor('Secret' as Classification)).toThrow(/Unknown classification/);
    expect(classificationRank(Classification.PUBLIC)).toBeLessThan(classificationRank(Classification.RESTRICTED));
  });
});
