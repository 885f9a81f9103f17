/**
 * Registry values as their consumers take them: image tags whose facts are declared (releases, and the tags
 * that move with every build), and each value rule at both sides of its boundary, with the consumer's rule
 * named beside it.
 */
import { REGISTRY } from '../../lib/config/environments';
import { BACKEND_RELEASES, FRONTEND_RELEASES, MOVING_TAGS, tagFacts } from '../../lib/config/images';
import { EnvironmentInput, environmentProblems } from '../../lib/config/types';

const [PROD, DEMO] = REGISTRY;
const withTag = (env: EnvironmentInput, tier: 'frontend' | 'backend', tag: string): EnvironmentInput => ({ ...env, [tier]: { ...env[tier], tag } });

describe('image tags', () => {
  test.each([
    ['backend', 'v1.1.4'], ['backend', 'v1.2.0'], ['frontend', 'v1.3.0'], ['frontend', 'develop'], ['backend', 'pr-0'], ['backend', 'pr-12a'], ['backend', 'PR-12'],
  ] as const)('%s tag %s, undeclared, is refused in one line saying how to declare it', (tier, tag) => {
    const problems = environmentProblems(withTag(DEMO, tier, tag));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^ov-demo: ${tier}\\.tag "${tag}" is not a tag of ov-(frontend|wag) that lib/config/images\\.ts declares \\(.*\\): add its facts to ${tier.toUpperCase()}_RELEASES there, or declare it in MOVING_TAGS\\.${tier} with the release it follows$`));
  });

  test.each(['main', 'pr-1', 'pr-258'])('the moving tag %s follows its declared release in both tiers', (tag) => {
    for (const tier of ['frontend', 'backend'] as const) {
      expect(tagFacts(tier, tag)).toEqual({ release: MOVING_TAGS[tier][tag === 'main' ? 'main' : 'pr-<n>'], moving: true });
      expect(environmentProblems(withTag(DEMO, tier, tag))).toEqual([]);
    }
  });

  test('every declared release stays deployable: a rollback is one tag', () => {
    for (const tag of Object.keys(BACKEND_RELEASES)) {
      expect(tagFacts('backend', tag)).toEqual({ release: tag, moving: false });
      // v1.1.0 has the index name built in: an environment on the index "wagtail" can run it.
      const env = tag === 'v1.1.0' ? { ...PROD, site: { ...PROD.site, esIndex: 'wagtail' } } : PROD;
      expect(environmentProblems(withTag(env, 'backend', tag))).toEqual([]);
    }
    for (const tag of Object.keys(FRONTEND_RELEASES)) {
      expect(tagFacts('frontend', tag)).toEqual({ release: tag, moving: false });
    }
  });
});
