// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { en } from '../../client/lib/locales/en';
import { zh } from '../../client/lib/locales/zh';

/** Every leaf key, with i18next's plural suffixes folded (Chinese has only _other, English _one and _other). */
function keys(messages: object, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([key, value]) => {
    const path = prefix + key.replace(/_(one|other)$/, '');
    return typeof value === 'object' && value !== null ? keys(value, `${path}.`) : [path];
  });
}

describe('locales', () => {
  it('Chinese and English have the same labels', () => {
    const zhKeys = new Set(keys(zh));
    const enKeys = new Set(keys(en));
    expect([...enKeys].filter((k) => !zhKeys.has(k))).toEqual([]);
    expect([...zhKeys].filter((k) => !enKeys.has(k))).toEqual([]);
  });
  it('uses the platform terms in Chinese', () => {
    expect(zh.metric.interventions).toBe('介入订单数');
    expect(zh.metric.rate).toBe('平台介入率');
    expect(zh.metric.categoryMean).toBe('类目均值');
    expect(zh.restriction.remove_resource_slots).toBe('移除资源位');
  });
  it('has no empty label', () => {
    const empty = (messages: object, prefix = ''): string[] =>
      Object.entries(messages).flatMap(([k, v]) => (typeof v === 'object' ? empty(v, `${prefix}${k}.`) : String(v).trim() === '' ? [`${prefix}${k}`] : []));
    expect(empty(en)).toEqual([]);
    expect(empty(zh)).toEqual([]);
  });
});
