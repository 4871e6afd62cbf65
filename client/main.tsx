import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { captureToken } from './app/auth';
import { App } from './app/App';
import { startFirstLoad } from './app/first-load';
import { initI18n } from './lib/i18n';
import { createQueryClient } from './lib/query-client';
import './styles.css';

// Before the first render: take the token out of the address, then ask for everything the first screen
// needs at once (first-load.ts) while the language file loads.
const token = captureToken();
const client = createQueryClient();
startFirstLoad(client, token);
void initI18n().then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <QueryClientProvider client={client}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  ),
);
