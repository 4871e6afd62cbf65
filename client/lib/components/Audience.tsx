// Who is reading a shared view: the seller of the shop ("your rate") or a governance reviewer ("this shop's
// rate"). The reviewer's shop page wraps what the seller sees in <Audience value="reviewer">.
import { createContext, useContext, type ReactNode } from 'react';

export type AudienceKind = 'seller' | 'reviewer';

const AudienceContext = createContext<AudienceKind>('seller');

export function Audience({ value, children }: { value: AudienceKind; children: ReactNode }) {
  return <AudienceContext.Provider value={value}>{children}</AudienceContext.Provider>;
}

export function useAudience(): AudienceKind {
  return useContext(AudienceContext);
}
