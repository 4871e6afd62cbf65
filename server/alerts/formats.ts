// What a delivery sends: the signed JSON of an event, or a group-robot message in Chinese (DingTalk,
// Feishu/Lark, WeCom) with the robot's own signing where it has one.
//
// - json: POST of the event {deliveryId, event, shopId, date, …}, X-Signature: sha256=<hex HMAC-SHA256 of
//   the body with the subscription's secret>.
// - dingtalk: {msgtype: markdown}; with a secret the URL gets &timestamp=<ms>&sign=<urlencoded
//   base64(HmacSHA256(key=secret, msg=timestamp + "\n" + secret))>.
// - feishu: an interactive card with a markdown element; with a secret the body carries timestamp
//   (seconds) and sign = base64(HmacSHA256(key=timestamp + "\n" + secret, msg="")).
// - wecom: {msgtype: markdown}; no signing (the robot's key is in its URL).
// Every request carries X-Delivery-Id (the same on every attempt) so a receiver can drop a repeat.
import crypto from 'node:crypto';
import type { AlertEventName, AlertFormat } from '../contracts/alerts.js';

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface EventPayload {
  event: AlertEventName;
  shopId: string | null;
  date: string;
  [key: string]: unknown;
}

const LEVEL_ZH: Record<string, string> = { none: '正常', warning: '预警', restricted: '限制', severe: '严重限制' };
const CODE_ZH: Record<string, string> = {
  remove_resource_slots: '移除资源位',
  ban_resource_slots: '禁止上资源位',
  remove_ads: '移除广告',
  ban_new_listings: '禁止上新',
};

/** A payload value as text (strings and numbers as they are; anything else as JSON). */
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : v == null ? '' : JSON.stringify(v));
const pct = (rate: unknown) => (typeof rate === 'number' ? `${(rate * 100).toFixed(2)}%` : '无');
const level = (l: unknown) => LEVEL_ZH[str(l)] ?? str(l);
const shopLine = (p: EventPayload) => `- 店铺：${p.shopName ? `${str(p.shopName)}（${p.shopId}）` : p.shopId}`;
const numbersLine = (p: EventPayload) => `- 平台介入率：**${pct(p.rate)}**（介入订单 ${str(p.interventions)} / 订单 ${str(p.orders)}，近 30 天）`;

interface Restriction {
  code: string;
  since: string;
  exemptUntil?: string;
}
const restrictionsText = (list: unknown) => {
  const items = (Array.isArray(list) ? list : []) as Restriction[];
  if (items.length === 0) return '无';
  return items.map((r) => `${CODE_ZH[r.code] ?? r.code}（自 ${r.since} 起${r.exemptUntil ? `，豁免至 ${r.exemptUntil}` : ''}）`).join('、');
};

/** The robot message of an event: a title and markdown lines, in Chinese, with the key numbers. */
export function messageOf(p: EventPayload): { title: string; text: string } {
  switch (p.event) {
    case 'level.changed':
      return {
        title: `店铺等级变化：${level(p.from)} → ${level(p.level)}`,
        text: [
          `### 店铺等级变化：${level(p.from)} → ${level(p.level)}`,
          shopLine(p),
          `- 统计日：${p.date}`,
          `- 当前等级：**${level(p.level)}**（前一日：${level(p.from)}）`,
          numbersLine(p),
          `- 连续超标天数：${str(p.consecutiveFlaggedDays)} 天`,
          `- 生效中的限制：${restrictionsText(p.restrictions)}`,
        ].join('\n'),
      };
    case 'restriction.lifted':
      return {
        title: '店铺限制已解除',
        text: [
          '### 店铺限制已解除',
          shopLine(p),
          `- 解除日：${str(p.liftedOn)}`,
          `- 已解除：${restrictionsText(p.restrictions)}`,
          `- 当前等级：${level(p.level)}`,
          numbersLine(p),
        ].join('\n'),
      };
    case 'forecast.crossing': {
      const below = p.crossing === 'below_threshold';
      return {
        title: below ? `预计 ${str(p.horizonDays)} 天内回落到阈值以下` : `预计 ${str(p.horizonDays)} 天内解除限制`,
        text: [
          below ? `### 预计 ${str(p.horizonDays)} 天内回落到阈值以下` : `### 预计 ${str(p.horizonDays)} 天内解除限制`,
          shopLine(p),
          `- 统计日：${p.date}（假设不再新增介入订单）`,
          `- 预计低于阈值日：${str(p.belowThresholdOn ?? '—')}`,
          `- 预计解除限制日：${str(p.liftOn ?? '—')}`,
          `- 当前等级：${level(p.level)}，连续超标 ${str(p.consecutiveFlaggedDays)} 天`,
          numbersLine(p),
        ].join('\n'),
      };
    }
    case 'appeal.answered': {
      const accepted = p.decision === 'accepted';
      return {
        title: `申诉${accepted ? '已通过' : '已驳回'}`,
        text: [
          `### 申诉${accepted ? '已通过' : '已驳回'}`,
          shopLine(p),
          `- 申诉编号：${str(p.appealId)}（限制自 ${str(p.episodeStart)} 起）`,
          `- 处理意见：${str(p.reason)}`,
          `- 处理人：${str(p.answeredBy)}`,
          accepted ? `- 限制${p.liftsEpisode ? '已提前解除' : '所属周期已结束，无需解除'}` : '- 限制维持不变',
        ].join('\n'),
      };
    }
    case 'queue.daily': {
      const entered = (p.entered ?? []) as { shopId: string; shopName?: string; level: string; rate: number | null; ratio: number | null }[];
      const left = (p.left ?? []) as { shopId: string; shopName?: string; from: string }[];
      const name = (s: { shopId: string; shopName?: string }) => (s.shopName ? `${s.shopName}（${s.shopId}）` : s.shopId);
      const ratio = (r: number | null) => (r === null ? '—' : `${r.toFixed(1)} 倍`);
      return {
        title: `治理队列日报 ${p.date}`,
        text: [
          `### 治理队列日报 ${p.date}`,
          `- 队列中：**${str(p.total)}** 家（新进入 ${str(p.enteredCount)} 家，离开 ${str(p.leftCount)} 家）`,
          ...(entered.length
            ? ['', '**新进入**', ...entered.map((s) => `- ${name(s)}：${level(s.level)}，介入率 ${pct(s.rate)}，${ratio(s.ratio)}类目均值`)]
            : []),
          ...(left.length ? ['', '**离开**', ...left.map((s) => `- ${name(s)}（原 ${level(s.from)}）`)] : []),
          ...(Number(p.enteredCount) > entered.length || Number(p.leftCount) > left.length ? ['', '（仅列出前 50 家）'] : []),
        ].join('\n'),
      };
    }
  }
}

const hmac = (key: string | Buffer, message: string) => crypto.createHmac('sha256', key).update(message, 'utf8').digest();

/** The JSON signature header value: sha256=<hex HMAC-SHA256 of the body with the secret>. */
export function jsonSignature(secret: string, body: string): string {
  return `sha256=${hmac(secret, body).toString('hex')}`;
}

/** DingTalk's sign: base64(HmacSHA256(key=secret, msg=timestamp + "\n" + secret)) (URL-encoded by the caller). */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return hmac(secret, `${timestampMs}\n${secret}`).toString('base64');
}

/** Feishu's sign: base64(HmacSHA256(key=timestamp + "\n" + secret, msg="")). */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return hmac(`${timestampSeconds}\n${secret}`, '').toString('base64');
}

/** The request that delivers one event to one subscription, at `now` (robot signatures are time-bound). */
export function buildRequest(
  subscription: { format: AlertFormat; url: string; secret: string | null },
  deliveryId: number,
  payload: EventPayload,
  now: Date,
): OutgoingRequest {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'intervention-watch-alerts/1',
    'X-Delivery-Id': String(deliveryId),
    'X-Event': payload.event,
  };
  if (subscription.format === 'json') {
    const body = JSON.stringify({ deliveryId, ...payload });
    if (subscription.secret) headers['X-Signature'] = jsonSignature(subscription.secret, body);
    return { url: subscription.url, headers, body };
  }
  const { title, text } = messageOf(payload);
  if (subscription.format === 'dingtalk') {
    const url = new URL(subscription.url);
    if (subscription.secret) {
      const timestamp = now.getTime();
      url.searchParams.set('timestamp', String(timestamp));
      url.searchParams.set('sign', dingtalkSign(subscription.secret, timestamp));
    }
    return { url: url.toString(), headers, body: JSON.stringify({ msgtype: 'markdown', markdown: { title, text } }) };
  }
  if (subscription.format === 'feishu') {
    const card = {
      config: { wide_screen_mode: true },
      header: { title: { tag: 'plain_text', content: title }, template: payload.event === 'level.changed' ? 'red' : 'blue' },
      elements: [{ tag: 'markdown', content: text.replace(/^### .*\n/, '') }],
    };
    const signed = subscription.secret
      ? (() => {
          const timestamp = Math.floor(now.getTime() / 1000);
          return { timestamp: String(timestamp), sign: feishuSign(subscription.secret, timestamp) };
        })()
      : {};
    return { url: subscription.url, headers, body: JSON.stringify({ ...signed, msg_type: 'interactive', card }) };
  }
  return { url: subscription.url, headers, body: JSON.stringify({ msgtype: 'markdown', markdown: { content: text } }) };
}

/**
 * Whether a 2xx answer is a success: group robots answer 200 with an error code in the body
 * (DingTalk and WeCom errcode, Feishu code or StatusCode) when the message is refused (a bad sign…).
 */
export function robotError(format: AlertFormat, responseText: string): string | null {
  if (format === 'json') return null;
  let body: unknown;
  try {
    body = JSON.parse(responseText);
  } catch {
    return null;
  }
  if (!body || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  const code = b.errcode ?? b.code ?? b.StatusCode;
  if (typeof code === 'number' && code !== 0) return `the robot refused the message: code ${code} ${str(b.errmsg ?? b.msg ?? b.StatusMessage ?? '')}`.trim();
  return null;
}
