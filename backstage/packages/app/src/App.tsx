import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { themeModule } from './modules/theme';

// The other plugins (catalog graph, API docs, org, user settings) are
// discovered from package.json dependencies (app.packages: all).
export default createApp({
  features: [catalogPlugin, navModule, themeModule],
});
