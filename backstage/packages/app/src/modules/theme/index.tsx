import {
  createUnifiedTheme,
  defaultComponentThemes,
  palettes,
  UnifiedThemeProvider,
} from '@backstage/theme';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { ThemeBlueprint } from '@backstage/plugin-app-react';
import LightIcon from '@material-ui/icons/WbSunny';
import DarkIcon from '@material-ui/icons/Brightness2';

// Backstage's themes set `word-break: break-word` on every table cell. In
// a table laid out automatically (the catalog's) that lets the browser
// squeeze a column below its longest word, so names wrap mid-word
// ("Carrie r gatew ay") at usual widths. Cells here break between words,
// and inside a word only when the word alone is wider than the table
// allows (overflow-wrap).
type Styles = Record<string, unknown>;
const tableCell = (defaultComponentThemes?.MuiTableCell ?? {}) as {
  styleOverrides?: Record<string, Styles | ((props: unknown) => Styles)>;
};
const wordsKept =
  (key: 'root' | 'head') =>
  (props: unknown): Styles => {
    const base = tableCell.styleOverrides?.[key];
    return {
      ...(typeof base === 'function' ? base(props) : base),
      wordBreak: 'normal',
      overflowWrap: 'break-word',
    };
  };
const components = {
  ...defaultComponentThemes,
  MuiTableCell: {
    ...tableCell,
    styleOverrides: {
      ...tableCell.styleOverrides,
      root: wordsKept('root'),
      head: wordsKept('head'),
    },
  },
} as typeof defaultComponentThemes;

/** Backstage's theme of `variant`, with table cells that keep words. */
function theme(variant: 'light' | 'dark', title: string, icon: JSX.Element) {
  const unified = createUnifiedTheme({
    palette: palettes[variant],
    components,
  });
  return ThemeBlueprint.make({
    name: variant,
    params: {
      theme: {
        id: variant,
        title,
        variant,
        icon,
        Provider: ({ children }) => (
          <UnifiedThemeProvider theme={unified} children={children} />
        ),
      },
    },
  });
}

/** Backstage's light and dark themes, with table cells that keep words. */
export const themeModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    theme('light', 'Light Theme', <LightIcon />),
    theme('dark', 'Dark Theme', <DarkIcon />),
  ],
});
